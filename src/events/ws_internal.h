#ifndef SB_EVENTS_WS_INTERNAL_H
#define SB_EVENTS_WS_INTERNAL_H
/*
 * WebSocket subscribers (RFC 6455; frames by libwslay). A socket is a stream of the hub
 * (struct sub, counted with the SSE streams against the same per-session and per-tenant
 * caps, fed by the same fan-out and replays); what differs is how an event is written
 * (a text frame in the client family's framing) and that the client talks back
 * (subscribe, unsubscribe, ping, auth, typing).
 *
 *   ws.c         a socket's life: the 101, wslay's callbacks, client messages, keepalive
 *   ws_frames.c  the families' framing and subscriptions (pure: no I/O)
 *   ws_api.c     the routes: /ws, /ws/stats, /ws/public/:session_key,
 *                /ws/users/:userId/online; the handshake and who is asking
 *   ws_online.c  presence: who has a live stream (in MariaDB, shared by every worker)
 *
 * Private to those files and the hub's (hub.c, hub_stream.c call the hooks below).
 */
#include <stddef.h>

struct ev;
struct event;
struct hub;
struct http_conn;
struct json_object;
struct stream_params;
struct sub;

enum ws_family { WS_CALLCENTER, WS_COLDCALLER, WS_CALLDOCKER };
enum ws_kind { WS_FEED, WS_STATS, WS_PUBLIC, WS_ONLINE };

#define WS_NAME_MAX 64
#define WS_MAX_SUBS 32
#define WS_MSG_MAX 8192 /* a client message longer than this closes the socket (1009) */

/* What a client subscribed to: nothing yet (active 0: every event its route gives), or
 * these names: exact event types, type prefixes ("chat" is chat.*), or coldcaller
 * channels. */
struct ws_subs {
    int active;
    size_t n;
    struct {
        char name[WS_NAME_MAX + 1];
        int prefix;
    } e[WS_MAX_SUBS];
};

/* ---- ws_frames.c -------------------------------------------------------------------- */

/* "callcenter", "coldcaller", "calldocker" (NULL or unknown: -1). */
int ws_family_parse(const char *name);
/* The family a first client message speaks (the keys it uses). */
enum ws_family ws_family_guess(struct json_object *msg);
/* Event e as the family frames it (JSON text, malloc'd, *len set); NULL when out of
 * memory or when e is not valid JSON. Every frame carries "id" (the event's cursor). */
char *ws_frame_event(enum ws_family f, const struct event *e, size_t *len);
/* A frame of our own (connected, pong, subscribed, error, …) in the family's framing:
 * type as given (already the family's name), data (taken; NULL for {}), id (NULL: none).
 * malloc'd text or NULL. */
char *ws_frame_control(enum ws_family f, const char *type, struct json_object *data,
                       const char *id, size_t *len);
/* A coldcaller frame of our own on a channel other than "system" (metricsUpdate on
 * "metrics"): data (taken; NULL for {}), no id, timestamp now. malloc'd text or NULL. */
char *ws_frame_channel(const char *type, const char *channel, struct json_object *data,
                       size_t *len);
/* The coldcaller channel of an event type ("calls", "agents", "chat", …), into buf. */
const char *ws_channel_of(const char *type, char *buf, size_t size);
/* 1 when e passes the client's subscriptions. */
int ws_subs_match(const struct ws_subs *s, enum ws_family f, const char *type);
/* Applies a subscribe (add 1) or unsubscribe (add 0) message of family f. 0, or -1 with
 * *why when malformed. */
int ws_subs_apply(struct ws_subs *s, enum ws_family f, struct json_object *msg, int add,
                  const char **why);
/* The subscriptions as {"events":[…],"topics":[…]} (callcenter) or {"channels":[…]}. */
struct json_object *ws_subs_json(const struct ws_subs *s, enum ws_family f);

/* ---- ws.c --------------------------------------------------------------------------- */

/* What ws_api.c learnt before the handshake. */
struct ws_opts {
    enum ws_kind kind;
    int family;                  /* -1: from the client's first message */
    const char *accept;          /* Sec-WebSocket-Accept */
    const char *protocol;        /* Sec-WebSocket-Protocol to echo, or NULL */
    int authed;                  /* public: 0 until the visitor's secret is checked */
    const char *secret_hash;     /* public: sha256 hex of the visitor's secret */
    const char *online_user;     /* WS_ONLINE: whose presence */
};

/* Answers 101 on c and starts the socket as a stream of the hub. */
void ws_start(struct hub *h, struct http_conn *c, const struct stream_params *p,
              const struct ws_opts *o);

/* Hooks of the hub (hub.c, hub_stream.c) for a sub that is a socket (s->ws). */
int ws_send_event(struct sub *s, const struct event *e);
/* 1 when s is a started coldcaller socket that subscribed to the channel of our event
 * type `type` (or to the type itself): periodic frames go to those only. */
int ws_wants(const struct sub *s, const char *type);
/* Sends a frame already built (JSON text, copied); counted as delivered. 0, or -1 when
 * the socket is gone (s is then released). */
int ws_send_text(struct sub *s, const char *text, size_t len);
/* The socket's framing (enum ws_family), -1 while not known yet. */
int ws_family_of(const struct sub *s);
/* The heartbeat: a ping; a socket whose previous ping is unanswered is dropped. */
void ws_heartbeat(struct sub *s);
/* Ends the socket: the final frame (JSON text, may be NULL), then a close with code. */
void ws_end(struct sub *s, const char *final, int code, const char *reason);
void ws_free(struct sub *s);

/* ---- ws_online.c -------------------------------------------------------------------- */

/* A staff stream (SSE, or a socket when is_socket) of user_id opened (+1) or closed (-1):
 * noted in stream_presence for this worker. Failures are logged, never fatal. */
void ws_online_note(struct ev *ev, const char *tenant_id, const char *user_id, int delta,
                    int is_socket);
/* Forgets this worker's presence rows. */
void ws_online_reset(struct ev *ev);
/* Shutting down: forgets this worker's rows at once; streams closing note nothing more. */
void ws_online_stop(struct ev *ev);
/* Keeps this worker's rows alive (housekeeping, every few seconds). */
void ws_online_refresh(struct ev *ev);
/* Writes a chat.typing event for chat_session (audience chat:<id>): the visitor's
 * (agent_id NULL) or an agent's. DB_OK, 1 when the session is not a live one of the
 * tenant, or a negative db_rc. */
int ws_chat_typing(struct ev *ev, const char *tenant_id, const char *chat_session,
                   const char *agent_id, int typing);
/* 1 online, 0 offline, or a negative db_rc. */
int ws_online_query(struct ev *ev, const char *tenant_id, const char *user_id);

#endif
