/*
 * The clock's move of a chat nobody answered (chat_store.h): the visitor gets the widget's
 * offline message, and what they wrote becomes a ticket, so the question is not lost.
 */
#include <string.h>

#include "arena.h"
#include "chat_store.h"
#include "db.h"
#include "request.h"

/* Said when the widget has no offline message of its own. */
static const char default_offline[] =
    "Sorry, nobody is available right now. We will get back to you as soon as possible.";

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
    rc = chat_message_add(r,
                          &(struct chat_message_new){.session_id = session_id,
                                                     .sender_type = "system",
                                                     .body = offline},
                          NULL);
    if (rc == DB_OK)
        rc = chat_session_finish(r, row, "missed", "system");
    return rc;
}
