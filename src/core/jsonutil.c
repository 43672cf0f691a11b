#include "jsonutil.h"
#include "utf8.h"

#include <string.h>
#include <time.h>

#include <ctype.h>
#include <stdbool.h>

/*
 * json-c accepts more than RFC 8259 even in strict mode (single quotes, NaN, Infinity,
 * raw control characters, overlong UTF-8), so input is first checked by this scanner,
 * which accepts exactly the RFC grammar with valid UTF-8, and only then handed to json-c.
 */
struct scan {
    const unsigned char *p, *end;
    int depth;
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool scan_utf8(struct scan *s)
{
    size_t n = utf8_next(s->p, (size_t)(s->end - s->p));
    s->p += n;
    return n > 0;
}

static bool scan_string(struct scan *s)
{
    s->p++; /* the opening quote */
    while (s->p < s->end) {
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (++s->p >= s->end)
                return false;
            c = *s->p;
            if (c == 'u') {
                if (s->end - s->p < 5)
                    return false;
                for (int k = 1; k <= 4; k++)
                    if (!isxdigit(s->p[k]))
                        return false;
                s->p += 5;
            } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                       c == 'r' || c == 't') {
                s->p++;
            } else {
                return false;
            }
            continue;
        }
        if (!scan_utf8(s))
            return false;
    }
    return false;
}

static bool scan_digits(struct scan *s)
{
    const unsigned char *start = s->p;
    while (s->p < s->end && isdigit(*s->p))
        s->p++;
    return s->p > start;
}

static bool scan_number(struct scan *s)
{
    if (*s->p == '-')
        s->p++;
    if (s->p >= s->end)
        return false;
    if (*s->p == '0')
        s->p++;
    else if (!scan_digits(s))
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!scan_digits(s))
            return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!scan_digits(s))
            return false;
    }
    return true;
}

static bool scan_literal(struct scan *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

static bool scan_value(struct scan *s)
{
    skip_ws(s);
    if (s->p >= s->end)
        return false;
    switch (*s->p) {
    case '"':
        return scan_string(s);
    case 't':
        return scan_literal(s, "true", 4);
    case 'f':
        return scan_literal(s, "false", 5);
    case 'n':
        return scan_literal(s, "null", 4);
    case '{':
    case '[': {
        unsigned char close = *s->p == '{' ? '}' : ']';
        bool object = close == '}';
        if (++s->depth > JSON_MAX_DEPTH)
            return false;
        s->p++;
        skip_ws(s);
        if (s->p < s->end && *s->p == close) {
            s->p++;
            s->depth--;
            return true;
        }
        for (;;) {
            if (object) {
                skip_ws(s);
                if (s->p >= s->end || *s->p != '"' || !scan_string(s))
                    return false;
                skip_ws(s);
                if (s->p >= s->end || *s->p++ != ':')
                    return false;
            }
            if (!scan_value(s))
                return false;
            skip_ws(s);
            if (s->p >= s->end)
                return false;
            if (*s->p == ',') {
                s->p++;
                continue;
            }
            if (*s->p++ != close)
                return false;
            s->depth--;
            return true;
        }
    }
    default:
        return (*s->p == '-' || isdigit(*s->p)) && scan_number(s);
    }
}

static bool json_valid_rfc8259(const char *buf, size_t len)
{
    struct scan s = {(const unsigned char *)buf, (const unsigned char *)buf + len, 0};
    if (!scan_value(&s))
        return false;
    skip_ws(&s);
    return s.p == s.end;
}

static int parse(const char *buf, size_t len, struct json_object **out)
{
    *out = NULL;
    if (len > 0x7fffffff || !json_valid_rfc8259(buf, len))
        return -1;
    struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (tok == NULL)
        return -1;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *obj = json_tokener_parse_ex(tok, buf, (int)len);
    /* A bare number or literal is only complete once json-c sees a byte after it. */
    if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue)
        obj = json_tokener_parse_ex(tok, " ", 1);
    int rc = -1;
    /* json-c represents JSON null as a NULL object. */
    if (json_tokener_get_error(tok) == json_tokener_success) {
        *out = obj;
        obj = NULL;
        rc = 0;
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
    if (*out == NULL || !json_object_is_type(*out, json_type_object)) {
        json_object_put(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int json_set(struct json_object *obj, const char *key, struct json_object *value)
{
    if (obj == NULL || json_object_object_add(obj, key, value) != 0) {
        json_object_put(value);
        return -1;
    }
    return 0;
}

int json_add(struct json_object *obj, const char *key, struct json_object *value)
{
    return value == NULL ? -1 : json_set(obj, key, value);
}

int json_push(struct json_object *arr, struct json_object *value)
{
    if (arr == NULL || value == NULL || json_object_array_add(arr, value) != 0) {
        json_object_put(value);
        return -1;
    }
    return 0;
}

struct json_object *json_done(struct json_object *obj, int rc)
{
    if (rc == 0)
        return obj;
    json_object_put(obj);
    return NULL;
}

int json_set_str(struct json_object *obj, const char *key, const char *value)
{
    if (value == NULL)
        return json_set(obj, key, NULL);
    struct json_object *v = json_object_new_string(value);
    return v == NULL ? -1 : json_set(obj, key, v);
}

int json_set_utc(struct json_object *obj, const char *key, long long unix_seconds)
{
    char buf[32];
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return -1;
    return json_set_str(obj, key, buf);
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
