/* A bearer token as given (token.h): HS256 only, every claim checked. */
#include <stdlib.h>

#include "fuzz.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    struct token_claims c;
    (void)jwt_verify_hs256(text, key, sizeof(key), 1764590400, &c);
    free(text);
    return 0;
}
