/*
 * Tickets of the caller's tenant: the record routes (create, get, change, delete) on the
 * generic writes, assignment and the status machine. A ticket is created by
 * ticket_store_create() (ticket_store.h) whoever creates it (this route, a chat left
 * unanswered), so its number, SLA due times and events are the same either way.
 *
 * Every staff member of the tenant (agents included) reads and works every ticket of it;
 * deleting one is a manager's. A ticket is assigned to a user, to a queue's team
 * (queue_id: its members see it in /tickets/my while nobody has it), or to both.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "notify.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "ticket_store.h"
#include "tickets.h"
#include "txn.h"

#define TAGS_MAX 20
#define TAG_MAX_CHARS 50

static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};
/* The callcenter clients' words for our priorities. */
static const struct field_word priority_words[] = {
    {"medium", "normal"}, {"critical", "urgent"}, {NULL, NULL}};
static const char *const channels[] = {"phone", "email", "chat", "sms", "web", "api", NULL};
static const char *const statuses[] = {"open",     "pending", "in_progress", "on_hold",
                                       "resolved", "closed",  NULL};
static const struct field_word status_words[] = {
    {"reopen", "open"}, {"reopened", "open"}, {"new", "open"}, {NULL, NULL}};

enum { T_SUBJECT, T_DESCRIPTION, T_PRIORITY, T_CHANNEL, T_CATEGORY, T_CONTACT, T_ASSIGNED,
       T_QUEUE, T_REQ_NAME, T_REQ_EMAIL, T_TAGS };

static const struct field_def ticket_fields[] = {
    [T_SUBJECT] = {"subject", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [T_DESCRIPTION] = {"description", FT_TEXT, F_NULLABLE, 0, 65535, NULL, NULL, NULL},
    [T_PRIORITY] = {"priority", FT_ENUM, 0, 0, 0, priorities, priority_words, NULL},
    [T_CHANNEL] = {"channel", FT_ENUM, 0, 0, 0, channels, NULL, "source"},
    [T_CATEGORY] = {"category", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [T_CONTACT] = {"contact_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [T_ASSIGNED] = {"assigned_to", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, "assignee_id"},
    [T_QUEUE] = {"queue_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [T_REQ_NAME] = {"requester_name", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [T_REQ_EMAIL] = {"requester_email", FT_EMAIL, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [T_TAGS] = {"tags", FT_STRINGS, F_NULLABLE, 0, TAGS_MAX, NULL, NULL, NULL},
};

static const char *const ticket_columns_of[] = {
    "subject",     "description", "priority", "channel",        "category",
    "contact_id",  "assigned_to", "queue_id", "requester_name", "requester_email",
    "tags"};

static const struct filter_def ticket_filters[] = {
    {"status", FILTER_ENUM, " AND status = ?", statuses, status_words},
    {"priority", FILTER_ENUM, " AND priority = ?", priorities, priority_words},
    {"channel", FILTER_ENUM, " AND channel = ?", channels, NULL},
    {"assigned_to", FILTER_ID, " AND assigned_to = ?", NULL, NULL},
    {"assignee", FILTER_ID, " AND assigned_to = ?", NULL, NULL},
    {"contact_id", FILTER_ID, " AND contact_id = ?", NULL, NULL},
    {"queue_id", FILTER_ID, " AND queue_id = ?", NULL, NULL},
    {"category", FILTER_EQ, " AND category = ?", NULL, NULL},
    {"tag", FILTER_EQ, " AND JSON_CONTAINS(tags, JSON_QUOTE(?))", NULL, NULL},
};

static const struct sort_def ticket_sorts[] = {
    {"created_at", "created_at"}, {"updated_at", "updated_at"}, {"number", "number"},
    {"priority", "priority"},     {"due_at", "due_at"},         {"status", "status"},
    {NULL, NULL},
};

static const char *const ticket_json_cols[] = {"tags", NULL};

static const struct resource_writes ticket_writes;

const struct resource tickets = {
    .table = "tickets",
    .columns = "id, tenant_id, number, subject, description, status, priority, channel,"
               " category, tags, contact_id, requester_name, requester_email, assigned_to,"
               " queue_id, created_by, first_response_due_at, due_at, first_response_at,"
               " first_response_breached_at, resolution_breached_at, resolved_at, closed_at,"
               " created_at, updated_at",
    .tenant_col = "tenant_id",
    .json_cols = ticket_json_cols,
    .id_prefix = "tkt_",
    RESOURCE_NAMES("ticket", "tickets", "Ticket not found"),
    .order = "created_at DESC, id DESC",
    RESOURCE_FILTERS(ticket_filters),
    .sorts = ticket_sorts,
    RESOURCE_FIELDS(ticket_fields, ticket_columns_of),
    .writes = &ticket_writes,
};

int ticket_lock(struct request *r, const char *id, const char **status)
{
    struct db_result *row;
    int rc = resource_lock(r, &tickets, id, &row);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", tickets.not_found);
    if (rc == DB_OK && status != NULL)
        *status = db_get(row, 0, "status");
    return rc;
}

/* ---- record writes ---------------------------------------------------------------------- */

/* Characters of valid UTF-8 text (the JSON reader took only that). */
static size_t tag_chars(const char *t)
{
    size_t n = 0;
    for (; *t != '\0'; t++)
        n += ((unsigned char)*t & 0xC0) != 0x80;
    return n;
}

/* Tags are declared strings (fields.h bounds an item at FIELD_ITEM_MAX); a tag is shorter. */
static int check_tags(struct request *r, const struct field_value *tags)
{
    struct json_object *a = NULL;
    if (!tags->sent || tags->null)
        return 0;
    int bad = json_parse_value(tags->s, strlen(tags->s), &a) != 0 ||
              !json_object_is_type(a, json_type_array);
    for (size_t i = 0; !bad && i < json_object_array_length(a); i++)
        bad = tag_chars(json_object_get_string(json_object_array_get_idx(a, i))) >
              TAG_MAX_CHARS;
    json_object_put(a);
    if (bad) {
        request_field_error(r, "tags", "must be an array of at most 20 tags of 1 to 50 characters");
        return request_check_fields(r);
    }
    return 0;
}

static int ticket_prepare(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE)
        return 0;
    if (w->op == CRUD_UPDATE && w->v[T_SUBJECT].null) {
        request_field_error(r, "subject", "must not be null");
        return request_check_fields(r);
    }
    return check_tags(r, &w->v[T_TAGS]);
}

static const struct crud_ref ticket_refs[] = {
    {T_CONTACT, "SELECT id FROM contacts WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
     "must be a contact of this tenant"},
    {T_ASSIGNED,
     "SELECT id FROM users WHERE id = ? AND tenant_id = ? AND is_active = 1"
     " LOCK IN SHARE MODE",
     "must be an active user of this tenant"},
    {T_QUEUE, "SELECT id FROM queues WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
     "must be a queue of this tenant"},
};

static int ticket_create_row(struct request *r, struct crud_write *w)
{
    const struct field_value *v = w->v;
    struct ticket_new t = {
        .id = w->id,
        .subject = v[T_SUBJECT].s,
        .description = v[T_DESCRIPTION].s,
        .priority = v[T_PRIORITY].s,
        .channel = v[T_CHANNEL].s,
        .category = v[T_CATEGORY].s,
        .tags_json = v[T_TAGS].s,
        .contact_id = v[T_CONTACT].s,
        .requester_name = v[T_REQ_NAME].s,
        .requester_email = v[T_REQ_EMAIL].s,
        .assigned_to = v[T_ASSIGNED].s,
        .queue_id = v[T_QUEUE].s,
        .created_by = r->auth.user_id,
    };
    return ticket_store_create(r, &t, NULL);
}

/* An assignee who changes through PUT is told, as through /assign. */
static int tell_new_assignee(struct request *r, const struct crud_write *w)
{
    const struct field_value *a = &w->v[T_ASSIGNED];
    const char *old = db_get(w->old, 0, "assigned_to");
    if (!a->sent || a->s == NULL || (old != NULL && strcmp(old, a->s) == 0))
        return DB_OK;
    const char *data = arena_printf(r->arena, "{\"ticket_id\":\"%s\"}", w->id);
    int rc = data ? ticket_emit(r, "ticket.assigned", w->id, NULL) : DB_ERROR;
    if (rc == DB_OK)
        rc = notify_user(r, &(struct notice){.user_id = a->s,
                                             .type = "ticket.assigned",
                                             .title = "A ticket was assigned to you",
                                             .data_json = data});
    return rc;
}

static int ticket_write(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_CREATE)
        return ticket_create_row(r, w);
    if (w->op == CRUD_DELETE)
        return crud_write_columns(r, w);
    int rc = resource_update(r, &tickets, w->id, w->v, NULL, 0);
    const struct field_value *p = &w->v[T_PRIORITY];
    if (rc == DB_OK && p->sent && strcmp(p->s, db_get(w->old, 0, "priority")) != 0)
        rc = ticket_store_reschedule(r, w->id);
    if (rc == DB_OK)
        rc = tell_new_assignee(r, w);
    return rc;
}

/* The create's events are ticket_store_create()'s; a delete leaves no row to describe. */
static int ticket_written(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_UPDATE)
        return ticket_emit(r, "ticket.updated", w->id, NULL);
    if (w->op != CRUD_DELETE)
        return DB_OK;
    const char *payload = arena_printf(r->arena, "{\"ticket_id\":\"%s\",\"number\":%s}", w->id,
                                       db_get(w->old, 0, "number") ? db_get(w->old, 0, "number")
                                                                   : "null");
    int rc = payload ? event_emit(r, "ticket.deleted", NULL, payload) : DB_ERROR;
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return rc;
}

static const char *const ticket_delete_details[] = {"number", "subject", NULL};

static const struct resource_writes ticket_writes = {
    .prepare = ticket_prepare,
    CRUD_REFS(ticket_refs),
    .write = ticket_write,
    .written = ticket_written,
    .deleted = "Ticket deleted successfully",
    .delete_details = ticket_delete_details,
};

/* ---- assignment ------------------------------------------------------------------------- */

enum { A_USER, A_QUEUE, A_NFIELDS };

static const struct field_def assign_fields[] = {
    [A_USER] = {"assigned_to", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, "user_id"},
    [A_QUEUE] = {"queue_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
};

struct assign {
    const char *id;
    struct field_value v[A_NFIELDS];
    struct json_object *body;
};

static int assign_refer(struct request *r, const struct assign *a)
{
    int rc = DB_OK;
    if (a->v[A_USER].s != NULL)
        rc = crud_refer(r, ticket_refs[1].sql, a->v[A_USER].s, "assigned_to", ticket_refs[1].why);
    if (rc == DB_OK && a->v[A_QUEUE].s != NULL)
        rc = crud_refer(r, ticket_refs[2].sql, a->v[A_QUEUE].s, "queue_id", ticket_refs[2].why);
    return rc;
}

static int assign_step(struct request *r, void *arg)
{
    struct assign *a = arg;
    struct db_result *old;
    int rc = resource_lock(r, &tickets, a->id, &old);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", tickets.not_found);
    if (rc == DB_OK)
        rc = assign_refer(r, a);
    if (rc != DB_OK)
        return rc;
    const char *was = db_get(old, 0, "assigned_to");
    const char *user = a->v[A_USER].sent ? a->v[A_USER].s : was;
    const char *queue = a->v[A_QUEUE].sent ? a->v[A_QUEUE].s : db_get(old, 0, "queue_id");
    rc = db_exec(r->db, r->arena,
                 "UPDATE tickets SET assigned_to = ?, queue_id = ? WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_STR(user), DB_STR(queue), DB_STR(a->id), DB_STR(r->auth.tenant_id)),
                 NULL);
    const char *extra = arena_printf(r->arena, "{\"previous_assignee\":%s%s%s}", was ? "\"" : "",
                                     was ? was : "null", was ? "\"" : "");
    if (rc == DB_OK)
        rc = extra ? ticket_emit(r, "ticket.assigned", a->id, extra) : DB_ERROR;
    const char *data = arena_printf(r->arena, "{\"ticket_id\":\"%s\"}", a->id);
    if (rc == DB_OK && user != NULL && (was == NULL || strcmp(was, user) != 0))
        rc = notify_user(r, &(struct notice){.user_id = user,
                                             .type = "ticket.assigned",
                                             .title = "A ticket was assigned to you",
                                             .data_json = data});
    if (rc == DB_OK)
        rc = resource_audit(r, &tickets, "assign", a->id, json_text(a->body, NULL));
    return rc == DB_OK ? resource_answer(r, &tickets, 200, a->id) : rc;
}

/* Sets the assignee, the team's queue, or both; a member sent as null clears it. */
static int ticket_assign(struct request *r)
{
    struct assign a = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, a.v, A_NFIELDS, &a.body) != 0)
        return -1;
    if (!a.v[A_USER].sent && !a.v[A_QUEUE].sent) {
        request_field_error(r, "assigned_to", "give assigned_to (a user), queue_id, or both");
        return request_check_fields(r);
    }
    return txn_reply(r, txn_run(r, assign_step, &a));
}

/* ---- status ----------------------------------------------------------------------------- */

enum { S_STATUS, S_NFIELDS };

static const struct field_def status_fields[] = {
    [S_STATUS] = {"status", FT_ENUM, F_ALWAYS, 0, 0, statuses, status_words, NULL},
};

struct status_move {
    const char *id;
    struct field_value v[S_NFIELDS];
    struct json_object *body;
};

/*
 * Resolving stamps resolved_at (and, when nobody answered before, the first response: the
 * resolution is the answer); closing stamps closed_at; reopening clears both, so the
 * resolution's SLA runs again from the same due time.
 */
static int status_step(struct request *r, void *arg)
{
    struct status_move *m = arg;
    const char *from = NULL, *to = m->v[S_STATUS].s;
    int rc = ticket_lock(r, m->id, &from);
    if (rc != DB_OK)
        return rc;
    const char *why = ticket_status_refusal(from, to);
    if (why != NULL)
        return txn_fail(r, 409, "invalid_transition", why);
    rc = db_exec(r->db, r->arena,
                 "UPDATE tickets SET status = ?,"
                 " first_response_at = IF(? = 'resolved', COALESCE(first_response_at, NOW()),"
                 " first_response_at),"
                 " resolved_at = CASE ? WHEN 'resolved' THEN NOW() WHEN 'closed' THEN resolved_at"
                 " ELSE NULL END,"
                 " closed_at = IF(? = 'closed', NOW(), NULL) WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_STR(to), DB_STR(to), DB_STR(to), DB_STR(to), DB_STR(m->id),
                           DB_STR(r->auth.tenant_id)),
                 NULL);
    const char *extra = arena_printf(r->arena, "{\"from\":\"%s\",\"to\":\"%s\"}", from, to);
    if (rc == DB_OK)
        rc = extra ? ticket_emit(r, "ticket.status_changed", m->id, extra) : DB_ERROR;
    if (rc == DB_OK)
        rc = resource_audit(r, &tickets, "status", m->id, json_text(m->body, NULL));
    return rc == DB_OK ? resource_answer(r, &tickets, 200, m->id) : rc;
}

static int ticket_set_status(struct request *r)
{
    struct status_move m = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, m.v, S_NFIELDS, &m.body) != 0)
        return -1;
    return txn_reply(r, txn_run(r, status_step, &m));
}

#define TICKET_NAMES CRUD_NAMES("a", "ticket", "tickets")

static const struct route routes[] = {
    CRUD_LIST_ROUTE("/api/tickets", &tickets, ROLES_ANY, FAM_CALLCENTER, TICKET_NAMES),
    CRUD_CREATE_ROUTE("/api/tickets", &tickets, ticket_fields, ROLES_ANY, FAM_CALLCENTER,
                      TICKET_NAMES),
    CRUD_GET_ROUTE("/api/tickets/:id", &tickets, ROLES_ANY, FAM_CALLCENTER, TICKET_NAMES),
    CRUD_UPDATE_ROUTE("/api/tickets/:id", &tickets, ticket_fields, ROLES_ANY, FAM_CALLCENTER,
                      TICKET_NAMES),
    /* Tickets are the tenant's record of what customers asked: a manager's to erase. */
    CRUD_DELETE_ROUTE("/api/tickets/:id", &tickets, ROLES_STAFF, FAM_CALLCENTER, TICKET_NAMES),
    ROUTE("POST", "/api/tickets/:id/assign", ticket_assign, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Assign a ticket to a user, to a queue's team, or both (null clears)",
          ROUTE_BODY(assign_fields), .key = "ticket"),
    ROUTE("PUT", "/api/tickets/:id/status", ticket_set_status, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Move a ticket: open, pending, resolved, closed, or reopen (409 when not"
                     " allowed from its status)",
          ROUTE_BODY(status_fields), .key = "ticket"),
};

ROUTE_GROUP(tickets_routes, routes);
