/*
 * Voicemail boxes of the caller's tenant (the callcenter family; issue 11): a box belongs
 * to a user, a queue or a department of the tenant, has a greeting, whether its owners are
 * e-mailed too, and the longest message it takes. Any role reads; admins and managers
 * write. A box that still has messages is not deleted (409). Each box's `new_count` is its
 * unheard messages.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "notify.h"
#include "outbox.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "voicemail.h"

static const char *const owner_types[] = {"user", "queue", "department", NULL};

enum { X_NAME, X_OWNER_TYPE, X_OWNER_ID, X_GREETING, X_EMAIL, X_MAX_SECONDS };

static const struct field_def box_fields[] = {
    [X_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [X_OWNER_TYPE] = {"owner_type", FT_ENUM, F_REQUIRED, 0, 0, owner_types, NULL, NULL},
    [X_OWNER_ID] = {"owner_id", FT_ID, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [X_GREETING] = {"greeting", FT_TEXT, F_NULLABLE, 0, 4000, NULL, NULL, NULL},
    [X_EMAIL] = {"email_notify", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
    [X_MAX_SECONDS] = {"max_message_seconds", FT_INT, 0, 1, 3600, NULL, NULL, NULL},
};

static const char *const box_columns_of[] = {
    [X_NAME] = "name",
    [X_OWNER_TYPE] = "owner_type",
    [X_OWNER_ID] = "owner_id",
    [X_GREETING] = "greeting",
    [X_EMAIL] = "email_notify",
    [X_MAX_SECONDS] = "max_message_seconds",
};

static const struct filter_def box_filters[] = {
    {"owner_type", FILTER_ENUM, " AND b.owner_type = ?", owner_types, NULL},
    {"owner_id", FILTER_ID, " AND b.owner_id = ?", NULL, NULL},
    {"search", FILTER_LIKE, " AND b.name LIKE ? ESCAPE '\\\\'", NULL, NULL},
};

static const struct sort_def box_sorts[] = {
    {"name", "b.name"},
    {"created_at", "b.created_at"},
    {NULL, NULL},
};

static const struct resource_writes box_writes;

static const struct resource boxes = {
    .table = "voicemail_boxes",
    .columns = "b.id, b.name, b.owner_type, b.owner_id, b.greeting, b.email_notify,"
               " b.max_message_seconds, (SELECT COUNT(*) FROM voicemail_messages m"
               " WHERE m.tenant_id = b.tenant_id AND m.box_id = b.id AND m.status = 'new')"
               " AS new_count, b.created_at, b.updated_at",
    .from = "voicemail_boxes b",
    .id_col = "b.id",
    .tenant_col = "b.tenant_id",
    .id_prefix = "vmb_",
    .entity = "voicemail_box",
    RESOURCE_NAMES("box", "boxes", "Voicemail box not found"),
    .order = "b.name, b.id",
    RESOURCE_FILTERS(box_filters),
    .sorts = box_sorts,
    RESOURCE_FIELDS(box_fields, box_columns_of),
    .writes = &box_writes,
};

/* The owner's lookup by its type: a record of the tenant, locked until the commit. */
static const char *owner_sql(const char *type)
{
    if (strcmp(type, "user") == 0)
        return "SELECT id FROM users WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE";
    if (strcmp(type, "queue") == 0)
        return "SELECT id FROM queues WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE";
    return "SELECT id FROM departments WHERE id = ? AND tenant_id = ?"
           " AND active_name IS NOT NULL LOCK IN SHARE MODE";
}

/* The owner as it will be must exist; a box with messages stays. */
static int box_check(struct request *r, struct crud_write *w)
{
    struct db_result *m;
    if (w->op == CRUD_DELETE) {
        int rc = db_exec(r->db, r->arena,
                         "SELECT id FROM voicemail_messages WHERE tenant_id = ? AND box_id = ?"
                         " LIMIT 1 FOR UPDATE",
                         DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(w->id)), &m);
        if (rc == DB_OK && m->nrows > 0)
            return txn_fail(r, 409, "conflict", "This voicemail box still has messages");
        return rc;
    }
    const struct field_value *v = w->v;
    if (w->op == CRUD_UPDATE && !v[X_OWNER_TYPE].sent && !v[X_OWNER_ID].sent)
        return DB_OK;
    const char *type = v[X_OWNER_TYPE].sent ? v[X_OWNER_TYPE].s : db_get(w->old, 0, "owner_type");
    const char *id = v[X_OWNER_ID].sent ? v[X_OWNER_ID].s : db_get(w->old, 0, "owner_id");
    return crud_refer(r, owner_sql(type), id, "owner_id",
                      "must be a user, queue or department of this tenant (as owner_type says)");
}

static const char *const box_delete_details[] = {"name", "owner_type", "owner_id", NULL};

static const struct resource_writes box_writes = {
    .check = box_check,
    .duplicate = "A voicemail box with this name already exists",
    .deleted = "Voicemail box deleted successfully",
    .delete_details = box_delete_details,
};

int voicemail_box_refer(struct request *r, const char *box_id, const char *field)
{
    return crud_refer(r,
                      "SELECT id FROM voicemail_boxes WHERE id = ? AND tenant_id = ?"
                      " LOCK IN SHARE MODE",
                      box_id, field, "must be a voicemail box of this tenant");
}

/* The users a box's message is for, their e-mail, and whether the box e-mails them. */
#define OWNERS_SQL                                                                         \
    "SELECT u.id AS user_id, u.email, b.email_notify, b.name FROM voicemail_boxes b"       \
    " JOIN users u ON u.tenant_id = b.tenant_id WHERE b.id = ? AND b.tenant_id = ?"         \
    " AND " VOICEMAIL_OWNED_BY("u.id") " ORDER BY u.id"

/* The e-mail of a new message for one owner (outbox.h). */
static int mail_owner(struct request *r, const struct db_result *u, size_t i, const char *id,
                      const char *caller)
{
    const char *subject = arena_printf(r->arena, "New voicemail from %s", caller);
    const char *body = arena_printf(r->arena,
                                    "A new voicemail from %s is in the box \"%s\" (message %s).",
                                    caller, db_get(u, i, "name"), id);
    if (subject == NULL || body == NULL)
        return DB_ERROR;
    return outbox_put(r->db, r->arena, r->cfg, r->auth.tenant_id, "voicemail",
                      db_get(u, i, "email"), subject, body);
}

int voicemail_notify_owners(struct request *r, const char *box_id, const char *id,
                            const char *caller)
{
    struct db_result *u;
    int rc = db_exec(r->db, r->arena, OWNERS_SQL,
                     DB_PARAMS(DB_STR(box_id), DB_STR(r->auth.tenant_id)), &u);
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    if (rc == DB_OK && (data == NULL || json_set_str(data, "message_id", id) ||
                        json_set_str(data, "box_id", box_id) ||
                        json_set_str(data, "caller_number", caller)))
        rc = DB_ERROR;
    const char *text = rc == DB_OK ? json_text(data, NULL) : NULL;
    const char *title = arena_printf(r->arena, "New voicemail from %s", caller);
    for (size_t i = 0; rc == DB_OK && i < u->nrows; i++) {
        rc = notify_user(r, &(struct notice){.user_id = db_get(u, i, "user_id"),
                                             .type = "voicemail.new", .title = title,
                                             .data_json = text});
        if (rc == DB_OK && db_get_int(u, i, "email_notify", 0) != 0)
            rc = mail_owner(r, u, i, id, caller);
    }
    return rc;
}

static const struct route routes[] = {
    CRUD_ROUTES("/api/voicemail/boxes", &boxes, box_fields, ROLES_ANY, ROLES_STAFF,
                FAM_CALLCENTER,
                CRUD_NAMES_AS("box", "boxes", "a", "voicemail box", "voicemail boxes")),
};

ROUTE_GROUP(voicemail_boxes_routes, routes);
