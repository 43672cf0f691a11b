#ifndef SB_ROUTES_H
#define SB_ROUTES_H
/* Handlers, one resource per file under src/routes/, and the route table. */
#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "auth.h"
#include "event_out.h"
#include "fields.h"
#include "router.h"

struct request;
struct arena;
struct json_object;
struct db_result;

/* Every route (route_table.c), built before main() from the modules' groups. */
extern const struct route *route_table;
extern size_t route_table_len;

extern const struct route_group health_routes, auth_routes, profile_routes, tenants_routes,
    users_routes, departments_routes, agents_routes, dids_routes, integrations_routes,
    webhooks_routes, calls_routes, transfers_routes, call_logs_routes, events_routes,
    metrics_routes, openapi_routes;
/* Issue 8: queues and their members (queues.c, queue_members.c). */
extern const struct route_group queues_routes, queue_members_routes;
extern const struct route_group agent_state_routes;
/* Issue 8: password reset by an outbox token (password_reset.c). */
extern const struct route_group password_reset_routes;
/* Issue 8: calls in queues and offers (queue_calls.c). */
extern const struct route_group queue_calls_routes;
/* Issue 9: the signed-in user's notifications (notifications.c). */
extern const struct route_group notifications_routes;
extern const struct route_group cdr_routes, cdr_stats_routes;
/* Issue 9: tickets (tickets.c, ticket_views.c, ticket_stats.c). */
extern const struct route_group tickets_routes, ticket_views_routes, ticket_stats_routes;
/* Issue 9: contacts, the audit log, surveys (contacts.c, audit_logs.c, surveys.c,
 * survey_stats.c, survey_public.c). */
extern const struct route_group contacts_routes, audit_logs_routes, surveys_routes,
    survey_stats_routes, survey_public_routes;
/* Issue 9: live chat (chat_widgets.c, chat_public.c, chat_sessions.c, chat_agents.c). */
extern const struct route_group chat_widgets_routes, chat_public_routes, chat_sessions_routes,
    chat_agents_routes;
/* Issue 9: outgoing webhooks (webhooks_out.c; delivery: src/hooks). */
extern const struct route_group webhooks_out_routes;
/* Issue 10: outbound calls, coldcaller's dialer (outbound_calls.c, outbound_end.c,
 * outbound_lists.c, outbound_analytics.c; the store: outbound.h). */
extern const struct route_group outbound_calls_routes, outbound_end_routes,
    outbound_lists_routes, outbound_analytics_routes;
/* Issue 10: call recordings (recordings.c; files and retention: recording.h). */
extern const struct route_group recordings_routes, recording_webhook_routes;
/* Issue 10: SIP trunks (sip.c; the trunk itself: sip_store.h, sip_client.h). */
extern const struct route_group sip_routes;
/* Issue 10: coldcaller's realtime metrics of outbound calls (call_metrics.c; its health
 * routes are health.c's). */
extern const struct route_group call_metrics_routes;
/* Issue 11: IVR content items (ivr_content.c, calldocker) and the callcenter menus with
 * their options (ivr_menus.c, ivr_options.c; the menu as a graph: ivr_menu.h). */
extern const struct route_group ivr_content_routes, ivr_menus_routes, ivr_options_routes;
/* A menu record's `options` (its resource's attach, ivr_options.c): DB_OK or a db_rc. */
struct json_object;
int ivr_options_attach(struct request *r, const char *menu_id, struct json_object *menu);

/*
 * The CDR routes' time parameter `key` (cdr_parse_time, cdr.c): 1 with *t (Unix seconds),
 * 0 when absent, -1 with a 422 reason recorded. A date alone as an end (is_end) means the
 * end of that day.
 */
int cdr_query_time(struct request *r, const char *key, bool is_end, long long *t);
/*
 * The CDRs of the caller's tenant matching where's clauses (after the tenant's; on `cdrs c`
 * joined to q (queues) and u (users)), newest first, streamed as CSV: text/csv, cdrs.csv,
 * a row at a time (cdr.c). 0, or -1 when an error was answered before the stream began.
 */
struct qb;
int cdr_csv_export(struct request *r, const struct qb *where);
/*
 * The windowed KPIs of cdr_stats.c for bucket starts from <= b < to (Unix seconds, whole
 * 15-minute buckets): cdr_stats_sums gives the tenant's figures (offered, answered,
 * abandoned, service_level, asa, aht…, as /api/cdr/stats), cdr_stats_agents the per-agent
 * array (user_id, name, handled, talk_time, aht, occupancy…); both arena-owned.
 * cdr_stats_day_start: midnight of now's day in the tenant's zone. DB_OK or a db_rc.
 */
int cdr_stats_sums(struct request *r, long long from, long long to, struct json_object **out);
int cdr_stats_agents(struct request *r, long long from, long long to, struct json_object **out);
int cdr_stats_day_start(struct request *r, long long now, long long *start);

/* The auth paths: the calldocker and coldcaller clients call them, and our own clients read
 * the transfer dialect's shape (tokens on top). */
#define SHARED_AUTH (FAM_TRANSFER | FAM_CALLDOCKER | FAM_COLDCALLER)

/*
 * Inside a write's transaction: queue_id must be a queue of the caller's tenant; it stays
 * locked in share mode until the commit, so a queue delete waits and then sees the
 * reference (what DID routing and IVR options call before pointing at a queue). DB_OK,
 * TXN_ANSWERED (a 422 naming field), or a negative db_rc.
 */
int queue_refer(struct request *r, const char *queue_id, const char *field);
/* Inside a write's transaction, before the members of queue_id go (a queue delete):
 * queue.member.removed for each of them. DB_OK or a negative db_rc. */
int queue_members_removed(struct request *r, const char *queue_id);


/*
 * The user object of the API (users joined with their role), of the caller's tenant
 * (r->auth.tenant_id), arena-owned. DB_OK, 1 when absent, or a negative db_rc.
 */
struct json_object;
int user_fetch_json(struct request *r, const char *user_id, struct json_object **out);
/* Inside a write's transaction: answers {…, user} with status for the user as it now is.
 * DB_OK, or a negative db_rc (nothing answered). */
int user_answer(struct request *r, int status, const char *id);


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
/* A Twilio webhook's X-Twilio-Signature (non-empty) checked against tenant_id's token over
 * the public URL and the form: 0, or answered 403 (unconfigured: the message when the
 * tenant has no Twilio token) or 5xx, -1. */
int twilio_request_verify(struct request *r, const char *tenant_id, const char *signature,
                          const struct query_pair *form, size_t n, const char *unconfigured);
/* A Twilio webhook about a call to one of our numbers: the form (*form, *n), the tenant
 * owning its active `To` number (*tenant_id), the signature checked with that tenant's
 * token. 0, or -1 answered (403 unsigned or wrong, 404 not our number, 422 no To). */
int twilio_called_tenant(struct request *r, struct query_pair **form, size_t *n,
                         const char **tenant_id);

/*
 * Inside the caller's transaction (r->auth.tenant_id is the call's tenant):
 * calls_insert creates a call and emits call_started; calls_set_status moves a call to
 * `status` (live or finished) and emits its event. A finished call never goes back to
 * live; finishing computes ai/transfer minutes and gives transfer capacity back.
 * duration < 0 means "measure it". Both return DB_OK or a negative db_rc.
 */
struct call_new {
    const char *id; /* NULL: a new one */
    const char *call_sid, *caller_number, *called_number, *direction, *status;
    const char *current_flow, *flow_id, *context_json;
};
int calls_insert(struct request *r, const struct call_new *c, const char **id_out);
/*
 * The call of a CallSid (any tenant: the key is global), locked until the commit: *res has
 * {id, tenant_id}, no row when there is none. It takes no gap lock (a locking read of an
 * absent key would, and two new calls would deadlock on their inserts): the caller inserts,
 * and calls_insert's DB_DUPLICATE (the same call racing) is to be returned as DB_DEADLOCK,
 * so the transaction is retried and finds the other's row. DB_OK or a db_rc.
 */
int calls_lock_sid(struct request *r, const char *call_sid, struct db_result **res);
int calls_set_status(struct request *r, const char *call_id, const char *status,
                     long long duration);
bool call_status_is_live(const char *status);
bool call_status_is_known(const char *status);
/* Our call statuses, and the words other clients use for them (calls.c). */
extern const char *const call_statuses[];
extern const struct field_word call_status_words[];
/* call_events row for the call, payload (released) as its fields. DB_OK or a db_rc. */
int call_emit(struct request *r, const char *type, const char *call_id,
              struct json_object *payload);
/* Inside every call write's transaction: after the commit, the event worker is woken and
 * the tenant's "calls" cache namespace moves (the live list, call-log counts). */
void calls_written(struct request *r);

/* SQL of the live statuses, and a transfer row with its department's and agent's names. */
#define LIVE_SQL "('ringing','active','on_hold','transferring','connected')"
#define TRANSFER_COLUMNS                                                                    \
    "t.id, t.call_id, t.to_department_id AS department_id, d.name AS target_department,"   \
    " t.agent_id, a.name AS agent_name, t.transfer_type, t.transfer_reason,"               \
    " t.urgency_level, t.status, t.transfer_time, t.connection_time, t.completion_time,"   \
    " t.context FROM call_transfers t"                                                     \
    " LEFT JOIN departments d ON d.tenant_id = t.tenant_id AND d.id = t.to_department_id"  \
    " LEFT JOIN agents a ON a.tenant_id = t.tenant_id AND a.id = t.agent_id"
extern const char *const transfer_json_cols[];

/* Issue 11: IVR flows, sessions, the Twilio voice webhook, analytics (ivr_flows.c,
 * ivr_sessions.c, ivr_voice.c, ivr_stats.c; the engine and store: ivr.h). */
extern const struct route_group ivr_flows_routes, ivr_sessions_routes, ivr_voice_routes,
    ivr_stats_routes;

/* Issue 10: leads, campaigns and the do-not-call list (leads.c, campaigns.c, dnc.c). */
extern const struct route_group leads_routes, campaigns_routes, dnc_routes;

/* Issue 11: SMS (sms.c, sms_webhook.c), speed dials, call tags. */
extern const struct route_group sms_routes, sms_webhook_routes, speed_dials_routes,
    call_tags_routes;
/* Inside a step: the sms.received / sms.status event of message id ({sms_id, status}) for
 * the tenant's live views, the event worker woken after the commit. DB_OK or a db_rc. */
int sms_event(struct request *r, const char *type, const char *id, const char *status);

/* Issue 11: companies (tenants seen from the calldocker family), the platform admin and
 * company registrations (companies.c, admin.c, admin_widget.c, registrations.c,
 * registration_approve.c; provisioning: company_store.h). */
extern const struct route_group companies_routes, admin_routes, admin_widget_routes,
    registrations_routes, registration_approve_routes;
/* tenants.c's declarations, which the company routes serve too. */
struct resource;
#define TENANT_NFIELDS 6
extern const struct resource tenant_resource;
extern const struct field_def tenant_fields[TENANT_NFIELDS];
/* The body of a status change: {status: active|suspended}. */
extern const struct field_def tenant_status_field[1];
/* GET of a page of tenants (deleted ones hidden unless ?status=deleted asks for them). */
int tenant_list(struct request *r);
/* Sets a tenant's status from the body {status: active|suspended}; answers the tenant. */
int tenant_set_status(struct request *r);
/* True when the caller may see tenant id: a super_admin any, others their own. */
bool tenant_may_see(const struct request *r, const char *id);
/* What tenant id uses (counts against its limits), arena-owned: DB_OK with *out, 1 when
 * absent (or deleted), or a negative db_rc. */
int tenant_usage_json(struct request *r, const char *id, struct json_object **out);
/* company_registrations (registrations.c): not tenant-scoped, a super_admin's. */
extern const struct resource registration_resource;
/* Issue 11: schedules, the blacklist, voicemail (schedules.c, blacklist.c, voicemail*.c). */
extern const struct route_group schedules_routes, blacklist_routes, voicemail_boxes_routes,
    voicemail_messages_routes, voicemail_webhook_routes;
/*
 * Issue 11, the calldocker family's rest (company_scope.c, cd_*.c, settings.c,
 * preferences.c). company_scope: the route's `:companyId` is the caller's tenant, or, for
 * a super_admin, any tenant not deleted, which r->auth.tenant_id then becomes; else it
 * answers 404 (or 5xx). 0 or -1.
 */
int company_scope(struct request *r);
/* The user an agent id names: an `/api/agents` record's user, or a user of the tenant
 * (cd_agents.c). DB_OK with *user (arena), 1 when it is neither, or a db_rc. */
int agent_user_of(struct request *r, const char *id, const char **user);
extern const struct route_group cd_agents_routes, cd_queue_routes, cd_analytics_routes,
    cd_export_routes, settings_routes, preferences_routes, cd_webhooks_routes;

#endif
