/*
 * Outgoing webhooks of the caller's tenant: CRUD, a test delivery, the delivery logs, stats
 * and the deliveries given up. The signing secret is made here, shown once (in the answer
 * of the create and of rotate-secret) and stored sealed under the server key (crypto.h):
 * no other answer, audit entry or log line carries it. Delivery is switchboard-hooks'
 * (src/hooks), which reads the event feed; a test is an event like any other, addressed
 * to the one webhook (audience "webhook:<id>"), so it takes the same path.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "webhook.h"

#define SECRET_PURPOSE "webhook-secret"
#define SECRET_BYTES 24 /* base64url: 32 characters after the prefix */
#define SECRET_MAX 96
#define EVENTS_MAX 100

enum { W_NAME, W_URL, W_DESC, W_ACTIVE, W_TIMEOUT, W_NFIELDS };

static const struct field_def webhook_fields[] = {
    [W_NAME] = {"name", FT_TEXT, 0, 0, 255, NULL, NULL, NULL},
    [W_URL] = {"url", FT_TEXT, F_REQUIRED, 1, 2048, NULL, NULL, NULL},
    [W_DESC] = {"description", FT_TEXT, F_NULLABLE, 0, 1024, NULL, NULL, NULL},
    [W_ACTIVE] = {"is_active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
    [W_TIMEOUT] = {"timeout_ms", FT_INT, 0, 100, 60000, NULL, NULL, NULL},
};

static const char *const webhook_columns_of[] = {"name", "url", "description", "is_active",
                                                 "timeout_ms"};
static const char *const webhook_json_cols[] = {"events", NULL};

static const struct filter_def webhook_filters[] = {
    {"is_active", FILTER_BOOL, " AND is_active = ?", NULL, NULL},
};

static const struct resource_writes webhook_writes;

/* secret_encrypted is never selected: no answer can carry it. */
static const struct resource webhooks = {
    .table = "webhooks",
    .columns = "id, tenant_id, name, description, url, events, is_active, timeout_ms,"
               " failure_count, created_by, last_triggered_at, last_success_at,"
               " last_failure_at, disabled_at, disabled_reason, created_at, updated_at",
    .tenant_col = "tenant_id",
    .json_cols = webhook_json_cols,
    .id_prefix = "wh_",
    RESOURCE_NAMES("webhook", "webhooks", "Webhook not found"),
    .order = "created_at, id",
    RESOURCE_FILTERS(webhook_filters),
    RESOURCE_FIELDS(webhook_fields, webhook_columns_of),
    .writes = &webhook_writes,
};

/* ---- input ------------------------------------------------------------------------------ */

static unsigned allowed(const struct request *r)
{
    return (r->cfg->webhook_allow_loopback ? WEBHOOK_ALLOW_LOOPBACK : 0) |
           (r->cfg->webhook_allow_private ? WEBHOOK_ALLOW_PRIVATE : 0);
}

static bool event_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '_')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '_' || s[i] == '*'))
            return false;
    return true;
}

/*
 * `events`: "*" or an array of event types (or ["*"]), as a JSON array's text in *out;
 * NULL when not sent. The field layer has no array type, so this one member is read here,
 * with the same 422 shape. 0, or -1 with the reason recorded.
 */
static int events_read(struct request *r, struct json_object *body, const char **out)
{
    struct json_object *v, *arr;
    *out = NULL;
    if (body == NULL || !json_object_object_get_ex(body, "events", &v))
        return 0;
    if (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), "*") == 0) {
        *out = "[\"*\"]";
        return 0;
    }
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    if (n == 0 || n > EVENTS_MAX) {
        request_field_error(r, "events", "must be \"*\" or an array of 1 to 100 event types");
        return -1;
    }
    if ((arr = arena_json(r->arena, json_object_new_array())) == NULL)
        return request_oom(r), -1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);
        const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";
        if (!event_name_ok(s, strlen(s)) || (strchr(s, '*') && strcmp(s, "*") != 0)) {
            request_field_error(r, "events", "must hold event types such as \"call.ended\"");
            return -1;
        }
        if (json_object_array_add(arr, json_object_new_string(s)) != 0)
            return request_oom(r), -1;
    }
    *out = arena_strdup(r->arena, json_text(arr, NULL));
    return *out ? 0 : (request_oom(r), -1);
}

/* The URL's 422 when the address policy refuses it. */
static void url_check(struct request *r, const struct field_value *v)
{
    const char *why = v->sent && v->s ? webhook_url_refusal(v->s, allowed(r)) : NULL;
    if (why != NULL)
        request_field_error(r, "url", why);
}

/* prepare (create and update): the URL policy and `events`, kept in w->data. */
static int webhook_prepare(struct request *r, struct crud_write *w)
{
    const char *events = NULL;
    if (w->op == CRUD_DELETE)
        return 0;
    url_check(r, &w->v[W_URL]);
    events_read(r, w->body, &events);
    w->data = (void *)events;
    return request_check_fields(r);
}

/* A new secret in plain text (arena) and sealed into sealed. NULL when that failed. */
static const char *secret_new(struct request *r, unsigned char sealed[SECRET_MAX])
{
    const char *token = crypto_random_token(r->arena, SECRET_BYTES);
    const char *secret = token ? arena_printf(r->arena, "whsec_%s", token) : NULL;
    if (secret == NULL || strlen(secret) + CRYPTO_SEAL_OVERHEAD > SECRET_MAX ||
        crypto_seal(r->cfg->jwt_key, r->cfg->jwt_key_len, SECRET_PURPOSE, secret,
                    strlen(secret), sealed) != 0)
        return NULL;
    return secret;
}

/* ---- create and rotate: the two answers that show the secret ---------------------------- */

struct secret_write {
    struct crud_write w;
    const char *secret;
    unsigned char sealed[SECRET_MAX];
    size_t sealed_len;
};

/* Inside the step: the record as it now is, plus `secret`, answered with status. */
static int answer_with_secret(struct request *r, const struct secret_write *s, int status)
{
    struct json_object *o = NULL;
    int rc = resource_fetch(r, &webhooks, s->w.id, &o);
    if (rc != DB_OK)
        return rc == 1 ? DB_ERROR : rc;
    if (json_set_str(o, "secret", s->secret) != 0)
        return DB_ERROR;
    return reply_one(r, status, "webhook", o) == 0 ? DB_OK : DB_ERROR;
}

static int create_step(struct request *r, void *arg)
{
    struct secret_write *s = arg;
    const char *events = s->w.data ? s->w.data : "[\"*\"]";
    const struct column_value extra[] = {
        {"events", DB_STR(events)},
        {"secret_encrypted", DB_STRN((const char *)s->sealed, s->sealed_len)},
        {"created_by", DB_STR(r->auth.user_id)},
    };
    int rc = resource_insert(r, &webhooks, s->w.id, s->w.v, extra, 3);
    if (rc == DB_OK)
        rc = resource_audit(r, &webhooks, "create", s->w.id, json_text(s->w.body, NULL));
    return rc == DB_OK ? answer_with_secret(r, s, 201) : rc;
}

static int webhook_create(struct request *r)
{
    struct field_value v[W_NFIELDS];
    struct secret_write s = {.w = {.res = &webhooks, .op = CRUD_CREATE, .v = v}};
    if (fields_declared(r, FIELDS_CREATE, v, W_NFIELDS, &s.w.body) != 0 ||
        webhook_prepare(r, &s.w) != 0)
        return -1;
    s.secret = secret_new(r, s.sealed);
    s.sealed_len = s.secret ? strlen(s.secret) + CRYPTO_SEAL_OVERHEAD : 0;
    if (s.secret == NULL || (s.w.id = id_new(r->arena, webhooks.id_prefix)) == NULL)
        return request_error(r, 500, "internal_error", "Could not make the webhook's secret");
    return crud_reply(r, &webhooks, txn_run(r, create_step, &s));
}

static int rotate_step(struct request *r, void *arg)
{
    struct secret_write *s = arg;
    struct db_result *old;
    int rc = resource_lock(r, &webhooks, s->w.id, &old);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", webhooks.not_found);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE webhooks SET secret_encrypted = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STRN((const char *)s->sealed, s->sealed_len),
                               DB_STR(s->w.id), DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = resource_audit(r, &webhooks, "rotate_secret", s->w.id, NULL);
    return rc == DB_OK ? answer_with_secret(r, s, 200) : rc;
}

static int webhook_rotate(struct request *r)
{
    struct secret_write s = {.w = {.res = &webhooks, .id = request_param(r, "id")}};
    s.secret = secret_new(r, s.sealed);
    s.sealed_len = s.secret ? strlen(s.secret) + CRYPTO_SEAL_OVERHEAD : 0;
    if (s.secret == NULL)
        return request_error(r, 500, "internal_error", "Could not make the webhook's secret");
    return txn_reply(r, txn_run(r, rotate_step, &s));
}

/* ---- update ----------------------------------------------------------------------------- */

/*
 * Only a webhook's head (its oldest pending delivery) is ever due (src/hooks/fanout.c).
 * Turned off, its pending deliveries are all parked (due at the end of time), so the
 * deliverer's scan does not read them every round; turned on again, its head is due now,
 * with a fresh retry window. The webhook row is locked (crud), as the deliverer locks it.
 */
static int park_pending(struct request *r, const char *id, bool active)
{
    if (!active)
        return db_exec(r->db, r->arena,
                       "UPDATE webhook_deliveries SET next_attempt_at = '9999-12-31 00:00:00'"
                       " WHERE webhook_id = ? AND tenant_id = ? AND state = 'pending'",
                       DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    return db_exec(r->db, r->arena,
                   "UPDATE webhook_deliveries SET next_attempt_at = NOW(3), first_attempt_at = NULL"
                   " WHERE webhook_id = ? AND tenant_id = ? AND state = 'pending'"
                   " ORDER BY event_id LIMIT 1",
                   DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
}

/* The columns besides the declared ones: events when sent; turning a webhook on again
 * clears what disabled it, so it is not disabled again by its old failures. */
static int webhook_write(struct request *r, struct crud_write *w)
{
    struct column_value extra[4];
    size_t n = 0;
    if (w->op != CRUD_UPDATE)
        return crud_write_columns(r, w);
    if (w->v[W_ACTIVE].sent) {
        int rc = park_pending(r, w->id, w->v[W_ACTIVE].b);
        if (rc != DB_OK)
            return rc;
    }
    if (w->data != NULL)
        extra[n++] = (struct column_value){"events", DB_STR(w->data)};
    if (w->v[W_ACTIVE].sent && w->v[W_ACTIVE].b) {
        extra[n++] = (struct column_value){"failure_count", DB_INT(0)};
        extra[n++] = (struct column_value){"disabled_at", DB_NULL};
        extra[n++] = (struct column_value){"disabled_reason", DB_NULL};
    }
    return resource_update(r, &webhooks, w->id, w->v, extra, n);
}

static const struct resource_writes webhook_writes = {
    .prepare = webhook_prepare,
    .write = webhook_write,
    .deleted = "Webhook deleted successfully",
};

/* ---- test --------------------------------------------------------------------------------- */

struct test_write {
    const char *id;
};

/* A `webhook.test` event for this webhook alone, written like any change's event: the
 * delivery process fans it out to this webhook only, in order with its other deliveries. */
static int test_step(struct request *r, void *arg)
{
    const struct test_write *t = arg;
    struct db_result *old, *res;
    int rc = resource_lock(r, &webhooks, t->id, &old);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", webhooks.not_found);
    if (rc == DB_OK && db_get_int(old, 0, "is_active", 0) == 0)
        return txn_fail(r, 409, "conflict", "The webhook is not active");
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    const char *audience = arena_printf(r->arena, "webhook:%s", t->id);
    if (rc == DB_OK && (p == NULL || audience == NULL || json_set_str(p, "webhook_id", t->id) ||
                        json_set_str(p, "message", "This is a test delivery")))
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = event_emit_for(r, "webhook.test", NULL, audience, json_text(p, NULL));
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "SELECT LAST_INSERT_ID() AS event_id", NULL, 0, &res);
    if (rc != DB_OK)
        return rc;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "webhook_id", t->id) ||
        json_set_str(o, "event_type", "webhook.test") ||
        json_set_int(o, "event_id", db_get_int(res, 0, "event_id", 0)) ||
        json_set_str(o, "status", "queued"))
        return DB_ERROR;
    event_wake_after_commit(r);
    return reply_one(r, 202, "delivery", o) == 0 ? DB_OK : DB_ERROR;
}

static int webhook_test(struct request *r)
{
    struct test_write t = {request_param(r, "id")};
    return txn_reply(r, txn_run(r, test_step, &t));
}

/* ---- logs, stats, failed ------------------------------------------------------------------ */

static const struct filter_def log_filters[] = {
    {"success", FILTER_BOOL, " AND success = ?", NULL, NULL},
    {"delivery_id", FILTER_ID, " AND delivery_id = ?", NULL, NULL},
};

static const struct resource webhook_logs = {
    .table = "webhook_logs",
    .columns = "id, webhook_id, event, delivery_id, status_code, response_time_ms,"
               " response_body, attempt, success, error, created_at",
    .tenant_col = "tenant_id",
    RESOURCE_NAMES("log", "logs", "Log entry not found"),
    .order = "id DESC",
    RESOURCE_FILTERS(log_filters),
};

static const struct filter_def delivery_filters[] = {
    {"webhook_id", FILTER_ID, " AND webhook_id = ?", NULL, NULL},
};

/* A delivery as the failed list and a replay answer it. */
#define DELIVERY_COLUMNS                                                                       \
    "id, webhook_id, event_id, event_type, state, attempts, last_status, last_error,"         \
    " created_at, finished_at"

static const struct resource failed_deliveries = {
    .table = "webhook_deliveries",
    .columns = DELIVERY_COLUMNS,
    .tenant_col = "tenant_id",
    RESOURCE_NAMES("delivery", "deliveries", "Delivery not found"),
    .order = "finished_at DESC, id DESC",
    RESOURCE_FILTERS(delivery_filters),
};

/* DB_OK when webhook id is the tenant's, 1 when not, or a db_rc. */
static int webhook_exists(struct request *r, const char *id)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM webhooks WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    return rc == DB_OK && res->nrows == 0 ? 1 : rc;
}

static int webhook_log_list(struct request *r)
{
    const char *id = request_param(r, "id");
    int rc = webhook_exists(r, id);
    if (rc != DB_OK)
        return request_reply_found(r, 200, rc, "logs", NULL, webhooks.not_found);
    struct qb where;
    qb_init(&where, r->arena);
    qb_addv(&where, " AND webhook_id = ?", DB_STR(id));
    return resource_list(r, &webhook_logs, &where);
}

static int webhook_failed_list(struct request *r)
{
    struct qb where;
    qb_init(&where, r->arena);
    qb_add(&where, " AND state = 'failed'");
    return resource_list(r, &failed_deliveries, &where);
}

static int webhook_stats(struct request *r)
{
    const char *id = request_param(r, "id");
    struct db_result *a, *d;
    int rc = webhook_exists(r, id);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS attempts, COALESCE(SUM(success), 0) AS successes,"
                     " COALESCE(SUM(1 - success), 0) AS failures,"
                     " COALESCE(ROUND(AVG(response_time_ms)), 0) AS avg_latency_ms,"
                     " MAX(CASE WHEN success = 1 THEN created_at END) AS last_success_at,"
                     " MAX(CASE WHEN success = 0 THEN created_at END) AS last_failure_at"
                     " FROM webhook_logs WHERE tenant_id = ? AND webhook_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &a);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT COALESCE(SUM(state = 'pending'), 0) AS pending,"
                     " COALESCE(SUM(state = 'delivered'), 0) AS delivered,"
                     " COALESCE(SUM(state = 'failed'), 0) AS given_up"
                     " FROM webhook_deliveries WHERE webhook_id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &d);
    if (rc != DB_OK)
        return request_reply_found(r, 200, rc, "stats", NULL, webhooks.not_found);
    struct json_object *o = arena_json(r->arena, db_row_json(a, 0, NULL));
    const char *const keys[] = {"pending", "delivered", "given_up"};
    for (size_t i = 0; o != NULL && i < 3; i++)
        if (json_set_int(o, keys[i], db_get_int(d, 0, keys[i], 0)) != 0)
            o = NULL;
    if (o == NULL || json_set_str(o, "webhook_id", id) != 0)
        return request_oom(r);
    return reply_one(r, 200, "stats", o);
}

/* ---- replay ------------------------------------------------------------------------------ */

/*
 * A delivery given up goes out again: pending, with a fresh retry window and no attempts.
 * Deliveries leave in event order, so it waits parked unless it is now its webhook's
 * oldest pending one (the head), which is due at once. The webhook row is locked first, as
 * the deliverer locks it.
 */
static int replay_step(struct request *r, void *arg)
{
    const char *id = arg, *tenant = r->auth.tenant_id;
    struct db_result *d, *w, *up, *head;
    int rc = db_exec(r->db, r->arena,
                     "SELECT webhook_id, event_id FROM webhook_deliveries WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(tenant)), &d);
    if (rc == DB_OK && d->nrows == 0)
        return txn_fail(r, 404, "not_found", "Delivery not found");
    const char *webhook_id = rc == DB_OK ? db_get(d, 0, "webhook_id") : NULL;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT is_active FROM webhooks WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(tenant)), &w);
    if (rc == DB_OK && (w->nrows == 0 || db_get_int(w, 0, "is_active", 0) == 0))
        return txn_fail(r, 409, "conflict", "The webhook is not active");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE webhook_deliveries SET state = 'pending', attempts = 0,"
                     " first_attempt_at = NULL, finished_at = NULL,"
                     " next_attempt_at = '9999-12-31 00:00:00'"
                     " WHERE id = ? AND tenant_id = ? AND state = 'failed'",
                     DB_PARAMS(DB_STR(id), DB_STR(tenant)), &up);
    if (rc == DB_OK && up->affected_rows == 0)
        return txn_fail(r, 409, "conflict", "Only a delivery given up can be replayed");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id FROM webhook_deliveries WHERE webhook_id = ? AND tenant_id = ?"
                     " AND state = 'pending' ORDER BY event_id LIMIT 1",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(tenant)), &head);
    if (rc == DB_OK && strcmp(db_get(head, 0, "id"), id) == 0)
        rc = db_exec(r->db, r->arena,
                     "UPDATE webhook_deliveries SET next_attempt_at = NOW(3)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(tenant)), NULL);
    if (rc == DB_OK)
        rc = resource_audit(r, &webhooks, "replay", webhook_id, NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(tenant)), &d);
    if (rc != DB_OK)
        return rc;
    struct json_object *o = arena_json(r->arena, db_row_json(d, 0, NULL));
    if (o == NULL)
        return DB_ERROR;
    return reply_one(r, 200, "delivery", o) == 0 ? DB_OK : DB_ERROR;
}

static int webhook_replay(struct request *r)
{
    return txn_reply(r, txn_run(r, replay_step, (void *)request_param(r, "id")));
}

/* calldocker sees the same webhooks per company (company_scope). */
static int company_webhook_list(struct request *r)
{
    return company_scope(r) != 0 ? -1 : resource_list(r, &webhooks, NULL);
}

static int company_webhook_create(struct request *r)
{
    return company_scope(r) != 0 ? -1 : webhook_create(r);
}

#define FAM FAM_CALLCENTER
#define NAMES CRUD_NAMES("a", "webhook", "webhooks")

static const struct route routes[] = {
    ROUTE("GET", "/api/webhooks/failed", webhook_failed_list, ROLES_STAFF, FAM,
          .summary = "Deliveries given up after their retries (newest first; ?webhook_id=)",
          .key = "deliveries", .flags = ROUTE_LIST, .resource = &failed_deliveries),
    CRUD_LIST_ROUTE("/api/webhooks", &webhooks, ROLES_STAFF, FAM, NAMES),
    ROUTE("POST", "/api/webhooks", webhook_create, ROLES_STAFF, FAM,
          .summary = "Create a webhook (its signing secret is in this answer only)",
          ROUTE_BODY(webhook_fields), .key = "webhook", .flags = ROUTE_IDEMPOTENT,
          .status = 201, .resource = &webhooks),
    CRUD_GET_ROUTE("/api/webhooks/:id", &webhooks, ROLES_STAFF, FAM, NAMES),
    CRUD_UPDATE_ROUTE("/api/webhooks/:id", &webhooks, webhook_fields, ROLES_STAFF, FAM, NAMES),
    CRUD_DELETE_ROUTE("/api/webhooks/:id", &webhooks, ROLES_STAFF, FAM, NAMES),
    ROUTE("POST", "/api/webhooks/:id/test", webhook_test, ROLES_STAFF, FAM,
          .summary = "Queue a webhook.test delivery to the webhook", .key = "delivery",
          .status = 202),
    ROUTE("POST", "/api/webhooks/:id/rotate-secret", webhook_rotate, ROLES_STAFF, FAM,
          .summary = "A new signing secret (in this answer only); the old one stops at once",
          .key = "webhook"),
    ROUTE("POST", "/api/webhooks/deliveries/:id/replay", webhook_replay, ROLES_STAFF, FAM,
          .summary = "Send a delivery given up again (a fresh retry window, in event order)",
          .key = "delivery"),
    ROUTE("GET", "/api/webhooks/:id/logs", webhook_log_list, ROLES_STAFF, FAM,
          .summary = "The webhook's delivery attempts, newest first", .key = "logs",
          .flags = ROUTE_LIST, .resource = &webhook_logs),
    ROUTE("GET", "/api/webhooks/:id/stats", webhook_stats, ROLES_STAFF, FAM,
          .summary = "The webhook's attempts, successes, failures, latency", .key = "stats"),
    ROUTE("GET", "/api/webhooks/company/:companyId", company_webhook_list, ROLES_STAFF,
          FAM_CALLDOCKER, .summary = "A company's outgoing webhooks", .key = "webhooks",
          .flags = ROUTE_LIST, .resource = &webhooks),
    ROUTE("POST", "/api/webhooks/company/:companyId", company_webhook_create, ROLES_STAFF,
          FAM_CALLDOCKER, .summary = "Create a company's webhook (its secret in this answer only)",
          ROUTE_BODY(webhook_fields), .key = "webhook", .flags = ROUTE_IDEMPOTENT, .status = 201,
          .resource = &webhooks),
};

ROUTE_GROUP(webhooks_out_routes, routes);
