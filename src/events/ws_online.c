/*
 * Presence and the visitor's typing: the event worker's few writes (ws_internal.h).
 *
 * Presence: a user is online while any event worker holds a staff stream of theirs (SSE
 * or WebSocket) or their agent presence is not offline. Each worker counts its streams
 * per user in stream_presence (sql/020) under its own name (host:pid) and refreshes
 * seen_at every PRESENCE_REFRESH_MS while the count is above 0 (ws_online_refresh, from
 * the housekeeping-like timer in ws_online_start); a row not refreshed for PRESENCE_TTL_S
 * is a worker that died and no longer counts.
 *
 * While the feed finds the database away nothing is written (a query would hold the
 * loop): presence may then lag, never block streams.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "arena.h"
#include "db.h"
#include "events.h"
#include "jsonutil.h"
#include "log.h"
#include "ws_internal.h"

#define PRESENCE_TTL_S 90

static char worker_name[128];
static int stopped; /* shutting down: the rows went in one statement */
static struct arena *scratch; /* not scratch: these run inside handlers that use it */

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

void ws_online_note(struct ev *ev, const char *tenant_id, const char *user_id, int delta)
{
    if (stopped || user_id == NULL || user_id[0] == '\0' || !db_usable(ev))
        return;
    struct db_result *res;
    int rc = db_exec(ev->db, scratch,
                     "INSERT INTO stream_presence (tenant_id, user_id, worker, streams, seen_at)"
                     " VALUES (?, ?, ?, GREATEST(?, 0), NOW(3)) ON DUPLICATE KEY UPDATE"
                     " streams = GREATEST(CAST(streams AS SIGNED) + ?, 0), seen_at = NOW(3)",
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(user_id), DB_STR(worker()),
                               DB_INT(delta), DB_INT(delta)),
                     &res);
    if (rc != DB_OK)
        log_warn("events: presence of user %s not noted: %s", user_id, db_last_error(ev->db));
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

int ws_chat_typing(struct ev *ev, const char *tenant_id, const char *chat_session, int typing)
{
    if (!db_usable(ev))
        return DB_UNAVAILABLE;
    struct json_object *o = json_object_new_object();
    char audience[96];
    snprintf(audience, sizeof(audience), "chat:%s", chat_session);
    int rc = DB_ERROR;
    if (json_set_str(o, "session_id", chat_session) != 0 ||
        json_set_str(o, "sender_type", "visitor") != 0 || json_set_bool(o, "is_typing", typing) != 0)
        goto out;
    const char *payload = json_text(o, NULL);
    struct db_result *res;
    rc = db_exec(ev->db, scratch,
                 "INSERT INTO call_events (tenant_id, type, audience, payload)"
                 " VALUES (?, 'chat.typing', ?, ?)",
                 DB_PARAMS(DB_STR(tenant_id), DB_STR(audience), DB_STR(payload)), &res);
    if (rc != DB_OK)
        log_warn("events: visitor typing not written: %s", db_last_error(ev->db));
out:
    json_object_put(o);
    return rc;
}
