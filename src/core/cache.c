#include "cache.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmemcached/memcached.h>

#include "arena.h"
#include "log.h"
#include "metrics.h"
#include "nodes.h"

struct cache {
    memcached_st *mc;
    char *servers; /* the list it was made from, for a fresh instance (cache_bump) */
    bool down;     /* logged once per outage */
};

static void note_failure(struct cache *c, const char *what, memcached_return_t rc)
{
    metrics_cache_error(); /* counted once per request, however many calls failed */
    if (!c->down)
        log_warn("cache: %s failed (%s); serving from the database", what,
                 memcached_strerror(c->mc, rc));
    c->down = true;
}

static void note_success(struct cache *c)
{
    if (c->down)
        log_info("cache: memcached answers again");
    c->down = false;
}

/* Each server of the list (nodes.h; port 11211 by default): the number added, -1 on an
 * entry that cannot be read or used. */
static int add_servers(memcached_st *mc, const char *servers)
{
    size_t n = nodes_count(servers);
    for (size_t i = 0; i < n; i++) {
        struct node node;
        memcached_return_t rc = MEMCACHED_FAILURE;
        if (node_at(servers, i, 11211, &node) == 0)
            rc = node.socket[0] ? memcached_server_add_unix_socket(mc, node.socket)
                                : memcached_server_add(mc, node.host, (in_port_t)node.port);
        if (rc != MEMCACHED_SUCCESS) {
            log_error("cache: cannot use memcached server %zu of \"%s\"", i + 1, servers);
            return -1;
        }
    }
    return (int)n;
}

/*
 * Short timeouts: a missing cache must cost little, and dead servers are retried after
 * 1 s. With several servers, keys are spread by consistent hashing (ketama) and a server
 * that fails once is dropped from the ring until its retry: its keys go to the others,
 * which miss and fill them, and come back when it answers again.
 */
static int configure(memcached_st *mc, int nservers)
{
    const struct {
        memcached_behavior_t what;
        uint64_t value;
    } set[] = {
        {MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, 100},
        {MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 100},
        {MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1},
        {MEMCACHED_BEHAVIOR_DEAD_TIMEOUT, 1},
        {MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT},
        {MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, 1},
        {MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, 1},
    };
    size_t n = nservers > 1 ? sizeof(set) / sizeof(set[0]) : 4;
    for (size_t i = 0; i < n; i++)
        if (memcached_behavior_set(mc, set[i].what, set[i].value) != MEMCACHED_SUCCESS)
            return -1;
    return 0;
}

/* An instance of the list with its behaviours; NULL when it cannot be made. */
static memcached_st *instance_new(const char *servers)
{
    memcached_st *mc = memcached_create(NULL);
    if (mc == NULL)
        return NULL;
    int n = add_servers(mc, servers);
    if (n <= 0 || configure(mc, n) != 0) {
        memcached_free(mc);
        return NULL;
    }
    return mc;
}

struct cache *cache_create(const char *servers)
{
    struct cache *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    if (servers == NULL || servers[0] == '\0')
        return c; /* no cache configured: every get misses */
    c->servers = strdup(servers);
    c->mc = c->servers ? instance_new(servers) : NULL;
    if (c->mc == NULL) {
        free(c->servers);
        free(c);
        return NULL;
    }
    return c;
}

void cache_destroy(struct cache *c)
{
    if (c == NULL)
        return;
    if (c->mc != NULL)
        memcached_free(c->mc);
    free(c->servers);
    free(c);
}

int cache_get(struct cache *c, struct arena *a, const char *key, char **val, size_t *len)
{
    *val = NULL;
    *len = 0;
    if (c == NULL || c->mc == NULL)
        return 1;
    size_t vlen = 0;
    uint32_t flags = 0;
    memcached_return_t rc;
    char *v = memcached_get(c->mc, key, strlen(key), &vlen, &flags, &rc);
    if (v == NULL) {
        if (rc == MEMCACHED_NOTFOUND)
            note_success(c);
        else
            note_failure(c, "get", rc);
        return 1;
    }
    note_success(c);
    *val = arena_strndup(a, v, vlen);
    free(v);
    if (*val == NULL)
        return 1;
    *len = vlen;
    return 0;
}

/* The item whose key the server returned: results come in any order. */
static struct cache_item *item_for(const char *const *keys, const size_t *lens, size_t n,
                                   struct cache_item *items, const char *key, size_t klen)
{
    for (size_t i = 0; i < n; i++)
        if (lens[i] == klen && memcmp(keys[i], key, klen) == 0)
            return &items[i];
    return NULL;
}

int cache_mget(struct cache *c, struct arena *a, const char *const *keys, size_t n,
               struct cache_item *items)
{
    size_t lens[CACHE_MGET_MAX];
    memset(items, 0, n * sizeof(*items));
    if (c == NULL || c->mc == NULL || n > CACHE_MGET_MAX)
        return -1;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(keys[i]);
    memcached_return_t rc = memcached_mget(c->mc, keys, lens, n);
    if (rc != MEMCACHED_SUCCESS) {
        note_failure(c, "multi-get", rc);
        return -1;
    }
    memcached_result_st result;
    if (memcached_result_create(c->mc, &result) == NULL)
        return -1;
    while (memcached_fetch_result(c->mc, &result, &rc) != NULL) {
        struct cache_item *it =
            item_for(keys, lens, n, items, memcached_result_key_value(&result),
                     memcached_result_key_length(&result));
        size_t vlen = memcached_result_length(&result);
        char *v = it != NULL ? arena_strndup(a, memcached_result_value(&result), vlen) : NULL;
        if (v != NULL) {
            it->val = v;
            it->len = vlen;
        }
    }
    memcached_result_free(&result);
    if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
        note_failure(c, "multi-get", rc);
        memset(items, 0, n * sizeof(*items));
        return -1;
    }
    note_success(c);
    return 0;
}

int cache_set(struct cache *c, const char *key, const char *val, size_t len, unsigned ttl)
{
    if (c == NULL || c->mc == NULL)
        return -1;
    memcached_return_t rc = memcached_set(c->mc, key, strlen(key), val, len, (time_t)ttl, 0);
    if (rc != MEMCACHED_SUCCESS) {
        note_failure(c, "set", rc);
        return -1;
    }
    note_success(c);
    return 0;
}

static uint64_t fresh_generation(void)
{
    /* Microseconds: after an eviction or restart a new counter never reuses old keys. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int cache_generation(struct cache *c, const char *ns, uint64_t *gen)
{
    *gen = 0;
    if (c == NULL || c->mc == NULL)
        return -1;
    char key[200];
    snprintf(key, sizeof(key), "gen:%s", ns);
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t vlen;
        uint32_t flags;
        memcached_return_t rc;
        char *v = memcached_get(c->mc, key, strlen(key), &vlen, &flags, &rc);
        if (v != NULL) {
            char buf[32];
            size_t n = vlen < sizeof(buf) - 1 ? vlen : sizeof(buf) - 1;
            memcpy(buf, v, n);
            buf[n] = '\0';
            free(v);
            *gen = strtoull(buf, NULL, 10);
            note_success(c);
            return 0;
        }
        if (rc != MEMCACHED_NOTFOUND) {
            note_failure(c, "get generation", rc);
            return -1;
        }
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%" PRIu64, fresh_generation());
        rc = memcached_add(c->mc, key, strlen(key), buf, (size_t)n, 0, 0);
        if (rc == MEMCACHED_SUCCESS) {
            *gen = strtoull(buf, NULL, 10);
            note_success(c);
            return 0;
        }
        if (rc != MEMCACHED_NOTSTORED && rc != MEMCACHED_DATA_EXISTS) {
            note_failure(c, "add generation", rc);
            return -1;
        }
        /* Someone else created it first: read theirs. */
    }
    return -1;
}

/* The namespace's generation moved on mc (made when missing); its last rc. */
static memcached_return_t bump_on(memcached_st *mc, const char *key)
{
    uint64_t value;
    memcached_return_t rc = memcached_increment(mc, key, strlen(key), 1, &value);
    if (rc != MEMCACHED_NOTFOUND)
        return rc;
    /* No readers have a generation: any fresh one invalidates nothing and is safe. */
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%" PRIu64, fresh_generation());
    rc = memcached_add(mc, key, strlen(key), buf, (size_t)n, 0, 0);
    if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS)
        rc = memcached_increment(mc, key, strlen(key), 1, &value);
    return rc;
}

int cache_bump(struct cache *c, const char *ns)
{
    if (c == NULL || c->mc == NULL)
        return -1;
    char key[200];
    snprintf(key, sizeof(key), "gen:%s", ns);
    memcached_return_t rc = bump_on(c->mc, key);
    if (rc == MEMCACHED_SUCCESS) {
        note_success(c);
        return 0;
    }
    /* This instance may still hold a server as failed (retried only after a second) while
     * other workers reach it again and would serve what this write changed: one more try
     * on a fresh instance, which connects now. It costs a connect timeout (100 ms) per
     * write while memcached is really down, when nothing stale can be served anyway. */
    memcached_st *fresh = instance_new(c->servers);
    if (fresh != NULL && (rc = bump_on(fresh, key)) == MEMCACHED_SUCCESS) {
        memcached_free(c->mc);
        c->mc = fresh;
        note_success(c);
        return 0;
    }
    if (fresh != NULL)
        memcached_free(fresh);
    note_failure(c, "bump generation", rc);
    return -1;
}

int cache_lease(struct cache *c, const char *key, unsigned ttl)
{
    if (c == NULL || c->mc == NULL)
        return -1;
    char k[256];
    snprintf(k, sizeof(k), "lease:%s", key);
    memcached_return_t rc = memcached_add(c->mc, k, strlen(k), "1", 1, (time_t)ttl, 0);
    if (rc == MEMCACHED_SUCCESS)
        return 0;
    if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS)
        return 1;
    note_failure(c, "lease", rc);
    return -1;
}

void cache_release(struct cache *c, const char *key)
{
    if (c == NULL || c->mc == NULL)
        return;
    char k[256];
    snprintf(k, sizeof(k), "lease:%s", key);
    (void)memcached_delete(c->mc, k, strlen(k), 0);
}

int cache_ping(struct cache *c, long *usec)
{
    *usec = 0;
    if (c == NULL || c->mc == NULL)
        return -1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t vlen;
    uint32_t flags;
    memcached_return_t rc;
    char *v = memcached_get(c->mc, "health:probe", 12, &vlen, &flags, &rc);
    free(v);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *usec = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000L;
    if (v == NULL && rc != MEMCACHED_NOTFOUND) {
        note_failure(c, "ping", rc);
        return -1;
    }
    note_success(c);
    return 0;
}
