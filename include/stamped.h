#ifndef SB_STAMPED_H
#define SB_STAMPED_H
/*
 * Stamped values: a cached value carries the generation it was computed under and when it
 * expires ("<generation> <expires, unix ms>\n<payload>"), so that it is used only while
 * its namespace's generation, read from memcached in the same request, is still that one.
 * memcached stays the shared truth; each process also keeps a copy of the values it read
 * (direct-mapped, a few dozen), so that a hot read fetches only the small generation keys:
 * a copy is used under exactly the rules of the value it copies, and is never newer or
 * older than what memcached would give for the generation current now.
 */
#include <stddef.h>
#include <stdint.h>

struct arena;
struct cache;

/*
 * The payload of key under generation gen, unexpired: from this process's copy, else from
 * memcached (then copied). 0 and the payload (in the arena, NUL-terminated); 1 a miss.
 */
int stamped_get(struct cache *c, struct arena *a, const char *key, uint64_t gen,
                const char **payload, size_t *len);

/* Stores payload under gen for ttl seconds, in memcached and in this process's copy. */
void stamped_put(struct cache *c, struct arena *a, const char *key, uint64_t gen, unsigned ttl,
                 const char *payload, size_t len);

/* Parses a stamped value: 0 and the payload (and its expiry, when asked) when it is gen's
 * and unexpired at now_ms. */
int stamped_parse(const char *val, size_t vlen, uint64_t gen, long long now_ms,
                  const char **payload, size_t *len, long long *expires_ms);

#endif
