#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct seg {
    const char *p;
    size_t len;
};

static size_t split(const char *s, struct seg *out, size_t max, bool *overflow)
{
    size_t n = 0;
    *overflow = false;
    while (*s == '/')
        s++;
    while (*s != '\0') {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (n == max) {
            *overflow = true;
            return n;
        }
        out[n].p = s;
        out[n].len = len;
        n++;
        s += len;
        while (*s == '/')
            s++;
    }
    return n;
}

/*
 * Matches path segments against a pattern. `shape` gets one bit per segment,
 * set where the pattern has a parameter, most significant first, so a smaller
 * shape means literals come earlier.
 */
static bool pattern_match(const char *pattern, const struct seg *ps, size_t np,
                          struct route_match *m, unsigned long *shape)
{
    struct seg pat[ROUTER_MAX_SEGMENTS];
    bool overflow;
    size_t n = split(pattern, pat, ROUTER_MAX_SEGMENTS, &overflow);
    if (overflow || n != np)
        return false;
    size_t nparams = 0;
    unsigned long sh = 0;
    for (size_t i = 0; i < n; i++) {
        sh <<= 1;
        if (pat[i].len > 0 && pat[i].p[0] == ':') {
            if (ps[i].len == 0 || nparams == ROUTER_MAX_PARAMS)
                return false;
            if (m != NULL) {
                m->params[nparams].name = pat[i].p + 1;
                m->params[nparams].name_len = pat[i].len - 1;
                m->params[nparams].value = ps[i].p;
                m->params[nparams].value_len = ps[i].len;
            }
            nparams++;
            sh |= 1;
        } else if (pat[i].len != ps[i].len || memcmp(pat[i].p, ps[i].p, ps[i].len) != 0) {
            return false;
        }
    }
    if (m != NULL)
        m->nparams = nparams;
    *shape = sh;
    return true;
}

enum router_result router_match(const struct route *table, size_t n, const char *method,
                                const char *path, struct route_match *m)
{
    struct seg ps[ROUTER_MAX_SEGMENTS];
    bool overflow;
    size_t np = split(path, ps, ROUTER_MAX_SEGMENTS, &overflow);
    memset(m, 0, sizeof(*m));
    if (overflow)
        return ROUTER_NOT_FOUND;

    const struct route *best = NULL;
    unsigned long best_shape = 0;
    unsigned long best_any_shape = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        unsigned long shape;
        if (!pattern_match(table[i].pattern, ps, np, NULL, &shape))
            continue;
        if (!any || shape < best_any_shape)
            best_any_shape = shape;
        any = true;
        if (strcmp(table[i].method, method) != 0)
            continue;
        if (best == NULL || shape < best_shape) {
            best = &table[i];
            best_shape = shape;
        }
    }
    /*
     * A method-matching route is used only when its pattern is the most specific one
     * for this path; otherwise `/api/users/search` under PUT would fall through to
     * `PUT /api/users/:id`.
     */
    if (best != NULL && best_shape == best_any_shape) {
        unsigned long shape;
        pattern_match(best->pattern, ps, np, m, &shape);
        m->route = best;
        return ROUTER_FOUND;
    }
    if (!any)
        return ROUTER_NOT_FOUND;

    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned long shape;
        if (!pattern_match(table[i].pattern, ps, np, NULL, &shape) || shape != best_any_shape)
            continue;
        if (strstr(m->allow, table[i].method) != NULL)
            continue;
        int w = snprintf(m->allow + used, sizeof(m->allow) - used, "%s%s", used ? ", " : "",
                         table[i].method);
        if (w < 0 || (size_t)w >= sizeof(m->allow) - used)
            break;
        used += (size_t)w;
    }
    return ROUTER_METHOD_NOT_ALLOWED;
}

/* The roles by name, in the order their bits rise. */
static const struct {
    const char *name;
    unsigned bit;
} roles[] = {
    {"agent", ROLE_AGENT},
    {"manager", ROLE_MANAGER},
    {"admin", ROLE_ADMIN},
    {"super_admin", ROLE_SUPER_ADMIN},
};

unsigned role_bit(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strcmp(name, roles[i].name) == 0)
            return roles[i].bit;
    return 0;
}

const char *role_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (roles[i].bit == bit)
            return roles[i].name;
    return NULL;
}
