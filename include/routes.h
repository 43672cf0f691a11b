#ifndef SB_ROUTES_H
#define SB_ROUTES_H
/* Handlers, one resource per file under src/routes/, and the route table. */
#include <stdbool.h>
#include <stddef.h>
#include "router.h"

struct request;
struct arena;

/* Every route (route_table.c), built before main() from the modules' groups. */
extern const struct route *route_table;
extern size_t route_table_len;

extern const struct route_group health_routes, auth_routes, tenants_routes, users_routes,
    departments_routes, agents_routes, dids_routes, integrations_routes, webhooks_routes,
    calls_routes, events_routes;

/*
 * Verifies the bearer token and the session/user/tenant behind it; answers 401/503 itself.
 * A successful check is cached in memcached under the tenant's auth generation;
 * auth_changed() moves that generation and must follow (after commit) every write that
 * can end a session or change who may do what: revocations, password changes, user
 * activation, role or deletion, tenant status. A missed bump is bounded by a short TTL.
 */
int auth_authenticate(struct request *r);

/*
 * Password checks (src/routes/pwcheck.c). pwcheck_before answers 429 (or 503) and
 * returns -1 while the e-mail or the client's address is locked; else 0. After a check,
 * pwcheck_passed, or pwcheck_failed (counts it; 1 when that locked the e-mail or the
 * address) and pwcheck_audit for each user the e-mail names (`what`: "login", …).
 */
int pwcheck_before(struct request *r, const char *email);
int pwcheck_failed(struct request *r, const char *email);
void pwcheck_audit(struct request *r, const char *email, const char *tenant_id,
                   const char *user_id, const char *what, int locked);
void pwcheck_passed(struct request *r, const char *email);
void auth_changed(struct request *r, const char *tenant_id);
#include "audit.h"

/*
 * The user object of the API (users joined with their role) as a new JSON reference.
 * Returns DB_OK, 1 when there is no such user in that tenant, or a negative db_rc.
 */
struct json_object;
int user_fetch_json(struct request *r, const char *tenant_id, const char *user_id,
                    struct json_object **out);

/*
 * Inside a write's transaction: answers {success, user} with status for the user as it
 * now is. DB_OK, or a negative db_rc (nothing answered).
 */
int user_answer(struct request *r, int status, const char *tenant_id, const char *id);
/* Answers {success, user} for that user, or 404/503/500. */
int user_reply(struct request *r, int status, const char *tenant_id, const char *user_id);

/*
 * Live events. event_emit() writes one row of call_events inside the caller's
 * transaction (payload: a JSON object's text, or NULL); after the commit, event_wake()
 * pokes the event worker so it reads at once instead of at its next poll.
 */
int event_emit(struct request *r, const char *type, const char *call_id,
               const char *payload_json);
void event_wake(struct request *r);
/* From inside a txn_run() step: event_wake() once the transaction has committed. */
void event_wake_after_commit(struct request *r);

/*
 * The tenant's Twilio auth token, decrypted into out (at least 65 bytes).
 * DB_OK, 1 when the tenant has none, or a negative db_rc.
 */
int integration_twilio_token(struct request *r, const char *tenant_id, char *out, size_t size);

/*
 * Twilio's request signature: base64(HMAC-SHA1(token, url + every param name and value,
 * sorted by name, then value)). Pure; in the arena; NULL when out of memory.
 */
struct query_pair;
char *twilio_signature(struct arena *a, const char *token, const char *url,
                       const struct query_pair *params, size_t n);

/*
 * Inside the caller's transaction (r->auth.tenant_id is the call's tenant):
 * calls_insert creates a call and emits call_started; calls_set_status moves a call to
 * `status` (live or finished) and emits its event. A finished call never goes back to
 * live; finishing computes ai/transfer minutes and gives transfer capacity back.
 * duration < 0 means "measure it". Both return DB_OK or a negative db_rc.
 */
struct call_new {
    const char *call_sid, *caller_number, *called_number, *direction, *status;
    const char *current_flow, *flow_id, *context_json;
};
int calls_insert(struct request *r, const struct call_new *c, const char **id_out);
int calls_set_status(struct request *r, const char *call_id, const char *status,
                     long long duration);
bool call_status_is_live(const char *status);
/* After a commit that changed calls: cached call-log counts of the tenant are dropped. */
void calls_changed(struct request *r);
bool call_status_is_known(const char *status);

#endif
