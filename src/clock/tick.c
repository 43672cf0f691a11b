/*
 * One tick of the clock: each kind of due work is found by an indexed query over all
 * tenants, then each item is moved in its own transaction, as its tenant (the move's
 * queries are scoped by that tenant like a request's). The move itself checks, under its
 * row lock, that the item is still due: a request or another clock may have got there
 * first, and then the move does nothing.
 */
#include <stdbool.h>
#include <string.h>

#include "chat_store.h"
#include "clock.h"
#include "daemon.h"
#include "db.h"
#include "event_out.h"
#include "log.h"
#include "outbound.h"
#include "queue_dist.h"
#include "recording.h"
#include "request.h"
#include "sip_store.h"
#include "ticket_store.h"
#include "txn.h"

/* The largest batch of offers one dispatch transaction makes. */
#define DISPATCH_BATCH 20

struct phase {
    const char *name;
    /* selects (tenant_id, id) of due items, at most CLOCK_BATCH (bound as the one param) */
    const char *sql;
    int (*move)(struct request *r, const char *id, int *moved);
};

static int move_expire(struct request *r, const char *id, int *moved)
{
    *moved = 1;
    return qoffer_expire(r, id);
}

static int move_unavailable(struct request *r, const char *id, int *moved)
{
    *moved = 1;
    return qoffer_withdraw_unavailable(r, id);
}

static int move_wrapup(struct request *r, const char *id, int *moved)
{
    *moved = 1;
    return qagent_wrapup_end(r, id);
}

static int move_overflow(struct request *r, const char *id, int *moved)
{
    *moved = 1;
    return qcall_overflow(r, id);
}

static int move_dispatch(struct request *r, const char *id, int *moved)
{
    return qdist_dispatch(r, id, DISPATCH_BATCH, moved);
}

static int move_stats(struct request *r, const char *id, int *moved)
{
    *moved = 1;
    return qstats_emit(r, id);
}

static int move_chat_missed(struct request *r, const char *id, int *moved)
{
    *moved = 1;
    return chat_session_miss(r, id);
}

static int move_chat_dispatch(struct request *r, const char *id, int *moved)
{
    return chat_session_dispatch(r, id, moved);
}

/* A dial its agent never ended (the browser closed): ended as Abandoned, so its CDR is
 * written and it reaches the analytics. Ended meanwhile: nothing to do. */
static int move_dial_abandoned(struct request *r, const char *id, int *moved)
{
    struct outbound_end e = {.id = id, .outcome = "Abandoned"};
    int rc = outbound_end_call(r, &e);
    *moved = rc == DB_OK;
    return rc == 1 || rc == 2 ? DB_OK : rc;
}

static const struct phase phases[] = {
    {"expire offers",
     "SELECT tenant_id, id FROM queue_offers WHERE status = 'pending'"
     " AND expires_at <= NOW(3) ORDER BY expires_at LIMIT ?",
     move_expire},
    {"withdraw offers of agents gone",
     "SELECT o.tenant_id, o.id FROM queue_offers o JOIN agent_states a"
     " ON a.tenant_id = o.tenant_id AND a.user_id = o.user_id"
     " WHERE o.status = 'pending' AND a.presence <> 'available' LIMIT ?",
     move_unavailable},
    {"end wrap-ups",
     "SELECT tenant_id, user_id AS id FROM agent_states WHERE activity = 'wrap_up'"
     " AND wrapup_until <= NOW(3) ORDER BY wrapup_until LIMIT ?",
     move_wrapup},
    {"max wait",
     "SELECT tenant_id, id FROM queue_calls WHERE status IN ('waiting','offered')"
     " AND deadline_at <= NOW(3) ORDER BY deadline_at LIMIT ?",
     move_overflow},
    {"dispatch",
     "SELECT DISTINCT tenant_id, queue_id AS id FROM queue_calls"
     " WHERE status = 'waiting' AND next_offer_at <= NOW(3) LIMIT ?",
     move_dispatch},
    {"queue stats",
     "SELECT tenant_id, queue_id AS id FROM queue_live_marks WHERE dirty_at IS NOT NULL"
     " AND (sent_at IS NULL OR (dirty_at > sent_at AND sent_at <= NOW(3) - INTERVAL 1 SECOND))"
     " LIMIT ?",
     move_stats},
    /* Tickets' SLA (ticket_store.h): the index of each leads with the breach mark. */
    {"ticket first response SLA",
     "SELECT tenant_id, id FROM tickets WHERE first_response_breached_at IS NULL"
     " AND first_response_at IS NULL AND first_response_due_at <= NOW()"
     " ORDER BY first_response_due_at LIMIT ?",
     ticket_breach_first_response},
    {"ticket resolution SLA",
     "SELECT tenant_id, id FROM tickets WHERE resolution_breached_at IS NULL"
     " AND resolved_at IS NULL AND due_at <= NOW() ORDER BY due_at LIMIT ?",
     ticket_breach_resolution},
    {"chat waits over",
     "SELECT tenant_id, id FROM chat_sessions WHERE status = 'waiting'"
     " AND wait_until <= NOW() ORDER BY wait_until LIMIT ?",
     move_chat_missed},
    {"chat handovers",
     "SELECT s.tenant_id, s.id FROM chat_sessions s WHERE s.status = 'waiting'"
     " AND s.handover_at IS NOT NULL AND EXISTS (SELECT 1 FROM chat_agents ca"
     "  WHERE ca.tenant_id = s.tenant_id AND ca.status = 'online'"
     "  AND ca.current_chats < ca.max_concurrent_chats) ORDER BY s.handover_at LIMIT ?",
     move_chat_dispatch},
    /* Dialled calls (phone_as_sent is theirs alone) live past OUTBOUND_ABANDON_HOURS. */
    {"abandoned dials",
     "SELECT tenant_id, id FROM calls WHERE direction = 'outbound'"
     " AND status IN ('connecting','ringing','connected','on_hold')"
     " AND start_time < NOW(3) - INTERVAL " OUTBOUND_ABANDON_HOURS_SQL " HOUR"
     " AND phone_as_sent IS NOT NULL ORDER BY start_time LIMIT ?",
     move_dial_abandoned},
    /* Recordings past their tenant's retention (recording.h): the row, then its file. */
    {"recording retention",
     "SELECT tenant_id, id FROM recordings WHERE expires_at <= NOW() ORDER BY expires_at"
     " LIMIT ?",
     recording_expire},
    /* SIP registrations due for a refresh (sip_store.h). Last, and two a tick: each
     * REGISTER may wait sip_timeout_ms for a registrar that is down, and the phases above
     * must not wait behind it (the batch parameter is taken, not used, hence `? > 0`). */
    {"sip re-registration",
     "SELECT tenant_id, id FROM sip_trunks WHERE refresh_at <= NOW(3) AND ? > 0"
     " ORDER BY refresh_at LIMIT 2",
     sip_refresh_due},
};

struct item {
    const struct phase *phase;
    const char *id;
    int moved;
};

static int item_step(struct request *r, void *arg)
{
    struct item *it = arg;
    return it->phase->move(r, it->id, &it->moved);
}

static int phase_run(struct daemon_ctx *ctx, const struct phase *p)
{
    struct db_result *due;
    int rc = db_exec(ctx->db, ctx->arena, p->sql, DB_PARAMS(DB_INT(CLOCK_BATCH)), &due);
    if (rc != DB_OK) {
        log_warn("clock: %s: cannot read due work (%s)", p->name, db_last_error(ctx->db));
        return 0;
    }
    int moved = 0;
    for (size_t i = 0; i < due->nrows; i++) {
        struct request r;
        struct item it = {p, db_get(due, i, "id"), 0};
        daemon_request(&r, ctx, "CLOCK", db_get(due, i, "tenant_id"));
        rc = txn_run(&r, item_step, &it);
        if (rc != DB_OK && rc != TXN_ANSWERED)
            log_warn("clock: %s %s: %s", p->name, it.id, db_last_error(ctx->db));
        else
            moved += it.moved;
    }
    return moved;
}

int clock_tick(struct daemon_ctx *ctx)
{
    int moved = 0;
    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
        moved += phase_run(ctx, &phases[i]);
    if (moved > 0) {
        struct request r;
        daemon_request(&r, ctx, "CLOCK", NULL);
        event_wake(&r);
    }
    return moved;
}
