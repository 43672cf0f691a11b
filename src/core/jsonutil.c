#include "jsonutil.h"

#include <ctype.h>

static int parse(const char *buf, size_t len, struct json_object **out)
{
    *out = NULL;
    if (len > 0x7fffffff)
        return -1;
    struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (tok == NULL)
        return -1;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *obj = json_tokener_parse_ex(tok, buf, (int)len);
    int rc = -1;
    if (obj != NULL && json_tokener_get_error(tok) == json_tokener_success) {
        size_t end = json_tokener_get_parse_end(tok);
        while (end < len && isspace((unsigned char)buf[end]))
            end++;
        if (end == len) {
            *out = obj;
            obj = NULL;
            rc = 0;
        }
    }
    json_object_put(obj);
    json_tokener_free(tok);
    return rc;
}

int json_parse_value(const char *buf, size_t len, struct json_object **out)
{
    return parse(buf, len, out);
}

int json_parse_object(const char *buf, size_t len, struct json_object **out)
{
    if (parse(buf, len, out) != 0)
        return -1;
    if (!json_object_is_type(*out, json_type_object)) {
        json_object_put(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int json_set(struct json_object *obj, const char *key, struct json_object *value)
{
    if (json_object_object_add(obj, key, value) != 0) {
        json_object_put(value);
        return -1;
    }
    return 0;
}

int json_set_str(struct json_object *obj, const char *key, const char *value)
{
    if (value == NULL)
        return json_set(obj, key, NULL);
    struct json_object *v = json_object_new_string(value);
    return v == NULL ? -1 : json_set(obj, key, v);
}

int json_set_int(struct json_object *obj, const char *key, long long value)
{
    struct json_object *v = json_object_new_int64(value);
    return v == NULL ? -1 : json_set(obj, key, v);
}

int json_set_bool(struct json_object *obj, const char *key, int value)
{
    struct json_object *v = json_object_new_boolean(value != 0);
    return v == NULL ? -1 : json_set(obj, key, v);
}

int json_set_double(struct json_object *obj, const char *key, double value)
{
    struct json_object *v = json_object_new_double(value);
    return v == NULL ? -1 : json_set(obj, key, v);
}

const char *json_text(struct json_object *obj, size_t *len)
{
    return json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE, len);
}
