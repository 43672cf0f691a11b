/* Helpers shared by the fuzz targets (fuzz.h). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return NULL;
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

char *fuzz_split(char *s, char sep)
{
    char *at = strchr(s, sep);
    if (at == NULL)
        return s + strlen(s);
    *at = '\0';
    return at + 1;
}
