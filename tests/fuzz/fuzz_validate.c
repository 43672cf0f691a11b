/* Phone numbers, e-mail addresses, clock times and UTF-8 as the validators read them. */
#include <stdlib.h>

#include "fuzz.h"
#include "schedule.h"
#include "utf8.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char e164[24];
    (void)validate_phone_e164((const char *)data, size, e164, sizeof(e164));
    (void)validate_email((const char *)data, size);
    for (size_t at = 0; at < size;) {
        size_t n = utf8_next(data + at, size - at);
        at += n ? n : 1;
    }
    char *s = fuzz_cstr(data, size);
    if (s != NULL)
        (void)schedule_minutes(s);
    free(s);
    return 0;
}
