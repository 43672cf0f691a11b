#include "fields.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "arena.h"
#include "log.h"
#include "reply.h"
#include "request.h"
#include "validate.h"

const char *fields_word(const struct field_word *words, const char *value)
{
    for (size_t i = 0; words != NULL && value != NULL && words[i].client != NULL; i++)
        if (strcmp(words[i].client, value) == 0)
            return words[i].ours;
    return value;
}

/* "phone_number" -> "phoneNumber" into buf; NULL when it has no '_' to fold. */
static const char *camel_of(const char *name, char *buf, size_t size)
{
    if (strchr(name, '_') == NULL || strlen(name) >= size)
        return NULL;
    size_t o = 0;
    for (const char *p = name; *p; p++) {
        if (*p == '_' && p[1] != '\0' && o > 0) {
            p++;
            buf[o++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
        } else {
            buf[o++] = *p;
        }
    }
    buf[o] = '\0';
    return buf;
}

/* The key the field arrives under: its name, its alias, or (coldcaller) its camelCase. */
static const char *key_of(struct request *r, struct json_object *body, const struct field_def *d,
                          char *buf, size_t size)
{
    if (json_object_object_get_ex(body, d->name, NULL))
        return d->name;
    if (d->alias != NULL && json_object_object_get_ex(body, d->alias, NULL))
        return d->alias;
    const char *camel = (r->families & FAM_COLDCALLER) ? camel_of(d->name, buf, size) : NULL;
    if (camel != NULL && json_object_object_get_ex(body, camel, NULL))
        return arena_strdup(r->arena, camel);
    /* Absent: a 400 names it as the client would send it, where only coldcaller's
     * clients call (a shared path keeps our name, which its other families send). */
    if (camel != NULL && !(r->families & ~FAM_COLDCALLER)) {
        const char *copy = arena_strdup(r->arena, camel);
        return copy ? copy : d->name;
    }
    return d->name;
}

static int read_number(struct request *r, struct json_object *body, const char *key,
                       unsigned flags, const struct field_def *d, struct field_value *v)
{
    struct json_object *j;
    if (!json_object_object_get_ex(body, key, &j) || j == NULL)
        return field_int(r, body, key, flags, 0, 0, &v->i); /* absent/null: its rules */
    if (!json_object_is_type(j, json_type_double) && !json_object_is_type(j, json_type_int)) {
        request_field_error(r, key, "must be a number");
        return -1;
    }
    double x = json_object_get_double(j);
    if (!isfinite(x) || x < (double)d->min || x > (double)d->max) {
        char *msg = arena_printf(r->arena, "must be between %lld and %lld", d->min, d->max);
        request_field_error(r, key, msg ? msg : "is out of range");
        return -1;
    }
    v->d = x;
    return 1;
}

static int read_enum(struct request *r, struct json_object *body, const char *key,
                     unsigned flags, const struct field_def *d, struct field_value *v)
{
    const char *s;
    int rc = field_string(r, body, key, flags, 0, 64, &s);
    if (rc != 1)
        return rc;
    const char *ours = fields_word(d->words, s);
    for (size_t i = 0; d->values[i] != NULL; i++) {
        if (strcmp(d->values[i], ours) == 0) {
            v->s = d->values[i];
            return 1;
        }
    }
    /* The same 422 text as every other enum (validate.c lists the values). */
    return field_enum(r, body, key, flags, d->values, &v->s);
}

static int read_one(struct request *r, struct json_object *body, const char *key,
                    unsigned flags, const struct field_def *d, struct field_value *v)
{
    switch (d->type) {
    case FT_TEXT:
        return field_string(r, body, key, flags, (size_t)d->min, (size_t)d->max, &v->s);
    case FT_ID:
        return field_string(r, body, key, flags, 1, 64, &v->s);
    case FT_INT:
        return field_int(r, body, key, flags, d->min, d->max, &v->i);
    case FT_NUMBER:
        return read_number(r, body, key, flags, d, v);
    case FT_BOOL:
        return field_bool(r, body, key, flags, &v->b);
    case FT_ENUM:
        return read_enum(r, body, key, flags, d, v);
    case FT_EMAIL:
        return field_email(r, body, key, flags, &v->s);
    case FT_PHONE:
        return field_phone(r, body, key, flags, &v->s);
    case FT_OBJECT:
        return field_object_text(r, body, key, flags, &v->s);
    case FT_STRINGS:
        return field_strings_text(r, body, key, flags, (size_t)d->min, (size_t)d->max,
                                  FIELD_ITEM_MAX, &v->s);
    }
    return -1;
}

/*
 * The Go clients (the callcenter dialect) send "" for a value they do not have, as their
 * encoder writes it: for a nullable field that is not free text, "" means null there.
 */
static bool empty_is_null(struct request *r, struct json_object *body, const char *key,
                          const struct field_def *d)
{
    struct json_object *v;
    if (r->families != FAM_CALLCENTER || !(d->flags & F_NULLABLE) ||
        (d->type == FT_TEXT && d->min == 0) || !json_object_object_get_ex(body, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return false;
    return json_object_get_string_len(v) == 0;
}

int fields_read(struct request *r, struct json_object *body, const struct field_def *defs,
                size_t n, enum fields_mode mode, struct field_value *vals)
{
    memset(vals, 0, n * sizeof(*vals));
    for (size_t i = 0; i < n; i++) {
        const struct field_def *d = &defs[i];
        char buf[96];
        const char *key = key_of(r, body, d, buf, sizeof(buf));
        bool present = json_object_object_get_ex(body, key, NULL);
        if (d->flags & F_READONLY) {
            if (present)
                request_field_error(r, key, "is read-only");
            continue;
        }
        if (empty_is_null(r, body, key, d)) {
            vals[i].sent = vals[i].null = true;
            continue;
        }
        unsigned flags = d->flags & F_NULLABLE ? FIELD_NULLABLE : 0;
        if ((d->flags & F_ALWAYS) || (mode == FIELDS_CREATE && (d->flags & F_REQUIRED)))
            flags |= FIELD_REQUIRED;
        int rc = read_one(r, body, key, flags, d, &vals[i]);
        vals[i].sent = present && rc >= 0;
        vals[i].null = vals[i].sent && rc == 0;
    }
    return request_check_fields(r);
}

int fields_body(struct request *r, const struct field_def *defs, size_t n,
                enum fields_mode mode, struct field_value *vals, struct json_object **body)
{
    struct json_object *obj;
    if (request_body_object(r, &obj) != 0)
        return -1;
    if (body != NULL)
        *body = obj;
    return fields_read(r, obj, defs, n, mode, vals);
}

int fields_declared(struct request *r, enum fields_mode mode, struct field_value *vals,
                    size_t nvals, struct json_object **body)
{
    const struct route *route = r->match.route;
    if (route == NULL || route->body == NULL || route->nbody != nvals) {
        log_error("fields: the route's declared body does not match its handler's (%zu)", nvals);
        return request_error(r, 500, "internal_error", "Internal error");
    }
    return fields_body(r, route->body, route->nbody, mode, vals, body);
}
