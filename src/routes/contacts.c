/*
 * Contacts of the caller's tenant (issue 9): CRUD, search by name, e-mail or phone, the
 * contact behind a caller's number, custom fields, and the contact's history (calls,
 * tickets, chats) as one timeline. Agents read, create and change contacts; deleting one
 * is for managers and admins. Another tenant's contact is absent (404).
 *
 * Numbers are stored as E.164 (FT_PHONE, validate_phone_e164: what DIDs and users use),
 * so a caller's number, however it is written, finds its contact by an indexed equality.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "contacts.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

enum { C_FIRST, C_LAST, C_COMPANY, C_EMAIL, C_PHONE, C_MOBILE, C_NOTES, C_CUSTOM, C_NFIELDS };

static const struct field_def contact_fields[] = {
    [C_FIRST] = {"first_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [C_LAST] = {"last_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [C_COMPANY] = {"company", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [C_EMAIL] = {"email", FT_EMAIL, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [C_PHONE] = {"phone", FT_PHONE, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [C_MOBILE] = {"mobile", FT_PHONE, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [C_NOTES] = {"notes", FT_TEXT, F_NULLABLE, 0, 16000, NULL, NULL, NULL},
    [C_CUSTOM] = {"custom_fields", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
};

static const char *const contact_columns_of[] = {
    "first_name", "last_name", "company", "email", "phone", "mobile", "notes", "custom_fields"};
static const char *const contact_json_cols[] = {"tags", "custom_fields", NULL};

#define CONTACT_COLUMNS                                                                      \
    "id, tenant_id, first_name, last_name,"                                                 \
    " NULLIF(CONCAT_WS(' ', first_name, last_name), '') AS name, company, email, phone,"    \
    " mobile, notes, tags, custom_fields, created_at, updated_at"

/*
 * The search text against either name, the full name, company and e-mail; and, when it
 * holds at least four digits, its digits against the numbers ("(555) 123-4567" finds
 * +15551234567). Eight `?`, all bound to the same escaped pattern: the digits of a pattern
 * are the digits of the text, its % and \ being no digits.
 */
#define CONTACT_DIGITS "REGEXP_REPLACE(?, '[^0-9]', '')"
#define CONTACT_LIKE                                                                       \
    " AND (first_name LIKE ? ESCAPE '\\\\' OR last_name LIKE ? ESCAPE '\\\\'"                \
    " OR CONCAT_WS(' ', first_name, last_name) LIKE ? ESCAPE '\\\\'"                       \
    " OR company LIKE ? ESCAPE '\\\\' OR email LIKE ? ESCAPE '\\\\'"                        \
    " OR (CHAR_LENGTH(" CONTACT_DIGITS ") >= 4"                                            \
    " AND (phone LIKE CONCAT('%', " CONTACT_DIGITS ", '%')"                                 \
    " OR mobile LIKE CONCAT('%', " CONTACT_DIGITS ", '%'))))"

static const struct filter_def contact_filters[] = {
    {"search", FILTER_LIKE, CONTACT_LIKE, NULL, NULL},
    {"q", FILTER_LIKE, CONTACT_LIKE, NULL, NULL},
    {"email", FILTER_EQ, " AND email = ?", NULL, NULL},
    {"company", FILTER_EQ, " AND company = ?", NULL, NULL},
    {"tag", FILTER_EQ, " AND JSON_CONTAINS(tags, JSON_QUOTE(?))", NULL, NULL},
};

static const struct sort_def contact_sorts[] = {
    {"name", "last_name, first_name"}, {"email", "email"}, {"company", "company"},
    {"created_at", "created_at"},      {"updated_at", "updated_at"}, {NULL, NULL},
};

static const struct resource_writes contact_writes;

static const struct resource contacts = {
    .table = "contacts",
    .columns = CONTACT_COLUMNS,
    .tenant_col = "tenant_id",
    .json_cols = contact_json_cols,
    .id_prefix = "contact_",
    RESOURCE_NAMES("contact", "contacts", "Contact not found"),
    .order = "last_name, first_name, id",
    .sorts = contact_sorts,
    RESOURCE_FILTERS(contact_filters),
    RESOURCE_FIELDS(contact_fields, contact_columns_of),
    .default_limit = 20,
    .writes = &contact_writes,
};

/* ---- tags: a list of short words, which the field declarations cannot say ------------ */

#define TAGS_MAX 50
#define TAG_LEN_MAX 50

/* The body's `tags` as JSON text (*out; NULL for null), when sent: 1; 0 unsent; -1 (422). */
static int tags_read(struct request *r, struct json_object *body, const char **out)
{
    struct json_object *t;
    *out = NULL;
    if (body == NULL || !json_object_object_get_ex(body, "tags", &t))
        return 0;
    if (t == NULL)
        return 1;
    size_t n = json_object_is_type(t, json_type_array) ? json_object_array_length(t) : 0;
    if (!json_object_is_type(t, json_type_array) || n > TAGS_MAX) {
        request_field_error(r, "tags", "must be a list of at most 50 texts");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(t, i);
        const char *tag = json_object_is_type(e, json_type_string) ? json_object_get_string(e)
                                                                   : "";
        size_t len = 0;
        for (const char *c = tag; *c; c++)
            len += ((unsigned char)*c & 0xC0) != 0x80; /* characters, not bytes */
        if (len == 0 || len > TAG_LEN_MAX) {
            request_field_error(r, "tags", "must hold texts of 1 to 50 characters");
            return -1;
        }
    }
    *out = json_text(t, NULL);
    return *out ? 1 : -1;
}

struct contact_extra {
    bool tags_sent;
    const char *tags;
};

static bool has_value(const struct field_value *v)
{
    return v->sent && !v->null && v->s != NULL && v->s[0] != '\0';
}

/* A contact is somebody: a new one has a name, a company, an e-mail or a number. */
static int contact_prepare(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE)
        return 0;
    struct contact_extra *x = arena_calloc(r->arena, 1, sizeof(*x));
    if (x == NULL)
        return request_oom(r);
    int t = tags_read(r, w->body, &x->tags);
    x->tags_sent = t == 1;
    bool someone = false;
    for (int i = C_FIRST; i <= C_MOBILE; i++)
        someone = someone || has_value(&w->v[i]);
    if (w->op == CRUD_CREATE && !someone)
        request_field_error(r, "first_name",
                            "a contact needs a name, company, email, phone or mobile");
    w->data = x;
    return request_check_fields(r);
}

/*
 * The row with its tags. A delete keeps the contact's calls and chats (history, whose
 * references are RESTRICT) without it, and takes its tickets with it (CASCADE).
 */
static int contact_write(struct request *r, struct crud_write *w)
{
    struct contact_extra *x = w->data;
    struct column_value tags = {"tags", DB_STR(x ? x->tags : NULL)};
    size_t ntags = x != NULL && x->tags_sent ? 1 : 0;
    int rc = DB_OK;
    switch (w->op) {
    case CRUD_CREATE:
        return resource_insert(r, &contacts, w->id, w->v, &tags, ntags);
    case CRUD_UPDATE:
        return resource_update(r, &contacts, w->id, w->v, &tags, ntags);
    default:
        rc = contact_detach_history(r, w->id);
        return rc == DB_OK ? resource_remove(r, &contacts, w->id) : rc;
    }
}

/* contact.created, contact.updated, contact.deleted for the staff's streams (and webhooks). */
static int contact_written(struct request *r, struct crud_write *w)
{
    static const char *const types[] = {[CRUD_CREATE] = "contact.created",
                                        [CRUD_UPDATE] = "contact.updated",
                                        [CRUD_DELETE] = "contact.deleted"};
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    if (p == NULL || json_set_str(p, "contact_id", w->id))
        return DB_ERROR;
    const char *text = json_text(p, NULL);
    int rc = text ? event_emit(r, types[w->op], NULL, text) : DB_ERROR;
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return rc;
}

/* The row is gone after a delete: the name and e-mail keep the audit entry readable. */
static const char *const contact_delete_details[] = {"first_name", "last_name", "email", NULL};

static const struct resource_writes contact_writes = {
    .prepare = contact_prepare,
    .write = contact_write,
    .written = contact_written,
    .deleted = "Contact deleted successfully",
    .delete_details = contact_delete_details,
};

/* ---- the contact behind a number --------------------------------------------------------- */

/* The notations of validate_phone_e164, and what arrives from a query string or a PBX. */
int contact_number_e164(const char *q, char *out, size_t size)
{
    char buf[64];
    while (*q == ' ' || *q == '\t')
        q++;
    if (*q == '+' || strlen(q) >= sizeof(buf) - 1)
        return validate_phone_e164(q, strlen(q), out, size);
    if (q[0] == '0' && q[1] == '0')
        q += 2;
    buf[0] = '+';
    memcpy(buf + 1, q, strlen(q) + 1);
    return validate_phone_e164(buf, strlen(buf), out, size);
}

int contact_by_number(struct request *r, const char *number, const char **id)
{
    char e164[24];
    struct db_result *res;
    *id = NULL;
    if (number == NULL || contact_number_e164(number, e164, sizeof(e164)) != 0)
        return 1;
    /* Two index lookups; the contact changed last wins when several share the number. */
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM contacts WHERE tenant_id = ? AND (phone = ? OR mobile = ?)"
                     " ORDER BY updated_at DESC, id DESC LIMIT 1",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(e164), DB_STR(e164)), &res);
    if (rc != DB_OK)
        return rc;
    *id = res->nrows ? db_get(res, 0, "id") : NULL;
    return *id ? DB_OK : 1;
}

int contact_detach_history(struct request *r, const char *contact_id)
{
    int rc = db_exec(r->db, r->arena,
                     "UPDATE cdrs SET contact_id = NULL WHERE tenant_id = ? AND contact_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(contact_id)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE chat_sessions SET contact_id = NULL"
                     " WHERE tenant_id = ? AND contact_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(contact_id)), NULL);
    return rc;
}

int contact_refer(struct request *r, const char *contact_id, const char *field)
{
    return crud_refer(r,
                      "SELECT id FROM contacts WHERE id = ? AND tenant_id = ?"
                      " LOCK IN SHARE MODE",
                      contact_id, field, "must be a contact of this tenant");
}

static int contact_by_phone(struct request *r)
{
    const char *q = request_query(r, "number"), *id = NULL;
    char e164[24];
    if (q == NULL || *q == '\0')
        request_field_error(r, "number", "is required");
    else if (contact_number_e164(q, e164, sizeof(e164)) != 0)
        request_field_error(r, "number", "must be a phone number");
    if (request_check_fields(r) != 0)
        return -1;
    struct json_object *obj = NULL;
    int rc = contact_by_number(r, q, &id);
    if (rc == DB_OK)
        rc = resource_fetch(r, &contacts, id, &obj);
    return request_reply_found(r, 200, rc, "contact", obj, contacts.not_found);
}

/* ---- the timeline ---------------------------------------------------------------------- */

/*
 * Calls, tickets and chats of the contact as one list, newest first: (type, id,
 * occurred_at, ended_at, title, status, user_id, queue_id, duration). Each part reads its
 * own (tenant, contact, time) index. An agent sees only the calls they took, as in the
 * CDR lists.
 */
static void timeline_union(struct request *r, struct qb *q, const char *id, bool own_calls,
                           const char *type)
{
    qb_addv(q,
            " FROM (SELECT 'call' AS type, c.id, c.start_time AS occurred_at,"
            " c.end_time AS ended_at, CONCAT(c.direction, ' call ', c.caller_number, ' to ',"
            " c.called_number) AS title, c.disposition AS status, c.user_id, c.queue_id,"
            " c.duration FROM cdrs c WHERE c.tenant_id = ? AND c.contact_id = ?",
            DB_STR(r->auth.tenant_id), DB_STR(id));
    if (own_calls)
        qb_addv(q, " AND c.user_id = ?", DB_STR(r->auth.user_id));
    qb_addv(q,
            " UNION ALL SELECT 'ticket', t.id, t.created_at, COALESCE(t.closed_at,"
            " t.resolved_at), t.subject, t.status, t.assigned_to, NULL, NULL FROM tickets t"
            " WHERE t.tenant_id = ? AND t.contact_id = ?"
            " UNION ALL SELECT 'chat', s.id, s.started_at, s.ended_at,"
            " CONCAT('chat with ', COALESCE(s.visitor_name, s.visitor_id)), s.status,"
            " s.user_id, NULL, TIMESTAMPDIFF(SECOND, s.started_at, s.ended_at)"
            " FROM chat_sessions s WHERE s.tenant_id = ? AND s.contact_id = ?) x",
            DB_STR(r->auth.tenant_id), DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(id));
    if (type != NULL)
        qb_addv(q, " WHERE x.type = ?", DB_STR(type));
}

static int contact_timeline(struct request *r)
{
    const char *id = request_param(r, "id");
    struct page p;
    struct qb count, page;
    struct db_result *exists, *cres, *rows;
    static const char *const types[] = {"call", "ticket", "chat", NULL};
    const char *type = NULL;
    if (query_page(r, 20, 200, &p) != 0 || query_enum(r, "type", types, &type) < 0)
        return request_check_fields(r);
    int rc = db_exec(r->db, r->arena, "SELECT id FROM contacts WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &exists);
    if (rc == DB_OK && exists->nrows == 0)
        return request_error(r, 404, "not_found", contacts.not_found);
    bool own = r->auth.role_bit == ROLE_AGENT;
    qb_init(&count, r->arena);
    qb_add(&count, "SELECT COUNT(*) AS total");
    timeline_union(r, &count, id, own, type);
    qb_init(&page, r->arena);
    qb_add(&page, "SELECT type, id, occurred_at, ended_at, title, status, user_id, queue_id,"
                  " duration");
    timeline_union(r, &page, id, own, type);
    qb_addv(&page, " ORDER BY occurred_at DESC, id DESC LIMIT ? OFFSET ?", DB_INT(p.limit),
            DB_INT(p.offset));
    if (rc == DB_OK)
        rc = qb_exec(&count, r->db, &cres);
    if (rc == DB_OK)
        rc = qb_exec(&page, r->db, &rows);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *arr = arena_json(r->arena, db_rows_json(rows, rows->nrows, NULL));
    if (arr == NULL)
        return request_oom(r);
    return reply_list(r, "timeline", arr, p.page, p.limit, db_get_int(cres, 0, "total", 0));
}

#define CONTACT_NAMES CRUD_NAMES("a", "contact", "contacts")
#define CONTACT_PATH "/api/contacts"

static const struct route routes[] = {
    CRUD_LIST_ROUTE(CONTACT_PATH, &contacts, ROLES_ANY, FAM_CALLCENTER, CONTACT_NAMES),
    ROUTE("GET", CONTACT_PATH "/phone", contact_by_phone, ROLES_ANY, FAM_CALLCENTER,
          .summary = "The contact with this phone or mobile number (?number=, any notation)",
          .key = "contact"),
    CRUD_CREATE_ROUTE(CONTACT_PATH, &contacts, contact_fields, ROLES_ANY, FAM_CALLCENTER,
                      CONTACT_NAMES),
    CRUD_GET_ROUTE(CONTACT_PATH "/:id", &contacts, ROLES_ANY, FAM_CALLCENTER, CONTACT_NAMES),
    CRUD_UPDATE_ROUTE(CONTACT_PATH "/:id", &contacts, contact_fields, ROLES_ANY, FAM_CALLCENTER,
                      CONTACT_NAMES),
    CRUD_DELETE_ROUTE(CONTACT_PATH "/:id", &contacts, ROLES_STAFF, FAM_CALLCENTER,
                      CONTACT_NAMES),
    ROUTE("GET", CONTACT_PATH "/:id/timeline", contact_timeline, ROLES_ANY, FAM_CALLCENTER,
          .summary = "The contact's calls, tickets and chats, newest first", .key = "timeline",
          .flags = ROUTE_LIST),
};

ROUTE_GROUP(contacts_routes, routes);
