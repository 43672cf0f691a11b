#ifndef SB_JSONUTIL_H
#define SB_JSONUTIL_H
/* json-c helpers. Parsing is strict RFC 8259 (valid UTF-8, depth-limited, nothing after). */
#include <stddef.h>
#include <json-c/json.h>

#define JSON_MAX_DEPTH 32

/* 0 with *out a new object (caller owns); -1 when not a single JSON object. */
int json_parse_object(const char *buf, size_t len, struct json_object **out);
/* 0 with *out a new value of any type (NULL for JSON null); -1 when invalid. */
int json_parse_value(const char *buf, size_t len, struct json_object **out);

/* Adders that take C values; NULL strings become JSON null. Return 0 or -1. */
int json_set_str(struct json_object *obj, const char *key, const char *value);
int json_set_int(struct json_object *obj, const char *key, long long value);
int json_set_bool(struct json_object *obj, const char *key, int value);
int json_set_double(struct json_object *obj, const char *key, double value);
/* Adds `value` (taking the reference); on failure puts it. */
int json_set(struct json_object *obj, const char *key, struct json_object *value);

/* Compact serialisation, no escaping of '/'. Owned by obj. */
const char *json_text(struct json_object *obj, size_t *len);

#endif
