#ifndef SB_ROUTER_H
#define SB_ROUTER_H
/*
 * Method + path routing over a static table. Patterns are absolute paths whose
 * segments are literals or `:name` parameters. Among patterns that match a path,
 * the one with a literal at the first position where they differ wins, so
 * `/api/users/search` beats `/api/users/:id`. A path that matches some pattern
 * under another method gives ROUTER_METHOD_NOT_ALLOWED and the Allow list.
 * Pure: no allocation; parameter values point into the path given.
 */
#include <stddef.h>

struct request;
typedef int (*route_handler)(struct request *r);

enum role_bits {
    ROLE_AGENT = 1u << 0,
    ROLE_MANAGER = 1u << 1,
    ROLE_ADMIN = 1u << 2,
    ROLE_SUPER_ADMIN = 1u << 3,
};
#define ROLES_PUBLIC 0u
#define ROLES_ANY (ROLE_AGENT | ROLE_MANAGER | ROLE_ADMIN | ROLE_SUPER_ADMIN)
#define ROLES_STAFF (ROLE_MANAGER | ROLE_ADMIN | ROLE_SUPER_ADMIN)
#define ROLES_ADMIN (ROLE_ADMIN | ROLE_SUPER_ADMIN)
#define ROLES_SUPER (ROLE_SUPER_ADMIN)

struct field_def;
struct resource;

/* Route flags. */
#define ROUTE_LIST 1u       /* answers a page of a list (page/limit or page_size) */
#define ROUTE_IDEMPOTENT 2u /* a create that takes Idempotency-Key */
#define ROUTE_WHOLE 4u      /* with ROUTE_LIST: the whole list at once, no page or limit read */
#define ROUTE_THROTTLED 8u  /* nginx's rate limit or the password-check lockout: may answer 429 */

/*
 * A route as its module declares it (with ROUTE() below). Besides what dispatching needs,
 * it says what the OpenAPI description (openapi.c) and docs/api.md tell: a summary, the
 * body's fields, the answer's name, whether it is a list.
 */
struct route {
    const char *method;
    const char *pattern;
    route_handler handler;
    unsigned roles;    /* ROLES_PUBLIC: no token needed; else the roles allowed */
    unsigned families; /* the client families that call it (reply.h); 0: transfer */
    const char *summary;
    const struct field_def *body; /* the JSON body's fields, NULL when none */
    size_t nbody;
    /* Not JSON: the media type of a raw body (an upload, "text/csv") and of the success
     * answer (a file nginx serves); NULL: JSON. */
    const char *body_media;
    const char *answer_media;
    const char *key; /* the answer's name in the transfer dialect, NULL: on top */
    const char *cache; /* the namespace of its cached list (cached.h), NULL: none */
    unsigned flags;
    int status; /* the success status; 0: 201 for a POST with ROUTE_IDEMPOTENT, else 200 */
    /* The declared resource: a list's query filters, sort keys and page bounds, and the
     * record the generic handlers (crud.h) read and write. */
    const struct resource *resource;
};

/* ROUTE("GET", "/api/x", handler, ROLES_ANY, FAM_TRANSFER, .summary = "…", …) */
#define ROUTE(m, p, h, r, f, ...)                                                          \
    {.method = (m), .pattern = (p), .handler = (h), .roles = (r), .families = (f), __VA_ARGS__}
#define ROUTE_BODY(defs) .body = (defs), .nbody = sizeof(defs) / sizeof((defs)[0])

/* A module's routes: each resource module exports one (src/routes/route_table.c lists them). */
struct route_group {
    const struct route *routes;
    size_t n;
};

/* ROUTE_GROUP(dids_routes, routes): the group of a module's table, counted. */
#define ROUTE_GROUP(name, table)                                                           \
    const struct route_group name = {(table), sizeof(table) / sizeof((table)[0])}

#define ROUTER_MAX_PARAMS 6
#define ROUTER_MAX_SEGMENTS 16

struct route_param {
    const char *name; /* points into the pattern, after ':' */
    size_t name_len;
    const char *value; /* points into the path */
    size_t value_len;
};

struct route_match {
    const struct route *route;
    size_t nparams;
    struct route_param params[ROUTER_MAX_PARAMS];
    char allow[96]; /* "GET, POST" on ROUTER_METHOD_NOT_ALLOWED */
};

enum router_result { ROUTER_FOUND = 0, ROUTER_NOT_FOUND = 1, ROUTER_METHOD_NOT_ALLOWED = 2 };

enum router_result router_match(const struct route *table, size_t n, const char *method,
                                const char *path, struct route_match *m);

/* Role bit for a role name ("admin"), 0 if unknown. */
unsigned role_bit(const char *name);
/* The name of one role bit ("admin" for ROLE_ADMIN), NULL if it is not one. */
const char *role_name(unsigned bit);

#endif
