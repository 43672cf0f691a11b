/* A chat widget's allowed origins (chat_store.h): pure. */
#include <ctype.h>
#include <string.h>

#include "chat_store.h"
#include "jsonutil.h"

bool chat_origin_normalise(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (strcmp(s, "*") == 0)
        return true;
    const char *host = strncmp(s, "https://", 8) == 0   ? s + 8
                       : strncmp(s, "http://", 7) == 0 ? s + 7
                                                       : NULL;
    if (host == NULL || *host == '\0' || strlen(s) > 255)
        return false;
    for (const char *p = host; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == ':'))
            return false;
    return true;
}

bool chat_origin_allowed(const char *allowed_json, const char *origin)
{
    struct json_object *a = NULL;
    bool ok = false;
    if (allowed_json == NULL || json_parse_value(allowed_json, strlen(allowed_json), &a) != 0)
        return false;
    for (size_t i = 0; json_object_is_type(a, json_type_array) && !ok &&
                       i < json_object_array_length(a);
         i++) {
        const char *o = json_object_get_string(json_object_array_get_idx(a, i));
        /* Browsers send the origin in lower case, but a proxy or a test might not. */
        ok = o != NULL && (strcmp(o, "*") == 0 || (origin != NULL && strcasecmp(o, origin) == 0));
    }
    json_object_put(a);
    return ok;
}
