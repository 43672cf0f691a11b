/* Stamped values and this process's copies of them (stamped.h). */
#include "stamped.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cache.h"
#include "hash.h"

#define COPY_SLOTS 64
#define COPY_KEY_MAX 200
#define COPY_VALUE_MAX (512 * 1024) /* larger values are read from memcached each time */

struct copy {
    char key[COPY_KEY_MAX];
    uint64_t gen;
    long long expires_ms;
    char *payload; /* malloc'd */
    size_t len;
};

static struct copy copies[COPY_SLOTS];

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int stamped_parse(const char *val, size_t vlen, uint64_t gen, long long now, const char **payload,
                  size_t *len, long long *expires_ms)
{
    char *end;
    if (val == NULL || vlen == 0 || strtoull(val, &end, 10) != gen || *end != ' ')
        return 1;
    const char *at = end + 1;
    long long expires = strtoll(at, &end, 10);
    if (end == at || *end != '\n' || expires <= now)
        return 1;
    if (expires_ms != NULL)
        *expires_ms = expires;
    *payload = end + 1;
    *len = vlen - (size_t)(*payload - val);
    return 0;
}

static struct copy *slot_of(const char *key)
{
    return &copies[hash_fnv1a(key) % COPY_SLOTS];
}

static void copy_keep(const char *key, uint64_t gen, long long expires, const char *payload,
                      size_t len)
{
    struct copy *c = slot_of(key);
    if (strlen(key) >= COPY_KEY_MAX || len > COPY_VALUE_MAX)
        return;
    char *p = malloc(len + 1);
    if (p == NULL)
        return;
    memcpy(p, payload, len);
    p[len] = '\0';
    free(c->payload);
    snprintf(c->key, sizeof(c->key), "%s", key);
    c->gen = gen;
    c->expires_ms = expires;
    c->payload = p;
    c->len = len;
}

/* The copy as the arena's own text: the copy itself may be replaced before the answer is
 * written. */
static int copy_find(struct arena *a, const char *key, uint64_t gen, long long now,
                     const char **payload, size_t *len)
{
    struct copy *c = slot_of(key);
    if (c->payload == NULL || c->gen != gen || c->expires_ms <= now || strcmp(c->key, key) != 0)
        return 1;
    char *p = arena_strndup(a, c->payload, c->len);
    if (p == NULL)
        return 1;
    *payload = p;
    *len = c->len;
    return 0;
}

int stamped_get(struct cache *c, struct arena *a, const char *key, uint64_t gen,
                const char **payload, size_t *len)
{
    long long now = now_ms();
    if (copy_find(a, key, gen, now, payload, len) == 0)
        return 0;
    char *val;
    size_t vlen;
    long long expires;
    if (cache_get(c, a, key, &val, &vlen) != 0 ||
        stamped_parse(val, vlen, gen, now, payload, len, &expires) != 0)
        return 1;
    copy_keep(key, gen, expires, *payload, *len);
    return 0;
}

void stamped_put(struct cache *c, struct arena *a, const char *key, uint64_t gen, unsigned ttl,
                 const char *payload, size_t len)
{
    long long expires = now_ms() + (long long)ttl * 1000;
    char head[64];
    int hn = snprintf(head, sizeof(head), "%" PRIu64 " %lld\n", gen, expires);
    char *val = hn > 0 ? arena_alloc(a, (size_t)hn + len + 1) : NULL;
    if (val == NULL)
        return;
    memcpy(val, head, (size_t)hn);
    memcpy(val + hn, payload, len);
    val[(size_t)hn + len] = '\0';
    (void)cache_set(c, key, val, (size_t)hn + len, ttl);
    copy_keep(key, gen, expires, payload, len);
}
