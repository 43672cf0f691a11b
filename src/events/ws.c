/*
 * A WebSocket subscriber's life (ws_internal.h): the 101, wslay's callbacks, the client's
 * messages and the keepalive.
 *
 * The socket is a stream of the hub (struct sub with s->ws set), so it shares the SSE
 * machinery: live fan-out, paced replays from the ring or the database, the per-tenant
 * caps, the slow-reader drop (wslay hands every frame at once to http_conn_write, so the
 * connection's output cap and the stuck check see the real backlog).
 *
 * A socket starts held (s->held): nothing is sent until the framing is known (?family=,
 * else the client's first message, else WS_GUESS_MS of silence: callcenter) and, on a
 * visitor's socket, the secret is checked. Held, it is "catching up" from its cursor, so
 * the live fan-out skips it; once released, the replay brings it to the watermark and it
 * goes live (hub_stream.c), exactly as an SSE stream resuming with Last-Event-ID. A first
 * message that subscribes is applied before the replay, so the replay is filtered too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <wslay/wslay.h>

#include "config.h"
#include "crypto.h"
#include "cursor.h"
#include "events.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "loop.h"
#include "hub_internal.h"
#include "ws_internal.h"

#define WS_GUESS_MS 400     /* no first message this long: the default framing */
#define WS_AUTH_MS 10000    /* a visitor has this long to send its secret */
#define WS_TYPING_MS 1000   /* a visitor's typing is forwarded at most this often */

struct ws {
    struct sub *sub;
    struct ev *ev;
    wslay_event_context_ptr ctx;
    enum ws_kind kind;
    enum ws_family family;
    unsigned family_known : 1, authed : 1, ping_out : 1, started : 1, lost : 1, welcomed : 1;
    const char *in; /* the bytes on_data is handing to wslay */
    size_t in_len;
    struct loop_timer timer; /* framing guess, visitor's auth deadline */
    long long last_typing;
    int online; /* WS_ONLINE: last state sent, -1 none */
    struct ws_subs subs;
    char secret_hash[65];
    char online_user[WS_NAME_MAX + 1];
    char cursor[CURSOR_TEXT_LEN + 1]; /* the position the socket starts from */
};

static void ws_flush(struct sub *s);

/* ---- wslay's callbacks ------------------------------------------------------------------ */

static ssize_t cb_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct ws *ws = ((struct sub *)user)->ws;
    if (ws->in_len == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < ws->in_len ? len : ws->in_len;
    memcpy(buf, ws->in, n);
    ws->in += n;
    ws->in_len -= n;
    return (ssize_t)n;
}

static ssize_t cb_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct sub *s = user;
    /* The connection's own queue takes it all, up to its cap: over it the client is too
     * slow and is dropped (as SSE), which ends the socket. */
    if (s->dead || s->conn == NULL || http_conn_write(s->conn, data, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static void ws_message(struct sub *s, const char *p, size_t n);

static void cb_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user)
{
    (void)ctx;
    struct sub *s = user;
    if (s->dead)
        return;
    s->ws->ping_out = 0; /* any frame proves the client alive */
    if (arg->opcode == WSLAY_TEXT_FRAME)
        ws_message(s, (const char *)arg->msg, arg->msg_length);
}

/* ---- output ------------------------------------------------------------------------ */

/* Ends the connection once what is queued is written. */
static void ws_finish(struct sub *s)
{
    struct http_conn *c = s->conn;
    if (s->dead)
        return;
    sub_release(s);
    if (c != NULL)
        http_stream_end(c);
}

static void ws_flush(struct sub *s)
{
    if (s->dead)
        return;
    struct ws *ws = s->ws;
    if (wslay_event_send(ws->ctx) != 0) {
        struct http_conn *c = s->conn;
        if (!s->dead) {
            sub_release(s);
            if (c != NULL)
                http_conn_close(c);
        }
        return;
    }
    if (wslay_event_get_close_sent(ws->ctx))
        ws_finish(s);
}

/* Queues a text frame (copied) and sends it. 0, or -1 when the socket is gone. */
static int ws_text(struct sub *s, const char *text, size_t len)
{
    if (s->dead || text == NULL)
        return -1;
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)text, len};
    if (wslay_event_queue_msg(s->ws->ctx, &m) != 0)
        return -1;
    ws_flush(s);
    return s->dead ? -1 : 0;
}

static int ws_control(struct sub *s, const char *type, struct json_object *data, const char *id)
{
    size_t len;
    char *text = ws_frame_control(s->ws->family, type, data, id, &len);
    int rc = ws_text(s, text, len);
    free(text);
    return rc;
}

static void ws_error(struct sub *s, const char *message)
{
    struct json_object *d = json_object_new_object();
    if (json_set_str(d, "message", message) != 0) {
        json_object_put(d);
        d = NULL;
    }
    ws_control(s, "error", d, NULL);
}

void ws_end(struct sub *s, const char *final, int code, const char *reason)
{
    if (s->dead || s->ws == NULL)
        return;
    /* Sent before the close is queued: wslay sends control frames ahead of data. */
    if (final != NULL && ws_text(s, final, strlen(final)) != 0)
        return;
    wslay_event_queue_close(s->ws->ctx, (uint16_t)code, (const uint8_t *)reason,
                            reason ? strlen(reason) : 0);
    ws_flush(s);
    ws_finish(s);
}

/* ---- presence (WS_ONLINE) ------------------------------------------------------------ */

static void online_push(struct sub *s)
{
    struct ws *ws = s->ws;
    int on = ws_online_query(ws->ev, s->tenant->id, ws->online_user);
    if (on < 0 || on == ws->online)
        return;
    ws->online = on;
    struct json_object *d = json_object_new_object();
    if (json_set_str(d, "user_id", ws->online_user) != 0 || json_set_bool(d, "online", on) != 0) {
        json_object_put(d);
        return;
    }
    ws_control(s, ws->family == WS_CALLCENTER ? "user.online" : "user_online", d, NULL);
}

/* ---- events ------------------------------------------------------------------------ */

/*
 * The frame of e in family f. A fan-out frames one event for every socket in a row, so
 * the last frame of each family is kept (ids are unique for the process's life) and the
 * JSON is rebuilt once per event and family, not once per socket.
 */
static const char *frame_of(enum ws_family f, const struct event *e, size_t *len)
{
    static struct {
        unsigned long long id;
        char *text;
        size_t len;
    } last[3];
    if (last[f].text == NULL || last[f].id != e->id) {
        free(last[f].text);
        last[f].text = ws_frame_event(f, e, &last[f].len);
        last[f].id = e->id;
    }
    *len = last[f].len;
    return last[f].text;
}

int ws_send_event(struct sub *s, const struct event *e)
{
    struct ws *ws = s->ws;
    s->last_id = e->id;
    if (s->dead)
        return -1;
    if (ws->kind == WS_ONLINE) {
        /* Its filter passes only the events that may change it; a replay of old ones
         * says nothing the state pushed at the start did not. */
        if (!s->catching_up)
            online_push(s);
        return s->dead ? -1 : 0;
    }
    if (!ws_subs_match(&ws->subs, ws->family, e->type))
        return 0;
    size_t len;
    const char *text = frame_of(ws->family, e, &len);
    if (text == NULL)
        return 0; /* out of memory or a bad payload: skipped, as SSE loses a bad payload */
    int rc = ws_text(s, text, len);
    if (rc == 0)
        ws->ev->counters.delivered++;
    return rc;
}

int ws_wants(const struct sub *s, const char *type)
{
    const struct ws *ws = s->ws;
    /* Only a client that subscribed: periodic frames are never part of "everything". */
    return ws != NULL && !s->dead && ws->started && ws->kind == WS_FEED &&
           ws->family == WS_COLDCALLER && ws->subs.active &&
           ws_subs_match(&ws->subs, WS_COLDCALLER, type);
}

int ws_send_text(struct sub *s, const char *text, size_t len)
{
    int rc = ws_text(s, text, len);
    if (rc == 0)
        s->ws->ev->counters.delivered++;
    return rc;
}

int ws_family_of(const struct sub *s)
{
    return s->ws != NULL && s->ws->family_known ? (int)s->ws->family : -1;
}

void ws_heartbeat(struct sub *s)
{
    struct ws *ws = s->ws;
    if (ws->ping_out) {
        log_info("events: socket %llu dropped: no answer to the last ping",
                 s->conn ? http_conn_id(s->conn) : 0ULL);
        struct http_conn *c = s->conn;
        sub_release(s);
        if (c != NULL)
            http_conn_close(c);
        return;
    }
    struct wslay_event_msg m = {WSLAY_PING, (const uint8_t *)"", 0};
    if (wslay_event_queue_msg(ws->ctx, &m) == 0)
        ws->ping_out = 1;
    ws_flush(s);
    if (!s->dead && ws->kind == WS_ONLINE && ws->started)
        online_push(s); /* presence may change without an event (a host going away) */
}

/* ---- starting --------------------------------------------------------------------------- */

static const char *welcome_type(enum ws_family f)
{
    return f == WS_CALLDOCKER ? "connection_established" : "connected";
}

/* Framing known and visitor checked: the welcome (with the socket's starting cursor),
 * and a reset when that cursor was lost. 0, or -1 when the socket is gone. */
static int ws_welcome(struct sub *s)
{
    struct ws *ws = s->ws;
    if (ws->welcomed)
        return s->dead ? -1 : 0;
    ws->welcomed = 1;
    loop_timer_stop(ws->ev->loop, &ws->timer);
    struct json_object *d = json_object_new_object();
    /* A visitor is not told which tenant it talks to. */
    if ((ws->kind != WS_PUBLIC && json_set_str(d, "tenant_id", s->tenant->id) != 0) ||
        json_set_str(d, "cursor", ws->cursor) != 0 ||
        json_set_int(d, "heartbeat_seconds", ws->ev->cfg->event_heartbeat_seconds) != 0) {
        json_object_put(d);
        d = NULL;
    }
    if (ws_control(s, welcome_type(ws->family), d, ws->cursor) != 0)
        return -1;
    if (ws->lost) {
        char fresh[CURSOR_TEXT_LEN + 1];
        unsigned long long w = feed_watermark(ws->ev->feed, s->tenant);
        if (cursor_encode_fresh(s->tenant->cursor, w, fresh) != 0 ||
            ws_control(s, "reset", NULL, fresh) != 0)
            return -1;
        s->last_id = w; /* what was lost is lost: the client reloads */
    }
    return 0;
}

/* The welcome when not yet sent, then the replay and live events. */
static void ws_go(struct sub *s)
{
    struct ws *ws = s->ws;
    if (ws->started || s->dead || ws_welcome(s) != 0)
        return;
    ws->started = 1;
    if (ws->kind == WS_ONLINE) {
        online_push(s);
        if (s->dead)
            return;
    }
    s->held = 0;
    hub_stream_catchup(s);
}

static void ws_timer(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)loop;
    (void)t;
    struct sub *s = data;
    if (s->dead)
        return;
    if (!s->ws->authed) {
        ws_end(s, NULL, 1008, "authentication required");
        return;
    }
    s->ws->family_known = 1; /* silence: the default framing (callcenter) */
    ws_go(s);
}

static struct ws *ws_new(struct sub *s, struct ev *ev, const struct ws_opts *o)
{
    struct ws *ws = calloc(1, sizeof(*ws));
    if (ws == NULL)
        return NULL;
    static const struct wslay_event_callbacks cbs = {cb_recv, cb_send, NULL, NULL,
                                                      NULL,    NULL,    cb_msg};
    if (wslay_event_context_server_init(&ws->ctx, &cbs, s) != 0) {
        free(ws);
        return NULL;
    }
    wslay_event_config_set_max_recv_msg_length(ws->ctx, WS_MSG_MAX);
    ws->sub = s;
    ws->ev = ev;
    ws->kind = o->kind;
    ws->family = o->family >= 0 ? (enum ws_family)o->family : WS_CALLCENTER;
    ws->family_known = o->family >= 0;
    ws->authed = o->authed;
    ws->online = -1;
    snprintf(ws->secret_hash, sizeof(ws->secret_hash), "%s", o->secret_hash ? o->secret_hash : "");
    snprintf(ws->online_user, sizeof(ws->online_user), "%s", o->online_user ? o->online_user : "");
    loop_timer_init(&ws->timer, ws_timer, s);
    return ws;
}

void ws_free(struct sub *s)
{
    struct ws *ws = s->ws;
    if (ws == NULL)
        return;
    loop_timer_stop(ws->ev->loop, &ws->timer);
    wslay_event_context_free(ws->ctx);
    free(ws);
    s->ws = NULL;
}

/* ---- the client's messages ---------------------------------------------------------------- */

static const char *msg_str(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* {"type":"auth","payload":{"secret":…}} (or "secret" at the top): the visitor's proof. */
static void msg_auth(struct sub *s, struct json_object *msg)
{
    struct ws *ws = s->ws;
    struct json_object *pl = NULL;
    json_object_object_get_ex(msg, "payload", &pl);
    const char *secret = msg_str(pl, "secret");
    if (secret == NULL)
        secret = msg_str(msg, "secret");
    char hash[65];
    if (secret != NULL)
        crypto_sha256_hex(secret, strlen(secret), hash);
    if (secret == NULL || strlen(ws->secret_hash) != 64 || !crypto_equal(hash, ws->secret_hash, 64)) {
        ws_end(s, "{\"type\":\"error\",\"payload\":{\"message\":\"Wrong secret\"}}", 1008,
               "unauthorized");
        return;
    }
    ws->authed = 1;
    ws_go(s);
}

static void msg_subscribe(struct sub *s, struct json_object *msg, int add)
{
    struct ws *ws = s->ws;
    const char *why = NULL;
    if (ws_subs_apply(&ws->subs, ws->family, msg, add, &why) != 0) {
        ws_error(s, why);
        return;
    }
    ws_control(s, add ? "subscribed" : "unsubscribed", ws_subs_json(&ws->subs, ws->family), NULL);
}

/* Typing: the visitor's for its own session; a staff socket's for the session it names
 * (payload.session_id), as that user. At most one a WS_TYPING_MS per socket. */
static void msg_typing(struct sub *s, struct json_object *msg)
{
    struct ws *ws = s->ws;
    long long now = loop_now(ws->ev->loop);
    if (now - ws->last_typing < WS_TYPING_MS)
        return;
    ws->last_typing = now;
    struct json_object *pl = NULL, *v = NULL;
    json_object_object_get_ex(msg, "payload", &pl);
    int typing = 1;
    if (pl != NULL && json_object_object_get_ex(pl, "is_typing", &v) &&
        json_object_is_type(v, json_type_boolean))
        typing = json_object_get_boolean(v);
    const char *session = s->filter.chat_session, *agent = NULL;
    if (ws->kind != WS_PUBLIC) {
        session = pl != NULL ? msg_str(pl, "session_id") : NULL;
        agent = s->user_id;
        if (session == NULL || strlen(session) > 64) {
            ws_error(s, "chat.typing needs payload.session_id");
            return;
        }
    }
    int rc = ws_chat_typing(ws->ev, s->tenant->id, session, agent, typing);
    if (rc < 0)
        ws_error(s, "The typing indicator could not be sent");
    else if (rc == 1)
        ws_error(s, "No such chat session in progress");
}

static void ws_message(struct sub *s, const char *p, size_t n)
{
    struct ws *ws = s->ws;
    struct json_object *msg = NULL;
    if (json_parse_object(p, n, &msg) != 0) {
        ws_error(s, "Messages are JSON objects");
        return;
    }
    if (!ws->family_known) {
        ws->family = ws_family_guess(msg);
        ws->family_known = 1;
        /* The welcome first; the message (a subscription) is applied before the replay. */
        if (ws->authed && ws_welcome(s) != 0) {
            json_object_put(msg);
            return;
        }
    }
    const char *type = msg_str(msg, "type");
    /* {"payload":{"topics":[…]}} without a type subscribes too. */
    int sub = type == NULL && json_object_object_get_ex(msg, "payload", NULL);
    if (type == NULL)
        type = "";
    sub = sub || strcmp(type, "subscribe") == 0;
    if (ws->kind == WS_PUBLIC && !ws->authed) {
        if (strcmp(type, "auth") == 0)
            msg_auth(s, msg);
        else
            ws_end(s, NULL, 1008, "authentication required");
    } else if (strcmp(type, "ping") == 0) {
        ws_control(s, "pong", NULL, NULL);
    } else if (sub && ws->kind != WS_PUBLIC) {
        msg_subscribe(s, msg, 1);
    } else if (strcmp(type, "unsubscribe") == 0 && ws->kind != WS_PUBLIC) {
        msg_subscribe(s, msg, 0);
    } else if (strcmp(type, "join_room") == 0 || strcmp(type, "leave_room") == 0) {
        ws_control(s, strcmp(type, "join_room") == 0 ? "room_joined" : "room_left", NULL, NULL);
    } else if ((ws->kind == WS_PUBLIC || ws->kind == WS_FEED) &&
               (strcmp(type, "chat.typing") == 0 || strcmp(type, "typing") == 0)) {
        msg_typing(s, msg);
    } else if (strcmp(type, "auth") != 0) {
        ws_error(s, "Unknown message type");
    }
    json_object_put(msg);
    /* The first message decided the framing (and applied its subscription): go. */
    if (!s->dead && ws->family_known && ws->authed)
        ws_go(s);
}

static void ws_on_data(struct http_conn *c, void *user, const char *p, size_t n)
{
    struct sub *s = user;
    if (s == NULL || s->dead || s->ws == NULL)
        return;
    s->ws->in = p;
    s->ws->in_len = n;
    int rc = wslay_event_recv(s->ws->ctx);
    s->ws->in_len = 0;
    if (s->dead)
        return;
    if (rc != 0) {
        sub_release(s);
        http_conn_close(c);
        return;
    }
    ws_flush(s);
}

void ws_start(struct hub *h, struct http_conn *c, const struct stream_params *p,
              const struct ws_opts *o)
{
    struct feed *f = h->ev->feed;
    unsigned long long w = feed_watermark(f, p->tenant);
    int lost = p->have_cursor && feed_cursor_lost(f, p->tenant, p->after);
    unsigned long long start = p->have_cursor && !lost ? p->after : w;
    char headers[512];
    int n = snprintf(headers, sizeof(headers),
                     "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                     "%s%s%s",
                     o->accept, o->protocol ? "Sec-WebSocket-Protocol: " : "",
                     o->protocol ? o->protocol : "", o->protocol ? "\r\n" : "");
    struct sub *s = sub_new(h, p, 0);
    struct ws *ws = s ? ws_new(s, h->ev, o) : NULL;
    if (ws != NULL)
        s->ws = ws; /* freed with s (sub_free) */
    int bad = n < 0 || (size_t)n >= sizeof(headers) || ws == NULL;
    if (!bad && p->have_cursor && !lost)
        bad = snprintf(ws->cursor, sizeof(ws->cursor), "%s", p->after_text) >=
              (int)sizeof(ws->cursor);
    else if (!bad)
        bad = cursor_encode_fresh(p->tenant->cursor, start, ws->cursor) != 0;
    if (bad) {
        if (s != NULL) {
            s->dead = 1;
            loop_defer(h->ev->loop, &s->defer);
        }
        http_reply_error(c, 500, "internal_error", "Out of memory", p->cors);
        return;
    }
    ws->lost = lost ? 1 : 0;
    if (http_upgrade(c, headers, ws_on_data) != 0) {
        s->dead = 1;
        loop_defer(h->ev->loop, &s->defer);
        return;
    }
    s->conn = c;
    http_conn_set_user(c, s, sub_on_close);
    s->last_id = start;
    s->held = 1;
    s->catching_up = 1; /* held: the live fan-out skips it until the replay has run */
    sub_link(s);
    hub_stream_run(s, p->expires_in_ms);
    if (s->dead)
        return;
    log_debug("events: socket %llu open: tenant %s, kind %d, cursor %llu of %llu",
              http_conn_id(c), p->tenant->id, (int)o->kind, start, w);
    if (ws->family_known && ws->authed)
        ws_go(s);
    else if (loop_timer_start(h->ev->loop, &ws->timer, ws->authed ? WS_GUESS_MS : WS_AUTH_MS) != 0)
        ws_end(s, NULL, 1011, "out of memory");
}
