/*
 * Cached lists stamped with their namespace's generation (cached.h). The stamp is the
 * value's first line, so a value and the generation it needs come back in one multi-get
 * (generation keys are the cache module's "gen:<ns>").
 */
#include "cached.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "reply.h"
#include "request.h"

static const char *variant_of(const struct request *r)
{
    /* The callcenter dialect writes text nulls as "": its own copy of a list. */
    return r->families == FAM_CALLCENTER ? "cc" : "std";
}

/* Reads "<gen>\n<count>\n<json>" into the request when its stamp is the current generation. */
static void take_value(struct request *r, const struct cache_item *v)
{
    struct request_cached *c = &r->cached;
    if (v->val == NULL || !c->gen_ok)
        return;
    char *end;
    uint64_t stamp = strtoull(v->val, &end, 10);
    if (end == v->val || *end != '\n' || stamp != c->gen)
        return;
    char *count_at = end + 1;
    long long count = strtoll(count_at, &end, 10);
    if (end == count_at || *end != '\n')
        return;
    c->count = count;
    c->text = end + 1;
    c->len = v->len - (size_t)(c->text - v->val);
    c->hit = true;
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
    if (n + 2 > CACHE_MGET_MAX)
        return -1;
    memcpy(all, keys, n * sizeof(*keys));
    if (route_ns != NULL && tenant_id != NULL && !r->cached.fetched) {
        ns = arena_printf(r->arena, "%s:%s", route_ns, tenant_id);
        r->cached.key = ns ? arena_printf(r->arena, "%s:v:%s", ns, variant_of(r)) : NULL;
        all[m] = ns ? arena_printf(r->arena, "gen:%s", ns) : NULL;
        if (all[m] != NULL && r->cached.key != NULL) {
            all[m + 1] = r->cached.key;
            m += 2;
        }
    }
    int rc = cache_mget(r->cache, r->arena, all, m, got);
    memcpy(items, got, n * sizeof(*items));
    r->cached.fetched = true;
    if (m > n && rc == 0) {
        take_generation(r, ns, &got[n]);
        take_value(r, &got[n + 1]);
    }
    return rc;
}

int cached_list(struct request *r, long long *count, const char **text, size_t *len)
{
    if (!r->cached.fetched)
        (void)cached_fetch(r, r->auth.tenant_id, NULL, 0, NULL);
    if (!r->cached.hit)
        return 1;
    *count = r->cached.count;
    *text = r->cached.text;
    *len = r->cached.len;
    return 0;
}

void cached_list_store(struct request *r, long long count, const char *text, size_t len,
                       unsigned ttl)
{
    const struct request_cached *c = &r->cached;
    if (!c->gen_ok || c->key == NULL)
        return;
    char head[48];
    int hn = snprintf(head, sizeof(head), "%" PRIu64 "\n%lld\n", c->gen, count);
    char *val = hn > 0 ? arena_alloc(r->arena, (size_t)hn + len + 1) : NULL;
    if (val == NULL)
        return;
    memcpy(val, head, (size_t)hn);
    memcpy(val + hn, text, len);
    val[(size_t)hn + len] = '\0';
    (void)cache_set(r->cache, c->key, val, (size_t)hn + len, ttl);
}

void cached_invalidate(struct request *r, const char *ns)
{
    const char *full = arena_printf(r->arena, "%s:%s", ns, r->auth.tenant_id);
    if (full != NULL)
        (void)cache_bump(r->cache, full);
}
