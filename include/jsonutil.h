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

/* Adders that take C values; NULL strings become JSON null. Return 0 or -1 (also when obj
 * is NULL: an object whose allocation failed). */
int json_set_str(struct json_object *obj, const char *key, const char *value);
int json_set_int(struct json_object *obj, const char *key, long long value);
int json_set_bool(struct json_object *obj, const char *key, int value);
int json_set_double(struct json_object *obj, const char *key, double value);
/* A Unix time (seconds) as RFC 3339 UTC, "YYYY-MM-DDTHH:MM:SSZ". */
int json_set_utc(struct json_object *obj, const char *key, long long unix_seconds);
/* Adds `value` (taking the reference; NULL is JSON null); on failure puts it. */
int json_set(struct json_object *obj, const char *key, struct json_object *value);

/*
 * For documents built in many steps, each step checked: json_add is json_set where a NULL
 * value (an allocation that failed) is -1; json_push appends to an array the
 * same way; json_done(obj, rc) gives obj when rc is 0, else puts it and gives NULL. The
 * value passed is always consumed.
 */
int json_add(struct json_object *obj, const char *key, struct json_object *value);
int json_push(struct json_object *arr, struct json_object *value);
struct json_object *json_done(struct json_object *obj, int rc);

/* Compact serialisation, no escaping of '/'. Owned by obj. */
const char *json_text(struct json_object *obj, size_t *len);

#endif
