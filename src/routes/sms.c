/*
 * SMS of the caller's tenant (callcenter family, /api/v1/sms). Sending writes the message
 * as 'queued' (sms_messages is its own outbox, sql/034); switchboard-hooks sends it to
 * Twilio (src/hooks/sms.c), and Twilio's callbacks (sms_webhook.c) bring its status and
 * the inbound messages. A number that opted out (STOP: the do-not-call list, direction
 * outbound or both) is refused with 409.
 *
 * A thread is the tenant's messages with one contact number: the `from` of an inbound
 * message, the `to` of an outbound one. Threads list newest first, as do a thread's
 * messages (a client reverses a page to show a conversation).
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "lead_store.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "sms.h"
#include "txn.h"
#include "validate.h"

static const char *const directions[] = {"inbound", "outbound", NULL};
static const char *const statuses[] = {"queued",      "sending", "sent",     "delivered",
                                       "undelivered", "failed",  "received", NULL};

static const struct filter_def sms_filters[] = {
    {"direction", FILTER_ENUM, " AND direction = ?", directions, NULL},
    {"status", FILTER_ENUM, " AND status = ?", statuses, NULL},
};

enum { V_TO, V_BODY, V_FROM, V_NFIELDS };

static const struct field_def sms_fields[] = {
    [V_TO] = {"to", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [V_BODY] = {"body", FT_TEXT, F_REQUIRED, 1, SMS_BODY_MAX, NULL, NULL, NULL},
    [V_FROM] = {"from", FT_PHONE, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const sms_columns_of[] = {"to_number", "body", "from_number"};

static const struct resource_writes sms_writes;

static const struct resource sms = {
    .table = "sms_messages",
    .columns = "id, direction, from_number, to_number, body, status, segments, provider_sid,"
               " error_code, error_message, user_id, sent_at, delivered_at, read_at, created_at,"
               " updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "sms_",
    .entity = "sms",
    RESOURCE_NAMES("message", "messages", "Message not found"),
    .order = "created_at DESC, id DESC",
    RESOURCE_FILTERS(sms_filters),
    RESOURCE_FIELDS(sms_fields, sms_columns_of),
    .writes = &sms_writes,
};

struct sms_new {
    int segments;
};

static int sms_prepare(struct request *r, struct crud_write *w)
{
    struct sms_new *n = arena_calloc(r->arena, 1, sizeof(*n));
    if (n == NULL)
        return request_oom(r);
    const char *body = w->v[V_BODY].s;
    n->segments = sms_segments(body, strlen(body));
    if (n->segments < 1) {
        request_field_error(r, "body", "must be valid UTF-8 text");
        return request_check_fields(r);
    }
    w->data = n;
    return 0;
}

/* The sending number: the one given, which must be an active SMS-enabled DID of the
 * tenant, or the tenant's first such. DB_OK with v[V_FROM] set, TXN_ANSWERED, or a db_rc. */
static int pick_from(struct request *r, struct field_value *v)
{
    struct db_result *res;
    const char *given = v[V_FROM].sent ? v[V_FROM].s : NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT number FROM dids WHERE tenant_id = ? AND sms_enabled = 1"
                     " AND is_active = 1 AND (? IS NULL OR number = ?)"
                     " ORDER BY created_at, id LIMIT 1",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(given), DB_STR(given)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0) {
        request_field_error(r, "from", given ? "must be an SMS-enabled number of this tenant"
                                             : "is required: the tenant has no SMS-enabled number");
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    v[V_FROM] = (struct field_value){.sent = true, .s = db_get(res, 0, "number")};
    return DB_OK;
}

static int sms_check(struct request *r, struct crud_write *w)
{
    bool blocked = false;
    int rc = lead_store_dnc_blocked(r->db, r->arena, r->auth.tenant_id, w->v[V_TO].s, &blocked);
    if (rc != DB_OK)
        return rc;
    if (blocked)
        return txn_fail(r, 409, "opted_out",
                        "The recipient opted out of messages (do-not-call list)");
    return pick_from(r, w->v);
}

static int sms_write(struct request *r, struct crud_write *w)
{
    const struct sms_new *n = w->data;
    struct column_value extra[] = {
        {"direction", DB_STR("outbound")},
        {"status", DB_STR("queued")},
        {"provider", DB_STR("twilio")},
        {"segments", DB_INT(n->segments)},
        {"user_id", DB_STR(r->auth.user_id)},
    };
    return resource_insert(r, &sms, w->id, w->v, extra, sizeof(extra) / sizeof(extra[0]));
}

static int sms_written(struct request *r, struct crud_write *w)
{
    return sms_event(r, "sms.status", w->id, "queued");
}

static const struct resource_writes sms_writes = {
    .prepare = sms_prepare,
    .check = sms_check,
    .write = sms_write,
    .written = sms_written,
};

int sms_event(struct request *r, const char *type, const char *id, const char *status)
{
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    if (p == NULL || json_set_str(p, "sms_id", id) != 0 || json_set_str(p, "status", status))
        return DB_ERROR;
    int rc = event_emit(r, type, NULL, json_text(p, NULL));
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return rc;
}

/* ---- threads ---------------------------------------------------------------------------- */

/* A number as E.164 (arena); NULL when answered (422). A query's raw `+` arrives as a
 * space (form decoding), so a number without its `+` is taken as written with one. */
static const char *number_arg(struct request *r, const char *q)
{
    char e164[24], *with_plus = NULL;
    while (q != NULL && *q == ' ')
        q++;
    if (q != NULL && *q != '+' && (with_plus = arena_printf(r->arena, "+%s", q)) != NULL)
        q = with_plus;
    if (q == NULL || validate_phone_e164(q, strlen(q), e164, sizeof(e164)) != 0) {
        request_field_error(r, "number", "must be a phone number (E.164)");
        request_check_fields(r);
        return NULL;
    }
    const char *n = arena_strdup(r->arena, e164);
    if (n == NULL)
        request_oom(r);
    return n;
}

static const char *thread_number(struct request *r)
{
    return number_arg(r, request_param(r, "number"));
}

/* The list, or one conversation: messages with number (NULL: all), newest first. */
static int list_with(struct request *r, const char *number)
{
    struct qb where;
    qb_init(&where, r->arena);
    if (number != NULL)
        qb_addv(&where, " AND (from_number = ? OR to_number = ?)", DB_STR(number),
                DB_STR(number));
    return resource_list(r, &sms, &where);
}

static int sms_list(struct request *r)
{
    const char *q = request_query(r, "number"), *number = NULL;
    if (q != NULL && q[0] != '\0' && (number = number_arg(r, q)) == NULL)
        return -1;
    return list_with(r, number);
}

static int sms_thread(struct request *r)
{
    const char *number = thread_number(r);
    return number == NULL ? -1 : list_with(r, number);
}

static int read_step(struct request *r, void *arg)
{
    const char *number = arg;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE sms_messages SET read_at = NOW() WHERE tenant_id = ?"
                     " AND from_number = ? AND direction = 'inbound' AND read_at IS NULL",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(number)), &res);
    if (rc != DB_OK)
        return rc;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "number", number) != 0 ||
        json_set_int(o, "marked_read", (long long)res->affected_rows) != 0)
        return DB_ERROR;
    return reply_one(r, 200, "thread", o) == 0 ? DB_OK : DB_ERROR;
}

/* The conversation's inbound messages are read (its unread count drops to 0). */
static int sms_thread_read(struct request *r)
{
    const char *number = thread_number(r);
    if (number == NULL)
        return -1;
    return txn_reply(r, txn_run(r, read_step, (void *)number));
}

#define THREAD_OF "IF(direction = 'inbound', from_number, to_number)"

/* The tenant's conversations, one row per contact number, the latest first: its last
 * message, how many messages, how many of them inbound and unread, and the contact's name (a
 * contact of the tenant whose phone or mobile is the number). */
static int sms_threads(struct request *r)
{
    struct page p;
    struct db_result *count, *rows;
    const char *t = r->auth.tenant_id;
    if (query_page(r, RESOURCE_DEFAULT_LIMIT, RESOURCE_MAX_LIMIT, &p) != 0)
        return request_check_fields(r);
    int rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(DISTINCT " THREAD_OF ") AS n FROM sms_messages"
                     " WHERE tenant_id = ?",
                     DB_PARAMS(DB_STR(t)), &count);
    if (rc == DB_OK)
        rc = db_exec(
            r->db, r->arena,
            "SELECT t.number, t.message_count, t.inbound_count, t.unread_count,"
            " t.last_at AS last_message_at,"
            " m.id AS last_message_id, m.direction AS last_direction, m.body AS last_body,"
            " m.status AS last_status,"
            " (SELECT NULLIF(TRIM(CONCAT_WS(' ', c.first_name, c.last_name)), '')"
            "  FROM contacts c WHERE c.tenant_id = ? AND (c.phone = t.number OR"
            "  c.mobile = t.number) ORDER BY c.created_at, c.id LIMIT 1) AS contact_name"
            " FROM (SELECT " THREAD_OF " AS number, COUNT(*) AS message_count,"
            "  CAST(SUM(direction = 'inbound') AS SIGNED) AS inbound_count,"
            "  CAST(SUM(direction = 'inbound' AND read_at IS NULL) AS SIGNED) AS unread_count,"
            "  MAX(created_at) AS last_at, SUBSTRING_INDEX(GROUP_CONCAT(id ORDER BY"
            "  created_at DESC, id DESC), ',', 1) AS last_id"
            "  FROM sms_messages WHERE tenant_id = ? GROUP BY number"
            "  ORDER BY last_at DESC, number LIMIT ? OFFSET ?) t"
            " JOIN sms_messages m ON m.tenant_id = ? AND m.id = t.last_id"
            " ORDER BY t.last_at DESC, t.number",
            DB_PARAMS(DB_STR(t), DB_STR(t), DB_INT(p.limit), DB_INT(p.offset), DB_STR(t)),
            &rows);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *items = arena_json(r->arena, db_rows_json(rows, rows->nrows, NULL));
    if (items == NULL)
        return request_oom(r);
    return reply_list(r, "threads", items, p.page, p.limit, db_get_int(count, 0, "n", 0));
}

#define SMS_NAMES CRUD_NAMES_AS("message", "messages", "an", "SMS message", "SMS messages")

static const struct route routes[] = {
    ROUTE("GET", "/api/sms", sms_list, ROLES_ANY, FAM_CALLCENTER,
          .summary = "List SMS messages (?number=: either side)", .key = "messages",
          .flags = ROUTE_LIST, .resource = &sms),
    ROUTE("POST", "/api/sms", crud_create, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Send an SMS message (queued; from: an SMS-enabled number, default the"
                     " first)",
          ROUTE_BODY(sms_fields), .key = "message", .flags = ROUTE_IDEMPOTENT,
          .resource = &sms),
    ROUTE("GET", "/api/sms/threads", sms_threads, ROLES_ANY, FAM_CALLCENTER,
          .summary = "SMS conversations, one per contact number, latest first",
          .key = "threads", .flags = ROUTE_LIST),
    ROUTE("GET", "/api/sms/threads/:number", sms_thread, ROLES_ANY, FAM_CALLCENTER,
          .summary = "One SMS conversation, newest first", .key = "messages",
          .flags = ROUTE_LIST, .resource = &sms),
    ROUTE("PUT", "/api/sms/threads/:number/read", sms_thread_read, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Mark a conversation's inbound messages read", .key = "thread"),
    CRUD_GET_ROUTE("/api/sms/:id", &sms, ROLES_ANY, FAM_CALLCENTER, SMS_NAMES),
};

ROUTE_GROUP(sms_routes, routes);
