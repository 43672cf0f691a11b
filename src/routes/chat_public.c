/*
 * The chat visitor's routes: public (no token). A visitor is known by the widget's public
 * key (X-Widget-Key, or widget_key in the body) and, after start, by the session's secret
 * (X-Chat-Secret, or secret in the body), given once by start and kept only as its SHA-256.
 * Every call checks the page's Origin against the widget's allowed_origins and counts
 * against a rate limit per widget and client address (throttle.h), then runs as the
 * widget's tenant, so every query below is scoped like a staff request's.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "chat_store.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"
#include "schedule.h"
#include "throttle.h"
#include "txn.h"
#include "utf8.h"
#include "validate.h"

/* Calls per widget and address in a minute; starts per widget and address in ten. */
#define PUBLIC_PER_MINUTE 120
#define STARTS_PER_10MIN 10
#define DEFAULT_MAX_WAIT 120
#define MESSAGES_MAX 500

/* The widget of the call, checked: its row, and r->auth.tenant_id set to its tenant. */
struct visitor {
    struct db_result *widget;
    const char *secret; /* as sent, NULL when not */
};

/* A hit in the (kind, widget|address) bucket: 0, or -1 with 429 or the db error answered. */
static int public_throttle(struct request *r, const char *kind, const char *widget_id,
                           long window, long limit)
{
    long hits = 0;
    const char *key = arena_printf(r->arena, "%s|%s", widget_id,
                                   r->remote_addr ? r->remote_addr : "-");
    if (key == NULL)
        return request_oom(r);
    int rc = throttle_hit(r->db, r->arena, kind, key, window, 0, 0, &hits);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (hits <= limit)
        return 0;
    r->retry_after = window;
    return request_error(r, 429, "rate_limited", "Too many chat requests, slow down");
}

/*
 * The widget named by the key (header, else body_key), active, of an active tenant, called
 * from an allowed origin and within the rate limit. 0, or -1 once answered (401, 403, 429).
 */
static int visitor_widget(struct request *r, const char *body_key, struct visitor *v)
{
    const char *key = request_header(r, "X-Widget-Key");
    if (key == NULL || *key == '\0')
        key = body_key;
    v->secret = request_header(r, "X-Chat-Secret");
    if (key == NULL || *key == '\0')
        return request_error(r, 401, "unauthorized", "A widget key is required");
    int rc = db_exec(r->db, r->arena,
                     "SELECT w.id, w.tenant_id, w.allowed_origins, w.greeting_message,"
                     " w.offline_message, w.schedule_id, s.timezone, s.hours, s.holidays,"
                     " s.is_active AS schedule_active,"
                     " JSON_VALUE(w.settings, '$.max_wait_seconds') AS max_wait,"
                     " JSON_EXTRACT(w.settings, '$.pre_chat_fields') AS pre_chat_fields"
                     " FROM chat_widgets w JOIN tenants t ON t.id = w.tenant_id"
                     " LEFT JOIN schedules s ON s.tenant_id = w.tenant_id AND s.id = w.schedule_id"
                     " WHERE w.public_key = ? AND w.is_active = 1 AND t.status = 'active'",
                     DB_PARAMS(DB_STR(key)), &v->widget);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (v->widget->nrows == 0)
        return request_error(r, 401, "unauthorized", "Unknown widget key");
    const char *origin = request_header(r, "Origin");
    if (!chat_origin_allowed(db_get(v->widget, 0, "allowed_origins"), origin))
        return request_error(r, 403, "origin_refused",
                             "This page's origin may not use the widget");
    r->auth.tenant_id = db_get(v->widget, 0, "tenant_id");
    return public_throttle(r, "chat-public", db_get(v->widget, 0, "id"), 60, PUBLIC_PER_MINUTE);
}

/*
 * The visitor's session id_or_key (its id or its session_key) of this widget, its secret
 * checked: DB_OK with *row, or TXN_ANSWERED (401 no secret, 404, 403 wrong secret), or a
 * db_rc. lock: FOR UPDATE (inside a write's transaction).
 */
static int visitor_session(struct request *r, const struct visitor *v, const char *id_or_key,
                           bool lock, struct db_result **row)
{
    const char *wid = db_get(v->widget, 0, "id");
    if (v->secret == NULL || *v->secret == '\0')
        return txn_fail(r, 401, "unauthorized", "The chat session's secret is required");
    struct db_param p[] = {DB_STR(id_or_key), DB_STR(id_or_key), DB_STR(r->auth.tenant_id),
                           DB_STR(wid)};
    int rc = db_exec(r->db, r->arena,
                     lock ? "SELECT id FROM chat_sessions WHERE (id = ? OR session_key = ?)"
                            " AND tenant_id = ? AND widget_id = ? FOR UPDATE"
                          : "SELECT id FROM chat_sessions WHERE (id = ? OR session_key = ?)"
                            " AND tenant_id = ? AND widget_id = ?",
                     p, 4, row);
    if (rc != DB_OK)
        return rc;
    if ((*row)->nrows == 0)
        return txn_fail(r, 404, "not_found", "Chat session not found");
    struct db_result *s;
    rc = db_exec(r->db, r->arena,
                 "SELECT s.id, s.session_key, s.widget_id, s.user_id, s.queue_id, s.status,"
                 " s.visitor_name, s.visitor_email, s.ticket_id, s.visitor_secret_hash,"
                 " s.started_at, s.accepted_at, s.ended_at, " CHAT_USER_NAME " AS agent_name"
                 " FROM chat_sessions s LEFT JOIN users u"
                 " ON u.tenant_id = s.tenant_id AND u.id = s.user_id"
                 " WHERE s.id = ? AND s.tenant_id = ?",
                 DB_PARAMS(DB_STR(db_get(*row, 0, "id")), DB_STR(r->auth.tenant_id)), &s);
    if (rc != DB_OK)
        return rc;
    char hash[65];
    const char *want = db_get(s, 0, "visitor_secret_hash");
    crypto_sha256_hex(v->secret, strlen(v->secret), hash);
    if (want == NULL || strlen(want) != 64 || !crypto_equal(hash, want, 64))
        return txn_fail(r, 403, "forbidden", "Wrong chat session secret");
    *row = s;
    return DB_OK;
}

/* ---- start ------------------------------------------------------------------------------- */

enum { S_KEY, S_NAME, S_EMAIL, S_VISITOR, S_PAGE, S_PRECHAT, S_MESSAGE, S_NFIELDS };

static const struct field_def start_fields[] = {
    [S_KEY] = {"widget_key", FT_TEXT, 0, 1, 64, NULL, NULL, NULL},
    [S_NAME] = {"visitor_name", FT_TEXT, F_NULLABLE, 1, 255, NULL, NULL, NULL},
    [S_EMAIL] = {"visitor_email", FT_EMAIL, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [S_VISITOR] = {"visitor_id", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [S_PAGE] = {"page_url", FT_TEXT, F_NULLABLE, 0, 2048, NULL, NULL, NULL},
    [S_PRECHAT] = {"pre_chat", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [S_MESSAGE] = {"message", FT_TEXT, F_NULLABLE, 1, 5000, NULL, NULL, NULL},
};

struct start {
    struct visitor v;
    struct field_value f[S_NFIELDS];
    const char *id, *key, *secret, *visitor_id, *metadata;
    bool online;
    long long max_wait;
};

/* The widget's required pre-chat fields are answered: 0, or -1 with the 422 recorded. */
static void prechat_required(struct request *r, const struct db_result *w, const char *answers)
{
    const char *defs = db_get(w, 0, "pre_chat_fields");
    struct json_object *d = NULL, *a = NULL, *f, *x;
    if (defs == NULL || json_parse_value(defs, strlen(defs), &d) != 0)
        return;
    if (answers != NULL && json_parse_object(answers, strlen(answers), &a) != 0)
        a = NULL;
    for (size_t i = 0; json_object_is_type(d, json_type_array) && i < json_object_array_length(d);
         i++) {
        f = json_object_array_get_idx(d, i);
        const char *name = json_object_object_get_ex(f, "name", &x) ? json_object_get_string(x)
                                                                     : NULL;
        if (name == NULL || !json_object_object_get_ex(f, "required", &x) ||
            !json_object_get_boolean(x))
            continue;
        if (a == NULL || !json_object_object_get_ex(a, name, &x) || x == NULL ||
            (json_object_is_type(x, json_type_string) && json_object_get_string_len(x) == 0)) {
            char *why = arena_printf(r->arena, "%s is required", name);
            request_field_error(r, "pre_chat", why ? why : "a required answer is missing");
        }
    }
    json_object_put(a);
    json_object_put(d);
}

/* Whether the widget's business hours are open now (no schedule: always). */
static bool widget_open(const struct db_result *w)
{
    if (db_get(w, 0, "schedule_id") == NULL || db_get_int(w, 0, "schedule_active", 0) != 1)
        return true;
    return schedule_is_open(db_get(w, 0, "hours"), db_get(w, 0, "holidays"),
                            db_get(w, 0, "timezone"), time(NULL)) != SCHEDULE_CLOSED;
}

/* The client's User-Agent as the column holds it: at most 255 bytes, whole characters. */
static const char *user_agent_cut(struct request *r)
{
    const char *ua = r->user_agent;
    size_t at = 0, n, len = ua ? strnlen(ua, 255) : 0;
    if (ua == NULL)
        return NULL;
    while (at < len && (n = utf8_next((const unsigned char *)ua + at, len - at)) > 0)
        at += n;
    return arena_strndup(r->arena, ua, at);
}

static int start_insert(struct request *r, struct start *s)
{
    char hash[65];
    const struct field_value *f = s->f;
    const char *ua = user_agent_cut(r);
    crypto_sha256_hex(s->secret, strlen(s->secret), hash);
    return db_exec(r->db, r->arena,
                   "INSERT INTO chat_sessions (id, session_key, tenant_id, widget_id, visitor_id,"
                   " visitor_secret_hash, visitor_name, visitor_email, visitor_ip, user_agent,"
                   " page_url, status, wait_until, metadata)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', NOW() + INTERVAL ? SECOND, ?)",
                   DB_PARAMS(DB_STR(s->id), DB_STR(s->key), DB_STR(r->auth.tenant_id),
                             DB_STR(db_get(s->v.widget, 0, "id")), DB_STR(s->visitor_id),
                             DB_STR(hash), DB_STR(f[S_NAME].s), DB_STR(f[S_EMAIL].s),
                             DB_STR(r->remote_addr), DB_STR(ua), DB_STR(f[S_PAGE].s),
                             DB_INT(s->online ? s->max_wait : 0), DB_STR(s->metadata)),
                   NULL);
}

static struct json_object *start_answer(const struct start *s)
{
    const struct db_result *w = s->v.widget;
    const char *greeting = db_get(w, 0, "greeting_message");
    const char *offline = db_get(w, 0, "offline_message");
    struct json_object *o = json_object_new_object();
    int rc = json_set_str(o, "session_id", s->id);
    rc = rc ? rc : json_set_str(o, "id", s->id);
    rc = rc ? rc : json_set_str(o, "session_key", s->key);
    rc = rc ? rc : json_set_str(o, "visitor_secret", s->secret);
    rc = rc ? rc : json_set_str(o, "visitor_id", s->visitor_id);
    rc = rc ? rc : json_set_str(o, "status", "waiting");
    rc = rc ? rc : json_set_bool(o, "online", s->online);
    rc = rc ? rc : json_set_str(o, "greeting", greeting ? greeting : "");
    rc = rc ? rc : json_set_str(o, "offline_message", offline ? offline : "");
    rc = rc ? rc : json_set_int(o, "max_wait_seconds", s->max_wait);
    return json_done(o, rc);
}

static int start_step(struct request *r, void *arg)
{
    struct start *s = arg;
    int rc = start_insert(r, s);
    if (rc == DB_OK && s->f[S_MESSAGE].s != NULL)
        rc = chat_message_add(r,
                              &(struct chat_message_new){.session_id = s->id,
                                                         .sender_type = "visitor",
                                                         .sender_name = s->f[S_NAME].s,
                                                         .body = s->f[S_MESSAGE].s},
                              NULL);
    struct json_object *p = json_object_new_object();
    int jr = json_set_str(p, "session_id", s->id);
    jr = jr ? jr : json_set_str(p, "session_key", s->key);
    jr = jr ? jr : json_set_str(p, "widget_id", db_get(s->v.widget, 0, "id"));
    jr = jr ? jr : json_set_str(p, "visitor_name", s->f[S_NAME].s ? s->f[S_NAME].s : "");
    jr = jr ? jr : json_set_str(p, "status", "waiting");
    p = json_done(p, jr);
    if (rc == DB_OK)
        rc = p ? chat_emit(r, "chat.session.started", s->id, p) : DB_ERROR;
    else
        json_object_put(p);
    if (rc != DB_OK)
        return rc;
    event_wake_after_commit(r);
    struct json_object *a = arena_json(r->arena, start_answer(s));
    return a != NULL && reply_one(r, 201, "session", a) == 0 ? DB_OK : DB_ERROR;
}

/* The session's metadata: {"pre_chat": answers}. */
static const char *start_metadata(struct request *r, const char *answers)
{
    if (answers == NULL)
        return NULL;
    return arena_printf(r->arena, "{\"pre_chat\":%s}", answers);
}

static int chat_public_start(struct request *r)
{
    struct start s = {0};
    if (fields_declared(r, FIELDS_CREATE, s.f, S_NFIELDS, NULL) != 0 ||
        visitor_widget(r, s.f[S_KEY].s, &s.v) != 0 ||
        public_throttle(r, "chat-start", db_get(s.v.widget, 0, "id"), 600, STARTS_PER_10MIN) != 0)
        return -1;
    prechat_required(r, s.v.widget, s.f[S_PRECHAT].s);
    if (request_check_fields(r) != 0)
        return -1;
    char *key = crypto_random_token(r->arena, 18);
    s.id = id_new(r->arena, "chs_");
    s.key = key ? arena_printf(r->arena, "ck_%s", key) : NULL;
    s.secret = crypto_random_token(r->arena, 32);
    s.visitor_id = s.f[S_VISITOR].s;
    if (s.visitor_id == NULL) {
        char *vid = crypto_random_token(r->arena, 9);
        s.visitor_id = vid ? arena_printf(r->arena, "v_%s", vid) : NULL;
    }
    s.metadata = start_metadata(r, s.f[S_PRECHAT].s);
    if (s.id == NULL || s.key == NULL || s.secret == NULL || s.visitor_id == NULL ||
        (s.f[S_PRECHAT].s != NULL && s.metadata == NULL))
        return request_oom(r);
    s.max_wait = db_get_int(s.v.widget, 0, "max_wait", DEFAULT_MAX_WAIT);
    s.online = widget_open(s.v.widget);
    return txn_reply(r, txn_run(r, start_step, &s));
}

/* ---- the visitor's session --------------------------------------------------------------- */

enum { V_SESSION, V_KEY, V_SECRET, V_EXTRA, V_NFIELDS };

#define VISITOR_FIELDS                                                                     \
    [V_SESSION] = {"session_id", FT_TEXT, F_REQUIRED, 1, 64, NULL, NULL, NULL},            \
    [V_KEY] = {"widget_key", FT_TEXT, 0, 1, 64, NULL, NULL, NULL},                         \
    [V_SECRET] = {"secret", FT_TEXT, 0, 1, 128, NULL, NULL, NULL}

static const struct field_def session_fields[] = {VISITOR_FIELDS};
static const struct field_def message_fields[] = {
    VISITOR_FIELDS, [V_EXTRA] = {"body", FT_TEXT, F_REQUIRED, 1, 5000, NULL, NULL, "message"}};
static const struct field_def typing_fields[] = {
    VISITOR_FIELDS, [V_EXTRA] = {"is_typing", FT_BOOL, 0, 0, 0, NULL, NULL, NULL}};
static const struct field_def read_fields[] = {
    VISITOR_FIELDS, [V_EXTRA] = {"message_id", FT_INT, F_REQUIRED, 1, (1LL << 62), NULL, NULL,
                                 NULL}};

struct visit {
    struct visitor v;
    struct field_value f[V_NFIELDS];
    int (*act)(struct request *r, struct visit *x, const struct db_result *row);
};

static int visit_step(struct request *r, void *arg)
{
    struct visit *x = arg;
    struct db_result *row;
    int rc = visitor_session(r, &x->v, x->f[V_SESSION].s, true, &row);
    return rc == DB_OK ? x->act(r, x, row) : rc;
}

/* Reads the declared body, checks widget and secret, and runs act on the locked session. */
static int visit_run(struct request *r, int (*act)(struct request *, struct visit *,
                                                   const struct db_result *))
{
    struct visit x = {.act = act};
    size_t n = r->match.route->nbody;
    if (fields_declared(r, FIELDS_CREATE, x.f, n, NULL) != 0 ||
        visitor_widget(r, x.f[V_KEY].s, &x.v) != 0)
        return -1;
    if (x.v.secret == NULL)
        x.v.secret = x.f[V_SECRET].s;
    return txn_reply(r, txn_run(r, visit_step, &x));
}

/* {session_id, status, agent_name…}: what the visitor's page shows of the session. */
static int answer_status(struct request *r, int status, const struct db_result *row,
                         const char *now_status)
{
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    const char *agent = db_get(row, 0, "agent_name");
    int rc = json_set_str(o, "session_id", db_get(row, 0, "id"));
    rc = rc ? rc : json_set_str(o, "session_key", db_get(row, 0, "session_key"));
    rc = rc ? rc : json_set_str(o, "status", now_status ? now_status : db_get(row, 0, "status"));
    rc = rc ? rc : json_set_str(o, "agent_name", agent ? agent : "");
    rc = rc ? rc : json_set_str(o, "started_at", db_get(row, 0, "started_at"));
    if (rc != 0)
        return DB_ERROR;
    return reply_one(r, status, "session", o) == 0 ? DB_OK : DB_ERROR;
}

static int act_message(struct request *r, struct visit *x, const struct db_result *row)
{
    struct json_object *msg;
    if (chat_status_ended(db_get(row, 0, "status")))
        return txn_fail(r, 409, "conflict", "The chat session has ended");
    int rc = chat_message_add(r,
                              &(struct chat_message_new){.session_id = db_get(row, 0, "id"),
                                                         .sender_type = "visitor",
                                                         .sender_name = db_get(row, 0, "visitor_name"),
                                                         .body = x->f[V_EXTRA].s},
                              &msg);
    if (rc != DB_OK)
        return rc;
    event_wake_after_commit(r);
    return reply_one(r, 201, "message", msg) == 0 ? DB_OK : DB_ERROR;
}

static int act_handover(struct request *r, struct visit *x, const struct db_result *row)
{
    (void)x;
    const char *user = NULL;
    const char *status = db_get(row, 0, "status");
    if (chat_status_ended(status))
        return txn_fail(r, 409, "conflict", "The chat session has ended");
    if (db_get(row, 0, "user_id") != NULL)
        return answer_status(r, 200, row, NULL); /* a human has it already */
    int rc = chat_session_handover(r, row, &user);
    if (rc != DB_OK)
        return rc;
    if (user == NULL)
        return answer_status(r, 200, row, NULL);
    struct db_result *again;
    rc = visitor_session(r, &x->v, db_get(row, 0, "id"), false, &again);
    return rc == DB_OK ? answer_status(r, 200, again, NULL) : rc;
}

static int act_end(struct request *r, struct visit *x, const struct db_result *row)
{
    (void)x;
    int rc = chat_session_finish(r, row, "closed", "visitor");
    return rc == DB_OK ? answer_status(r, 200, row, "closed") : rc;
}

static int act_typing(struct request *r, struct visit *x, const struct db_result *row)
{
    const char *sid = db_get(row, 0, "id");
    const char *name = db_get(row, 0, "visitor_name");
    struct json_object *p = json_object_new_object();
    int jr = json_set_str(p, "session_id", sid);
    jr = jr ? jr : json_set_str(p, "sender_type", "visitor");
    jr = jr ? jr : json_set_str(p, "sender_id", "");
    jr = jr ? jr : json_set_str(p, "sender_name", name ? name : "");
    jr = jr ? jr : json_set_bool(p, "is_typing", x->f[V_EXTRA].sent ? x->f[V_EXTRA].b : 1);
    p = json_done(p, jr);
    int rc = p ? chat_emit(r, "chat.typing", sid, p) : DB_ERROR;
    if (rc != DB_OK)
        return rc;
    event_wake_after_commit(r);
    return reply_message(r, 200, "Typing sent") == 0 ? DB_OK : DB_ERROR;
}

/* The visitor has read the agents' messages up to message_id: each is marked once (the
 * first time stays) and the staff hear of it (chat.message.read, reader "visitor"). */
static int act_read(struct request *r, struct visit *x, const struct db_result *row)
{
    const char *sid = db_get(row, 0, "id");
    struct db_result *upd;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE chat_messages SET read_at = NOW() WHERE tenant_id = ?"
                     " AND session_id = ? AND id <= ? AND sender_type <> 'visitor'"
                     " AND read_at IS NULL",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(sid), DB_INT(x->f[V_EXTRA].i)),
                     &upd);
    if (rc != DB_OK)
        return rc;
    struct json_object *p = json_object_new_object();
    int jr = json_set_str(p, "session_id", sid);
    jr = jr ? jr : json_set_int(p, "up_to_message_id", x->f[V_EXTRA].i);
    jr = jr ? jr : json_set_int(p, "marked", (long long)upd->affected_rows);
    jr = jr ? jr : json_set_str(p, "reader_type", "visitor");
    p = json_done(p, jr);
    if (upd->affected_rows > 0) {
        rc = p ? chat_emit(r, "chat.message.read", sid, json_object_get(p)) : DB_ERROR;
        event_wake_after_commit(r);
    }
    if (rc != DB_OK || p == NULL) {
        json_object_put(p);
        return rc != DB_OK ? rc : DB_ERROR;
    }
    return reply_one(r, 200, "read", arena_json(r->arena, p)) == 0 ? DB_OK : DB_ERROR;
}

static int chat_public_read(struct request *r) { return visit_run(r, act_read); }
static int chat_public_message(struct request *r) { return visit_run(r, act_message); }
static int chat_public_handover(struct request *r) { return visit_run(r, act_handover); }
static int chat_public_end(struct request *r) { return visit_run(r, act_end); }
static int chat_public_typing(struct request *r) { return visit_run(r, act_typing); }

/* GET …/:id: the widget and secret from headers only (a GET has no body). */
static int visitor_read(struct request *r, struct visitor *v, struct db_result **row)
{
    if (visitor_widget(r, NULL, v) != 0)
        return -1;
    int rc = visitor_session(r, v, request_param(r, "id"), false, row);
    if (rc == TXN_ANSWERED)
        return -1;
    return rc == DB_OK ? 0 : request_db_error(r, rc);
}

static int chat_public_status(struct request *r)
{
    struct visitor v = {0};
    struct db_result *row;
    if (visitor_read(r, &v, &row) != 0)
        return -1;
    int rc = answer_status(r, 200, row, NULL);
    return rc == DB_OK ? 0 : request_oom(r);
}

/* The session and its messages (?after=<message id> for the newer ones only). */
static int chat_public_session(struct request *r)
{
    struct visitor v = {0};
    struct db_result *row;
    struct json_object *msgs;
    long long after;
    if (query_int(r, "after", 0, (long long)1 << 62, 0, &after) < 0)
        return request_check_fields(r);
    if (visitor_read(r, &v, &row) != 0)
        return -1;
    int rc = chat_messages_json(r, db_get(row, 0, "id"), after, MESSAGES_MAX, &msgs);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (answer_status(r, 200, row, NULL) != DB_OK ||
        json_set(r->reply.data, "messages", json_object_get(msgs)) != 0)
        return request_oom(r);
    return 0;
}

#define PUBLIC_ROUTE(m, p, h, ...)                                                         \
    ROUTE(m, p, h, ROLES_PUBLIC, FAM_CALLCENTER, .flags = ROUTE_THROTTLED, __VA_ARGS__)

static const struct route routes[] = {
    PUBLIC_ROUTE("POST", "/api/chat/public/start", chat_public_start,
                 .summary = "A visitor starts a chat (widget key; answers the session's secret once)",
                 ROUTE_BODY(start_fields), .key = "session", .status = 201),
    PUBLIC_ROUTE("POST", "/api/chat/public/message", chat_public_message,
                 .summary = "The visitor's message", ROUTE_BODY(message_fields), .key = "message",
                 .status = 201),
    PUBLIC_ROUTE("POST", "/api/chat/public/handover", chat_public_handover,
                 .summary = "The visitor asks for a human agent", ROUTE_BODY(session_fields),
                 .key = "session"),
    PUBLIC_ROUTE("POST", "/api/chat/public/end", chat_public_end,
                 .summary = "The visitor ends the chat", ROUTE_BODY(session_fields),
                 .key = "session"),
    PUBLIC_ROUTE("POST", "/api/chat/public/typing", chat_public_typing,
                 .summary = "The visitor is typing (an event, nothing stored)",
                 ROUTE_BODY(typing_fields)),
    PUBLIC_ROUTE("POST", "/api/chat/public/read", chat_public_read,
                 .summary = "The visitor read the agents' messages up to message_id",
                 ROUTE_BODY(read_fields), .key = "read"),
    PUBLIC_ROUTE("GET", "/api/chat/public/session/:id", chat_public_session,
                 .summary = "The visitor's session and its messages (?after=)", .key = "session"),
    PUBLIC_ROUTE("GET", "/api/chat/public/status/:id", chat_public_status,
                 .summary = "The visitor's session status", .key = "session"),
};

ROUTE_GROUP(chat_public_routes, routes);
