#ifndef SB_CHAT_STORE_H
#define SB_CHAT_STORE_H
/*
 * Live chat's writes shared by the agent routes, the visitor's public routes and the clock
 * (issue 9). Every function runs inside the caller's transaction (txn.h) as the session's
 * tenant (r->auth.tenant_id) and returns DB_OK, TXN_ANSWERED (an error was answered with
 * txn_fail) or a negative db_rc. Whatever the visitor may see is emitted as an event whose
 * audience is "chat:<session id>" (event_out.h), so the visitor's socket and the tenant's
 * staff see it and nobody else; callers then call event_wake_after_commit(r).
 */
#include <stdbool.h>

struct db_result;
struct json_object;
struct request;

/* The SQL expression of a user's display name (u: users). */
#define CHAT_USER_NAME "COALESCE(NULLIF(TRIM(CONCAT_WS(' ', u.first_name, u.last_name)), ''), u.email)"

/* A widget's allowed origin as stored: lower-cased in place; true when it is "*" or
 * http(s)://host[:port] with no path. Pure. */
bool chat_origin_normalise(char *s);
/* Whether a request's Origin header (NULL when none) is one of allowed_json (the widget's
 * allowed_origins: a JSON array of normalised origins, "*" for any). Every public chat call
 * and the visitor's WebSocket upgrade check it. Pure. */
bool chat_origin_allowed(const char *allowed_json, const char *origin);

/* Statuses in which a session is over. Pure. */
bool chat_status_ended(const char *status);

/* The session's row (id, session_key, widget_id, user_id, queue_id, status, visitor_name,
 * visitor_email, ticket_id) locked until the commit: DB_OK, 1 when absent, or a db_rc. */
int chat_session_lock(struct request *r, const char *id, struct db_result **row);

/* Emits type for the session (audience chat:<id>); payload is released. */
int chat_emit(struct request *r, const char *type, const char *session_id,
              struct json_object *payload);

struct chat_message_new {
    const char *session_id;
    const char *sender_type; /* visitor, agent, system, bot */
    const char *user_id;     /* the agent's, else NULL */
    const char *sender_name; /* shown with the message; may be NULL */
    const char *body;
};
/* Stores a message, emits chat.message, and puts the stored message as the visitor and the
 * agents read it (id, session_id, sender_type, sender_id, sender_name, body, read_at,
 * created_at) into *out (arena; may be NULL). An agent's first message sets the session's
 * first_response_at. */
int chat_message_add(struct request *r, const struct chat_message_new *m,
                     struct json_object **out);

/*
 * Gives the locked session (row from chat_session_lock) to user_id, or, user_id NULL, to an
 * online chat agent with room (of the session's queue when it has one): fewest active chats
 * first, then the longest idle. The agent's row is locked and its count checked in the same
 * statement, so two assignments never take one agent past max_concurrent_chats. The
 * previous agent, if any, gets a chat back. Emits chat.session.assigned and
 * chat.agent.joined, notifies the agent. *assigned (may be NULL) gets the user id, NULL
 * when nobody was free (then DB_OK and nothing changed). A named user who is not a chat
 * agent answers 422, one at capacity 409.
 */
int chat_session_assign(struct request *r, const struct db_result *row, const char *user_id,
                        const char **assigned);

/*
 * The visitor asks for a human (or the chat went to a queue): chat_session_assign() to the
 * best free agent; when nobody is free the session is marked (handover_at) so the clock
 * gives it to the first agent who becomes free (chat_session_dispatch). *assigned as there.
 */
int chat_session_handover(struct request *r, const struct db_result *row,
                          const char **assigned);

/* The clock's move: a session still waiting for a human goes to a free agent if there is
 * one now. *moved is 1 when it was assigned. */
int chat_session_dispatch(struct request *r, const char *session_id, int *moved);

/* Ends the locked session with status (closed, abandoned, missed), gives its agent a chat
 * back and emits chat.session.ended with `by` (visitor, agent, system). */
int chat_session_finish(struct request *r, const struct db_result *row, const char *status,
                        const char *by);

/* The clock's move (src/clock/tick.c): a session still waiting past its wait_until becomes
 * 'missed', the widget's offline message is posted, and the visitor's messages become a
 * ticket. Does nothing when the session moved meanwhile. */
int chat_session_miss(struct request *r, const char *session_id);

/* The session's messages with id > after, oldest first, at most limit, as a JSON array
 * (arena) of {id, session_id, sender_type, sender_id, sender_name, message_type, body,
 * read_at, created_at}. Usable outside a transaction. DB_OK or a db_rc. */
int chat_messages_json(struct request *r, const char *session_id, long long after,
                       long long limit, struct json_object **out);

#endif
