/*
 * The OpenAPI 3.1 document (openapi.h): its paths and operations, one per route and one
 * per /api/v1 mirror. What a client sends is openapi_input.c's, what it gets back
 * openapi_dialects.c's. Nothing here is written per route: a route that needs something
 * said adds it to its declaration (router.h), never to these files.
 */
#include "openapi.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jsonutil.h"
#include "reply.h"
#include "router.h"

/* Longer than any pattern the router takes (ROUTER_MAX_SEGMENTS short segments). */
#define PATH_MAX_LEN 256

/* Appends n bytes of s at out[*o], keeping room for the NUL. */
static int append(char *out, size_t size, size_t *o, const char *s, size_t n)
{
    if (*o + n >= size)
        return -1;
    memcpy(out + *o, s, n);
    *o += n;
    out[*o] = '\0';
    return 0;
}

int openapi_path(const char *pattern, char *out, size_t size)
{
    size_t o = 0;
    bool param = false;
    if (size == 0)
        return -1;
    out[0] = '\0';
    for (const char *p = pattern;; p++) {
        if (param && (*p == '/' || *p == '\0')) {
            if (append(out, size, &o, "}", 1) != 0)
                return -1;
            param = false;
        }
        if (*p == '\0')
            return 0;
        /* A parameter is a whole segment that starts with ':' (router.h). */
        bool opens = *p == ':' && p > pattern && p[-1] == '/';
        param = param || opens;
        if (append(out, size, &o, opens ? "{" : p, 1) != 0)
            return -1;
    }
}

int openapi_operation_id(const char *method, const char *path, char *out, size_t size)
{
    size_t o = 0;
    if (size == 0)
        return -1;
    out[0] = '\0';
    for (const char *m = method; *m; m++) {
        char c = (char)tolower((unsigned char)*m);
        if (append(out, size, &o, &c, 1) != 0)
            return -1;
    }
    /* Segments joined by '_', "{id}" as "by_id", anything not alphanumeric as '_'. */
    for (const char *p = path; *p; p++) {
        const char *piece;
        if (*p == '{' || *p == '}')
            continue;
        if (*p == '/')
            piece = p[1] == '{' ? "_by_" : "_";
        else
            piece = isalnum((unsigned char)*p) ? p : "_";
        if (append(out, size, &o, piece, *p == '/' ? strlen(piece) : 1) != 0)
            return -1;
    }
    return 0;
}

/* ---- operations --------------------------------------------------------------------------- */

/* The first segment after /api/v1/, /api/ or /: "users", "auth", "health". */
static struct json_object *tags_of(const char *path)
{
    const char *p = path + 1;
    if (strncmp(path, "/api/v1/", 8) == 0)
        p = path + 8;
    else if (strncmp(path, "/api/", 5) == 0)
        p = path + 5;
    struct json_object *a = json_object_new_array();
    int rc = json_push(a, json_object_new_string_len(p, (int)strcspn(p, "/.")));
    return json_done(a, rc);
}

/* security [] for a public route; else the bearer token and, in x-roles, who may call. */
static int security(struct json_object *op, unsigned roles)
{
    if (roles == ROLES_PUBLIC)
        return json_add(op, "security", json_object_new_array());
    struct json_object *req = json_object_new_object(), *list = json_object_new_array();
    struct json_object *names = json_object_new_array();
    int rc = json_add(req, "bearerAuth", json_object_new_array());
    rc |= json_push(list, req);
    for (unsigned bit = 1; bit <= ROLE_SUPER_ADMIN; bit <<= 1) {
        const char *name = role_name(bit);
        if ((roles & bit) && name != NULL)
            rc |= json_push(names, json_object_new_string(name));
    }
    return rc | json_add(op, "security", list) | json_add(op, "x-roles", names);
}

static struct json_object *operation(const struct route *rt, const char *path,
                                     unsigned families, const char *description)
{
    char id[PATH_MAX_LEN + 16];
    struct json_object *op = json_object_new_object();
    int rc = openapi_operation_id(rt->method, path, id, sizeof(id));
    rc |= json_set_str(op, "operationId", id);
    rc |= json_set_str(op, "summary", rt->summary != NULL ? rt->summary : path);
    if (description != NULL)
        rc |= json_set_str(op, "description", description);
    rc |= json_add(op, "tags", tags_of(path));
    rc |= security(op, rt->roles);
    rc |= openapi_put_nonempty(op, "parameters", openapi_parameters(rt));
    if (rt->body != NULL) {
        rc |= json_add(op, "requestBody", openapi_request_body(rt, families));
    } else if (rt->body_media != NULL) {
        struct json_object *body = json_object_new_object();
        int brc = json_add(body, "required", json_object_new_boolean(1));
        brc |= json_add(body, "content", openapi_binary_content(rt->body_media));
        rc |= json_add(op, "requestBody", json_done(body, brc));
    }
    rc |= json_add(op, "responses", openapi_responses(rt, families));
    return json_done(op, rc);
}

/* The route's operation in the path item of `path` (made, with its path parameters, by
 * the first route of that path). */
static int add_operation(struct json_object *paths, const struct route *rt, const char *path,
                         unsigned families, const char *description)
{
    struct json_object *item;
    if (!json_object_object_get_ex(paths, path, &item)) {
        item = json_object_new_object();
        if (openapi_put_nonempty(item, "parameters", openapi_path_params(rt->pattern)) != 0) {
            json_object_put(item);
            return -1;
        }
        if (json_add(paths, path, item) != 0)
            return -1;
    }
    char method[8];
    size_t i = 0;
    for (; rt->method[i] != '\0' && i + 1 < sizeof(method); i++)
        method[i] = (char)tolower((unsigned char)rt->method[i]);
    method[i] = '\0';
    return json_add(item, method, operation(rt, path, families, description));
}

/*
 * The route as declared, or (mirror) under /api/v1: path_fold_v1 serves every /api/ route
 * there too, answered in the callcenter dialect (reply_families). A plain route answers a
 * body built before the dialects (reply_raw), the same under both.
 */
static int add_route(struct json_object *paths, const struct route *rt, bool mirror)
{
    char path[PATH_MAX_LEN], served[PATH_MAX_LEN + 8], text[PATH_MAX_LEN + 64];
    if (openapi_path(rt->pattern, path, sizeof(path)) != 0)
        return -1;
    if (!mirror)
        return add_operation(paths, rt, path, reply_families(path, rt->families), NULL);
    snprintf(served, sizeof(served), "/api/v1%s", path + 4);
    bool plain = (rt->families & FAM_PLAIN) != 0;
    snprintf(text, sizeof(text), "The route %s %s, %s", rt->method, path,
             plain ? "its body the same" : "answered in the callcenter dialect");
    return add_operation(paths, rt, served,
                         plain ? FAM_PLAIN : reply_families(served, rt->families), text);
}

static bool under_api(const struct route *rt)
{
    return strncmp(rt->pattern, "/api/", 5) == 0;
}

static struct json_object *info(void)
{
    struct json_object *o = json_object_new_object();
    int rc = json_set_str(o, "title", "Switchboard");
    rc |= json_set_str(o, "version", OPENAPI_INFO_VERSION);
    rc |= json_set_str(o, "description",
                  "A multi-tenant contact-center backend. Generated from the route table at "
                  "build time; docs/api.md has the prose. Every route under /api/ is also "
                  "served under /api/v1/, answered in the callcenter dialect.");
    return json_done(o, rc);
}

static struct json_object *servers(void)
{
    struct json_object *a = json_object_new_array(), *s = json_object_new_object();
    int rc = json_set_str(s, "url", "/") |
             json_set_str(s, "description", "The host that served this document (nginx)");
    rc |= json_push(a, s);
    return json_done(a, rc);
}

static struct json_object *components(void)
{
    struct json_object *c = json_object_new_object(), *schemes = json_object_new_object();
    struct json_object *bearer = json_object_new_object();
    int rc = json_set_str(bearer, "type", "http") | json_set_str(bearer, "scheme", "bearer") |
             json_set_str(bearer, "bearerFormat", "JWT");
    rc |= json_set_str(bearer, "description",
                       "The access token of POST /api/auth/login or /api/auth/refresh");
    rc |= json_add(schemes, "bearerAuth", bearer);
    rc |= json_add(c, "securitySchemes", schemes);
    rc |= json_add(c, "schemas", openapi_components());
    return json_done(c, rc);
}

struct json_object *openapi_document(const struct route *routes, size_t n)
{
    struct json_object *doc = json_object_new_object(), *paths = json_object_new_object();
    int rc = json_set_str(doc, "openapi", "3.1.0");
    rc |= json_add(doc, "info", info());
    rc |= json_add(doc, "servers", servers());
    for (size_t i = 0; i < n; i++)
        rc |= add_route(paths, &routes[i], false);
    for (size_t i = 0; i < n; i++)
        if (under_api(&routes[i]))
            rc |= add_route(paths, &routes[i], true);
    rc |= json_add(doc, "paths", paths);
    rc |= json_add(doc, "components", components());
    return json_done(doc, rc);
}

char *openapi_text(const struct route *routes, size_t n, size_t *len)
{
    struct json_object *doc = openapi_document(routes, n);
    size_t l = 0;
    const char *text = doc != NULL ? json_text(doc, &l) : NULL;
    char *copy = text != NULL ? malloc(l + 1) : NULL;
    if (copy != NULL) {
        memcpy(copy, text, l + 1);
        *len = l;
    }
    json_object_put(doc);
    return copy;
}
