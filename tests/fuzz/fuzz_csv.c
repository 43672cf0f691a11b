/* The CSV reader of CDR imports (csv.h): every record of the input, bad ones skipped. */
#include <stdio.h>

#include "csv.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (f == NULL)
        return 0;
    struct csv_reader rd;
    csv_reader_init(&rd, f);
    int rc;
    while ((rc = csv_read(&rd)) != 0 && rc != -2)
        if (rc == 1)
            for (size_t i = 0; i <= rd.nfields; i++)
                (void)csv_field(&rd, i);
    csv_reader_free(&rd);
    fclose(f);
    return 0;
}
