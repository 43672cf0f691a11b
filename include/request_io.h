#ifndef SB_REQUEST_IO_H
#define SB_REQUEST_IO_H
/* The FastCGI side of a request: used by the worker loop only. */
#include "request.h"

struct config;

/* Fills r from the FastCGI request (params, body up to max_body_bytes). 0 or -1. */
int request_begin(struct request *r, void *fcgx_request, struct arena *a,
                  const struct config *cfg, struct db *db, struct cache *cache);
/* Writes the status line, headers and body of r->response. */
void request_send(struct request *r);
/* Decodes %XX (and '+' as space when plus_space) in place-safe fashion into the arena. */
char *url_decode(struct arena *a, const char *s, size_t len, int plus_space);
/* Folds a leading /api/v1 to /api. Returns the folded path (may be s). */
const char *path_fold_v1(struct arena *a, const char *s);

#endif
