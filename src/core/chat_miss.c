/*
 * The clock's move of a chat nobody answered (chat_store.h): the visitor gets the widget's
 * offline message, and what they wrote becomes a ticket (channel chat, the visitor as its
 * requester), so the question is not lost; the session keeps the ticket's id.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "chat_store.h"
#include "db.h"
#include "request.h"
#include "ticket_store.h"
#include "utf8.h"

/* Said when the widget has no offline message of its own. */
static const char default_offline[] =
    "Sorry, nobody is available right now. We will get back to you as soon as possible.";

/* A TEXT column holds 65535 bytes; the transcript is cut well before. */
#define TRANSCRIPT_MAX 60000

/* The visitor's messages, one per line with its time, into *out (arena; NULL: none). */
static int visitor_transcript(struct request *r, const char *session_id, const char **out)
{
    struct db_result *m;
    *out = NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT body, created_at FROM chat_messages WHERE tenant_id = ?"
                     " AND session_id = ? AND sender_type = 'visitor' ORDER BY id LIMIT 200",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(session_id)), &m);
    if (rc != DB_OK || m->nrows == 0)
        return rc;
    size_t cap = TRANSCRIPT_MAX + 1, len = 0;
    char *text = arena_alloc(r->arena, cap);
    if (text == NULL)
        return DB_ERROR;
    text[0] = '\0';
    for (size_t i = 0; i < m->nrows && len < TRANSCRIPT_MAX; i++) {
        int n = snprintf(text + len, cap - len, "%s[%s] %s", i ? "\n" : "",
                         db_get(m, i, "created_at"), db_get(m, i, "body"));
        if (n < 0)
            return DB_ERROR;
        len += (size_t)n < cap - len ? (size_t)n : cap - len - 1;
    }
    /* A cut may have split a character: keep the whole ones only. */
    size_t ok = 0, step;
    while (ok < len && (step = utf8_next((const unsigned char *)text + ok, len - ok)) > 0)
        ok += step;
    text[ok] = '\0';
    *out = text;
    return DB_OK;
}

/* The ticket of a missed chat, and the session's link to it. */
static int missed_ticket(struct request *r, const struct db_result *row)
{
    const char *sid = db_get(row, 0, "id"), *transcript, *ticket;
    const char *name = db_get(row, 0, "visitor_name");
    int rc = visitor_transcript(r, sid, &transcript);
    if (rc != DB_OK || transcript == NULL)
        return rc; /* nothing was asked: no ticket */
    const char *subject = arena_printf(r->arena, "Missed chat from %.200s",
                                       name && *name ? name : "a visitor");
    if (subject == NULL)
        return DB_ERROR;
    rc = ticket_store_create(r,
                             &(struct ticket_new){.subject = subject,
                                                  .description = transcript,
                                                  .channel = "chat",
                                                  .requester_name = name,
                                                  .requester_email =
                                                      db_get(row, 0, "visitor_email"),
                                                  .queue_id = db_get(row, 0, "queue_id")},
                             &ticket);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE chat_sessions SET ticket_id = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(ticket), DB_STR(sid), DB_STR(r->auth.tenant_id)), NULL);
    return rc;
}

int chat_session_miss(struct request *r, const char *session_id)
{
    struct db_result *row, *w;
    int rc = chat_session_lock(r, session_id, &row);
    if (rc != DB_OK)
        return rc == 1 ? DB_OK : rc;
    rc = db_exec(r->db, r->arena,
                 "SELECT s.wait_until <= NOW() AS due, w.offline_message FROM chat_sessions s"
                 " LEFT JOIN chat_widgets w ON w.tenant_id = s.tenant_id AND w.id = s.widget_id"
                 " WHERE s.id = ? AND s.tenant_id = ?",
                 DB_PARAMS(DB_STR(session_id), DB_STR(r->auth.tenant_id)), &w);
    /* A request got there first (assigned, ended) or the wait was extended: not due. */
    if (rc != DB_OK || strcmp(db_get(row, 0, "status"), "waiting") != 0 ||
        db_get_int(w, 0, "due", 0) != 1)
        return rc;
    const char *offline = db_get(w, 0, "offline_message");
    if (offline == NULL || *offline == '\0')
        offline = default_offline;
    rc = missed_ticket(r, row);
    if (rc == DB_OK)
        rc = chat_message_add(r,
                              &(struct chat_message_new){.session_id = session_id,
                                                         .sender_type = "system",
                                                         .body = offline},
                              NULL);
    if (rc == DB_OK)
        rc = chat_session_finish(r, row, "missed", "system");
    return rc;
}
