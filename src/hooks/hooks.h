#ifndef SB_HOOKS_H
#define SB_HOOKS_H
/*
 * switchboard-hooks: the delivery process of outgoing webhooks. fanout.c reads the event
 * feed (call_events) behind a cursor kept in the database and writes one delivery per
 * matching webhook; deliver.c sends the due deliveries (http.c: libcurl) and records each
 * attempt. main.c runs the two in turn.
 */
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct cache;
struct config;
struct db;
struct request;

/* A run of ids the feed has not seen committed yet, and since when (monotonic ms). */
struct hooks_hole {
    unsigned long long from, to;
    long long since;
};

struct hooks {
    const struct config *cfg;
    struct db *db;
    struct cache *cache;
    struct arena *arena;
    unsigned allow;          /* WEBHOOK_ALLOW_* from the configuration */
    bool have_wm;
    unsigned long long wm;   /* the cursor as last committed: all ids <= wm are done */
    struct hooks_hole hole;  /* the hole fan-out waits at (hole.from == 0: none) */
};

long long hooks_clock_ms(void);

/* The synthetic request a transaction of this process runs in, as tenant (may be NULL). */
void hooks_request(struct request *r, struct hooks *h, const char *tenant_id);

/* Fans out the next batch of committed events: the number of events passed (fanned out
 * or skipped), 0 when none was ready, -1 when the database failed. */
int hooks_fanout(struct hooks *h);

/* Sends the due deliveries (one per webhook: its oldest pending one) and records them:
 * how many were attempted, -1 when the database failed (a read, or a record). */
int hooks_deliver(struct hooks *h);

/* One POST (http.c). The caller fills the inputs; hooks_http_run fills the outputs. */
#define HOOKS_ANSWER_MAX 512
struct hooks_call {
    const char *url, *body, *delivery_id, *event_type, *secret;
    long timeout_ms;
    long status;        /* the HTTP status, 0 when none came back */
    long latency_ms;
    char answer[HOOKS_ANSWER_MAX + 1]; /* the answer's first bytes */
    size_t answer_len;
    char error[256];    /* "" on a 2xx */
    void *easy, *headers, *resolve; /* libcurl's, between prepare and cleanup */
};

/* Sends calls[0..n) concurrently (each to a different webhook) and waits for them all. */
void hooks_http_run(const struct hooks *h, struct hooks_call *calls, size_t n);
int hooks_http_init(void);
void hooks_http_cleanup(void);

#endif
