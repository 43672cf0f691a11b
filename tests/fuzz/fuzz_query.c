/* Query strings, form bodies and URL decoding (httputil.h), and the /api/v1 fold of a path. */
#include <stdlib.h>

#include "arena.h"
#include "fuzz.h"
#include "httputil.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_create(8192);
    char *s = fuzz_cstr(data, size);
    if (a != NULL && s != NULL) {
        struct query_pair *pairs;
        size_t n;
        (void)http_pairs_parse(a, (const char *)data, size, &pairs, &n);
        (void)url_decode(a, (const char *)data, size, 0);
        (void)url_decode(a, (const char *)data, size, 1);
        (void)path_fold_v1(a, s);
    }
    free(s);
    arena_destroy(a);
    return 0;
}
