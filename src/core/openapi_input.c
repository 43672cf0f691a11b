/*
 * What a client sends, in the OpenAPI description (openapi.h): the schema of each declared
 * body field, request bodies, and the path, query and header parameters, each as the
 * server reads it (fields.c, validate.c, resource.c).
 */
#include "openapi.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "fields.h"
#include "idempotency.h"
#include "jsonutil.h"
#include "reply.h"
#include "resource.h"
#include "router.h"

/* validate.c: an address is at most 254 bytes; a phone number arrives in at most 40. */
#define EMAIL_MAX 254
#define PHONE_MAX 40
/* Ids are 1 to 64 characters (fields.h, FT_ID). */
#define ID_MAX 64
/* query_page(): page 1 to 1,000,000. */
#define PAGE_MAX 1000000

/* `arr` under k when it has items; an empty one is dropped (OpenAPI wants none there). */
int openapi_put_nonempty(struct json_object *o, const char *k, struct json_object *arr)
{
    if (arr != NULL && json_object_array_length(arr) == 0) {
        json_object_put(arr);
        return 0;
    }
    return json_add(o, k, arr);
}

/* ---- body fields ------------------------------------------------------------------------ */

/* type, or [type, "null"] when null is a value. */
static struct json_object *type_of(const char *type, bool nullable)
{
    if (!nullable)
        return json_object_new_string(type);
    struct json_object *t = json_object_new_array();
    int rc = json_push(t, json_object_new_string(type));
    rc |= json_push(t, json_object_new_string("null"));
    return json_done(t, rc);
}

/* Whether the array of strings e holds s already. */
static bool listed(struct json_object *e, const char *s)
{
    for (size_t i = 0; e != NULL && i < json_object_array_length(e); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(e, i)), s) == 0)
            return true;
    return false;
}

/* Our values, then the words clients send for them (fields_word), then null if allowed. */
static struct json_object *enum_of(const char *const *values, const struct field_word *words,
                                   bool nullable)
{
    struct json_object *e = json_object_new_array();
    int rc = 0;
    for (size_t i = 0; values != NULL && values[i] != NULL; i++)
        rc |= json_push(e, json_object_new_string(values[i]));
    for (size_t i = 0; words != NULL && words[i].client != NULL; i++)
        if (!listed(e, words[i].client))
            rc |= json_push(e, json_object_new_string(words[i].client));
    /* JSON null itself: json_push() refuses NULL as a failed allocation. */
    if (nullable && (e == NULL || json_object_array_add(e, NULL) != 0))
        rc = -1;
    return json_done(e, rc);
}

/* Text of min..max characters; min > 0 also refuses text that is all isspace() (validate.c). */
static int text_bounds(struct json_object *s, long long min, long long max)
{
    int rc = json_set_int(s, "maxLength", max);
    if (min > 0)
        rc |= json_set_int(s, "minLength", min) |
              json_set_str(s, "pattern", "[^\\t\\n\\v\\f\\r ]");
    return rc;
}

static const char *type_name(enum field_type t)
{
    switch (t) {
    case FT_INT: return "integer";
    case FT_NUMBER: return "number";
    case FT_BOOL: return "boolean";
    case FT_OBJECT: return "object";
    case FT_STRINGS: return "array";
    default: return "string";
    }
}

/* An FT_STRINGS item: non-blank text of 1..max characters. */
static struct json_object *string_items(long long max)
{
    struct json_object *i = json_object_new_object();
    int rc = json_set_str(i, "type", "string") | json_set_int(i, "minLength", 1) |
             json_set_int(i, "maxLength", max);
    return json_done(i, rc);
}

/* The checks of each type beyond its JSON type, as fields.c and validate.c make them. */
static int type_rules(struct json_object *s, const struct field_def *d, bool nullable)
{
    switch (d->type) {
    case FT_TEXT:
        return text_bounds(s, d->min, d->max);
    case FT_ID:
        return text_bounds(s, 1, ID_MAX);
    case FT_INT:
    case FT_NUMBER:
        if (d->min == 0 && d->max == 0) /* a read-only count declares no bounds */
            return 0;
        return json_set_int(s, "minimum", d->min) | json_set_int(s, "maximum", d->max);
    case FT_ENUM:
        return json_add(s, "enum", enum_of(d->values, d->words, nullable));
    case FT_EMAIL:
        return json_set_str(s, "format", "email") | json_set_int(s, "maxLength", EMAIL_MAX);
    case FT_PHONE:
        /* What to send; the server also takes separators and keypad letters. */
        return json_set_str(s, "pattern", "^\\+[1-9][0-9]{7,14}$") |
               json_set_int(s, "maxLength", PHONE_MAX) |
               json_set_str(s, "description",
                       "E.164. Spaces, dashes, dots and parentheses are also accepted and "
                       "removed, letters become their keypad digits; stored and answered "
                       "in E.164");
    case FT_STRINGS:
        return json_set_int(s, "minItems", d->min) | json_set_int(s, "maxItems", d->max) |
               json_add(s, "items", string_items(FIELD_ITEM_MAX));
    case FT_BOOL:
    case FT_OBJECT:
        break;
    }
    return 0;
}

struct json_object *openapi_field_schema(const struct field_def *d)
{
    bool nullable = (d->flags & F_NULLABLE) != 0;
    struct json_object *s = json_object_new_object();
    int rc = json_add(s, "type", type_of(type_name(d->type), nullable));
    rc |= type_rules(s, d, nullable);
    if (d->flags & F_READONLY)
        rc |= json_add(s, "readOnly", json_object_new_boolean(1)) |
              json_set_str(s, "description", "Read-only: sending it answers 422");
    return json_done(s, rc);
}

/* {"required": [name]}: one of the names a required field may arrive under. */
static struct json_object *required_one(const char *name)
{
    struct json_object *o = json_object_new_object(), *a = json_object_new_array();
    int rc = json_push(a, json_object_new_string(name));
    rc |= json_add(o, "required", a);
    return json_done(o, rc);
}

/* A field's schema under another name it may arrive under. */
static struct json_object *schema_as(const struct field_def *d, bool other_name)
{
    struct json_object *s = openapi_field_schema(d);
    if (s == NULL || !other_name || json_object_object_get_ex(s, "description", NULL))
        return s;
    char text[128];
    snprintf(text, sizeof(text), "Another name for %s", d->name);
    return json_done(s, json_set_str(s, "description", text));
}

/* A request body's schema as it is built: properties, required names, anyOf groups. */
struct body {
    struct json_object *props, *required, *alternatives;
};

/*
 * One field: its schema under its name, its alias and, where coldcaller calls the route,
 * its camelCase name (fields.c reads the first of them sent). A required field with
 * several names is required as an anyOf of them.
 */
static int body_field(struct body *b, const struct field_def *d, unsigned families, bool create)
{
    char camel[96];
    const char *names[3] = {d->name, d->alias, NULL};
    if (families & FAM_COLDCALLER)
        names[2] = render_camel_name(d->name, camel, sizeof(camel));
    int rc = 0, n = 0;
    for (int i = 0; i < 3; i++) {
        if (names[i] == NULL)
            continue;
        rc |= json_add(b->props, names[i], schema_as(d, i > 0));
        names[n++] = names[i];
    }
    bool required = !(d->flags & F_READONLY) &&
                    ((d->flags & F_ALWAYS) || (create && (d->flags & F_REQUIRED)));
    if (!required)
        return rc;
    if (n == 1)
        return rc | json_push(b->required, json_object_new_string(d->name));
    struct json_object *any = json_object_new_array(), *group = json_object_new_object();
    for (int i = 0; i < n; i++)
        rc |= json_push(any, required_one(names[i]));
    rc |= json_add(group, "anyOf", any);
    return rc | json_push(b->alternatives, group);
}

/*
 * POST reads its body as a create (FIELDS_CREATE: F_REQUIRED and F_ALWAYS fields are
 * required) and PUT as an update (only F_ALWAYS), in every module. Fields not declared
 * are ignored by the server, so the object stays open.
 */
struct json_object *openapi_request_body(const struct route *rt, unsigned families)
{
    bool create = strcmp(rt->method, "POST") == 0;
    struct body b = {json_object_new_object(), json_object_new_array(), json_object_new_array()};
    struct json_object *s = json_object_new_object(), *body = json_object_new_object();
    int rc = json_set_str(s, "type", "object");
    for (size_t i = 0; i < rt->nbody; i++)
        rc |= body_field(&b, &rt->body[i], families, create);
    rc |= json_add(s, "properties", b.props);
    rc |= openapi_put_nonempty(s, "required", b.required);
    rc |= openapi_put_nonempty(s, "allOf", b.alternatives);
    rc |= json_add(body, "required", json_object_new_boolean(1));
    rc |= json_add(body, "content", openapi_json_content(json_done(s, rc)));
    return json_done(body, rc);
}

struct json_object *openapi_binary_content(const char *media)
{
    struct json_object *content = json_object_new_object(), *m = json_object_new_object();
    struct json_object *s = json_object_new_object();
    int rc = json_set_str(s, "type", "string") | json_set_str(s, "format", "binary");
    rc |= json_add(m, "schema", json_done(s, rc));
    rc |= json_add(content, media, m);
    return json_done(content, rc);
}

struct json_object *openapi_json_content(struct json_object *schema)
{
    struct json_object *content = json_object_new_object(), *media = json_object_new_object();
    int rc = json_add(media, "schema", schema);
    rc |= json_add(content, "application/json", media);
    return json_done(content, rc);
}

/* ---- parameters -------------------------------------------------------------------------- */

static struct json_object *param(const char *name, const char *in, const char *description,
                                 struct json_object *schema)
{
    struct json_object *p = json_object_new_object();
    int rc = json_set_str(p, "name", name) | json_set_str(p, "in", in);
    rc |= json_add(p, "schema", schema);
    if (description != NULL)
        rc |= json_set_str(p, "description", description);
    if (strcmp(in, "path") == 0)
        rc |= json_add(p, "required", json_object_new_boolean(1));
    return json_done(p, rc);
}

/* {"type": type}, with maxLength when max > 0. */
static struct json_object *typed(const char *type, long long max)
{
    struct json_object *s = json_object_new_object();
    int rc = json_set_str(s, "type", type);
    if (max > 0)
        rc |= json_set_int(s, "maxLength", max);
    return json_done(s, rc);
}

/* An integer from min, up to max and with a default when they are known (not 0). */
static struct json_object *integer(long long min, long long max, long long def)
{
    struct json_object *s = typed("integer", 0);
    int rc = json_set_int(s, "minimum", min);
    if (max > 0)
        rc |= json_set_int(s, "maximum", max);
    if (def > 0)
        rc |= json_set_int(s, "default", def);
    return json_done(s, rc);
}

/* The path's `:name` segments, each a required string. */
struct json_object *openapi_path_params(const char *pattern)
{
    struct json_object *a = json_object_new_array();
    int rc = 0;
    for (const char *p = strchr(pattern, ':'); p != NULL; p = strchr(p + 1, ':')) {
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(p + 1, "/"), p + 1);
        rc |= json_push(a, param(name, "path", NULL, typed("string", 0)));
    }
    return json_done(a, rc);
}

/* A declared filter as resource_list() reads it (resource.c, add_filter). */
static struct json_object *filter_param(const struct filter_def *f)
{
    struct json_object *s;
    const char *text = "Keeps the records that match it";
    switch (f->kind) {
    case FILTER_ENUM:
        s = typed("string", 0);
        s = json_done(s, json_add(s, "enum", enum_of(f->values, f->words, false)));
        break;
    case FILTER_BOOL:
        s = typed("boolean", 0);
        break;
    case FILTER_ID:
        s = typed("string", FILTER_ID_MAX);
        break;
    case FILTER_LIKE:
        text = "Search text, matched anywhere in the searched columns";
        /* fall through */
    default:
        s = typed("string", FILTER_TEXT_MAX);
        break;
    }
    return param(f->param, "query", text, s);
}

/* ?sort= one of the declared keys, ?order=asc|desc (resource.c, add_order). */
static int sort_params(struct json_object *params, const struct sort_def *sorts)
{
    if (sorts == NULL || sorts[0].key == NULL)
        return 0;
    struct json_object *keys = json_object_new_array(), *dirs = json_object_new_array();
    int rc = 0;
    for (size_t i = 0; sorts[i].key != NULL; i++)
        rc |= json_push(keys, json_object_new_string(sorts[i].key));
    rc |= json_push(dirs, json_object_new_string("asc")) |
          json_push(dirs, json_object_new_string("desc"));
    struct json_object *ks = typed("string", 0), *ds = typed("string", 0);
    rc |= json_add(ks, "enum", keys) | json_add(ds, "enum", dirs);
    rc |= json_push(params, param("sort", "query", "Sort key (also sort_by, sortBy)", ks));
    return rc | json_push(params, param("order", "query",
                                        "Direction of sort (also sort_order, sortOrder)", ds));
}

/* page, limit and page_size of a paged list; filters and sort keys of its resource. */
static int list_params(struct json_object *params, const struct route *rt)
{
    /* The generic record routes declare their resource too, but read no query. */
    const struct resource *res = (rt->flags & ROUTE_LIST) ? rt->resource : NULL;
    int rc = 0;
    if ((rt->flags & ROUTE_LIST) && !(rt->flags & ROUTE_WHOLE)) {
        long long def = 0, max = 0;
        if (res != NULL) {
            def = res->default_limit ? res->default_limit : RESOURCE_DEFAULT_LIMIT;
            max = res->max_limit ? res->max_limit : RESOURCE_MAX_LIMIT;
        }
        rc |= json_push(params, param("page", "query", "The page, from 1",
                                      integer(1, PAGE_MAX, 1)));
        rc |= json_push(params, param("limit", "query", "Items per page",
                                      integer(1, max, def)));
        rc |= json_push(params, param("page_size", "query",
                                      "The callcenter clients' name for limit (limit wins)",
                                      integer(1, max, def)));
    }
    for (size_t i = 0; res != NULL && i < res->nfilters; i++)
        rc |= json_push(params, filter_param(&res->filters[i]));
    return res == NULL ? rc : rc | sort_params(params, res->sorts);
}

static struct json_object *idempotency_param(void)
{
    struct json_object *s = typed("string", IDEMPOTENCY_KEY_MAX);
    s = json_done(s, json_set_int(s, "minLength", 1));
    return param("Idempotency-Key", "header",
                 "Makes the create safe to retry: the first 2xx answer to a key is kept 24 "
                 "hours and answered again (Idempotent-Replayed: true) without a new record",
                 s);
}

struct json_object *openapi_parameters(const struct route *rt)
{
    struct json_object *a = json_object_new_array();
    int rc = list_params(a, rt);
    if (rt->flags & ROUTE_IDEMPOTENT)
        rc |= json_push(a, idempotency_param());
    return json_done(a, rc);
}

