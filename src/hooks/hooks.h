#ifndef SB_HOOKS_H
#define SB_HOOKS_H
/*
 * switchboard-hooks: the delivery process of outgoing webhooks. fanout.c reads the event
 * feed (call_events) behind a cursor kept in the database and writes one delivery per
 * matching webhook; deliver.c sends the due deliveries (http.c: libcurl), a run per
 * webhook, and records each run's attempts; sms.c sends the queued SMS to Twilio. main.c
 * runs the three in turn.
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

/* Sends the due deliveries (per webhook a run: its oldest pending ones in event order, the
 * next sent after the previous succeeded) and records each run: how many were attempted,
 * -1 when the database failed (a read, or a record). */
int hooks_deliver(struct hooks *h);

/* Sends the due SMS (sms.c): how many were claimed, -1 when the database failed. */
int hooks_sms(struct hooks *h);

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
    void *headers;      /* libcurl's, while the call is in flight */
};

/* One webhook's calls in event order, all to its URL with its secret and timeout. */
struct hooks_run {
    struct hooks_call *calls;
    size_t n;
    size_t done;              /* output: calls[0..done) were attempted, all but the last 2xx */
    void *easy, *resolve;     /* libcurl's, while the run is sent */
};

/* Sends runs[0..n) concurrently (each a different webhook's), each run's calls one after
 * another until one fails or all are sent, and waits for them all. */
void hooks_http_run(const struct hooks *h, struct hooks_run *runs, size_t n);
int hooks_http_init(void);
void hooks_http_cleanup(void);

#endif
