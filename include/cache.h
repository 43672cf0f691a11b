#ifndef SB_CACHE_H
#define SB_CACHE_H
/*
 * memcached through libmemcached (one server or several, listed as nodes.h reads them: a
 * unix socket path or host:port each; several are a consistent-hashing ring), with short
 * timeouts. The cache is an optimisation only: every failure reads as a miss and is
 * logged once per outage, so callers fall back to the database and stay correct.
 * Invalidation is by generation: a namespace (e.g. "dept:<tenant>") has a counter;
 * readers build keys from it and writers bump it after their commit, so a reader
 * that raced a writer can only fill a key nobody reads any more.
 */
#include <stddef.h>
#include <stdint.h>

struct arena;
struct cache;

struct cache *cache_create(const char *servers);
void cache_destroy(struct cache *c);

/* 0 hit (value in arena, NUL-terminated), 1 miss or cache down. */
int cache_get(struct cache *c, struct arena *a, const char *key, char **val, size_t *len);
/* One value of a multi-get: val NULL on a miss. */
struct cache_item {
    char *val; /* in the arena, NUL-terminated */
    size_t len;
};
/*
 * Several keys in one round trip: items[i] for keys[i] (at most CACHE_MGET_MAX).
 * 0 answered (each item a hit or a miss), -1 cache down (all misses).
 */
#define CACHE_MGET_MAX 8
int cache_mget(struct cache *c, struct arena *a, const char *const *keys, size_t n,
               struct cache_item *items);
/* 0 stored, -1 not (ignored by callers beyond logging). */
int cache_set(struct cache *c, const char *key, const char *val, size_t len, unsigned ttl);
/* Current generation of a namespace; creates it when missing. -1 when the cache is down. */
int cache_generation(struct cache *c, const char *ns, uint64_t *gen);
/* Moves a namespace to a new generation; -1 when the cache is down. */
int cache_bump(struct cache *c, const char *ns);
/*
 * A short lease so that one process recomputes an expensive value while the others wait
 * for it (no stampede). 0 taken, 1 held by someone else, -1 cache down (compute anyway).
 */
int cache_lease(struct cache *c, const char *key, unsigned ttl);
/* Gives a lease back once the value is stored. */
void cache_release(struct cache *c, const char *key);
/* 0 when the server answers; latency in microseconds in *usec. */
int cache_ping(struct cache *c, long *usec);

#endif
