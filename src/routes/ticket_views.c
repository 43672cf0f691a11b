/*
 * The tickets' other lists and their conversation: my tickets, full-text search, overdue,
 * and the messages of a ticket (public replies and internal notes). The lists are the
 * tickets resource's (tickets.c): the same filters, sorts and paging, with a WHERE of
 * their own.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "mention.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "ticket_store.h"
#include "tickets.h"
#include "txn.h"

/* The longest ?q=, in bytes: 255 characters of up to 4 bytes each. */
#define SEARCH_MAX_BYTES 1020

/* Assigned to me, or nobody's yet in a queue I am a member of (the team's). */
static int tickets_my(struct request *r)
{
    struct qb w;
    qb_init(&w, r->arena);
    qb_addv(&w,
            " AND (assigned_to = ? OR (assigned_to IS NULL AND queue_id IN"
            " (SELECT queue_id FROM queue_members WHERE tenant_id = ? AND user_id = ?)))",
            DB_STR(r->auth.user_id), DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id));
    return resource_list(r, &tickets, &w);
}

/*
 * ?q= over the subject and description (ft_tickets_text) and every message of the ticket
 * (ft_ticket_messages_body), each by its FULLTEXT index in natural language mode; a
 * ticket matching either way is in the page, newest first unless ?sort= says otherwise.
 */
static int tickets_search(struct request *r)
{
    const char *q = request_query(r, "q");
    if (q == NULL || q[strspn(q, " \t")] == '\0')
        request_field_error(r, "q", "is required");
    else if (strlen(q) > SEARCH_MAX_BYTES)
        request_field_error(r, "q", "must be at most 1020 bytes");
    if (request_check_fields(r) != 0)
        return -1;
    struct qb w;
    qb_init(&w, r->arena);
    qb_addv(&w,
            " AND (id IN (SELECT id FROM tickets WHERE tenant_id = ?"
            " AND MATCH(subject, description) AGAINST (? IN NATURAL LANGUAGE MODE))"
            " OR id IN (SELECT ticket_id FROM ticket_messages WHERE tenant_id = ?"
            " AND MATCH(body) AGAINST (? IN NATURAL LANGUAGE MODE)))",
            DB_STR(r->auth.tenant_id), DB_STR(q), DB_STR(r->auth.tenant_id), DB_STR(q));
    return resource_list(r, &tickets, &w);
}

/* Not resolved or closed, past the resolution due time or still unanswered past the first
 * response's. */
static int tickets_overdue(struct request *r)
{
    struct qb w;
    qb_init(&w, r->arena);
    qb_add(&w, " AND status NOT IN ('resolved','closed') AND (due_at <= NOW()"
               " OR (first_response_at IS NULL AND first_response_due_at <= NOW()))");
    return resource_list(r, &tickets, &w);
}

/* ---- messages --------------------------------------------------------------------------- */

static const struct filter_def message_filters[] = {
    {"is_internal", FILTER_BOOL, " AND m.is_internal = ?", NULL, NULL},
};

static const char *const message_json_cols[] = {"attachments", NULL};

static const struct resource messages = {
    .table = "ticket_messages",
    .columns = "m.id, m.ticket_id, m.user_id AS author_id, m.author_type,"
               " TRIM(CONCAT_WS(' ', u.first_name, u.last_name)) AS author_name,"
               " u.email AS author_email, m.body, m.is_internal, m.attachments, m.created_at",
    .from = "ticket_messages m LEFT JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id",
    .id_col = "m.id",
    .tenant_col = "m.tenant_id",
    .json_cols = message_json_cols,
    RESOURCE_NAMES("message", "messages", "Message not found"),
    .order = "m.id",
    RESOURCE_FILTERS(message_filters),
    .default_limit = 50,
};

enum { M_BODY, M_INTERNAL, M_NFIELDS };

static const struct field_def message_fields[] = {
    [M_BODY] = {"body", FT_TEXT, F_REQUIRED, 1, 65535, NULL, NULL, "message"},
    [M_INTERNAL] = {"is_internal", FT_BOOL, 0, 0, 0, NULL, NULL, "internal"},
};

struct message_new {
    const char *ticket_id;
    struct field_value v[M_NFIELDS];
};

/* Users mentioned in a reply or a note ("@jane@example.com") hear of it (mention.h). */
static int message_mentions(struct request *r, const char *ticket_id, const char *message_id,
                            const char *body)
{
    char addrs[MENTION_MAX][MENTION_ADDR_MAX + 1];
    size_t n = mention_scan(body, addrs, MENTION_MAX);
    if (n == 0)
        return DB_OK;
    struct db_result *t;
    int rc = db_exec(r->db, r->arena,
                     "SELECT number, subject FROM tickets WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(ticket_id), DB_STR(r->auth.tenant_id)), &t);
    if (rc != DB_OK || t->nrows == 0)
        return rc == DB_OK ? DB_ERROR : rc;
    const char *title = arena_printf(r->arena, "You were mentioned on ticket #%s: %s",
                                     db_get(t, 0, "number"), db_get(t, 0, "subject"));
    const char *data = arena_printf(r->arena, "{\"ticket_id\":\"%s\",\"message_id\":%s}",
                                    ticket_id, message_id);
    return title && data ? mention_notify(r, addrs, n, body, title, data) : DB_ERROR;
}

/*
 * A public reply is the ticket's first response if none came before (its SLA is met); an
 * internal note is for the staff only and answers nobody. Either way the ticket is touched
 * (updated_at), so a list sorted by activity shows it.
 */
static int message_step(struct request *r, void *arg)
{
    struct message_new *m = arg;
    bool internal = m->v[M_INTERNAL].sent && m->v[M_INTERNAL].b;
    struct db_result *res;
    int rc = ticket_lock(r, m->ticket_id, NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO ticket_messages (tenant_id, ticket_id, user_id, author_type,"
                     " body, is_internal) VALUES (?, ?, ?, 'agent', ?, ?)",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(m->ticket_id),
                               DB_STR(r->auth.user_id), DB_STR(m->v[M_BODY].s), DB_INT(internal)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "SELECT LAST_INSERT_ID() AS id", NULL, 0, &res);
    if (rc == DB_OK && res->nrows != 1)
        rc = DB_ERROR;
    if (rc != DB_OK)
        return rc;
    const char *id = db_get(res, 0, "id");
    rc = db_exec(r->db, r->arena,
                 "UPDATE tickets SET first_response_at = IF(?, first_response_at,"
                 " COALESCE(first_response_at, NOW())), updated_at = NOW()"
                 " WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_INT(internal), DB_STR(m->ticket_id), DB_STR(r->auth.tenant_id)),
                 NULL);
    const char *extra = arena_printf(r->arena,
                                     "{\"message_id\":%s,\"is_internal\":%s,\"author_id\":\"%s\"}",
                                     id, internal ? "true" : "false", r->auth.user_id);
    if (rc == DB_OK)
        rc = extra ? ticket_emit(r, "ticket.message", m->ticket_id, extra) : DB_ERROR;
    if (rc == DB_OK)
        rc = message_mentions(r, m->ticket_id, id, m->v[M_BODY].s);
    return rc == DB_OK ? resource_answer(r, &messages, 201, id) : rc;
}

static int ticket_message_add(struct request *r)
{
    struct message_new m = {.ticket_id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_CREATE, m.v, M_NFIELDS, NULL) != 0)
        return -1;
    return txn_reply(r, txn_run(r, message_step, &m));
}

/* The conversation in the order it was written (?is_internal=false: the public part). */
static int ticket_message_list(struct request *r)
{
    const char *id = request_param(r, "id");
    struct db_result *t;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM tickets WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &t);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (t->nrows == 0)
        return request_error(r, 404, "not_found", tickets.not_found);
    struct qb w;
    qb_init(&w, r->arena);
    qb_addv(&w, " AND m.ticket_id = ?", DB_STR(id));
    return resource_list(r, &messages, &w);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/tickets/my", tickets_my, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Tickets assigned to me, and my queues' tickets nobody has yet",
          .key = "tickets", .flags = ROUTE_LIST, .resource = &tickets),
    ROUTE("GET", "/api/tickets/search", tickets_search, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Full-text search (?q=) over subjects, descriptions and messages",
          .key = "tickets", .flags = ROUTE_LIST, .resource = &tickets),
    ROUTE("GET", "/api/tickets/overdue", tickets_overdue, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Open tickets past their resolution or first-response due time",
          .key = "tickets", .flags = ROUTE_LIST, .resource = &tickets),
    ROUTE("POST", "/api/tickets/:id/messages", ticket_message_add, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Add a public reply or an internal note to a ticket",
          ROUTE_BODY(message_fields), .key = "message", .status = 201),
    ROUTE("GET", "/api/tickets/:id/messages", ticket_message_list, ROLES_ANY, FAM_CALLCENTER,
          .summary = "A ticket's messages, oldest first", .key = "messages",
          .flags = ROUTE_LIST, .resource = &messages),
};

ROUTE_GROUP(ticket_views_routes, routes);
