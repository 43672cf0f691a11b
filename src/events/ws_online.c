/*
 * Presence and the visitor's typing: the event worker's few writes (ws_internal.h).
 *
 * Presence: a user is online while any event worker holds a staff stream of theirs (SSE
 * or WebSocket) or their agent presence is not offline. Each worker counts its streams
 * per user in stream_presence (sql/020) under its own name (host:pid) and refreshes
 * seen_at (housekeeping.c, every 10 s) while the count is above 0; a row not refreshed
 * for PRESENCE_TTL_S is a worker that died and no longer counts.
 *
 * Streams opening and closing are counted in memory and written every FLUSH_MS, one
 * statement per user that changed: a burst of thousands of connects costs a few writes,
 * not one each inside the loop. While the feed finds the database away nothing is
 * written (a query would hold the loop); the counts wait and go out when it is back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "arena.h"
#include "db.h"
#include "event_seq.h"
#include "events.h"
#include "jsonutil.h"
#include "log.h"
#include "loop.h"
#include "ws_internal.h"

#define PRESENCE_TTL_S 90
#define FLUSH_MS 500
#define BUCKETS 1024

/* A user whose stream count changed since the last flush. */
struct pending {
    struct pending *next;
    int delta;
    int sockets; /* of delta, the WebSocket ones (sql/027) */
    char *user_id; /* into key */
    char key[];    /* tenant_id NUL user_id NUL */
};

static struct pending *buckets[BUCKETS];
static struct loop_timer flush_timer;
static struct ev *flush_ev;

static char worker_name[128];
static int stopped; /* shutting down: the rows went in one statement */
static struct arena *scratch; /* not ev->arena: these run inside handlers that use it */

/* The scratch arena, reset; NULL when out of memory. */
static struct arena *fresh(void)
{
    if (scratch == NULL)
        scratch = arena_create(4096);
    if (scratch != NULL)
        arena_reset(scratch);
    return scratch;
}

static const char *worker(void)
{
    if (worker_name[0] == '\0') {
        char host[64] = "";
        if (gethostname(host, sizeof(host) - 1) != 0)
            snprintf(host, sizeof(host), "localhost");
        snprintf(worker_name, sizeof(worker_name), "%s:%ld", host, (long)getpid());
    }
    return worker_name;
}

static int db_usable(struct ev *ev)
{
    return feed_ready(ev->feed) && !feed_db_down(ev->feed) && fresh() != NULL;
}

static struct pending **slot(const char *tenant_id, const char *user_id)
{
    unsigned h = 2166136261u;
    for (const char *p = tenant_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (const char *p = user_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    struct pending **pp = &buckets[h % BUCKETS];
    while (*pp != NULL && (strcmp((*pp)->key, tenant_id) != 0 || strcmp((*pp)->user_id, user_id) != 0))
        pp = &(*pp)->next;
    return pp;
}

/* Writes the counts that changed; those that fail stay for the next flush. */
static void flush(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)t;
    struct ev *ev = data;
    for (size_t b = 0; b < BUCKETS && !stopped; b++) {
        for (struct pending **pp = &buckets[b]; *pp != NULL;) {
            struct pending *e = *pp;
            if (!db_usable(ev))
                goto later;
            struct db_result *res;
            int rc = db_exec(ev->db, scratch,
                             "INSERT INTO stream_presence (tenant_id, user_id, worker, streams,"
                             " sockets, seen_at) VALUES (?, ?, ?, GREATEST(?, 0), GREATEST(?, 0),"
                             " NOW(3)) ON DUPLICATE KEY UPDATE"
                             " streams = GREATEST(CAST(streams AS SIGNED) + ?, 0),"
                             " sockets = GREATEST(CAST(sockets AS SIGNED) + ?, 0), seen_at = NOW(3)",
                             DB_PARAMS(DB_STR(e->key), DB_STR(e->user_id), DB_STR(worker()),
                                       DB_INT(e->delta), DB_INT(e->sockets), DB_INT(e->delta),
                                       DB_INT(e->sockets)),
                             &res);
            if (rc != DB_OK) {
                log_warn("events: presence not written: %s", db_last_error(ev->db));
                goto later;
            }
            *pp = e->next;
            free(e);
        }
    }
    return;
later:
    if (loop_timer_start(loop, &flush_timer, FLUSH_MS * 4) != 0)
        log_error("events: cannot schedule the presence write (out of memory)");
}

void ws_online_note(struct ev *ev, const char *tenant_id, const char *user_id, int delta,
                    int is_socket)
{
    if (stopped || user_id == NULL || user_id[0] == '\0')
        return;
    struct pending **pp = slot(tenant_id, user_id);
    if (*pp == NULL) {
        size_t tl = strlen(tenant_id), ul = strlen(user_id);
        struct pending *e = calloc(1, sizeof(*e) + tl + ul + 2);
        if (e == NULL) {
            log_error("events: presence of user %s not counted (out of memory)", user_id);
            return;
        }
        memcpy(e->key, tenant_id, tl + 1);
        e->user_id = e->key + tl + 1;
        memcpy(e->user_id, user_id, ul + 1);
        *pp = e;
    }
    (*pp)->delta += delta;
    (*pp)->sockets += is_socket ? delta : 0;
    if (flush_ev == NULL) {
        flush_ev = ev;
        loop_timer_init(&flush_timer, flush, ev);
    }
    if (!loop_timer_active(&flush_timer) && loop_timer_start(ev->loop, &flush_timer, FLUSH_MS) != 0)
        log_error("events: cannot schedule the presence write (out of memory)");
}

void ws_online_reset(struct ev *ev)
{
    struct db_result *res;
    if (fresh() == NULL)
        return;
    if (db_exec(ev->db, scratch, "DELETE FROM stream_presence WHERE worker = ?",
                DB_PARAMS(DB_STR(worker())), &res) != DB_OK)
        log_warn("events: presence rows of this worker not cleared: %s", db_last_error(ev->db));
}

void ws_online_stop(struct ev *ev)
{
    stopped = 1;
    if (flush_ev != NULL)
        loop_timer_stop(ev->loop, &flush_timer);
    for (size_t b = 0; b < BUCKETS; b++)
        while (buckets[b] != NULL) {
            struct pending *e = buckets[b];
            buckets[b] = e->next;
            free(e);
        }
    if (db_usable(ev))
        ws_online_reset(ev);
}

void ws_online_refresh(struct ev *ev)
{
    if (!db_usable(ev))
        return;
    struct db_result *res;
    if (db_exec(ev->db, scratch,
                "UPDATE stream_presence SET seen_at = NOW(3) WHERE worker = ? AND streams > 0",
                DB_PARAMS(DB_STR(worker())), &res) != DB_OK)
        log_warn("events: presence not refreshed: %s", db_last_error(ev->db));
}

long events_streams_elsewhere(struct ev *ev, const char *tenant_id)
{
    if (!db_usable(ev))
        return 0;
    struct db_result *res;
    if (db_exec(ev->db, scratch,
                "SELECT COALESCE(SUM(streams), 0) FROM stream_presence WHERE tenant_id = ?"
                " AND worker <> ? AND streams > 0 AND seen_at > NOW(3) - INTERVAL ? SECOND",
                DB_PARAMS(DB_STR(tenant_id), DB_STR(worker()), DB_INT(PRESENCE_TTL_S)),
                &res) != DB_OK) {
        log_warn("events: other workers' streams not counted: %s", db_last_error(ev->db));
        return 0;
    }
    const char *v = res->nrows ? db_cell(res, 0, 0) : NULL;
    return v ? strtol(v, NULL, 10) : 0;
}

int ws_online_query(struct ev *ev, const char *tenant_id, const char *user_id)
{
    if (!db_usable(ev))
        return DB_UNAVAILABLE;
    struct db_result *res;
    int rc = db_exec(ev->db, scratch,
                     "SELECT (SELECT COUNT(*) FROM stream_presence WHERE tenant_id = ? AND"
                     " user_id = ? AND streams > 0 AND seen_at > NOW(3) - INTERVAL ? SECOND)"
                     " + (SELECT COUNT(*) FROM agent_states WHERE tenant_id = ? AND user_id = ?"
                     " AND presence <> 'offline')",
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(user_id), DB_INT(PRESENCE_TTL_S),
                               DB_STR(tenant_id), DB_STR(user_id)),
                     &res);
    int on = rc;
    if (rc == DB_OK) {
        const char *v = res->nrows ? db_cell(res, 0, 0) : NULL;
        on = v != NULL && strcmp(v, "0") != 0;
    }
    return on;
}

int ws_chat_typing(struct ev *ev, const char *tenant_id, const char *chat_session,
                   const char *agent_id, int typing)
{
    if (!db_usable(ev))
        return DB_UNAVAILABLE;
    struct json_object *o = json_object_new_object();
    char audience[96];
    snprintf(audience, sizeof(audience), "chat:%s", chat_session);
    int rc = DB_ERROR;
    if (json_set_str(o, "session_id", chat_session) != 0 ||
        json_set_str(o, "sender_type", agent_id ? "agent" : "visitor") != 0 ||
        json_set_str(o, "sender_id", agent_id ? agent_id : "") != 0 ||
        json_set_bool(o, "is_typing", typing) != 0)
        goto out;
    const char *payload = json_text(o, NULL);
    struct db_result *res;
    /* Written only for a session of the tenant that is still going (an agent names it). */
    rc = db_exec(ev->db, scratch,
                 "INSERT INTO call_events (tenant_id, type, audience, payload)"
                 " SELECT ?, 'chat.typing', ?, ? FROM chat_sessions WHERE tenant_id = ?"
                 " AND id = ? AND status IN ('waiting','active','transferring')",
                 DB_PARAMS(DB_STR(tenant_id), DB_STR(audience), DB_STR(payload),
                           DB_STR(tenant_id), DB_STR(chat_session)),
                 &res);
    /* Numbered like every event (a short wait on the tenant's sequence row while a
     * transaction of the tenant commits; bounded by event_db_timeout_seconds). */
    if (rc == DB_OK && res->affected_rows == 1)
        rc = event_seq_note(ev->db, tenant_id, res->insert_id);
    if (rc != DB_OK)
        log_warn("events: typing not written: %s", db_last_error(ev->db));
    else if (res->affected_rows == 0)
        rc = 1;
out:
    json_object_put(o);
    return rc;
}
