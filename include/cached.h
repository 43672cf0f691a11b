#ifndef SB_CACHED_H
#define SB_CACHED_H
/*
 * A route's cached list, read in the same memcached round trip as the session (auth.c),
 * so a cached read costs one multi-get. A route that declares `.cache = "dept"` keeps one
 * value per tenant and dialect variant under "dept:<tenant>:v:<variant>", stamped with the
 * generation of the namespace "dept:<tenant>" it was computed under. Writers move that
 * generation after their commit (cached_invalidate), so a value stamped with an older
 * one reads as a miss: no reader is served data older than an acknowledged write of its
 * tenant. A stamp that raced a writer can only be older, never newer, than its data.
 */
#include <stddef.h>

#include "cache.h"

struct request;

/*
 * One multi-get of the caller's keys[0..n) (items[i] for keys[i]) together with the
 * route's generation and value for tenant_id (when the route declares a cache).
 * 0 answered, -1 cache down.
 */
int cached_fetch(struct request *r, const char *tenant_id, const char *const *keys, size_t n,
                 struct cache_item *items);

/* 0 and the list (count, JSON array text) when the route's value is current; 1 a miss. */
int cached_list(struct request *r, long long *count, const char **text, size_t *len);

/* Stores a list computed from the database, stamped with the generation read before it. */
void cached_list_store(struct request *r, long long count, const char *text, size_t len,
                       unsigned ttl);

/* A post-commit hook (txn_after_commit): moves the tenant's namespace `ns` ("dept"). */
void cached_invalidate(struct request *r, const char *ns);

#endif
