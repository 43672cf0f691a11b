/*
 * route_table against itself and against docs/api.md (path from env SB_DOCS, default
 * "docs/api.md", read at run time). A documented route is a table row whose first cell
 * is an upper-case method and whose second cell holds the path in backticks.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "routes.h"
#include "unit.h"

#define UT_DOC_MAX 512

struct ut_doc_route {
    char method[16];
    char path[128];
    int line;
    int has_roles;   /* the row stated its roles (roles column or section heading) */
    unsigned roles;  /* expected mask when has_roles */
    char roles_text[96];
};

struct ut_docs {
    const char *file;
    int ok;
    size_t n;
    struct ut_doc_route r[UT_DOC_MAX];
};

static void ut_trim(char *s)
{
    size_t len = strlen(s), b = 0;
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    while (isspace((unsigned char)s[b]))
        b++;
    memmove(s, s + b, len - b + 1);
}

/* Splits a table row on unescaped '|' into at most max cells (copied, trimmed). */
static size_t ut_cells(const char *line, char cells[][256], size_t max)
{
    size_t n = 0, o = 0;
    const char *p = strchr(line, '|');
    if (p == NULL)
        return 0;
    for (p++; *p != '\0' && *p != '\n' && n < max; p++) {
        if (*p == '\\' && p[1] == '|') {
            if (o + 1 < 256)
                cells[n][o++] = '|';
            p++;
        } else if (*p == '|') {
            cells[n][o] = '\0';
            ut_trim(cells[n]);
            n++;
            o = 0;
        } else if (o + 1 < 256) {
            cells[n][o++] = *p;
        }
    }
    return n;
}

static int ut_is_method(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!isupper((unsigned char)*s))
            return 0;
    return 1;
}

/* Role mask a docs roles cell stands for; -1 when it names no role. */
static long ut_roles_from_text(const char *text)
{
    char word[32];
    size_t w = 0;
    long mask = -1;
    for (const char *p = text;; p++) {
        if (*p != '\0' && (islower((unsigned char)*p) || *p == '_')) {
            if (w + 1 < sizeof(word))
                word[w++] = *p;
            continue;
        }
        word[w] = '\0';
        if (w > 0) {
            if (strcmp(word, "public") == 0 && mask == -1)
                return ROLES_PUBLIC;
            if (strcmp(word, "any") == 0 && mask == -1)
                return ROLES_ANY;
            unsigned bit = role_bit(word);
            if (bit != 0)
                mask = (mask == -1 ? 0 : mask) | (long)bit;
        }
        w = 0;
        if (*p == '\0')
            break;
    }
    /* super_admin may call every route. */
    return mask == -1 ? -1 : mask | ROLE_SUPER_ADMIN;
}

static void ut_docs_load(struct ut_docs *d)
{
    const char *file = getenv("SB_DOCS");
    if (file == NULL || *file == '\0')
        file = "docs/api.md";
    d->file = file;
    d->ok = 0;
    d->n = 0;
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        ut_fail(__FILE__, __LINE__, "cannot open %s (run from the repo root or set SB_DOCS)",
                file);
        return;
    }
    char line[4096];
    char heading[256] = "";
    static char cells[16][256];
    int roles_col = -1, in_table = 0, lineno = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (line[0] == '#') {
            snprintf(heading, sizeof(heading), "%.255s", line);
            in_table = 0;
            continue;
        }
        if (line[0] != '|') {
            in_table = 0;
            continue;
        }
        size_t nc = ut_cells(line, cells, 16);
        if (nc < 2)
            continue;
        if (!in_table) {
            in_table = 1;
            roles_col = -1;
        }
        if (!ut_is_method(cells[0])) {
            /* A header row (or the |---| separator): note where the roles are. */
            if (strspn(cells[0], "-: ") != strlen(cells[0]) || cells[0][0] == '\0') {
                roles_col = -1;
                for (size_t i = 0; i < nc; i++)
                    if (strcmp(cells[i], "roles") == 0)
                        roles_col = (int)i;
            }
            continue;
        }
        const char *b = strchr(cells[1], '`');
        const char *e = b ? strchr(b + 1, '`') : NULL;
        if (b == NULL || e == NULL || b[1] != '/') {
            ut_fail(__FILE__, __LINE__, "%s:%d: row for %s has no `/path` in its second cell",
                    file, lineno, cells[0]);
            continue;
        }
        if (d->n == UT_DOC_MAX) {
            ut_fail(__FILE__, __LINE__, "%s: more than %d routes", file, UT_DOC_MAX);
            break;
        }
        struct ut_doc_route *r = &d->r[d->n++];
        snprintf(r->method, sizeof(r->method), "%.15s", cells[0]);
        snprintf(r->path, sizeof(r->path), "%.*s", (int)(e - b - 1), b + 1);
        r->line = lineno;
        r->has_roles = 0;
        long mask = -1;
        if (roles_col >= 0 && (size_t)roles_col < nc) {
            snprintf(r->roles_text, sizeof(r->roles_text), "%.95s", cells[roles_col]);
            mask = ut_roles_from_text(cells[roles_col]);
            if (mask < 0)
                ut_fail(__FILE__, __LINE__, "%s:%d: roles cell \"%s\" names no role", file,
                        lineno, cells[roles_col]);
        } else if (roles_col < 0 && strstr(heading, "(super_admin)") != NULL) {
            snprintf(r->roles_text, sizeof(r->roles_text), "super_admin (section heading)");
            mask = ROLES_SUPER;
        }
        if (mask >= 0) {
            r->has_roles = 1;
            r->roles = (unsigned)mask;
        }
    }
    fclose(f);
    d->ok = 1;
}

static struct ut_docs ut_docs_cache;

static const struct ut_docs *ut_docs(void)
{
    if (!ut_docs_cache.ok)
        ut_docs_load(&ut_docs_cache);
    return ut_docs_cache.ok ? &ut_docs_cache : NULL;
}

static void docs_found(void)
{
    const struct ut_docs *d = ut_docs();
    REQUIRE(d != NULL);
    /* Sanity of the parser: the docs have a good number of routes, including these. */
    CHECK(d->n >= 20);
    int saw_depts = 0, saw_tenant = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->r[i].method, "DELETE") == 0 &&
            strcmp(d->r[i].path, "/api/departments/:id") == 0)
            saw_depts = 1;
        if (strcmp(d->r[i].method, "PUT") == 0 &&
            strcmp(d->r[i].path, "/api/tenants/:id/status") == 0)
            saw_tenant = 1;
    }
    CHECK(saw_depts);
    CHECK(saw_tenant);
}

static void table_routes_documented(void)
{
    const struct ut_docs *d = ut_docs();
    REQUIRE(d != NULL);
    for (size_t i = 0; i < route_table_len; i++) {
        int found = 0;
        for (size_t k = 0; k < d->n && !found; k++)
            found = strcmp(d->r[k].method, route_table[i].method) == 0 &&
                    strcmp(d->r[k].path, route_table[i].pattern) == 0;
        if (!found)
            ut_fail(__FILE__, __LINE__, "route_table[%zu] %s %s is not documented in %s", i,
                    route_table[i].method, route_table[i].pattern, d->file);
    }
}

static void documented_routes_exist(void)
{
    const struct ut_docs *d = ut_docs();
    REQUIRE(d != NULL);
    for (size_t k = 0; k < d->n; k++) {
        int found = 0;
        for (size_t i = 0; i < route_table_len && !found; i++)
            found = strcmp(d->r[k].method, route_table[i].method) == 0 &&
                    strcmp(d->r[k].path, route_table[i].pattern) == 0;
        if (!found)
            ut_fail(__FILE__, __LINE__, "%s:%d documents %s %s, absent from route_table",
                    d->file, d->r[k].line, d->r[k].method, d->r[k].path);
    }
}

static void documented_roles_match(void)
{
    const struct ut_docs *d = ut_docs();
    REQUIRE(d != NULL);
    for (size_t k = 0; k < d->n; k++) {
        if (!d->r[k].has_roles)
            continue;
        for (size_t i = 0; i < route_table_len; i++) {
            if (strcmp(d->r[k].method, route_table[i].method) != 0 ||
                strcmp(d->r[k].path, route_table[i].pattern) != 0)
                continue;
            if (route_table[i].roles != d->r[k].roles)
                ut_fail(__FILE__, __LINE__,
                        "%s %s: route_table roles 0x%x, %s:%d says \"%s\" (0x%x)",
                        route_table[i].method, route_table[i].pattern, route_table[i].roles,
                        d->file, d->r[k].line, d->r[k].roles_text, d->r[k].roles);
        }
    }
}

static void no_duplicates(void)
{
    for (size_t i = 0; i < route_table_len; i++)
        for (size_t j = i + 1; j < route_table_len; j++)
            if (strcmp(route_table[i].method, route_table[j].method) == 0 &&
                strcmp(route_table[i].pattern, route_table[j].pattern) == 0)
                ut_fail(__FILE__, __LINE__, "route_table[%zu] and [%zu] are both %s %s", i, j,
                        route_table[i].method, route_table[i].pattern);
}

static int ut_is_public_path(const char *method, const char *pattern)
{
    static const char *const pub[][2] = {
        {"GET", "/health"},           {"GET", "/api/health"},
        {"GET", "/api/noop"},         {"POST", "/api/auth/register"},
        {"POST", "/api/auth/login"},  {"POST", "/api/auth/refresh"},
        {"POST", "/api/auth/reset-password-request"}, {"POST", "/api/auth/reset-password"},
        {"GET", "/api/openapi.json"},
        /* Authenticated by the X-Twilio-Signature of the number's tenant, not a token. */
        {"POST", "/webhooks/twilio/call-status"},
        /* Twilio again: the recording status callback (recording_webhook.c), signed too. */
        {"POST", "/webhooks/twilio/recording-status"},
        /* Twilio's voice webhook and its gather callback (ivr_voice.c), signed too. */
        {"POST", "/webhooks/twilio/voice"},     {"POST", "/webhooks/twilio/voice/:sessionId"},
        /* Twilio's SMS callbacks (sms_webhook.c), signed the same way. */
        {"POST", "/webhooks/twilio/sms-status"}, {"POST", "/webhooks/twilio/sms"},
        /* Twilio's recording callback of a voicemail box, signed by the box's tenant. */
        {"POST", "/webhooks/twilio/voicemail"},
        /* The chat visitor: the widget's public key, its origin and the session's secret. */
        {"POST", "/api/chat/public/start"},     {"POST", "/api/chat/public/message"},
        {"POST", "/api/chat/public/handover"},  {"POST", "/api/chat/public/end"},
        {"POST", "/api/chat/public/typing"},    {"POST", "/api/chat/public/read"},    {"GET", "/api/chat/public/session/:id"},
        {"GET", "/api/chat/public/status/:id"},
        /* Loopback clients or the metrics token, checked by its handler (metrics.c). */
        {"GET", "/metrics"},
        /* A survey's customer: authenticated by the signed link (survey_link.h). */
        {"GET", "/api/surveys/public/:token"},
        {"POST", "/api/surveys/public/:token"},
        /* Issue 11: the platform admin's sign-in, a company's sign-up (nginx throttles both). */
        {"POST", "/api/admin/login"},
        {"POST", "/api/company-registrations"},
        /* calldocker's: Twilio's signature with the company's token (webhooks.c), and the
         * company's incoming webhook, signed with its secret (cd_webhooks.c). */
        {"POST", "/api/webhooks/twilio/:companyId"},
        {"POST", "/api/webhooks/incoming/:companyId"},
    };
    for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++)
        if (strcmp(pub[i][0], method) == 0 && strcmp(pub[i][1], pattern) == 0)
            return 1;
    return 0;
}

static void roles_sane(void)
{
    for (size_t i = 0; i < route_table_len; i++) {
        const struct route *rt = &route_table[i];
        if (ut_is_public_path(rt->method, rt->pattern)) {
            if (rt->roles != ROLES_PUBLIC)
                ut_fail(__FILE__, __LINE__, "%s %s should be public, roles 0x%x", rt->method,
                        rt->pattern, rt->roles);
            continue;
        }
        if (rt->roles == 0)
            ut_fail(__FILE__, __LINE__, "%s %s needs a token but has roles 0", rt->method,
                    rt->pattern);
        if ((rt->roles & ~(unsigned)ROLES_ANY) != 0)
            ut_fail(__FILE__, __LINE__, "%s %s has unknown role bits 0x%x", rt->method,
                    rt->pattern, rt->roles);
        if ((rt->roles & ROLE_SUPER_ADMIN) == 0)
            ut_fail(__FILE__, __LINE__, "%s %s excludes super_admin", rt->method, rt->pattern);
    }
    /* Nothing under /api/tenants, /api/users or /api/departments is public. */
    for (size_t i = 0; i < route_table_len; i++) {
        const char *p = route_table[i].pattern;
        if (strncmp(p, "/api/tenants", 12) == 0 || strncmp(p, "/api/users", 10) == 0 ||
            strncmp(p, "/api/departments", 16) == 0)
            CHECK(route_table[i].roles != ROLES_PUBLIC);
        /* but an admin may look up their own tenant (tenants.c answers 404 for others) */
        if (strncmp(p, "/api/tenants", 12) == 0 && strcmp(p, "/api/tenants/by-domain") != 0 &&
            strcmp(p, "/api/tenants/:id/resource-usage") != 0)
            CHECK_EQ_INT(route_table[i].roles, ROLES_SUPER);
    }
}

static void patterns_well_formed(void)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    CHECK(route_table_len > 0);
    for (size_t i = 0; i < route_table_len; i++) {
        const struct route *rt = &route_table[i];
        int known = 0;
        for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++)
            known |= strcmp(rt->method, methods[k]) == 0;
        if (!known)
            ut_fail(__FILE__, __LINE__, "[%zu] unknown method %s", i, rt->method);
        if (rt->handler == NULL)
            ut_fail(__FILE__, __LINE__, "[%zu] %s %s has no handler", i, rt->method,
                    rt->pattern);
        const char *p = rt->pattern;
        size_t len = strlen(p);
        if (p[0] != '/' || (len > 1 && p[len - 1] == '/') || strstr(p, "//") != NULL)
            ut_fail(__FILE__, __LINE__, "[%zu] bad pattern \"%s\"", i, p);
        size_t segs = 0, params = 0;
        for (const char *s = p; *s; s++) {
            if (*s == '/' && s[1] != '\0')
                segs++;
            if (*s == ':') {
                params++;
                if (s[-1] != '/' || s[1] == '\0' || s[1] == '/')
                    ut_fail(__FILE__, __LINE__, "[%zu] bad parameter in \"%s\"", i, p);
            }
        }
        if (segs > ROUTER_MAX_SEGMENTS || params > ROUTER_MAX_PARAMS)
            ut_fail(__FILE__, __LINE__, "[%zu] \"%s\" has too many segments/params", i, p);
        if (strncmp(p, "/api/v1/", 8) == 0)
            ut_fail(__FILE__, __LINE__, "[%zu] \"%s\": /api/v1 is folded before routing", i, p);
    }
}

const struct ut_case ut_route_table_cases[] = {
    {"docs_found", docs_found},
    {"table_routes_documented", table_routes_documented},
    {"documented_routes_exist", documented_routes_exist},
    {"documented_roles_match", documented_roles_match},
    {"no_duplicates", no_duplicates},
    {"roles_sane", roles_sane},
    {"patterns_well_formed", patterns_well_formed},
    {NULL, NULL},
};
