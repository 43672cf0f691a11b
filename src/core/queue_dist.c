/*
 * The distributor: offers the head of a queue to the agent (or, ringall, the agents) its
 * strategy picks. See queue_dist.h for the lock order and the two guarantees.
 */
#include <stdbool.h>
#include <string.h>

#include "db.h"
#include "queue_dist.h"
#include "queue_internal.h"
#include "request.h"
#include "txn.h"

/*
 * Members who may take the call now, best first: the lowest tier (penalty) first, then
 * the strategy's order. Those who let this call's offer expire or declined it in this
 * round are left out. The reservation (agent_reserve) checks capacity again under the
 * row lock; this read only orders.
 */
#define CANDIDATES(order)                                                                     \
    "SELECT m.user_id, m.penalty, m.position FROM queue_members m"                            \
    " JOIN agent_states a ON a.tenant_id = m.tenant_id AND a.user_id = m.user_id"             \
    " WHERE m.tenant_id = ? AND m.queue_id = ? AND m.is_paused = 0"                           \
    " AND a.presence = 'available' AND a.activity <> 'wrap_up'"                               \
    " AND a.active_calls < a.capacity AND NOT EXISTS (SELECT 1 FROM queue_offers o"           \
    " WHERE o.tenant_id = m.tenant_id AND o.queue_call_id = ? AND o.round = ?"                \
    " AND o.user_id = m.user_id) ORDER BY m.penalty, " order " LIMIT 64"

struct strategy {
    const char *name;
    const char *sql;
    bool all;      /* offer to every candidate of the best tier (ringall) */
    bool rr;       /* ORDER BY takes the last position offered (roundrobin) */
};

static const struct strategy strategies[] = {
    {"ringall", CANDIDATES("m.position, m.user_id"), true, false},
    /* After the member offered last, wrapping round to the first. */
    {"roundrobin", CANDIDATES("m.position <= ?, m.position, m.user_id"), false, true},
    /* Longest idle since their last call; never called first. */
    {"leastrecent",
     CANDIDATES("a.last_call_ended_at IS NOT NULL, a.last_call_ended_at, m.position, m.user_id"),
     false, false},
    /* Fewest answered today (UTC day), then longest idle. */
    {"fewestcalls",
     CANDIDATES("IF(a.calls_day = UTC_DATE(), a.calls_answered_today, 0),"
                " a.last_call_ended_at IS NOT NULL, a.last_call_ended_at, m.position, m.user_id"),
     false, false},
    {"random", CANDIDATES("RAND()"), false, false},
    {"linear", CANDIDATES("m.position, m.user_id"), false, false},
};

static const struct strategy *strategy_of(const char *name)
{
    for (size_t i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++)
        if (name != NULL && strcmp(strategies[i].name, name) == 0)
            return &strategies[i];
    return &strategies[0];
}

/* The queue row, locked: the one lock that makes dispatches of a queue take turns. */
static int queue_lock(struct request *r, const char *queue_id, struct db_result **q)
{
    return db_exec(r->db, r->arena,
                   "SELECT id, name, strategy, timeout, rr_last_position, is_active FROM queues"
                   " WHERE id = ? AND tenant_id = ? FOR UPDATE",
                   DB_PARAMS(DB_STR(queue_id), DB_STR(r->auth.tenant_id)), q);
}

/* The head of the line whose retry delay has passed, locked. */
static int head_lock(struct request *r, const char *queue_id, struct db_result **c)
{
    return db_exec(r->db, r->arena,
                   "SELECT id, round, tries, call_id FROM queue_calls"
                   " WHERE tenant_id = ? AND queue_id = ? AND status = 'waiting'"
                   " AND next_offer_at <= NOW(3)"
                   " ORDER BY priority DESC, entered_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                   DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(queue_id)), c);
}

static int candidates(struct request *r, const struct strategy *s, const char *queue_id,
                      const char *qcall_id, long long round, long long rr,
                      struct db_result **out)
{
    const char *tid = r->auth.tenant_id;
    if (s->rr)
        return db_exec(r->db, r->arena, s->sql,
                       DB_PARAMS(DB_STR(tid), DB_STR(queue_id), DB_STR(qcall_id),
                                 DB_INT(round), DB_INT(rr)),
                       out);
    return db_exec(r->db, r->arena, s->sql,
                   DB_PARAMS(DB_STR(tid), DB_STR(queue_id), DB_STR(qcall_id), DB_INT(round)),
                   out);
}

int qoffer_insert(struct request *r, const struct db_result *q, const char *qcall_id,
                  long long round, const char *user_id, const char **id_out)
{
    const char *offer_id = id_new_offer(r);
    if (offer_id == NULL)
        return DB_ERROR;
    if (id_out != NULL)
        *id_out = offer_id;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO queue_offers (id, tenant_id, queue_call_id, queue_id, user_id,"
                     " round, status, offered_at, expires_at) VALUES (?, ?, ?, ?, ?, ?,"
                     " 'pending', NOW(3), NOW(3) + INTERVAL ? SECOND)",
                     DB_PARAMS(DB_STR(offer_id), DB_STR(r->auth.tenant_id), DB_STR(qcall_id),
                               DB_STR(db_get(q, 0, "id")), DB_STR(user_id), DB_INT(round),
                               DB_INT(db_get_int(q, 0, "timeout", 30))),
                     NULL);
    if (rc == DB_OK)
        rc = qevent_call(r, "call.incoming", qcall_id, user_id, offer_id);
    return rc;
}

/*
 * Offers the call to the candidates in order from *from: to the first one whose
 * reservation holds, or, ringall, to every one of the best tier whose reservation holds.
 * *made: offers made; *from: where the next call may go on (the list is in order).
 */
static int offer_round(struct request *r, const struct strategy *s, const struct db_result *q,
                       const struct db_result *cand, const char *qcall_id, long long round,
                       int *made, size_t *from)
{
    int rc = DB_OK;
    size_t i = *from;
    *made = 0;
    long long tier = i < cand->nrows ? db_get_int(cand, i, "penalty", 0) : 0;
    for (; i < cand->nrows && rc == DB_OK; i++) {
        if (s->all && db_get_int(cand, i, "penalty", 0) != tier)
            break;
        bool held = false;
        const char *user_id = db_get(cand, i, "user_id");
        rc = qagent_reserve(r, user_id, &held);
        if (rc == DB_OK && held) {
            rc = qoffer_insert(r, q, qcall_id, round, user_id, NULL);
            (*made)++;
            if (rc == DB_OK && s->rr)
                rc = db_exec(r->db, r->arena,
                             "UPDATE queues SET rr_last_position = ? WHERE id = ? AND tenant_id = ?",
                             DB_PARAMS(DB_INT(db_get_int(cand, i, "position", 0)),
                                       DB_STR(db_get(q, 0, "id")), DB_STR(r->auth.tenant_id)),
                             NULL);
            if (!s->all) {
                i++;
                break;
            }
        }
    }
    *from = i;
    return rc;
}

/*
 * Nobody could take the call. If that is because everyone free had their turn in this
 * round, a new round starts (they may be offered it again); *again says to try at once.
 */
static int round_over(struct request *r, const char *qcall_id, long long round, bool *again)
{
    struct db_result *tried;
    *again = false;
    int rc = db_exec(r->db, r->arena,
                     "SELECT 1 FROM queue_offers WHERE tenant_id = ? AND queue_call_id = ?"
                     " AND round = ? LIMIT 1",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(qcall_id), DB_INT(round)),
                     &tried);
    if (rc != DB_OK || tried->nrows == 0)
        return rc;
    *again = true;
    return db_exec(r->db, r->arena,
                   "UPDATE queue_calls SET round = round + 1 WHERE id = ? AND tenant_id = ?",
                   DB_PARAMS(DB_STR(qcall_id), DB_STR(r->auth.tenant_id)), NULL);
}

/*
 * The candidates of one dispatch, kept across its calls: a call never offered before has
 * nobody to leave out, so the calls after the first go on down the same ordered list
 * (each reservation still checks capacity under the agent's lock) instead of sorting
 * every free member again. A call offered before gets its own list.
 */
struct batch {
    struct db_result *cand;
    size_t next;
};

/* One call: offered (*offered), or left waiting; *again: try the same call at once. */
static int dispatch_head(struct request *r, const struct db_result *q, struct batch *b,
                         bool *offered, bool *again)
{
    struct db_result *c, *cand = NULL;
    const char *queue_id = db_get(q, 0, "id");
    const struct strategy *s = strategy_of(db_get(q, 0, "strategy"));
    *offered = *again = false;
    int rc = head_lock(r, queue_id, &c);
    if (rc != DB_OK || c->nrows == 0)
        return rc;
    const char *qcall_id = db_get(c, 0, "id");
    long long round = db_get_int(c, 0, "round", 0);
    bool shared = !s->all && db_get_int(c, 0, "tries", 0) == 0;
    bool reused = shared && b->cand != NULL && b->next < b->cand->nrows;
    size_t from = reused ? b->next : 0;
    if (reused)
        cand = b->cand;
    else
        rc = candidates(r, s, queue_id, qcall_id, round,
                        db_get_int(q, 0, "rr_last_position", -1), &cand);
    int made = 0;
    if (rc == DB_OK)
        rc = offer_round(r, s, q, cand, qcall_id, round, &made, &from);
    b->cand = shared ? cand : NULL;
    b->next = from;
    /* The list ran out: those after it (LIMIT 64) are read once more before giving up. */
    if (rc == DB_OK && made == 0 && reused) {
        b->cand = NULL;
        *again = true;
        return DB_OK;
    }
    if (rc == DB_OK && made == 0)
        return round_over(r, qcall_id, round, again);
    if (rc == DB_OK) {
        *offered = true;
        rc = db_exec(r->db, r->arena,
                     "UPDATE queue_calls SET status = 'offered', tries = tries + 1"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(qcall_id), DB_STR(r->auth.tenant_id)), NULL);
    }
    return rc;
}

int qdist_dispatch(struct request *r, const char *queue_id, int max_offers, int *made)
{
    struct db_result *q;
    int n = 0, rounds = 0;
    struct batch b = {NULL, 0};
    if (made != NULL)
        *made = 0;
    int rc = queue_lock(r, queue_id, &q);
    if (rc != DB_OK || q->nrows == 0 || db_get_int(q, 0, "is_active", 0) == 0)
        return rc;
    while (rc == DB_OK && n < max_offers) {
        bool offered, again;
        rc = dispatch_head(r, q, &b, &offered, &again);
        if (rc != DB_OK || (!offered && (!again || ++rounds > 1)))
            break;
        if (offered) {
            n++;
            rounds = 0;
            /* the rr position moved on: read it again for a call with its own list */
            if (strcmp(db_get(q, 0, "strategy"), "roundrobin") == 0)
                rc = queue_lock(r, queue_id, &q);
        }
    }
    if (rc == DB_OK && n > 0)
        rc = qqueue_touch(r, queue_id);
    if (made != NULL)
        *made = n;
    return rc;
}
