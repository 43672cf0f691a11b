/*
 * Call detail records of the caller's tenant (seed 001's CDR routes; the KPIs are
 * cdr_stats.c). A CDR is written by whoever ends a call (cdr_store.h); here they are read:
 * a filtered, paged list, one by id, by date range, by user, by queue name, and the same
 * lists as CSV (`?format=csv` or `Accept: text/csv`), streamed from an unbuffered query
 * row by row, so an export of any size costs the same memory.
 *
 * Managers and admins see every CDR of the tenant; an agent sees the calls they took
 * (user_id = theirs) and nothing else: another's CDR is 404 to them, another's by-user
 * list 403.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "cdr_store.h"
#include "csv.h"
#include "db.h"
#include "log.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "validate.h"

#define CDR_COLUMNS                                                                          \
    "c.id, c.call_sid, c.uniqueid, c.linkedid, c.direction, c.caller_number,"              \
    " c.caller_name, c.called_number, c.did_id, c.queue_id, q.name AS queue_name,"         \
    " c.user_id, NULLIF(CONCAT_WS(' ', u.first_name, u.last_name), '') AS agent_name,"     \
    " c.contact_id, c.recording_id, c.start_time, c.answer_time, c.end_time, c.duration,"  \
    " c.billsec, c.wait_time, c.hold_time, c.wrapup_time, c.disposition, c.hangup_side,"   \
    " c.hangup_cause, c.tags, c.metadata, c.created_at"
#define CDR_FROM                                                                             \
    "cdrs c LEFT JOIN queues q ON q.tenant_id = c.tenant_id AND q.id = c.queue_id"          \
    " LEFT JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.user_id"

static const char *const cdr_json_cols[] = {"tags", "metadata", NULL};

static const struct sort_def cdr_sorts[] = {
    {"start_time", "c.start_time"}, {"duration", "c.duration"}, {"billsec", "c.billsec"},
    {"wait_time", "c.wait_time"},   {NULL, NULL},
};

static const char *const directions[] = {"inbound", "outbound", "internal", NULL};
static const char *const dispositions[] = {
    "answered", "no_answer", "busy",    "failed",   "congestion", "canceled",
    "abandoned", "timeout",  "overflow", "no_agent", NULL};

/* Besides these, `start` and `end` (times: cdr_query_time). */
static const struct filter_def cdr_filters[] = {
    {"direction", FILTER_ENUM, " AND c.direction = ?", directions, NULL},
    {"disposition", FILTER_ENUM, " AND c.disposition = ?", dispositions, NULL},
    {"queue_id", FILTER_ID, " AND c.queue_id = ?", NULL, NULL},
    {"user_id", FILTER_ID, " AND c.user_id = ?", NULL, NULL},
    {"did_id", FILTER_ID, " AND c.did_id = ?", NULL, NULL},
    {"caller", FILTER_EQ, " AND c.caller_number = ?", NULL, NULL},
    {"called", FILTER_EQ, " AND c.called_number = ?", NULL, NULL},
    /* call_tags.c: its key (tenant_id, cdr_id, tag) answers the EXISTS per row. */
    {"tag", FILTER_EQ,
     " AND EXISTS (SELECT 1 FROM call_tags ct WHERE ct.tenant_id = c.tenant_id"
     " AND ct.cdr_id = c.id AND ct.tag = ?)",
     NULL, NULL},
};

static const struct resource cdrs = {
    .table = "cdrs",
    .columns = CDR_COLUMNS,
    .from = CDR_FROM,
    .page_base = "cdrs c",
    .cursor_col = "c.start_time",
    .id_col = "c.id",
    .tenant_col = "c.tenant_id",
    .json_cols = cdr_json_cols,
    .id_prefix = "cdr_",
    RESOURCE_NAMES("cdr", "cdrs", "CDR not found"),
    .order = "c.start_time DESC, c.id DESC",
    .count_ns = "cdrs", /* cdr_write bumps it */
    .sorts = cdr_sorts,
    RESOURCE_FILTERS(cdr_filters),
    .default_limit = 20,
    .max_limit = 200,
};

static bool is_agent(const struct request *r)
{
    return r->auth.role_bit == ROLE_AGENT;
}

/* ---- filters ------------------------------------------------------------------------ */

int cdr_query_time(struct request *r, const char *key, bool is_end, long long *t)
{
    const char *v = request_query(r, key);
    bool date_only;
    if (v == NULL || v[0] == '\0')
        return 0;
    if (cdr_parse_time(v, t, &date_only) != 0) {
        request_field_error(r, key, "must be a date (2026-12-03) or an RFC 3339 time");
        return -1;
    }
    if (is_end && date_only)
        *t += 86400;
    return 1;
}

/*
 * The list's WHERE after the tenant (which resource_list adds): the times, the declared
 * filters when `declared` (the CSV export; resource_list adds them to a page), the route's
 * own (need_range: start and end required), and an agent's own calls only.
 * 0, or -1 with the 422 answered.
 */
static int cdr_where(struct request *r, struct qb *w, bool need_range, bool declared)
{
    long long start = 0, end = 0;
    qb_init(w, r->arena);
    int hs = cdr_query_time(r, "start", false, &start);
    int he = cdr_query_time(r, "end", true, &end);
    if (need_range && hs == 0)
        request_field_error(r, "start", "is required");
    if (need_range && he == 0)
        request_field_error(r, "end", "is required");
    if (hs == 1 && he == 1 && end <= start)
        request_field_error(r, "end", "must be after start");
    if (hs == 1)
        qb_addv(w, " AND c.start_time >= FROM_UNIXTIME(?)", DB_INT(start));
    if (he == 1)
        qb_addv(w, " AND c.start_time < FROM_UNIXTIME(?)", DB_INT(end));
    /* resource_list() reads the declared filters itself; the CSV export here. */
    if (declared)
        resource_filters(r, &cdrs, w);
    if (is_agent(r))
        qb_addv(w, " AND c.user_id = ?", DB_STR(r->auth.user_id));
    return request_check_fields(r);
}

/* ---- CSV ----------------------------------------------------------------------------- */

/* ?format=csv|json, else the Accept header; another format is a 422 (recorded). */
static bool wants_csv(struct request *r)
{
    const char *f = request_query(r, "format");
    if (f != NULL && f[0] != '\0') {
        if (strcasecmp(f, "csv") != 0 && strcasecmp(f, "json") != 0)
            request_field_error(r, "format", "must be csv or json");
        return strcasecmp(f, "csv") == 0;
    }
    const char *accept = request_header(r, "Accept");
    return accept != NULL && strcasestr(accept, "text/csv") != NULL;
}

struct csv_out {
    struct request *r;
    struct buf b;
    bool begun, gone;
    long long rows;
};

/* The export's columns: its header row and its SELECT list. */
static const char *const csv_columns[][2] = {
    {"id", "c.id"}, {"call_sid", "c.call_sid"}, {"uniqueid", "c.uniqueid"},
    {"direction", "c.direction"}, {"caller_number", "c.caller_number"},
    {"caller_name", "c.caller_name"}, {"called_number", "c.called_number"},
    {"did_id", "c.did_id"}, {"queue_id", "c.queue_id"}, {"queue_name", "q.name"},
    {"user_id", "c.user_id"},
    {"agent_name", "NULLIF(CONCAT_WS(' ', u.first_name, u.last_name), '')"},
    {"start_time", "c.start_time"}, {"answer_time", "c.answer_time"},
    {"end_time", "c.end_time"}, {"duration", "c.duration"}, {"billsec", "c.billsec"},
    {"wait_time", "c.wait_time"}, {"hold_time", "c.hold_time"},
    {"wrapup_time", "c.wrapup_time"}, {"disposition", "c.disposition"},
    {"hangup_side", "c.hangup_side"}, {"hangup_cause", "c.hangup_cause"},
    {"recording_id", "c.recording_id"}, {"tags", "c.tags"},
};
#define CSV_NCOLS (sizeof(csv_columns) / sizeof(csv_columns[0]))

/* The head and the header row, once: at the first row, or at the end when there is none. */
static int csv_begin(struct csv_out *o)
{
    if (request_stream_begin(o->r, 200, "text/csv; charset=utf-8", "cdrs.csv") != 0)
        return -1;
    o->begun = true;
    for (size_t c = 0; c < CSV_NCOLS; c++)
        csv_cell_str(&o->b, csv_columns[c][0], c == 0);
    csv_end_record(&o->b);
    return 0;
}

static int csv_row(void *ctx, const struct db_result *row)
{
    struct csv_out *o = ctx;
    if (!o->begun && csv_begin(o) != 0)
        return 1;
    for (unsigned c = 0; c < row->ncols; c++) {
        const struct db_cell *cell = &row->cells[c];
        if (row->kinds[c] == DB_COL_INT || row->kinds[c] == DB_COL_DOUBLE)
            csv_cell_number(&o->b, cell->v, c == 0);
        else
            csv_cell(&o->b, cell->v, cell->len, c == 0);
    }
    csv_end_record(&o->b);
    o->rows++;
    /* Each row goes to the transport as it comes; libfcgi sends full records. */
    if (o->b.failed || request_stream_write(o->r, o->b.p, o->b.len) != 0) {
        o->gone = true;
        return 1;
    }
    o->b.len = 0;
    return 0;
}

int cdr_csv_export(struct request *r, const struct qb *where)
{
    struct qb q;
    struct csv_out o = {.r = r};
    buf_init(&o.b);
    qb_init(&q, r->arena);
    for (size_t c = 0; c < CSV_NCOLS; c++) {
        qb_add(&q, c == 0 ? "SELECT " : ", ");
        qb_add(&q, csv_columns[c][1]);
    }
    qb_add(&q, " FROM " CDR_FROM);
    qb_addv(&q, " WHERE c.tenant_id = ?", DB_STR(r->auth.tenant_id));
    qb_append(&q, where);
    qb_add(&q, " ORDER BY c.start_time DESC, c.id DESC");
    const char *sql = qb_sql(&q);
    int rc = sql ? db_stream(r->db, r->arena, sql, q.params, q.nparams, csv_row, &o) : DB_ERROR;
    if (rc == DB_OK && !o.begun && !o.gone && csv_begin(&o) != 0)
        rc = DB_ERROR;
    if (rc == DB_OK && o.begun && !o.gone && o.b.len > 0)
        request_stream_write(r, o.b.p, o.b.len);
    buf_free(&o.b);
    if (rc != DB_OK && !o.begun)
        return request_db_error(r, rc);
    if (rc != DB_OK)
        log_error("CDR export stopped after %lld rows: %s", o.rows, db_last_error(r->db));
    if (!o.begun)
        return request_oom(r);
    return 0;
}

/* ---- routes --------------------------------------------------------------------------- */

/* The list (JSON page or CSV) with where's extra clauses (may be NULL) after the query's. */
static int cdr_answer_list(struct request *r, bool need_range, const struct qb *extra)
{
    struct qb w;
    bool csv = wants_csv(r);
    if (cdr_where(r, &w, need_range, csv) != 0)
        return -1;
    if (extra != NULL)
        qb_append(&w, extra);
    if (csv)
        return cdr_csv_export(r, &w);
    return resource_list(r, &cdrs, &w);
}

static int cdr_list(struct request *r)
{
    return cdr_answer_list(r, false, NULL);
}

static int cdr_by_date_range(struct request *r)
{
    return cdr_answer_list(r, true, NULL);
}

static int cdr_by_user(struct request *r)
{
    const char *user = request_param(r, "userId");
    if (user == NULL || strlen(user) > FILTER_ID_MAX)
        return request_error(r, 404, "not_found", "User not found");
    if (is_agent(r) && strcmp(user, r->auth.user_id) != 0)
        return request_error(r, 403, "forbidden", "An agent sees only their own calls");
    struct qb extra;
    qb_init(&extra, r->arena);
    qb_addv(&extra, " AND c.user_id = ?", DB_STR(user));
    return cdr_answer_list(r, false, &extra);
}

static int cdr_by_queue(struct request *r)
{
    const char *name = request_param(r, "queueName");
    struct db_result *res = NULL;
    int rc = name == NULL || strlen(name) > 255 || validate_text(name, strlen(name)) != 0
                 ? 1
                 : db_exec(r->db, r->arena,
                           "SELECT id FROM queues WHERE tenant_id = ? AND name = ?",
                           DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(name)), &res);
    if (rc < 0)
        return request_db_error(r, rc);
    if (rc == 1 || res->nrows == 0)
        return request_error(r, 404, "not_found", "Queue not found");
    struct qb extra;
    qb_init(&extra, r->arena);
    qb_addv(&extra, " AND c.queue_id = ?", DB_STR(db_get(res, 0, "id")));
    return cdr_answer_list(r, false, &extra);
}

static int cdr_get(struct request *r)
{
    struct json_object *obj = NULL;
    int rc = resource_fetch(r, &cdrs, request_param(r, "id"), &obj);
    /* Another agent's call does not exist for an agent. */
    if (rc == DB_OK && is_agent(r)) {
        struct json_object *u = NULL;
        const char *owner = json_object_object_get_ex(obj, "user_id", &u)
                                ? json_object_get_string(u)
                                : NULL;
        if (owner == NULL || strcmp(owner, r->auth.user_id) != 0)
            rc = 1;
    }
    return request_reply_found(r, 200, rc, cdrs.one, obj, cdrs.not_found);
}

#define CDR_LIST(path, handler, what)                                                       \
    ROUTE("GET", path, handler, ROLES_ANY, FAM_CALLCENTER, .summary = what, .key = "cdrs",  \
          .flags = ROUTE_LIST, .resource = &cdrs)

static const struct route routes[] = {
    CDR_LIST("/api/cdr", cdr_list, "List call detail records (filters, page, or CSV)"),
    CDR_LIST("/api/cdr/by-date-range", cdr_by_date_range, "CDRs of a date range"),
    CDR_LIST("/api/cdr/by-user/:userId", cdr_by_user, "CDRs of a user"),
    CDR_LIST("/api/cdr/by-queue/:queueName", cdr_by_queue, "CDRs of a queue, by its name"),
    ROUTE("GET", "/api/cdr/:id", cdr_get, ROLES_ANY, FAM_CALLCENTER,
          .summary = "One call detail record", .key = "cdr", .resource = &cdrs),
};

ROUTE_GROUP(cdr_routes, routes);
