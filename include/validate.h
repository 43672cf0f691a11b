#ifndef SB_VALIDATE_H
#define SB_VALIDATE_H
/*
 * Input validation. The pure checks (validate_*) return 0 when valid. The field
 * getters read a key of a JSON body, record a 422 reason on the request when the
 * value is present but wrong (or absent and required), and return:
 *   1 present and valid (*out set), 0 absent (or null with FIELD_NULLABLE: *out NULL),
 *   -1 invalid. Handlers call them for every field, then request_check_fields().
 */
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct request;

#define FIELD_REQUIRED 1u
#define FIELD_NULLABLE 2u

int validate_email(const char *s, size_t len);
/* Normalises to E.164 into out (at least 17 bytes). */
int validate_phone_e164(const char *s, size_t len, char *out, size_t outlen);
/* Coldcaller's rule: an optional leading +, 8 to 16 digits, and spaces, dashes, dots or
 * parentheses between them; out gets "+" and the digits (outlen >= 18). 0 or -1. */
int validate_phone_loose(const char *s, size_t len, char *out, size_t outlen);
/* Valid UTF-8 without NUL bytes. */
int validate_text(const char *s, size_t len);

int field_string(struct request *r, struct json_object *body, const char *key, unsigned flags,
                 size_t min_len, size_t max_len, const char **out);
int field_int(struct request *r, struct json_object *body, const char *key, unsigned flags,
              long long min, long long max, long long *out);
int field_bool(struct request *r, struct json_object *body, const char *key, unsigned flags,
               bool *out);
/* A JSON object (or null with FIELD_NULLABLE); *out is its JSON text in the arena. */
int field_object_text(struct request *r, struct json_object *body, const char *key,
                      unsigned flags, const char **out);
/* An array of min..max non-blank strings of 1..item_max characters (or null with
 * FIELD_NULLABLE); *out is its JSON text in the arena. */
int field_strings_text(struct request *r, struct json_object *body, const char *key,
                       unsigned flags, size_t min_items, size_t max_items, size_t item_max,
                       const char **out);
/* One of the NULL-terminated `allowed` strings. */
int field_enum(struct request *r, struct json_object *body, const char *key, unsigned flags,
               const char *const *allowed, const char **out);
int field_email(struct request *r, struct json_object *body, const char *key, unsigned flags,
                const char **out);
int field_phone(struct request *r, struct json_object *body, const char *key, unsigned flags,
                const char **out);

/* Query parameters: absent gives def; present but not an integer in range gives 422. */
int query_int(struct request *r, const char *key, long long min, long long max, long long def,
              long long *out);
/*
 * Optional query filters; an empty value (`?role=`) counts as absent. Each returns 1 when
 * given and valid, 0 when absent, -1 (and a 422 reason on `key`) when invalid.
 */
int query_enum(struct request *r, const char *key, const char *const *allowed, const char **out);
/* `true` or `false`, as 1 or 0 in *out. */
int query_bool(struct request *r, const char *key, int *out);
/*
 * Search text (at most 255 bytes of UTF-8) as a LIKE pattern "%text%" whose %, _ and \
 * match literally (use it with ESCAPE '\\'). `text` is the raw value, NULL when absent.
 */
int query_like_pattern(struct request *r, const char *key, const char *text, const char **out);

/* Pagination: page >= 1, 1 <= limit <= max_limit. Computes the offset. */
struct page {
    long long page;
    long long limit;
    long long offset;
};
int query_page(struct request *r, long long def_limit, long long max_limit, struct page *p);
/* Adds `pagination` and top-level `total` to resp. */
void page_attach(struct json_object *resp, const struct page *p, long long total);

#endif
