/* Mentions in staff writing (mention.h): which addresses a text names. */
#include <stdlib.h>

#include "fuzz.h"
#include "mention.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    char out[MENTION_MAX][MENTION_ADDR_MAX + 1];
    if (text != NULL)
        (void)mention_scan(text, out, MENTION_MAX);
    free(text);
    return 0;
}
