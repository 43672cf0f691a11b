/*
 * Cached lists stamped with their namespace's generation (cached.h, stamped.h): the
 * generation comes in the session's multi-get; the list from this process's copy, or from
 * memcached when the copy is missing or stale. The payload is "<count>\n<JSON array>".
 */
#include "cached.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "reply.h"
#include "request.h"
#include "stamped.h"

static const char *variant_of(const struct request *r)
{
    /* The callcenter dialect writes text nulls as "": its own copy of a list. */
    return r->families == FAM_CALLCENTER ? "cc" : "std";
}

static void take_generation(struct request *r, const char *ns, const struct cache_item *g)
{
    struct request_cached *c = &r->cached;
    if (g->val != NULL) {
        char *end;
        c->gen = strtoull(g->val, &end, 10);
        c->gen_ok = end != g->val;
    } else {
        /* Missing (evicted, or never made): create it; only one more round trip. */
        c->gen_ok = cache_generation(r->cache, ns, &c->gen) == 0;
    }
}

int cached_fetch(struct request *r, const char *tenant_id, const char *const *keys, size_t n,
                 struct cache_item *items)
{
    const char *all[CACHE_MGET_MAX];
    struct cache_item got[CACHE_MGET_MAX];
    const char *route_ns = r->match.route != NULL ? r->match.route->cache : NULL;
    const char *ns = NULL;
    size_t m = n;
    if (n + 1 > CACHE_MGET_MAX)
        return -1;
    memcpy(all, keys, n * sizeof(*keys));
    if (route_ns != NULL && tenant_id != NULL && !r->cached.fetched) {
        ns = arena_printf(r->arena, "%s:%s", route_ns, tenant_id);
        r->cached.key = ns ? arena_printf(r->arena, "%s:v:%s", ns, variant_of(r)) : NULL;
        all[m] = ns ? arena_printf(r->arena, "gen:%s", ns) : NULL;
        if (all[m] != NULL && r->cached.key != NULL)
            m++;
    }
    int rc = cache_mget(r->cache, r->arena, all, m, got);
    memcpy(items, got, n * sizeof(*items));
    r->cached.fetched = true;
    if (m > n && rc == 0)
        take_generation(r, ns, &got[n]);
    return rc;
}

int cached_list(struct request *r, long long *count, const char **text, size_t *len)
{
    struct request_cached *c = &r->cached;
    if (!c->fetched)
        (void)cached_fetch(r, r->auth.tenant_id, NULL, 0, NULL);
    const char *payload;
    size_t plen;
    char *end;
    if (!c->gen_ok || c->key == NULL ||
        stamped_get(r->cache, r->arena, c->key, c->gen, &payload, &plen) != 0)
        return 1;
    long long n = strtoll(payload, &end, 10);
    if (end == payload || *end != '\n')
        return 1;
    *count = n;
    *text = end + 1;
    *len = plen - (size_t)(*text - payload);
    return 0;
}

void cached_list_store(struct request *r, long long count, const char *text, size_t len,
                       unsigned ttl)
{
    const struct request_cached *c = &r->cached;
    if (!c->gen_ok || c->key == NULL)
        return;
    char head[32];
    int hn = snprintf(head, sizeof(head), "%lld\n", count);
    char *payload = hn > 0 ? arena_alloc(r->arena, (size_t)hn + len + 1) : NULL;
    if (payload == NULL)
        return;
    memcpy(payload, head, (size_t)hn);
    memcpy(payload + hn, text, len);
    payload[(size_t)hn + len] = '\0';
    stamped_put(r->cache, r->arena, c->key, c->gen, ttl, payload, (size_t)hn + len);
}

void cached_invalidate(struct request *r, const char *ns)
{
    const char *full = arena_printf(r->arena, "%s:%s", ns, r->auth.tenant_id);
    if (full != NULL)
        (void)cache_bump(r->cache, full);
}
