/* Cached totals of list queries (list_count.h); moved here from the call logs. */
#include "list_count.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "qb.h"
#include "request.h"

#define COUNT_SLOW_MS 200
#define COUNT_STALE_S 10

struct cached_count {
    long long total, cost_ms, at;
    unsigned long long gen;
};

static bool count_usable(const char *val, unsigned long long gen, struct cached_count *cc)
{
    if (sscanf(val, "%lld %llu %lld %lld", &cc->total, &cc->gen, &cc->cost_ms, &cc->at) != 4)
        return false;
    if (cc->gen == gen)
        return true;
    return cc->cost_ms >= COUNT_SLOW_MS && (long long)time(NULL) - cc->at < COUNT_STALE_S;
}

/* The query's text and parameters as one digest: the cache key of its total. */
static int query_digest(struct request *r, const struct qb *q, char digest[65])
{
    size_t len = q->len + 1;
    for (unsigned i = 0; i < q->nparams; i++)
        len += 32 + (q->params[i].type == DB_T_STR ? q->params[i].len : 0);
    char *buf = arena_alloc(r->arena, len), *p = buf;
    if (buf == NULL || q->sql == NULL)
        return -1;
    memcpy(p, q->sql, q->len);
    p += q->len;
    *p++ = '\0';
    for (unsigned i = 0; i < q->nparams; i++) {
        const struct db_param *x = &q->params[i];
        p += snprintf(p, 32, "%d:%lld:%.6g:%zu:", (int)x->type, x->i, x->d, x->len);
        if (x->type == DB_T_STR) {
            memcpy(p, x->s, x->len);
            p += x->len;
        }
    }
    crypto_sha256_hex(buf, (size_t)(p - buf), digest);
    return 0;
}

/* A count from the cache (1 with *total), or 0 with the key to fill (NULL: no cache). */
static int count_cached(struct request *r, const char *ns_base, const struct qb *q,
                        char **key_out, uint64_t *gen, long long *total)
{
    char digest[65], *val = NULL;
    size_t len;
    struct cached_count cc;
    const char *ns = arena_printf(r->arena, "%s:%s", ns_base, r->auth.tenant_id);
    *key_out = NULL;
    if (ns == NULL || r->cache == NULL || cache_generation(r->cache, ns, gen) != 0 ||
        query_digest(r, q, digest) != 0)
        return 0;
    char *key = arena_printf(r->arena, "%s:count:%s", ns, digest);
    bool have = key != NULL && cache_get(r->cache, r->arena, key, &val, &len) == 0;
    if (have && count_usable(val, (unsigned long long)*gen, &cc)) {
        *total = cc.total;
        return 1;
    }
    /* One worker recounts; the others answer with the previous count (if any) rather
     * than park a worker or count the same rows too. */
    int lease = key != NULL ? cache_lease(r->cache, key, 30) : -1;
    if (lease == 1 && have && sscanf(val, "%lld", total) == 1)
        return 1;
    for (int wait = 0; lease == 1 && wait < 60; wait++) {
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
        if (cache_get(r->cache, r->arena, key, &val, &len) == 0 && sscanf(val, "%lld", total) == 1)
            return 1;
    }
    *key_out = key;
    return 0;
}

int list_count(struct request *r, const char *ns, struct qb *count, long long *total)
{
    char *key;
    uint64_t gen = 0;
    if (count_cached(r, ns, count, &key, &gen, total) == 1)
        return DB_OK;
    struct timespec t0, t1;
    struct db_result *res;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = qb_exec(count, r->db, &res);
    if (rc != DB_OK) {
        if (key != NULL)
            cache_release(r->cache, key);
        return rc;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *total = db_get_int(res, 0, "total", 0);
    if (key != NULL) {
        long long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        char buf[96];
        int n = snprintf(buf, sizeof(buf), "%lld %llu %lld %lld", *total,
                         (unsigned long long)gen, ms, (long long)time(NULL));
        cache_set(r->cache, key, buf, (size_t)n, (unsigned)r->cfg->cache_ttl);
        cache_release(r->cache, key);
    }
    return DB_OK;
}
