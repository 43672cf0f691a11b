#ifndef SB_HTTPUTIL_H
#define SB_HTTPUTIL_H
/*
 * HTTP pieces the pool and the event worker share: %-decoding, the /api/v1 prefix, query
 * strings and form bodies as pairs, status texts, timestamps. No I/O.
 */
#include <stddef.h>

struct arena;

struct query_pair {
    const char *key;
    const char *value;
};

/* Decodes %XX (and '+' as a space when plus_space) into the arena; NULL when out of memory. */
char *url_decode(struct arena *a, const char *s, size_t len, int plus_space);
/* Folds a leading /api/v1 to /api. Returns the folded path (may be s). */
const char *path_fold_v1(struct arena *a, const char *s);
/* Splits "a=1&b=2" into decoded pairs ('+' is a space), in order. 0, or -1 (memory). */
int http_pairs_parse(struct arena *a, const char *s, size_t len, struct query_pair **out,
                     size_t *n);
/* The first value of key among the pairs, NULL when absent. */
const char *http_pairs_get(const struct query_pair *pairs, size_t n, const char *key);
/* "Not Found" for 404; a generic text for unknown codes. */
const char *http_status_text(int status);
/* Now in RFC 3339 UTC with milliseconds ("2026-12-03T10:00:00.000Z"). */
void http_now_rfc3339(char out[32]);

#endif
