/* An event id as a client sends it back (Last-Event-ID, ?after=): the tenant's cursor. */
#include <stdlib.h>

#include "cursor.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cursor_cipher *cc;
    static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
    if (cc == NULL && (cc = cursor_cipher_new(key, sizeof(key), "ten_fuzz")) == NULL)
        return 0;
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    unsigned long long pos;
    if (cursor_well_formed(text) && cursor_decode(cc, text, &pos) == 0) {
        char again[CURSOR_TEXT_LEN + 1];
        (void)cursor_encode(cc, pos, again);
    }
    free(text);
    return 0;
}
