/* router_match() on a small local table and on the real route_table; role_bit(). */
#include <stdio.h>
#include <string.h>

#include "router.h"
#include "routes.h"
#include "unit.h"

static const struct route ut_table[] = {
    /* 0 */ ROUTE("GET", "/api/items", NULL, ROLES_ANY, 0),
    /* 1 */ ROUTE("POST", "/api/items", NULL, ROLES_STAFF, 0),
    /* 2 */ ROUTE("GET", "/api/items/:id", NULL, ROLES_ANY, 0),
    /* 3 */ ROUTE("GET", "/api/items/search", NULL, ROLES_ANY, 0),
    /* 4 */ ROUTE("PUT", "/api/items/:id", NULL, ROLES_STAFF, 0),
    /* 5 */ ROUTE("DELETE", "/api/items/:id", NULL, ROLES_ADMIN, 0),
    /* 6 */ ROUTE("GET", "/api/items/:id/tags/:tag", NULL, ROLES_ANY, 0),
    /* 7 */ ROUTE("PUT", "/api/items/:id/status", NULL, ROLES_ADMIN, 0),
    /* 8 */ ROUTE("GET", "/six/:a/:b/:c/:d/:e/:f", NULL, ROLES_PUBLIC, 0),
    /* 9 */ ROUTE("GET", "/seven/:a/:b/:c/:d/:e/:f/:g", NULL, ROLES_PUBLIC, 0),
    /* 10 */ ROUTE("GET", "/s/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16", NULL, ROLES_PUBLIC, 0),
    /* 11 */ ROUTE("GET", "/x/:a/lit", NULL, ROLES_PUBLIC, 0),
    /* 12 */ ROUTE("GET", "/x/lit/:b", NULL, ROLES_PUBLIC, 0),
    /* 13 */ ROUTE("GET", "/", NULL, ROLES_PUBLIC, 0),
};
#define UT_N (sizeof(ut_table) / sizeof(ut_table[0]))

static enum router_result ut_route(const char *method, const char *path, struct route_match *m)
{
    return router_match(ut_table, UT_N, method, path, m);
}

/* Index of the matched route in ut_table, -1 when none. */
static long ut_index(const struct route_match *m)
{
    return m->route == NULL ? -1 : (long)(m->route - ut_table);
}

/* The value of parameter `name` as a NUL-terminated copy in buf, or NULL. */
static const char *ut_param(const struct route_match *m, const char *name, char *buf, size_t size)
{
    for (size_t i = 0; i < m->nparams; i++) {
        const struct route_param *p = &m->params[i];
        if (p->name_len == strlen(name) && memcmp(p->name, name, p->name_len) == 0) {
            snprintf(buf, size, "%.*s", (int)p->value_len, p->value);
            return buf;
        }
    }
    return NULL;
}

static void static_before_params(void)
{
    struct route_match m;
    char buf[64];
    CHECK_EQ_INT(ut_route("GET", "/api/items/search", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 3);
    CHECK_EQ_INT(m.nparams, 0);

    CHECK_EQ_INT(ut_route("GET", "/api/items/42", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 2);
    CHECK_EQ_INT(m.nparams, 1);
    CHECK_EQ_STR(ut_param(&m, "id", buf, sizeof(buf)), "42");

    /* "searchx" and "searc" are not the literal. */
    CHECK_EQ_INT(ut_route("GET", "/api/items/searchx", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 2);
    CHECK_EQ_INT(ut_route("GET", "/api/items/searc", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 2);

    /* The literal at the first differing position wins: /x/lit/:b over /x/:a/lit. */
    CHECK_EQ_INT(ut_route("GET", "/x/lit/lit", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 12);
    CHECK_EQ_STR(ut_param(&m, "b", buf, sizeof(buf)), "lit");
    CHECK_EQ_INT(ut_route("GET", "/x/other/lit", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 11);
    CHECK_EQ_STR(ut_param(&m, "a", buf, sizeof(buf)), "other");
}

static void params_extracted(void)
{
    struct route_match m;
    char buf[64];
    const char *path = "/api/items/it_7/tags/red";
    CHECK_EQ_INT(ut_route("GET", path, &m), ROUTER_FOUND);
    REQUIRE(ut_index(&m) == 6);
    REQUIRE(m.nparams == 2);
    CHECK_EQ_MEM(m.params[0].name, m.params[0].name_len, "id", 2);
    CHECK_EQ_MEM(m.params[0].value, m.params[0].value_len, "it_7", 4);
    CHECK_EQ_MEM(m.params[1].name, m.params[1].name_len, "tag", 3);
    CHECK_EQ_MEM(m.params[1].value, m.params[1].value_len, "red", 3);
    /* Values point into the path given, names into the pattern. */
    CHECK(m.params[0].value == path + strlen("/api/items/"));
    CHECK(m.params[1].value == path + strlen("/api/items/it_7/tags/"));
    CHECK(m.params[0].name > ut_table[6].pattern &&
          m.params[0].name < ut_table[6].pattern + strlen(ut_table[6].pattern));
    CHECK_NULL(ut_param(&m, "nope", buf, sizeof(buf)));

    CHECK_EQ_INT(ut_route("PUT", "/api/items/9/status", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 7);
    CHECK_EQ_STR(ut_param(&m, "id", buf, sizeof(buf)), "9");

    /* Six parameters (ROUTER_MAX_PARAMS) all come out. */
    CHECK_EQ_INT(ut_route("GET", "/six/1/2/3/4/5/6", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 8);
    CHECK_EQ_INT(m.nparams, 6);
    CHECK_EQ_STR(ut_param(&m, "a", buf, sizeof(buf)), "1");
    CHECK_EQ_STR(ut_param(&m, "f", buf, sizeof(buf)), "6");
    /* A pattern with more parameters than fit never matches (and writes nothing past). */
    CHECK_EQ_INT(ut_route("GET", "/seven/1/2/3/4/5/6/7", &m), ROUTER_NOT_FOUND);
    CHECK_NULL(m.route);
}

static void not_found(void)
{
    struct route_match m;
    CHECK_EQ_INT(ut_route("GET", "/nope", &m), ROUTER_NOT_FOUND);
    CHECK_NULL(m.route);
    CHECK_EQ_INT(m.nparams, 0);
    CHECK_EQ_STR(m.allow, "");
    CHECK_EQ_INT(ut_route("GET", "/api/items/1/unknown", &m), ROUTER_NOT_FOUND);
    CHECK_EQ_INT(ut_route("GET", "/api/items/1/tags", &m), ROUTER_NOT_FOUND);
    CHECK_EQ_INT(ut_route("GET", "/api/item", &m), ROUTER_NOT_FOUND);
    CHECK_EQ_INT(ut_route("GET", "/api/itemsx", &m), ROUTER_NOT_FOUND);
    CHECK_EQ_INT(ut_route("GET", "/API/items", &m), ROUTER_NOT_FOUND);
    CHECK_EQ_INT(ut_route("GET", "/api", &m), ROUTER_NOT_FOUND);
    /* A 404 leaves no stale data from an earlier match. */
    CHECK_EQ_INT(ut_route("GET", "/api/items/42", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_route("DELETE", "/nothing/here", &m), ROUTER_NOT_FOUND);
    CHECK_NULL(m.route);
    CHECK_EQ_INT(m.nparams, 0);
    CHECK_EQ_STR(m.allow, "");
}

static void method_not_allowed(void)
{
    struct route_match m;
    CHECK_EQ_INT(ut_route("DELETE", "/api/items", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, POST");
    CHECK_NULL(m.route);

    CHECK_EQ_INT(ut_route("PATCH", "/api/items/42", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, PUT, DELETE");

    CHECK_EQ_INT(ut_route("POST", "/api/items/9/status", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "PUT");

    /* The most specific pattern decides: PUT /api/items/search does not fall to :id. */
    CHECK_EQ_INT(ut_route("PUT", "/api/items/search", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET");
    CHECK_NULL(m.route);

    /* Methods are case-sensitive. */
    CHECK_EQ_INT(ut_route("get", "/api/items", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, POST");
}

static void allow_list_bounded(void)
{
    /* More methods than fit in `allow`: it stays a NUL-terminated prefix. */
    static const struct route many[] = {
        ROUTE("METHODAAAA", "/p", NULL, 0, 0), ROUTE("METHODBBBB", "/p", NULL, 0, 0),
        ROUTE("METHODCCCC", "/p", NULL, 0, 0), ROUTE("METHODDDDD", "/p", NULL, 0, 0),
        ROUTE("METHODEEEE", "/p", NULL, 0, 0), ROUTE("METHODFFFF", "/p", NULL, 0, 0),
        ROUTE("METHODGGGG", "/p", NULL, 0, 0), ROUTE("METHODHHHH", "/p", NULL, 0, 0),
        ROUTE("METHODIIII", "/p", NULL, 0, 0), ROUTE("METHODJJJJ", "/p", NULL, 0, 0),
        ROUTE("METHODKKKK", "/p", NULL, 0, 0), ROUTE("METHODLLLL", "/p", NULL, 0, 0),
    };
    struct route_match m;
    CHECK_EQ_INT(router_match(many, sizeof(many) / sizeof(many[0]), "GET", "/p", &m),
                 ROUTER_METHOD_NOT_ALLOWED);
    CHECK(memchr(m.allow, '\0', sizeof(m.allow)) != NULL);
    CHECK(strncmp(m.allow, "METHODAAAA, METHODBBBB", 22) == 0);
}

static void slashes(void)
{
    struct route_match m;
    char buf[64];
    /* A trailing slash and repeated slashes are the same path. */
    CHECK_EQ_INT(ut_route("GET", "/api/items/", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 0);
    CHECK_EQ_INT(ut_route("GET", "/api/items/42/", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 2);
    CHECK_EQ_STR(ut_param(&m, "id", buf, sizeof(buf)), "42");
    CHECK_EQ_INT(ut_route("GET", "//api//items///42", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 2);
    CHECK_EQ_STR(ut_param(&m, "id", buf, sizeof(buf)), "42");
    CHECK_EQ_INT(ut_route("DELETE", "/api/items//", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, POST");
    /* An empty segment is never a parameter value. */
    CHECK_EQ_INT(ut_route("GET", "/api/items//tags/red", &m), ROUTER_NOT_FOUND);
    /* The root. */
    CHECK_EQ_INT(ut_route("GET", "/", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 13);
    CHECK_EQ_INT(ut_route("GET", "//", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 13);
}

static void too_many_segments(void)
{
    struct route_match m;
    /* Exactly ROUTER_MAX_SEGMENTS segments still route. */
    CHECK_EQ_INT(ut_route("GET", "/s/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 10);
    CHECK_EQ_INT(ut_route("GET", "/s/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/", &m), ROUTER_FOUND);
    /* One more is 404, not a match on a prefix. */
    CHECK_EQ_INT(ut_route("GET", "/s/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17", &m),
                 ROUTER_NOT_FOUND);
    CHECK_NULL(m.route);
    /* A long path of many segments. */
    char path[2048];
    size_t o = 0;
    for (int i = 0; i < 500; i++)
        o += (size_t)snprintf(path + o, sizeof(path) - o, "/a");
    CHECK_EQ_INT(ut_route("GET", path, &m), ROUTER_NOT_FOUND);
    CHECK_EQ_INT(ut_route("GET", "/api/items/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18", &m),
                 ROUTER_NOT_FOUND);
}

static void empty_table(void)
{
    struct route_match m;
    CHECK_EQ_INT(router_match(ut_table, 0, "GET", "/api/items", &m), ROUTER_NOT_FOUND);
    CHECK_EQ_INT(router_match(ut_table, UT_N, "GET", "", &m), ROUTER_FOUND);
    CHECK_EQ_INT(ut_index(&m), 13);
}

static void role_bits(void)
{
    CHECK_EQ_INT(role_bit("agent"), ROLE_AGENT);
    CHECK_EQ_INT(role_bit("manager"), ROLE_MANAGER);
    CHECK_EQ_INT(role_bit("admin"), ROLE_ADMIN);
    CHECK_EQ_INT(role_bit("super_admin"), ROLE_SUPER_ADMIN);
    CHECK_EQ_INT(role_bit("Admin"), 0);
    CHECK_EQ_INT(role_bit("ADMIN"), 0);
    CHECK_EQ_INT(role_bit("admin "), 0);
    CHECK_EQ_INT(role_bit("superadmin"), 0);
    CHECK_EQ_INT(role_bit("super-admin"), 0);
    CHECK_EQ_INT(role_bit(""), 0);
    CHECK_EQ_INT(role_bit(NULL), 0);
    CHECK_EQ_INT(ROLES_ANY, ROLE_AGENT | ROLE_MANAGER | ROLE_ADMIN | ROLE_SUPER_ADMIN);
    CHECK_EQ_INT(ROLES_STAFF & ROLE_AGENT, 0);
    CHECK_EQ_INT(ROLES_ADMIN & (ROLE_AGENT | ROLE_MANAGER), 0);
}

/* ---- the real route table ---- */

/* The handler of the route declared as METHOD PATTERN (handlers are their modules'). */
static route_handler ut_handler(const char *method, const char *pattern)
{
    for (size_t i = 0; i < route_table_len; i++)
        if (strcmp(route_table[i].method, method) == 0 &&
            strcmp(route_table[i].pattern, pattern) == 0)
            return route_table[i].handler;
    return NULL;
}

static enum router_result ut_real(const char *method, const char *path, struct route_match *m)
{
    return router_match(route_table, route_table_len, method, path, m);
}

static void real_users(void)
{
    struct route_match m;
    char buf[64];
    CHECK_EQ_INT(ut_real("GET", "/api/users/search", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/users/search"));
    CHECK_EQ_INT(m.nparams, 0);

    CHECK_EQ_INT(ut_real("GET", "/api/users/usr_0123", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/users/:id"));
    CHECK_EQ_STR(ut_param(&m, "id", buf, sizeof(buf)), "usr_0123");

    CHECK_EQ_INT(ut_real("GET", "/api/users", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/users"));
    CHECK_EQ_INT(ut_real("POST", "/api/users", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("POST", "/api/users"));
    CHECK_EQ_INT(ut_real("PUT", "/api/users/u1/role", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("PUT", "/api/users/:id/role"));
    CHECK_EQ_STR(ut_param(&m, "id", buf, sizeof(buf)), "u1");
    CHECK_EQ_INT(ut_real("POST", "/api/users/u1/activate", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("POST", "/api/users/:id/activate"));
    CHECK_EQ_INT(ut_real("POST", "/api/users/u1/deactivate", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("POST", "/api/users/:id/deactivate"));

    /* /search is its own resource: no PUT/DELETE through :id. */
    CHECK_EQ_INT(ut_real("PUT", "/api/users/search", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET");
    CHECK_EQ_INT(ut_real("DELETE", "/api/users/search", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET");
    CHECK_EQ_INT(ut_real("GET", "/api/users/u1/role", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "PUT");
    CHECK_EQ_INT(ut_real("PATCH", "/api/users/u1", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, PUT, DELETE");
    CHECK_EQ_INT(ut_real("DELETE", "/api/users", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, POST");
}

static void real_departments(void)
{
    struct route_match m;
    char buf[64];
    CHECK_EQ_INT(ut_real("DELETE", "/api/departments", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, POST");
    CHECK_EQ_INT(ut_real("PUT", "/api/departments", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, POST");
    CHECK_EQ_INT(ut_real("POST", "/api/departments/dept_1", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, PUT, DELETE");

    CHECK_EQ_INT(ut_real("GET", "/api/departments", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/departments"));
    CHECK_EQ_INT(ut_real("POST", "/api/departments", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("POST", "/api/departments"));
    CHECK_EQ_INT(ut_real("GET", "/api/departments/dept_1", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/departments/:id"));
    CHECK_EQ_STR(ut_param(&m, "id", buf, sizeof(buf)), "dept_1");
    CHECK_EQ_INT(ut_real("PUT", "/api/departments/dept_1", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("PUT", "/api/departments/:id"));
    CHECK_EQ_INT(ut_real("DELETE", "/api/departments/dept_1/", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("DELETE", "/api/departments/:id"));

    CHECK_EQ_INT(ut_real("GET", "/api/departments/dept_1/agents", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/departments/:id/agents"));
    CHECK_EQ_INT(ut_real("GET", "/api/departments/dept_1/agents/x", &m), ROUTER_NOT_FOUND);
    /* Literal segments win: /api/calls/active is not /api/calls/:id. */
    CHECK_EQ_INT(ut_real("GET", "/api/calls/active", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/calls/active"));
    CHECK_EQ_INT(ut_real("GET", "/api/calls/logs", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/calls/logs"));
    CHECK_EQ_INT(ut_real("GET", "/api/calls/call_1", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/calls/:id"));
    CHECK_EQ_INT(ut_real("PUT", "/api/calls/transfers/transfer_1", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("PUT", "/api/calls/transfers/:id"));
    /* The router does not fold /api/v1: request.c does that first. */
    CHECK_EQ_INT(ut_real("GET", "/api/v1/departments", &m), ROUTER_NOT_FOUND);
}

static void real_misc(void)
{
    struct route_match m;
    CHECK_EQ_INT(ut_real("GET", "/health", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/health"));
    CHECK_EQ_INT(ut_real("POST", "/health", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET");
    CHECK_EQ_INT(ut_real("GET", "/api/health", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/health"));

    CHECK_EQ_INT(ut_real("GET", "/api/auth/me", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/auth/profile"));
    CHECK_EQ_INT(ut_real("GET", "/api/auth/profile", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("GET", "/api/auth/profile"));
    CHECK_EQ_INT(ut_real("PUT", "/api/auth/me", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("PUT", "/api/auth/profile"));
    CHECK_EQ_INT(ut_real("DELETE", "/api/auth/me", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "GET, PUT");
    CHECK_EQ_INT(ut_real("GET", "/api/auth/login", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "POST");
    CHECK_EQ_INT(ut_real("POST", "/api/auth/login", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("POST", "/api/auth/login") && m.route->roles == ROLES_PUBLIC);

    CHECK_EQ_INT(ut_real("PUT", "/api/tenants/ten_1/status", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("PUT", "/api/tenants/:id/status"));
    CHECK_EQ_INT(ut_real("GET", "/api/tenants/ten_1/status", &m), ROUTER_METHOD_NOT_ALLOWED);
    CHECK_EQ_STR(m.allow, "PUT");
    CHECK_EQ_INT(ut_real("DELETE", "/api/tenants/ten_1", &m), ROUTER_FOUND);
    CHECK(m.route != NULL && m.route->handler == ut_handler("DELETE", "/api/tenants/:id"));

    CHECK_EQ_INT(ut_real("GET", "/", &m), ROUTER_NOT_FOUND);
    CHECK_EQ_INT(ut_real("GET", "/api", &m), ROUTER_NOT_FOUND);
    CHECK_EQ_INT(ut_real("GET", "/api/nothing", &m), ROUTER_NOT_FOUND);
}

/* Every route, called with a concrete path built from its pattern, routes to itself. */
static void real_every_route_reachable(void)
{
    for (size_t i = 0; i < route_table_len; i++) {
        const struct route *rt = &route_table[i];
        char path[256];
        size_t o = 0;
        for (const char *p = rt->pattern; *p != '\0' && o + 16 < sizeof(path);) {
            if (*p == ':') {
                o += (size_t)snprintf(path + o, sizeof(path) - o, "zz%zu", i);
                while (*p != '\0' && *p != '/')
                    p++;
            } else {
                path[o++] = *p++;
            }
        }
        path[o] = '\0';
        struct route_match m;
        enum router_result rc = ut_real(rt->method, path, &m);
        if (rc != ROUTER_FOUND || m.route != rt)
            ut_fail(__FILE__, __LINE__, "%s %s (as %s) routes to %s (rc %d)", rt->method,
                    rt->pattern, path, m.route ? m.route->pattern : "nothing", (int)rc);
        /* The 405 Allow list of that path names every method the table has for it. */
        rc = ut_real("BREW", path, &m);
        CHECK_EQ_INT(rc, ROUTER_METHOD_NOT_ALLOWED);
        for (size_t j = 0; j < route_table_len; j++) {
            if (strcmp(route_table[j].pattern, rt->pattern) != 0)
                continue;
            if (strstr(m.allow, route_table[j].method) == NULL)
                ut_fail(__FILE__, __LINE__, "Allow \"%s\" for %s lacks %s", m.allow, path,
                        route_table[j].method);
        }
    }
}

const struct ut_case ut_router_cases[] = {
    {"static_before_params", static_before_params},
    {"params_extracted", params_extracted},
    {"not_found", not_found},
    {"method_not_allowed", method_not_allowed},
    {"allow_list_bounded", allow_list_bounded},
    {"slashes", slashes},
    {"too_many_segments", too_many_segments},
    {"empty_table", empty_table},
    {"role_bits", role_bits},
    {"real_users", real_users},
    {"real_departments", real_departments},
    {"real_misc", real_misc},
    {"real_every_route_reachable", real_every_route_reachable},
    {NULL, NULL},
};
