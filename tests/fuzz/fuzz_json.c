/* The strict JSON reader (jsonutil.h): any value, then any object; what parses re-serialises. */
#include <json-c/json.h>

#include "fuzz.h"
#include "jsonutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object *v = NULL;
    if (json_parse_value((const char *)data, size, &v) == 0 && v != NULL) {
        (void)json_text(v, NULL);
        json_object_put(v);
    }
    if (json_parse_object((const char *)data, size, &v) == 0)
        json_object_put(v);
    return 0;
}
