#ifndef SB_REQUEST_IO_H
#define SB_REQUEST_IO_H
/* The FastCGI side of a request (src/pool/fcgi.c): used by the worker loop only. */
#include "request.h"

struct config;

/* Fills r from the FastCGI request (params, body up to max_body_bytes). 0 or -1. */
int request_begin(struct request *r, void *fcgx_request, struct arena *a,
                  const struct config *cfg, struct db *db, struct cache *cache);
/* Writes the status line, headers and the rendered answer. */
void request_send(struct request *r);

#endif
