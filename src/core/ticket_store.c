/*
 * Tickets' shared writes (ticket_store.h): creation with its per-tenant number and SLA due
 * times, the ticket events, and the clock's SLA breach moves.
 */
#include "ticket_store.h"

#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "notify.h"
#include "request.h"

/* Minutes to the first response and to the resolution when a tenant set none: an urgent
 * ticket is answered within a quarter of an hour and solved within four hours. */
static const struct {
    const char *priority;
    long long first_response, resolution;
} sla_defaults[] = {
    {"urgent", 15, 240},
    {"high", 60, 480},
    {"normal", 240, 1440},
    {"low", 480, 2880},
};

void ticket_sla_default(const char *priority, long long *first_response, long long *resolution)
{
    size_t k = 2;
    for (size_t i = 0; priority != NULL && i < sizeof(sla_defaults) / sizeof(sla_defaults[0]); i++)
        if (strcmp(sla_defaults[i].priority, priority) == 0)
            k = i;
    *first_response = sla_defaults[k].first_response;
    *resolution = sla_defaults[k].resolution;
}

int ticket_sla_minutes(struct request *r, const char *priority, long long *first_response,
                       long long *resolution)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT first_response_minutes, resolution_minutes FROM ticket_sla"
                     " WHERE tenant_id = ? AND priority = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(priority)), &res);
    if (rc != DB_OK)
        return rc;
    ticket_sla_default(priority, first_response, resolution);
    if (res->nrows > 0) {
        *first_response = db_get_int(res, 0, "first_response_minutes", *first_response);
        *resolution = db_get_int(res, 0, "resolution_minutes", *resolution);
    }
    return DB_OK;
}

/* The tenant's next ticket number. The upsert locks the counter row until the commit, so
 * concurrent creates take turns, and numbers follow commit order, not id order. */
static int next_number(struct request *r, long long *number)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO ticket_counters (tenant_id, last_number) VALUES (?, 1)"
                     " ON DUPLICATE KEY UPDATE last_number = last_number + 1",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT last_number FROM ticket_counters WHERE tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc == DB_OK && res->nrows != 1)
        rc = DB_ERROR;
    if (rc == DB_OK)
        *number = db_get_int(res, 0, "last_number", 0);
    return rc;
}

static int insert_row(struct request *r, const struct ticket_new *t, const char *id,
                      long long number, long long frt, long long res_min)
{
    return db_exec(
        r->db, r->arena,
        "INSERT INTO tickets (id, tenant_id, number, subject, description, priority, channel,"
        " category, tags, contact_id, requester_name, requester_email, assigned_to, queue_id,"
        " created_by, first_response_due_at, due_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " NOW() + INTERVAL ? MINUTE, NOW() + INTERVAL ? MINUTE)",
        DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_INT(number), DB_STR(t->subject),
                  DB_STR(t->description), DB_STR(t->priority ? t->priority : "normal"),
                  DB_STR(t->channel ? t->channel : "web"), DB_STR(t->category),
                  DB_STR(t->tags_json), DB_STR(t->contact_id), DB_STR(t->requester_name),
                  DB_STR(t->requester_email), DB_STR(t->assigned_to), DB_STR(t->queue_id),
                  DB_STR(t->created_by), DB_INT(frt), DB_INT(res_min)),
        NULL);
}

/* Tells the assignee of ticket id (inside the assignment's transaction). */
static int notify_assignee(struct request *r, const char *id, const char *user_id)
{
    const char *data = arena_printf(r->arena, "{\"ticket_id\":\"%s\"}", id);
    if (data == NULL)
        return DB_ERROR;
    return notify_user(r, &(struct notice){.user_id = user_id,
                                           .type = "ticket.assigned",
                                           .title = "A ticket was assigned to you",
                                           .data_json = data});
}

int ticket_store_create(struct request *r, const struct ticket_new *t, const char **id_out)
{
    const char *id = t->id ? t->id : id_new(r->arena, "tkt_");
    long long number = 0, frt = 0, res_min = 0;
    if (id == NULL || t->subject == NULL)
        return DB_ERROR;
    int rc = ticket_sla_minutes(r, t->priority ? t->priority : "normal", &frt, &res_min);
    if (rc == DB_OK)
        rc = next_number(r, &number);
    if (rc == DB_OK)
        rc = insert_row(r, t, id, number, frt, res_min);
    if (rc == DB_OK)
        rc = ticket_emit(r, "ticket.created", id, NULL);
    if (rc == DB_OK && t->assigned_to != NULL)
        rc = ticket_emit(r, "ticket.assigned", id, NULL);
    if (rc == DB_OK && t->assigned_to != NULL)
        rc = notify_assignee(r, id, t->assigned_to);
    if (rc == DB_OK && id_out != NULL)
        *id_out = id;
    return rc;
}

int ticket_store_reschedule(struct request *r, const char *id)
{
    struct db_result *res;
    long long frt, res_min;
    int rc = db_exec(r->db, r->arena,
                     "SELECT priority FROM tickets WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc == DB_OK && res->nrows != 1)
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = ticket_sla_minutes(r, db_get(res, 0, "priority"), &frt, &res_min);
    /* A breach already told stays told, unless the new target is still ahead. */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE tickets SET first_response_breached_at ="
                     " IF(first_response_at IS NULL AND created_at + INTERVAL ? MINUTE > NOW(),"
                     " NULL, first_response_breached_at),"
                     " resolution_breached_at = IF(resolved_at IS NULL AND"
                     " created_at + INTERVAL ? MINUTE > NOW(), NULL, resolution_breached_at),"
                     " first_response_due_at = created_at + INTERVAL ? MINUTE,"
                     " due_at = created_at + INTERVAL ? MINUTE WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(frt), DB_INT(res_min), DB_INT(frt), DB_INT(res_min),
                               DB_STR(id), DB_STR(r->auth.tenant_id)),
                     NULL);
    return rc;
}

static bool is_working(const char *s)
{
    return strcmp(s, "open") == 0 || strcmp(s, "pending") == 0 ||
           strcmp(s, "in_progress") == 0 || strcmp(s, "on_hold") == 0;
}

const char *ticket_status_refusal(const char *from, const char *to)
{
    if (strcmp(from, to) == 0)
        return "The ticket already has this status";
    if (is_working(from))
        return is_working(to) || strcmp(to, "resolved") == 0
                   ? NULL
                   : "A ticket is resolved before it is closed";
    if (strcmp(from, "resolved") == 0)
        return strcmp(to, "closed") == 0 || strcmp(to, "open") == 0
                   ? NULL
                   : "A resolved ticket is closed or reopened";
    return strcmp(to, "open") == 0 ? NULL : "A closed ticket can only be reopened";
}

int ticket_emit(struct request *r, const char *type, const char *id, const char *extra_json)
{
    struct db_result *res;
    struct json_object *o = NULL, *extra = NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id AS ticket_id, number, subject, status, priority, channel,"
                     " contact_id, assigned_to, queue_id, first_response_due_at, due_at,"
                     " updated_at FROM tickets WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc == DB_OK && res->nrows != 1)
        rc = DB_ERROR;
    if (rc == DB_OK && (o = arena_json(r->arena, db_row_json(res, 0, NULL))) == NULL)
        rc = DB_ERROR;
    if (rc == DB_OK && extra_json != NULL) {
        if (json_parse_object(extra_json, strlen(extra_json), &extra) != 0)
            return DB_ERROR;
        json_object_object_foreach(extra, k, v) {
            if (json_set(o, k, json_object_get(v)) != 0)
                rc = DB_ERROR;
        }
        json_object_put(extra);
    }
    const char *text = rc == DB_OK ? json_text(o, NULL) : NULL;
    if (rc == DB_OK && text == NULL)
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = event_emit(r, type, NULL, text);
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return rc;
}

/* The breach's notices: the assignee, else every admin of the tenant (someone must act). */
static int notify_breach(struct request *r, const struct db_result *t, const char *which)
{
    const char *id = db_get(t, 0, "id"), *assignee = db_get(t, 0, "assigned_to");
    const char *title = arena_printf(r->arena, "Ticket #%s missed its %s target",
                                     db_get(t, 0, "number") ? db_get(t, 0, "number") : "?",
                                     which);
    const char *data = arena_printf(r->arena, "{\"ticket_id\":\"%s\",\"sla\":\"%s\"}", id, which);
    struct db_result *users = NULL;
    if (title == NULL || data == NULL)
        return DB_ERROR;
    int rc = DB_OK;
    if (assignee == NULL)
        rc = db_exec(r->db, r->arena,
                     "SELECT user_id FROM user_roles WHERE tenant_id = ?"
                     " AND role IN ('admin','super_admin')",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &users);
    size_t n = assignee != NULL ? 1 : (rc == DB_OK ? users->nrows : 0);
    for (size_t i = 0; i < n && rc == DB_OK; i++)
        rc = notify_user(r, &(struct notice){
                                .user_id = assignee ? assignee : db_get(users, i, "user_id"),
                                .type = "sla.breached",
                                .title = title,
                                .body = db_get(t, 0, "subject"),
                                .data_json = data,
                                .priority = "high"});
    return rc;
}

/* One breach move: lock = the row if still due (its SELECT FOR UPDATE), mark = the UPDATE. */
static int breach(struct request *r, const char *id, int *moved, const char *lock,
                  const char *mark, const char *which)
{
    struct db_result *t;
    *moved = 0;
    int rc = db_exec(r->db, r->arena, lock, DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)),
                     &t);
    if (rc != DB_OK || t->nrows == 0)
        return rc;
    rc = db_exec(r->db, r->arena, mark, DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    const char *extra = arena_printf(r->arena, "{\"sla\":\"%s\"}", which);
    if (rc == DB_OK && extra == NULL)
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = ticket_emit(r, "ticket.sla_breached", id, extra);
    if (rc == DB_OK)
        rc = notify_breach(r, t, which);
    if (rc == DB_OK)
        *moved = 1;
    return rc;
}

int ticket_breach_first_response(struct request *r, const char *id, int *moved)
{
    return breach(r, id, moved,
                  "SELECT id, number, subject, assigned_to FROM tickets WHERE id = ?"
                  " AND tenant_id = ? AND first_response_breached_at IS NULL"
                  " AND first_response_at IS NULL AND first_response_due_at <= NOW() FOR UPDATE",
                  "UPDATE tickets SET first_response_breached_at = NOW()"
                  " WHERE id = ? AND tenant_id = ?",
                  "first_response");
}

int ticket_breach_resolution(struct request *r, const char *id, int *moved)
{
    return breach(r, id, moved,
                  "SELECT id, number, subject, assigned_to FROM tickets WHERE id = ?"
                  " AND tenant_id = ? AND resolution_breached_at IS NULL"
                  " AND resolved_at IS NULL AND due_at <= NOW() FOR UPDATE",
                  "UPDATE tickets SET resolution_breached_at = NOW()"
                  " WHERE id = ? AND tenant_id = ?",
                  "resolution");
}
