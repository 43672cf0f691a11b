/*
 * A Twilio webhook as the pool sees it: "URL\nform body". The form is split into pairs as
 * the request layer splits it, then the signature base string is built and signed.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fuzz.h"
#include "httputil.h"
#include "request.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_create(8192);
    char *url = fuzz_cstr(data, size);
    if (a != NULL && url != NULL) {
        char *form = fuzz_split(url, '\n');
        struct query_pair *pairs;
        size_t n;
        if (http_pairs_parse(a, form, strlen(form), &pairs, &n) == 0)
            (void)twilio_signature(a, "0123456789abcdef0123456789abcdef", url, pairs, n);
    }
    free(url);
    arena_destroy(a);
    return 0;
}
