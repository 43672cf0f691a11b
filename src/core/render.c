/*
 * The dialects (reply.h): one answer, rendered for the families that call the path.
 *
 * The envelope is built as a json-c object without the data, serialised, and the data's
 * text is spliced in after `{"success":true`: a cached list goes out as the bytes it was
 * stored as, with no parse and no printf. Data that is a json-c object is serialised once
 * and spliced the same way.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "arena.h"
#include "jsonutil.h"
#include "reply.h"

#define WANTS_DATA (FAM_CALLCENTER | FAM_CALLDOCKER | FAM_COLDCALLER)

const char *render_upper_code(struct arena *a, int status, const char *code)
{
    /* The callcenter clients know one code per status for these (clients.md). */
    switch (status) {
    case 400: return "BAD_REQUEST";
    case 401: return "UNAUTHORIZED";
    case 403: return "FORBIDDEN";
    case 404: return "NOT_FOUND";
    case 409: return "CONFLICT";
    case 422: return "VALIDATION_ERROR";
    case 500: return "INTERNAL_ERROR";
    default: break;
    }
    if (code == NULL)
        return "INTERNAL_ERROR";
    char *up = arena_strdup(a, code);
    if (up == NULL)
        return "INTERNAL_ERROR";
    for (char *p = up; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return up;
}

char *render_camel_name(const char *s, char *buf, size_t size)
{
    size_t o = 0;
    int up = 0, changed = 0;
    for (; *s; s++) {
        if (*s == '_' && o > 0 && s[1] != '\0') {
            up = 1;
            changed = 1;
            continue;
        }
        if (o + 1 >= size)
            return NULL;
        buf[o++] = up ? (char)toupper((unsigned char)*s) : *s;
        up = 0;
    }
    buf[o] = '\0';
    return changed ? buf : NULL;
}

struct json_object *render_camel(struct json_object *v, bool keep_snake)
{
    if (v == NULL)
        return NULL;
    if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        struct json_object *out = json_object_new_array_ext((int)n);
        for (size_t i = 0; out != NULL && i < n; i++) {
            struct json_object *item = render_camel(json_object_array_get_idx(v, i), keep_snake);
            struct json_object *orig = json_object_array_get_idx(v, i);
            if ((item == NULL && orig != NULL) || json_object_array_add(out, item) != 0) {
                json_object_put(item);
                json_object_put(out);
                return NULL;
            }
        }
        return out;
    }
    if (!json_object_is_type(v, json_type_object))
        return json_object_get(v);
    struct json_object *out = json_object_new_object();
    json_object_object_foreach(v, key, val)
    {
        char buf[128];
        const char *camel = render_camel_name(key, buf, sizeof(buf));
        struct json_object *copy = render_camel(val, keep_snake);
        if (out == NULL || (copy == NULL && val != NULL))
            goto fail;
        if (keep_snake && camel != NULL && json_set(out, key, json_object_get(copy)) != 0) {
            json_object_put(copy);
            goto fail;
        }
        if (json_set(out, camel ? camel : key, copy) != 0)
            goto fail;
    }
    return out;
fail:
    json_object_put(out);
    return NULL;
}

static int put(struct json_object *o, const char *k, struct json_object *v)
{
    return json_set(o, k, v);
}

/* A number, or null for a keyset page (where page and totals are not counted). */
static int set_count(struct json_object *o, const char *k, long long v, bool unknown)
{
    return unknown ? json_set(o, k, NULL) : json_set_int(o, k, v);
}

static int add_pagination(struct json_object *env, const struct reply *rep, unsigned fam)
{
    long long pages = rep->limit > 0 ? (rep->total + rep->limit - 1) / rep->limit : 0;
    bool u = rep->by_cursor;
    int rc = 0;
    if (fam & (FAM_TRANSFER | FAM_CALLDOCKER | FAM_COLDCALLER)) {
        struct json_object *p = json_object_new_object();
        if (put(env, "pagination", p) != 0)
            return -1;
        rc |= set_count(p, "page", rep->page, u) | json_set_int(p, "limit", rep->limit) |
              set_count(p, "total", rep->total, u);
        if (fam & FAM_TRANSFER)
            rc |= set_count(p, "total_pages", pages, u);
        if (fam & FAM_CALLDOCKER)
            rc |= set_count(p, "pages", pages, u);
        if (fam & FAM_COLDCALLER)
            rc |= set_count(p, "totalPages", pages, u) |
                  json_set_bool(p, "hasNext", u ? rep->has_more : rep->page < pages) |
                  json_set_bool(p, "hasPrev", !u && rep->page > 1);
        if (u)
            rc |= json_set_bool(p, "has_more", rep->has_more);
    }
    if (fam & FAM_TRANSFER)
        rc |= set_count(env, "total", rep->total, u);
    if (fam & FAM_CALLCENTER) {
        struct json_object *m = json_object_new_object();
        if (put(env, "meta", m) != 0)
            return -1;
        rc |= set_count(m, "page", rep->page, u) | json_set_int(m, "page_size", rep->limit) |
              set_count(m, "total_pages", pages, u) | set_count(m, "total_count", rep->total, u);
        if (u)
            rc |= json_set_bool(m, "has_more", rep->has_more);
    }
    return rc ? -1 : 0;
}

/* The envelope's last member, the time, where a family reads it; NULL (the envelope
 * released) when anything before failed (rc != 0) or this does. */
static struct json_object *stamped(struct json_object *env, const struct render_ctx *c, int rc)
{
    if (c->families & (FAM_CALLCENTER | FAM_COLDCALLER))
        rc |= json_set_str(env, "timestamp", c->timestamp);
    if (rc != 0) {
        json_object_put(env);
        return NULL;
    }
    return env;
}

/* Top-level members besides the data: extras, message, pagination, ids, time. */
static struct json_object *success_envelope(const struct reply *rep, const struct render_ctx *c)
{
    unsigned fam = c->families;
    struct json_object *env = json_object_new_object();
    if (env == NULL)
        return NULL;
    int rc = 0;
    if (rep->extra != NULL) {
        json_object_object_foreach(rep->extra, k, v)
        {
            struct json_object *val = (fam & FAM_COLDCALLER) && !(fam & FAM_TRANSFER)
                                          ? render_camel(v, false)
                                          : json_object_get(v);
            rc |= put(env, k, val);
        }
    }
    if ((fam & FAM_COLDCALLER) && !json_object_object_get_ex(env, "message", NULL))
        rc |= json_set_str(env, "message", "OK");
    if (rep->is_list)
        rc |= add_pagination(env, rep, fam);
    if (fam & FAM_CALLCENTER)
        rc |= json_set_str(env, "request_id", c->request_id);
    return stamped(env, c, rc);
}

/* Where a bad field came from, and what was sent in it (coldcaller's details). */
static void detail_origin(struct json_object *d, const struct render_ctx *c, const char *k,
                          int *rc)
{
    struct json_object *sent = NULL;
    if (c->body != NULL && json_object_object_get_ex(c->body, k, &sent)) {
        *rc |= json_set(d, "value", json_object_get(sent)) | json_set_str(d, "location", "body");
        return;
    }
    const char *q = c->query_value ? c->query_value(c->query_ctx, k) : NULL;
    /* Body and query names never hold a '-'; a header's (Idempotency-Key) does. */
    const char *where = q ? "query" : strchr(k, '-') ? "headers" : "body";
    *rc |= json_set(d, "value", q ? json_object_new_string(q) : NULL) |
           json_set_str(d, "location", where);
}

static struct json_object *validation_details(struct json_object *fields,
                                              const struct render_ctx *c)
{
    struct json_object *arr = json_object_new_array();
    if (arr == NULL || fields == NULL)
        return arr;
    json_object_object_foreach(fields, k, v)
    {
        struct json_object *d = json_object_new_object();
        int rc = d == NULL;
        if (d != NULL)
            detail_origin(d, c, k, &rc);
        if (rc || json_set_str(d, "field", k) || json_set(d, "message", json_object_get(v)) ||
            json_set_str(d, "code", "VALIDATION_ERROR") || json_object_array_add(arr, d) != 0) {
            json_object_put(d);
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}

/* A validation failure's top-level message is its first detail's, what a form shows:
 * "Invalid phone number format" as it is, "is required" after the field's name. */
static const char *first_detail_message(struct arena *a, struct json_object *details,
                                        const char *fallback)
{
    struct json_object *d0, *m, *f;
    if (details == NULL || json_object_array_length(details) == 0)
        return fallback;
    d0 = json_object_array_get_idx(details, 0);
    if (!json_object_object_get_ex(d0, "message", &m) ||
        !json_object_object_get_ex(d0, "field", &f))
        return fallback;
    const char *text = json_object_get_string(m);
    if (text[0] >= 'A' && text[0] <= 'Z')
        return text;
    const char *both = arena_printf(a, "%s %s", json_object_get_string(f), text);
    return both ? both : text;
}

static struct json_object *error_envelope(struct arena *a, const struct reply *rep,
                                          const struct render_ctx *c)
{
    unsigned fam = c->families;
    struct json_object *env = json_object_new_object();
    if (env == NULL)
        return NULL;
    const char *msg = rep->message ? rep->message : "Error";
    /* `error` is text where the transfer portal reads it; calldocker takes either. On the
     * paths transfer shares with coldcaller (auth, health, /api/calls) only coldcaller's
     * clients call (../shared/routes.tsv), so its object wins there. */
    int text = fam == 0 ||
               (!(fam & FAM_COLDCALLER) && (fam & (FAM_TRANSFER | FAM_CALLDOCKER)));
    int rc = json_set_bool(env, "success", 0);
    struct json_object *details = c->fields && (fam & FAM_COLDCALLER)
                                      ? validation_details(c->fields, c) : NULL;
    if (text) {
        rc |= json_set_str(env, "error", msg) | json_set_str(env, "code", rep->code);
    } else {
        struct json_object *e = json_object_new_object();
        rc |= put(env, "error", e);
        if (rc == 0 && (fam & FAM_CALLCENTER)) {
            rc |= json_set_str(e, "code", render_upper_code(a, rep->status, rep->code)) |
                  json_set_str(e, "message", msg);
            if (c->fields != NULL)
                rc |= put(e, "details", json_object_get(c->fields));
        } else if (rc == 0) {
            rc |= json_set_str(e, "message", c->fields ? "Validation failed" : msg) |
                  json_set_int(e, "status", rep->status) |
                  json_set_str(e, "timestamp", c->timestamp) |
                  json_set_str(env, "code", c->fields ? "VALIDATION_ERROR"
                                                      : render_upper_code(a, rep->status,
                                                                          rep->code));
            if (details != NULL)
                rc |= put(e, "details", json_object_get(details));
        }
    }
    if (fam & (FAM_CALLDOCKER | FAM_COLDCALLER)) {
        const char *m = first_detail_message(a, details, msg);
        if (rep->no_route && c->path != NULL)
            m = arena_printf(a, "Route %s not found", c->path);
        rc |= json_set_str(env, "message", m ? m : msg);
        if (details != NULL && text)
            rc |= put(env, "details", json_object_get(details));
    }
    json_object_put(details);
    rc |= json_set_str(env, "request_id", c->request_id);
    if (rep->extra != NULL) {
        json_object_object_foreach(rep->extra, k, v)
        {
            rc |= put(env, k, json_object_get(v));
        }
    }
    if (c->fields != NULL && (text || fam == 0))
        rc |= put(env, "fields", json_object_get(c->fields));
    return stamped(env, c, rc);
}

/* The data's text for the `data` member: camelCase where coldcaller reads it. */
static const char *data_member_text(struct arena *a, const struct reply *rep, unsigned fam,
                                    size_t *len)
{
    struct json_object *d = rep->data;
    if (!(fam & FAM_COLDCALLER)) {
        if (rep->data_text != NULL) {
            *len = rep->data_len;
            return rep->data_text;
        }
        return d ? json_text(d, len) : NULL;
    }
    struct json_object *parsed = NULL;
    if (d == NULL && rep->data_text != NULL) {
        if (json_parse_value(rep->data_text, rep->data_len, &parsed) != 0)
            return NULL;
        d = parsed;
    }
    struct json_object *camel = arena_json(a, render_camel(d, (fam & ~FAM_COLDCALLER) != 0));
    json_object_put(parsed);
    return camel ? json_text(camel, len) : NULL;
}

static const char *main_text(const struct reply *rep, size_t *len)
{
    if (rep->data_text != NULL) {
        *len = rep->data_len;
        return rep->data_text;
    }
    if (rep->data == NULL) {
        *len = 2;
        return "{}";
    }
    return json_text(rep->data, len);
}

/* The body: `{"success":true` [`,"key":` data] [`,"data":` data] then the envelope. */
static int render_success(struct arena *a, const struct reply *rep, const struct render_ctx *c,
                          struct rendered *out)
{
    unsigned fam = c->families;
    struct json_object *env = arena_json(a, success_envelope(rep, c));
    size_t elen, mlen = 0, dlen = 0;
    const char *etext = env ? json_text(env, &elen) : NULL;
    if (etext == NULL)
        return -1;
    const char *head = "{\"success\":true", *main = NULL, *dtext = NULL;
    char *key_open = NULL;
    if (fam & FAM_TRANSFER) {
        main = main_text(rep, &mlen);
        if (main == NULL)
            return -1;
        if (rep->key != NULL) {
            key_open = arena_printf(a, ",\"%s\":", rep->key);
        } else if (mlen > 2) { /* an object's members at the top: drop its braces */
            key_open = arena_strdup(a, ",");
            main++;
            mlen -= 2;
        } else {
            main = NULL;
        }
        if (main != NULL && key_open == NULL)
            return -1;
    }
    if (fam & WANTS_DATA) {
        dtext = data_member_text(a, rep, fam, &dlen);
        if (dtext == NULL)
            return -1;
    }
    int has_env = elen > 2;
    char *tail = arena_printf(a, "%s%.*s", has_env ? "," : "}", has_env ? (int)elen - 1 : 0,
                              etext + 1);
    if (tail == NULL)
        return -1;
    const char *mid = dtext != NULL ? ",\"data\":" : NULL;
    const char *parts[] = {head, key_open, main, mid, dtext, tail};
    size_t lens[] = {strlen(head), key_open && main ? strlen(key_open) : 0, main ? mlen : 0,
                     mid ? strlen(mid) : 0, dtext ? dlen : 0, strlen(tail)};
    out->n = 0;
    out->total = 0;
    for (int i = 0; i < 6; i++) {
        if (parts[i] == NULL || lens[i] == 0)
            continue;
        out->part[out->n] = parts[i];
        out->len[out->n++] = lens[i];
        out->total += lens[i];
    }
    return 0;
}

static void one_part(struct rendered *out, const char *p, size_t n)
{
    out->part[0] = p;
    out->len[0] = n;
    out->n = 1;
    out->total = n;
}

int render_reply(struct arena *a, const struct reply *rep, const struct render_ctx *ctx,
                 struct rendered *out)
{
    if (rep->raw != NULL) {
        one_part(out, rep->raw, rep->raw_len);
        return 0;
    }
    if (rep->is_error) {
        struct json_object *env = arena_json(a, error_envelope(a, rep, ctx));
        size_t len;
        const char *text = env ? json_text(env, &len) : NULL;
        if (text == NULL)
            return -1;
        one_part(out, text, len);
        return 0;
    }
    if (ctx->families & FAM_PLAIN) {
        size_t len;
        const char *text = main_text(rep, &len);
        if (text == NULL)
            return -1;
        one_part(out, text, len);
        return 0;
    }
    return render_success(a, rep, ctx, out);
}
