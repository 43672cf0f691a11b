#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "jsonutil.h"
#include "request.h"
#include "utf8.h"

/* Returns the number of code points, or -1 when not valid UTF-8 or when it has NUL. */
static long utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    long count = 0;
    for (size_t i = 0; i < len; count++) {
        size_t n = utf8_next(p + i, len - i);
        if (n == 0 || p[i] == 0)
            return -1;
        i += n;
    }
    return count;
}

int validate_text(const char *s, size_t len)
{
    return utf8_count(s, len) < 0 ? -1 : 0;
}

int validate_email(const char *s, size_t len)
{
    if (len < 3 || len > 254)
        return -1;
    const char *at = memchr(s, '@', len);
    if (at == NULL || at == s || memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
        return -1;
    size_t local = (size_t)(at - s), dlen = len - local - 1;
    if (local > 64 || dlen < 3)
        return -1;
    for (size_t i = 0; i < local; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || strchr("()<>[]\\,;:\"", c) != NULL)
            return -1;
    }
    const char *d = at + 1;
    if (d[0] == '.' || d[0] == '-' || d[dlen - 1] == '.' || d[dlen - 1] == '-' ||
        memchr(d, '.', dlen) == NULL)
        return -1;
    for (size_t i = 0; i < dlen; i++) {
        unsigned char c = (unsigned char)d[i];
        if (!(isalnum(c) || c == '-' || c == '.'))
            return -1;
        if (c == '.' && i + 1 < dlen && d[i + 1] == '.')
            return -1;
    }
    return 0;
}

static char keypad_digit(char c)
{
    static const char map[] = "22233344455566677778889999";
    c = (char)toupper((unsigned char)c);
    return (c >= 'A' && c <= 'Z') ? map[c - 'A'] : 0;
}

int validate_phone_e164(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    while (i < len && s[i] == ' ')
        i++;
    if (i >= len || s[i] != '+')
        return -1;
    out[o++] = '+';
    for (i++; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')
            continue;
        if (c >= '0' && c <= '9') {
        } else if ((c = keypad_digit(c)) == 0) {
            return -1;
        }
        if (o + 1 >= outlen || o > 15)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    size_t digits = o - 1;
    if (digits < 8 || digits > 15 || out[1] == '0')
        return -1;
    return 0;
}

int validate_phone_loose(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0, i = 0, digits = 0;
    if (outlen < 18)
        return -1;
    out[o++] = '+';
    if (len > 0 && s[0] == '+')
        i = 1;
    for (; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')
            continue;
        if (c < '0' || c > '9' || ++digits > 16)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return digits >= 8 ? 0 : -1;
}

static struct json_object *field_get(struct request *r, struct json_object *body, const char *key,
                                     unsigned flags, int *rc)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(body, key, &v)) {
        if (flags & FIELD_REQUIRED) {
            request_field_error(r, key, "is required");
            *rc = -1;
        } else {
            *rc = 0;
        }
        return NULL;
    }
    if (v == NULL) {
        if (flags & FIELD_NULLABLE) {
            *rc = 0;
        } else {
            request_field_error(r, key, (flags & FIELD_REQUIRED) ? "is required"
                                                                 : "must not be null");
            *rc = -1;
        }
        return NULL;
    }
    *rc = 1;
    return v;
}

int field_string(struct request *r, struct json_object *body, const char *key, unsigned flags,
                 size_t min_len, size_t max_len, const char **out)
{
    int rc;
    *out = NULL;
    struct json_object *v = field_get(r, body, key, flags, &rc);
    if (v == NULL)
        return rc;
    if (!json_object_is_type(v, json_type_string)) {
        request_field_error(r, key, "must be a string");
        return -1;
    }
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    long chars = utf8_count(s, len);
    if (chars < 0) {
        request_field_error(r, key, "must be valid UTF-8 text without NUL characters");
        return -1;
    }
    if (min_len > 0) {
        size_t k = 0;
        while (k < len && isspace((unsigned char)s[k]))
            k++;
        if (k == len) {
            request_field_error(r, key, (flags & FIELD_REQUIRED) ? "is required"
                                                                 : "must not be blank");
            return -1;
        }
    }
    if ((size_t)chars < min_len || (size_t)chars > max_len) {
        char *msg = arena_printf(r->arena, "must be %zu to %zu characters", min_len, max_len);
        request_field_error(r, key, msg ? msg : "has an invalid length");
        return -1;
    }
    *out = arena_strndup(r->arena, s, len);
    return *out ? 1 : -1;
}

int field_int(struct request *r, struct json_object *body, const char *key, unsigned flags,
              long long min, long long max, long long *out)
{
    int rc;
    struct json_object *v = field_get(r, body, key, flags, &rc);
    if (v == NULL)
        return rc;
    if (!json_object_is_type(v, json_type_int)) {
        request_field_error(r, key, "must be an integer");
        return -1;
    }
    errno = 0;
    long long n = json_object_get_int64(v);
    if (errno != 0 || n < min || n > max) {
        char *msg = arena_printf(r->arena, "must be between %lld and %lld", min, max);
        request_field_error(r, key, msg ? msg : "is out of range");
        return -1;
    }
    *out = n;
    return 1;
}

int field_bool(struct request *r, struct json_object *body, const char *key, unsigned flags,
               bool *out)
{
    int rc;
    struct json_object *v = field_get(r, body, key, flags, &rc);
    if (v == NULL)
        return rc;
    if (!json_object_is_type(v, json_type_boolean)) {
        request_field_error(r, key, "must be true or false");
        return -1;
    }
    *out = json_object_get_boolean(v);
    return 1;
}

int field_object_text(struct request *r, struct json_object *body, const char *key,
                      unsigned flags, const char **out)
{
    int rc;
    *out = NULL;
    struct json_object *v = field_get(r, body, key, flags, &rc);
    if (v == NULL)
        return rc;
    if (!json_object_is_type(v, json_type_object)) {
        request_field_error(r, key, "must be a JSON object");
        return -1;
    }
    size_t len;
    const char *text = json_text(v, &len);
    if (text == NULL || len > 65535) {
        request_field_error(r, key, "must be at most 65535 bytes of JSON");
        return -1;
    }
    *out = arena_strndup(r->arena, text, len);
    return *out ? 1 : -1;
}

/* An item of a string list: non-blank text of 1..max characters. */
static bool list_item_ok(struct json_object *e, size_t max)
{
    if (!json_object_is_type(e, json_type_string))
        return false;
    const char *t = json_object_get_string(e);
    size_t len = (size_t)json_object_get_string_len(e), k = 0;
    long chars = utf8_count(t, len);
    while (k < len && isspace((unsigned char)t[k]))
        k++;
    return chars > 0 && (size_t)chars <= max && k < len;
}

int field_strings_text(struct request *r, struct json_object *body, const char *key,
                       unsigned flags, size_t min_items, size_t max_items, size_t item_max,
                       const char **out)
{
    int rc;
    *out = NULL;
    struct json_object *v = field_get(r, body, key, flags, &rc);
    if (v == NULL)
        return rc;
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    bool ok = json_object_is_type(v, json_type_array) && n >= min_items && n <= max_items;
    for (size_t i = 0; ok && i < n; i++)
        ok = list_item_ok(json_object_array_get_idx(v, i), item_max);
    if (!ok) {
        char *msg = arena_printf(r->arena,
                                 "must be an array of %zu to %zu strings of 1 to %zu characters",
                                 min_items, max_items, item_max);
        request_field_error(r, key, msg ? msg : "must be an array of strings");
        return -1;
    }
    *out = arena_strdup(r->arena, json_text(v, NULL));
    return *out ? 1 : -1;
}

/* "must be one of: a, b, c" in the arena. */
static const char *one_of_message(struct request *r, const char *const *allowed)
{
    size_t cap = 32;
    for (size_t i = 0; allowed[i] != NULL; i++)
        cap += strlen(allowed[i]) + 2;
    char *msg = arena_alloc(r->arena, cap);
    if (msg == NULL)
        return "has an invalid value";
    strcpy(msg, "must be one of: ");
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (i > 0)
            strcat(msg, ", ");
        strcat(msg, allowed[i]);
    }
    return msg;
}

static int match_enum(struct request *r, const char *key, const char *v,
                      const char *const *allowed, const char **out)
{
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (strcmp(v, allowed[i]) == 0) {
            *out = allowed[i];
            return 1;
        }
    }
    request_field_error(r, key, one_of_message(r, allowed));
    return -1;
}

int field_enum(struct request *r, struct json_object *body, const char *key, unsigned flags,
               const char *const *allowed, const char **out)
{
    const char *s;
    int rc = field_string(r, body, key, flags, 0, 64, &s);
    *out = NULL;
    if (rc != 1)
        return rc;
    return match_enum(r, key, s, allowed, out);
}

int field_email(struct request *r, struct json_object *body, const char *key, unsigned flags,
                const char **out)
{
    const char *s;
    int rc = field_string(r, body, key, flags, 1, 254, &s);
    *out = NULL;
    if (rc != 1)
        return rc;
    if (validate_email(s, strlen(s)) != 0) {
        request_field_error(r, key, "must be a valid email address");
        return -1;
    }
    char *lower = arena_strdup(r->arena, s);
    if (lower == NULL)
        return -1;
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    *out = lower;
    return 1;
}

int field_phone(struct request *r, struct json_object *body, const char *key, unsigned flags,
                const char **out)
{
    const char *s;
    int rc = field_string(r, body, key, flags, 1, 40, &s);
    *out = NULL;
    if (rc != 1)
        return rc;
    char norm[20];
    /* Coldcaller's dialer takes numbers as its agents type them (its clients' rule). */
    if (r->families & FAM_COLDCALLER) {
        if (validate_phone_loose(s, strlen(s), norm, sizeof(norm)) != 0) {
            request_field_error(r, key, "Invalid phone number format");
            return -1;
        }
    } else if (validate_phone_e164(s, strlen(s), norm, sizeof(norm)) != 0) {
        request_field_error(r, key,
                            "must be an E.164 phone number: + then country code and number");
        return -1;
    }
    *out = arena_strdup(r->arena, norm);
    return *out ? 1 : -1;
}

int query_int(struct request *r, const char *key, long long min, long long max, long long def,
              long long *out)
{
    const char *v = request_query(r, key);
    *out = def;
    if (v == NULL || *v == '\0')
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
        char *msg = arena_printf(r->arena, "must be an integer between %lld and %lld", min, max);
        request_field_error(r, key, msg ? msg : "is out of range");
        return -1;
    }
    *out = n;
    return 1;
}

int query_enum(struct request *r, const char *key, const char *const *allowed, const char **out)
{
    const char *v = request_query(r, key);
    *out = NULL;
    if (v == NULL || v[0] == '\0')
        return 0;
    return match_enum(r, key, v, allowed, out);
}

int query_bool(struct request *r, const char *key, int *out)
{
    static const char *const values[] = {"false", "true", NULL};
    const char *v;
    int rc = query_enum(r, key, values, &v);
    *out = rc == 1 && v == values[1];
    return rc;
}

#define SEARCH_MAX_BYTES 255

int query_like_pattern(struct request *r, const char *key, const char *text, const char **out)
{
    *out = NULL;
    if (text == NULL || text[0] == '\0')
        return 0;
    size_t n = strlen(text);
    if (n > SEARCH_MAX_BYTES || validate_text(text, n) != 0) {
        request_field_error(r, key, "must be text of at most 255 bytes");
        return -1;
    }
    char *p = arena_alloc(r->arena, 2 * n + 3);
    if (p == NULL)
        return -1;
    char *o = p;
    *o++ = '%';
    for (const char *s = text; *s != '\0'; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    *out = p;
    return 1;
}

int query_page(struct request *r, long long def_limit, long long max_limit, struct page *p)
{
    int a = query_int(r, "page", 1, 1000000, 1, &p->page);
    /* The callcenter clients say page_size; the others limit. */
    const char *size_key = request_query(r, "limit") == NULL &&
                                   request_query(r, "page_size") != NULL
                               ? "page_size"
                               : "limit";
    int b = query_int(r, size_key, 1, max_limit, def_limit, &p->limit);
    p->offset = (p->page - 1) * p->limit;
    return (a < 0 || b < 0) ? -1 : 0;
}

void page_attach(struct json_object *resp, const struct page *p, long long total)
{
    struct json_object *pg = json_object_new_object();
    if (pg == NULL)
        return;
    json_set_int(pg, "page", p->page);
    json_set_int(pg, "limit", p->limit);
    json_set_int(pg, "total", total);
    json_set_int(pg, "total_pages", (total + p->limit - 1) / p->limit);
    json_set(resp, "pagination", pg);
    json_set_int(resp, "total", total);
}
