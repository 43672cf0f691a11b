/*
 * A request as the pool's request layer receives it from nginx: FastCGI parameters
 * ("NAME=value" lines), then a blank line, then the body. request_begin() reads them
 * (src/pool/fcgi.c), then the parts every route reads are taken: the route, the query,
 * headers and the JSON body.
 */
#include <stdlib.h>
#include <string.h>
#include <fcgiapp.h>
#include <json-c/json.h>

#include "arena.h"
#include "config.h"
#include "fuzz.h"
#include "request.h"
#include "request_io.h"
#include "router.h"
#include "routes.h"

#define FZ_MAX_PARAMS 64

/* The in-stream ends where the body given ends. */
static void fz_fill(FCGX_Stream *s)
{
    s->isClosed = 1;
}

/* Splits the head into NUL-terminated "NAME=value" entries in env; the body after it. */
static size_t fz_params(char *text, char **env, char **body)
{
    size_t n = 0;
    char *line = text;
    *body = NULL;
    while (line != NULL && *line != '\0' && n < FZ_MAX_PARAMS) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (*line == '\0') {
            *body = next;
            break;
        }
        if (strchr(line, '=') != NULL)
            env[n++] = line;
        line = next;
    }
    env[n] = NULL;
    return n;
}

static void fz_read_request(struct request *r)
{
    struct route_match m;
    (void)router_match(route_table, route_table_len, r->method, r->path, &m);
    (void)request_query(r, "page");
    (void)request_query(r, "after");
    (void)request_header(r, "Last-Event-ID");
    (void)request_header(r, "X-Twilio-Signature");
    struct json_object *body;
    if (r->body != NULL)
        (void)request_body_object(r, &body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config cfg = {.max_body_bytes = 1 << 16};
    char *text = fuzz_cstr(data, size), *env[FZ_MAX_PARAMS + 1], *body;
    struct arena *a = arena_create(16384);
    if (text == NULL || a == NULL)
        goto out;
    fz_params(text, env, &body);
    size_t body_len = body ? strlen(body) : 0;
    FCGX_Stream in = {0};
    in.rdNext = in.stop = in.stopUnget = (unsigned char *)(body ? body : text);
    in.stop += body_len;
    in.isReader = 1;
    in.fillBuffProc = fz_fill;
    FCGX_Request f = {0};
    f.envp = env;
    f.in = &in;
    struct request r;
    if (request_begin(&r, &f, a, &cfg, NULL, NULL) == 0)
        fz_read_request(&r);
out:
    arena_destroy(a);
    free(text);
    return 0;
}
