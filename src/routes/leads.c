/*
 * Leads of the caller's tenant (issue 10, coldcaller family): CRUD, the dialer's filters
 * and the CSV import. A lead is a contacts row with a lead_no, its number within the tenant
 * (lead_store.h); that number is its id in every answer and path (`contactId` beside it).
 * Agents read leads; managers and admins create, change, import and delete them. Another
 * tenant's lead is absent (404). A number is kept as sent (`phoneNumber`) and normalised
 * (`phone`: "+digits", what the dialer and the do-not-call list compare).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "contacts.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "lead_import.h"
#include "lead_store.h"
#include "qb.h"
#include "reply.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const lead_statuses[] = {"new",       "contacted",      "callback",
                                            "qualified", "converted",      "not_interested",
                                            "bad_number", "do_not_call",   NULL};

enum { L_FIRST, L_LAST, L_COMPANY, L_EMAIL, L_PHONE, L_CAMPAIGN, L_STATUS, L_ZONE, L_DNC,
       L_CALLBACK, L_NOTES, L_TAGS, L_NFIELDS };

static const struct field_def lead_fields[] = {
    [L_FIRST] = {"first_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [L_LAST] = {"last_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [L_COMPANY] = {"company", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [L_EMAIL] = {"email", FT_EMAIL, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [L_PHONE] = {"phone", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, "phoneNumber"},
    [L_CAMPAIGN] = {"campaign_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [L_STATUS] = {"lead_status", FT_ENUM, 0, 0, 0, lead_statuses, NULL, "status"},
    [L_ZONE] = {"time_zone", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [L_DNC] = {"do_not_call", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
    [L_CALLBACK] = {"next_callback_at", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [L_NOTES] = {"notes", FT_TEXT, F_NULLABLE, 0, 16000, NULL, NULL, NULL},
    [L_TAGS] = {"tags", FT_STRINGS, F_NULLABLE, 0, 50, NULL, NULL, NULL},
};

static const char *const lead_columns_of[] = {
    "first_name", "last_name",  "company",     "email",       "phone",
    "campaign_id", "lead_status", "time_zone", "do_not_call", "next_callback_at",
    "notes",      "tags"};
static const char *const lead_json_cols[] = {"tags", NULL};

#define LEAD_COLUMNS                                                                       \
    "lead_no AS id, id AS contact_id, first_name, last_name,"                              \
    " NULLIF(CONCAT_WS(' ', first_name, last_name), '') AS name, company, email, phone,"  \
    " COALESCE(phone_as_sent, phone) AS phone_number, campaign_id, lead_status AS status,"  \
    " attempts, last_outcome, last_called_at, next_callback_at, time_zone, do_not_call,"   \
    " notes, tags, created_at, updated_at"

/* Names, company, e-mail, and (four digits or more) the digits inside the number. */
#define LEAD_LIKE                                                                          \
    " AND (first_name LIKE ? ESCAPE '\\\\' OR last_name LIKE ? ESCAPE '\\\\'"                \
    " OR CONCAT_WS(' ', first_name, last_name) LIKE ? ESCAPE '\\\\'"                       \
    " OR company LIKE ? ESCAPE '\\\\' OR email LIKE ? ESCAPE '\\\\'"                        \
    " OR (CHAR_LENGTH(REGEXP_REPLACE(?, '[^0-9]', '')) >= 4"                               \
    " AND phone LIKE CONCAT('%', REGEXP_REPLACE(?, '[^0-9]', ''), '%')))"
/* A callback is due once its time has come (NULL: none scheduled). */
#define LEAD_DUE " AND COALESCE(next_callback_at <= NOW(), 0) = ?"

static const struct filter_def lead_filters[] = {
    {"status", FILTER_ENUM, " AND lead_status = ?", lead_statuses, NULL},
    {"campaignId", FILTER_ID, " AND campaign_id = ?", NULL, NULL},
    {"campaign_id", FILTER_ID, " AND campaign_id = ?", NULL, NULL},
    {"search", FILTER_LIKE, LEAD_LIKE, NULL, NULL},
    {"callbackDue", FILTER_BOOL, LEAD_DUE, NULL, NULL},
    {"callback_due", FILTER_BOOL, LEAD_DUE, NULL, NULL},
};

static const struct sort_def lead_sorts[] = {
    {"id", "lead_no"},          {"name", "last_name, first_name, lead_no"},
    {"createdAt", "created_at"}, {"nextCallbackAt", "next_callback_at"},
    {"created_at", "created_at"}, {"next_callback_at", "next_callback_at"},
    {NULL, NULL},
};

static const struct resource leads = {
    .table = "contacts",
    .columns = LEAD_COLUMNS,
    .tenant_col = "tenant_id",
    .id_col = "lead_no",
    .json_cols = lead_json_cols,
    .id_prefix = "contact_",
    .entity = "lead",
    RESOURCE_NAMES("lead", "leads", "Lead not found"),
    .order = "lead_no",
    .sorts = lead_sorts,
    RESOURCE_FILTERS(lead_filters),
    RESOURCE_FIELDS(lead_fields, lead_columns_of),
    .default_limit = 20,
};

/* ---- reading ------------------------------------------------------------------------- */

/* The :id of the path as a lead number (text, for the resource's WHERE); NULL once a 400
 * is answered. */
static const char *lead_no_param(struct request *r)
{
    const char *s = request_param(r, "id");
    char *end = NULL;
    unsigned long long n = 0;
    if (s != NULL && s[0] >= '1' && s[0] <= '9' && strlen(s) <= 10)
        n = strtoull(s, &end, 10);
    if (n == 0 || n > 4294967295ULL || *end != '\0') {
        request_field_error(r, "id", "Lead ID must be a positive integer");
        request_check_fields(r);
        return NULL;
    }
    return s;
}

static int lead_list(struct request *r)
{
    struct qb leads_only;
    qb_init(&leads_only, r->arena);
    qb_add(&leads_only, " AND lead_no IS NOT NULL");
    return resource_list(r, &leads, &leads_only);
}

static int lead_get(struct request *r)
{
    const char *no = lead_no_param(r);
    if (no == NULL)
        return -1;
    struct json_object *obj = NULL;
    int rc = resource_fetch(r, &leads, no, &obj);
    return request_reply_found(r, 200, rc, "lead", obj, leads.not_found);
}

/* ---- writing ------------------------------------------------------------------------- */

struct lead_write {
    const char *no;       /* the lead number (update, delete) */
    const char *id;       /* the contact's id */
    struct field_value v[L_NFIELDS];
    struct json_object *body;
    const char *as_sent;  /* the phone as the client typed it, when sent */
    char callback[24];
};

/* lead.created, lead.updated, lead.deleted for the staff's streams (and webhooks), in the
 * write's transaction: {lead_id (the number), contact_id}. */
static int lead_event(struct request *r, const char *type, long long no, const char *id)
{
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    if (p == NULL || json_set_int(p, "lead_id", no) || json_set_str(p, "contact_id", id))
        return DB_ERROR;
    const char *text = json_text(p, NULL);
    int rc = text ? event_emit(r, type, NULL, text) : DB_ERROR;
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return rc;
}

/* What the declarations cannot say: a known zone, a time, the number as sent. */
static int lead_prepare(struct request *r, struct lead_write *w)
{
    struct field_value *v = w->v;
    struct json_object *p;
    if (v[L_ZONE].s != NULL && !lead_store_zone_known(v[L_ZONE].s))
        request_field_error(r, "timeZone", "Unknown time zone (an IANA name like Europe/Paris)");
    if (v[L_CALLBACK].s != NULL) {
        if (lead_store_datetime(v[L_CALLBACK].s, w->callback, sizeof(w->callback)) != 0)
            request_field_error(r, "nextCallbackAt", "must be an ISO 8601 date and time");
        v[L_CALLBACK].s = w->callback;
    }
    if (v[L_PHONE].s != NULL && (json_object_object_get_ex(w->body, "phone", &p) ||
                                 json_object_object_get_ex(w->body, "phoneNumber", &p)))
        w->as_sent = json_object_get_string(p);
    return request_check_fields(r);
}

static int campaign_check(struct request *r, const struct field_value *v)
{
    if (!v->sent || v->s == NULL)
        return DB_OK;
    return crud_refer(r, "SELECT id FROM campaigns WHERE id = ? AND tenant_id = ?"
                         " LOCK IN SHARE MODE",
                      v->s, "campaignId", "must be a campaign of this tenant");
}

static int create_step(struct request *r, void *arg)
{
    struct lead_write *w = arg;
    const struct field_value *v = w->v;
    long long no = 0;
    struct lead_new l = {
        .first_name = v[L_FIRST].s, .last_name = v[L_LAST].s, .company = v[L_COMPANY].s,
        .email = v[L_EMAIL].s, .phone = v[L_PHONE].s, .phone_as_sent = w->as_sent,
        .campaign_id = v[L_CAMPAIGN].s, .lead_status = v[L_STATUS].s,
        .time_zone = v[L_ZONE].s, .notes = v[L_NOTES].s, .tags_json = v[L_TAGS].s,
        .next_callback_at = v[L_CALLBACK].s, .do_not_call = v[L_DNC].b};
    int rc = campaign_check(r, &v[L_CAMPAIGN]);
    if (rc == DB_OK)
        rc = lead_store_numbers(r->db, r->arena, r->auth.tenant_id, 1, &no);
    if (rc == DB_OK)
        rc = lead_store_insert(r->db, r->arena, r->auth.tenant_id, w->id, no, &l);
    if (rc == DB_OK)
        rc = resource_audit(r, &leads, "create", w->id, json_text(w->body, NULL));
    if (rc == DB_OK)
        rc = lead_event(r, "lead.created", no, w->id);
    if (rc != DB_OK)
        return rc;
    const char *text = arena_printf(r->arena, "%lld", no);
    return text ? resource_answer(r, &leads, 201, text) : DB_ERROR;
}

static int lead_create(struct request *r)
{
    struct lead_write *w = arena_calloc(r->arena, 1, sizeof(*w));
    if (w == NULL)
        return request_oom(r);
    if (fields_declared(r, FIELDS_CREATE, w->v, L_NFIELDS, &w->body) != 0 ||
        lead_prepare(r, w) != 0)
        return -1;
    if ((w->id = id_new(r->arena, "contact_")) == NULL)
        return request_oom(r);
    return txn_reply(r, txn_run(r, create_step, w));
}

/* The lead locked: its contact id into w->id; TXN_ANSWERED (404) when absent. */
static int lock_lead(struct request *r, struct lead_write *w)
{
    struct db_result *old;
    int rc = resource_lock(r, &leads, w->no, &old);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", leads.not_found);
    if (rc == DB_OK && (w->id = db_get(old, 0, "id")) == NULL)
        rc = DB_ERROR;
    return rc;
}

static int update_step(struct request *r, void *arg)
{
    struct lead_write *w = arg;
    struct column_value as_sent = {"phone_as_sent", DB_STR(w->as_sent)};
    int rc = lock_lead(r, w);
    if (rc == DB_OK)
        rc = campaign_check(r, &w->v[L_CAMPAIGN]);
    if (rc == DB_OK)
        rc = resource_update(r, &leads, w->id, w->v, &as_sent, w->v[L_PHONE].sent ? 1 : 0);
    if (rc == DB_OK)
        rc = resource_audit(r, &leads, "update", w->id, json_text(w->body, NULL));
    if (rc == DB_OK)
        rc = lead_event(r, "lead.updated", strtoll(w->no, NULL, 10), w->id);
    return rc == DB_OK ? resource_answer(r, &leads, 200, w->no) : rc;
}

static int lead_update(struct request *r)
{
    struct lead_write *w = arena_calloc(r->arena, 1, sizeof(*w));
    if (w == NULL)
        return request_oom(r);
    if ((w->no = lead_no_param(r)) == NULL ||
        fields_declared(r, FIELDS_UPDATE, w->v, L_NFIELDS, &w->body) != 0 ||
        lead_prepare(r, w) != 0)
        return -1;
    return txn_reply(r, txn_run(r, update_step, w));
}

/* A lead's calls and chats are history: they stay, without it (as for a contact). */
static int delete_step(struct request *r, void *arg)
{
    struct lead_write *w = arg;
    int rc = lock_lead(r, w);
    if (rc == DB_OK)
        rc = contact_detach_history(r, w->id);
    if (rc == DB_OK)
        rc = resource_remove(r, &leads, w->id);
    if (rc == DB_OK)
        rc = resource_audit(r, &leads, "delete", w->id,
                            arena_printf(r->arena, "{\"lead_no\":%s}", w->no));
    if (rc == DB_OK)
        rc = lead_event(r, "lead.deleted", strtoll(w->no, NULL, 10), w->id);
    if (rc == DB_OK && reply_message(r, 200, "Lead deleted successfully") != 0)
        rc = DB_ERROR;
    return rc;
}

static int lead_delete(struct request *r)
{
    struct lead_write *w = arena_calloc(r->arena, 1, sizeof(*w));
    if (w == NULL)
        return request_oom(r);
    if ((w->no = lead_no_param(r)) == NULL)
        return -1;
    return txn_reply(r, txn_run(r, delete_step, w));
}

/* ---- the CSV import -------------------------------------------------------------------- */

/* A retried transaction starts again from the parse's outcome. */
static int import_step(struct request *r, void *arg)
{
    struct lead_import *im = arg;
    im->nerrors = im->parse_errors;
    im->imported = 0;
    int rc = lead_import_write(r->db, r->arena, r->auth.tenant_id, im, 0, im->nrows);
    if (rc != DB_OK)
        return rc;
    char details[96];
    snprintf(details, sizeof(details), "{\"imported\":%ld,\"rejected\":%ld}", im->imported,
             lead_import_rejected(im));
    return resource_audit(r, &leads, "import", "", details);
}

static int import_answer(struct request *r, struct lead_import *im)
{
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    struct json_object *errs = json_object_new_array();
    int rc = o == NULL || errs == NULL || json_object_object_add(o, "errors", errs) != 0;
    if (rc && errs != NULL)
        json_object_put(errs);
    rc = rc || json_set_int(o, "imported", im->imported) ||
         json_set_int(o, "rejected", lead_import_rejected(im));
    lead_import_sort_errors(im);
    for (size_t i = 0; !rc && i < im->nerrors; i++) {
        struct json_object *e = json_object_new_object();
        rc = e == NULL || json_object_array_add(errs, e) != 0;
        if (rc && e != NULL)
            json_object_put(e);
        rc = rc || json_set_int(e, "row", im->errors[i].row) ||
             json_set_str(e, "field", im->errors[i].field) ||
             json_set_str(e, "message", im->errors[i].message);
    }
    if (rc)
        return request_oom(r);
    return reply_one(r, 200, "import", o);
}

static int lead_import(struct request *r)
{
    struct lead_import im = {.a = r->arena};
    if (r->body == NULL || r->body_len == 0)
        return request_error(r, 400, "bad_request", "The body must be a CSV file");
    FILE *f = fmemopen((void *)r->body, r->body_len, "r");
    if (f == NULL)
        return request_oom(r);
    int parsed = lead_import_parse(&im, f);
    fclose(f);
    if (parsed != 0)
        return request_error(r, 400, "bad_request", im.fatal);
    int rc = txn_run(r, import_step, &im);
    if (rc != DB_OK)
        return txn_reply(r, rc);
    return import_answer(r, &im);
}

#define LEAD_FAM FAM_COLDCALLER

static const struct route routes[] = {
    ROUTE("GET", "/api/leads", lead_list, ROLES_ANY, LEAD_FAM,
          .summary = "List leads (status, campaignId, search, callbackDue)", .key = "leads",
          .flags = ROUTE_LIST, .resource = &leads),
    ROUTE("POST", "/api/leads", lead_create, ROLES_STAFF, LEAD_FAM,
          .summary = "Create a lead (numbered within the tenant)", ROUTE_BODY(lead_fields),
          .key = "lead", .flags = ROUTE_IDEMPOTENT, .resource = &leads),
    ROUTE("POST", "/api/leads/import", lead_import, ROLES_STAFF, LEAD_FAM,
          .summary = "Import leads from a CSV body (text/csv, a header row)",
          .key = "import", .body_media = "text/csv"),
    ROUTE("GET", "/api/leads/:id", lead_get, ROLES_ANY, LEAD_FAM,
          .summary = "One lead, by its number", .key = "lead", .resource = &leads),
    ROUTE("PUT", "/api/leads/:id", lead_update, ROLES_STAFF, LEAD_FAM,
          .summary = "Change a lead", ROUTE_BODY(lead_fields), .key = "lead",
          .resource = &leads),
    ROUTE("DELETE", "/api/leads/:id", lead_delete, ROLES_STAFF, LEAD_FAM,
          .summary = "Delete a lead", .resource = &leads),
};

ROUTE_GROUP(leads_routes, routes);
