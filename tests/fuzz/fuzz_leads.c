/* The lead import's reading (lead_import.h): a CSV file from an upload, its header mapped
 * to columns and every row checked on its own (phone, e-mail, zone, lengths). */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "fuzz.h"
#include "lead_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    struct arena *a = arena_create(16384);
    if (f == NULL || a == NULL)
        goto out;
    struct lead_import im;
    memset(&im, 0, sizeof(im));
    im.a = a;
    if (lead_import_parse(&im, f) == 0) {
        lead_import_sort_errors(&im);
        (void)lead_import_rejected(&im);
    }
out:
    if (f != NULL)
        fclose(f);
    if (a != NULL)
        arena_destroy(a);
    return 0;
}
