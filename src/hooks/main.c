/*
 * switchboard-hooks -c CONFIG: delivers outgoing webhooks (hooks.h).
 *
 * Why a process of its own: delivery waits on other people's servers (up to a webhook's
 * timeout), which neither the pool's workers (they answer requests) nor the event
 * worker's loop (it must never block) may do; the clock's ticks must stay short too. It
 * keeps nothing in memory that matters: the cursor, the deliveries and their retries are
 * rows, so kill -9 and a restart lose nothing and repeat nothing but the POSTs of a run not
 * yet recorded (deliver.c), sent again in order with the same X-Switchboard-Delivery. Run
 * one per deployment: a second one finds the cursor moved and reloads it rather than fan
 * out twice, but could send a delivery twice; so it works under a lease (lease.h, issue
 * 13): one hooks process of the deployment delivers, the others stand by and take over
 * job_lease_ms after it stops renewing.
 *
 * It polls every POLL_MS (no wake-up socket: the pool's event_wake() pokes only the event
 * worker): an event reaches its webhooks within that, plus the gap grace when ids commit
 * out of order.
 *
 * SIGTERM/SIGINT: finish the POSTs in flight (bounded by the webhooks' timeouts; a run
 * stops there), record them, exit 0.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "daemon.h"
#include "db.h"
#include "hooks.h"
#include "lease.h"
#include "log.h"
#include "request.h"
#include "webhook.h"

#define POLL_MS 200
#define BACKOFF_MAX_MS 5000
#define PURGE_EVERY_MS (10 * 60 * 1000)
#define PURGE_BATCH 5000 /* rows per DELETE, in the SQL text too: short transactions */

#define LEASE "hooks"

static struct config cfg;

void hooks_request(struct request *r, struct hooks *h, const char *tenant_id)
{
    struct daemon_ctx d = {h->cfg, h->db, h->cache, h->arena};
    daemon_request(r, &d, "HOOKS", tenant_id);
}

/* Retention: attempt logs, and deliveries done or given up, older than
 * webhook_retention_days. A batch per table and pass: what is left goes at the next one. */
static void purge(struct hooks *h)
{
    struct db_result *res;
    long days = h->cfg->webhook_retention_days;
    unsigned long long n = 0;
    if (db_exec(h->db, h->arena,
                "DELETE FROM webhook_logs WHERE created_at < NOW() - INTERVAL ? DAY"
                " ORDER BY id LIMIT 5000",
                DB_PARAMS(DB_INT(days)), &res) == DB_OK)
        n += res->affected_rows;
    if (db_exec(h->db, h->arena,
                "DELETE FROM webhook_deliveries WHERE finished_at < NOW(3) - INTERVAL ? DAY"
                " AND state <> 'pending' ORDER BY finished_at LIMIT 5000",
                DB_PARAMS(DB_INT(days)), &res) == DB_OK)
        n += res->affected_rows;
    arena_reset(h->arena);
    if (n > 0)
        log_info("hooks: deleted %llu log rows and deliveries older than %ld days", n, days);
}

/* One round: fan out what committed, send what is due. The time to wait before the next:
 * none while there may be more, a poll interval when idle, longer while the database is
 * away. */
static int round_once(struct hooks *h, int *backoff)
{
    int fanned = hooks_fanout(h);
    arena_reset(h->arena);
    int sent = fanned < 0 ? -1 : hooks_deliver(h);
    arena_reset(h->arena);
    int sms = sent < 0 ? -1 : hooks_sms(h);
    arena_reset(h->arena);
    if (sms > 0 && sent >= 0)
        sent += sms;
    if (fanned < 0 || sent < 0 || sms < 0) {
        if (*backoff == 0)
            log_warn("hooks: database error (%s); retrying with backoff", db_last_error(h->db));
        *backoff = *backoff ? (*backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *backoff * 2)
                            : POLL_MS;
        return *backoff;
    }
    if (*backoff)
        log_info("hooks: database reachable again");
    *backoff = 0;
    /* A full read, or deliveries made (a webhook's next one may be due now): at once. */
    return fanned >= 500 || sent > 0 ? 0 : POLL_MS;
}

/* Whether this process is the deployment's deliverer now: the lease renewed a third of
 * its length after the last renewal (and at once when it is not held), logged on change. */
static bool leading(struct hooks *h, const char *me, long long *renewed, int *was)
{
    long long now = hooks_clock_ms();
    if (*was == 1 && now - *renewed < h->cfg->job_lease_ms / 3)
        return true;
    int held = lease_hold(h->db, h->arena, LEASE, me, h->cfg->job_lease_ms);
    arena_reset(h->arena);
    if (held < 0)
        return *was == 1 && now - *renewed < h->cfg->job_lease_ms / 2; /* the db away: for a while */
    if (held != *was)
        log_info(held ? "hooks: delivering (the lease is ours)"
                      : "hooks: standing by (another process holds the lease)");
    *was = held;
    if (held)
        *renewed = now;
    return held == 1;
}

int main(int argc, char **argv)
{
    int rc = daemon_configure("hooks", argc, argv, &cfg), backoff = 0;
    if (rc >= 0)
        return rc;
    if (daemon_signals("hooks") != 0)
        return 1;
    struct db_options dbo;
    config_db_options(&cfg, 0, &dbo);
    struct hooks h = {.cfg = &cfg,
                      .db = db_create(&dbo),
                      .cache = cache_create(config_memcached(&cfg)),
                      .arena = arena_create(256 * 1024),
                      .allow = (cfg.webhook_allow_loopback ? WEBHOOK_ALLOW_LOOPBACK : 0) |
                               (cfg.webhook_allow_private ? WEBHOOK_ALLOW_PRIVATE : 0)};
    rc = 1;
    if (h.db == NULL || h.cache == NULL || h.arena == NULL || hooks_http_init() != 0) {
        log_error("hooks: out of memory at start");
        goto out;
    }
    log_info("hooks: started (pid %ld; loopback %s, private networks %s)", (long)getpid(),
             cfg.webhook_allow_loopback ? "allowed" : "refused",
             cfg.webhook_allow_private ? "allowed" : "refused");
    long long purge_at = hooks_clock_ms() + 60 * 1000, renewed = 0;
    int was = -1;
    char me[160];
    char host[64] = "host";
    gethostname(host, sizeof(host) - 1);
    snprintf(me, sizeof(me), "%s:%ld", host, (long)getpid());
    while (!daemon_stop) {
        if (!leading(&h, me, &renewed, &was)) {
            poll(NULL, 0, POLL_MS * 5);
            continue;
        }
        if (hooks_clock_ms() >= purge_at) {
            purge(&h);
            purge_at = hooks_clock_ms() + PURGE_EVERY_MS;
        }
        int ms = round_once(&h, &backoff);
        if (ms > 0 && !daemon_stop)
            poll(NULL, 0, ms);
    }
    if (was == 1)
        lease_release(h.db, h.arena, LEASE, me);
    log_info("hooks: stopped at event %llu", h.wm);
    hooks_http_cleanup();
    rc = 0;
out:
    arena_destroy(h.arena);
    cache_destroy(h.cache);
    db_destroy(h.db);
    return rc;
}
