#ifndef SB_LIST_COUNT_H
#define SB_LIST_COUNT_H
/*
 * The total of a list query, cached. Counting is linear in the rows it matches (about
 * 1.4 s per million here), so a total is cached per tenant and query (its SQL and
 * parameters) with the generation of the namespace "<ns>:<tenant>" at the time of
 * counting; writers bump that generation after their commit (cached_invalidate(r, ns)).
 * A count from the current generation is exact. A count that was expensive (over 200 ms)
 * may also be served for 10 s after later writes, so a busy tenant's dashboard does not
 * recount a million rows on every poll; cheap counts are always recounted. While one
 * worker recounts, the others answer with the previous count; only when there is none at
 * all do they wait (up to 3 s) for the one being made. Without memcached it counts.
 */
struct qb;
struct request;

/* count: a "SELECT COUNT(*) AS total …" query. DB_OK with *total, or a db_rc. */
int list_count(struct request *r, const char *ns, struct qb *count, long long *total);

#endif
