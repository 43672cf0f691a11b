/*
 * Call logs: the finished and live calls of a date range, newest first, with their
 * transfers, filtered by status, by whether a transfer was made, and by a search over the
 * caller's number and the call id. Offset pages for the first 10,000 rows, a keyset
 * cursor (next_cursor, ?after=) for any depth.
 *
 * The status a log row shows is log_status: "transferred" once a transfer of the call
 * connected (the transfer portal's filter), else the call's status. The query is built
 * with only the clauses a request uses (qb.h), so the common pages stay inside an index.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "fields.h"
#include "keyset.h"
#include "list_count.h"
#include "qb.h"
#include "request.h"
#include "routes.h"
#include "validate.h"

#define LOG_SELECT                                                                           \
    "SELECT c.id AS call_id, c.id, c.caller_number, c.called_number, c.start_time,"         \
    " c.end_time, c.total_duration, NULLIF(c.ai_minutes, 0) AS ai_minutes,"                 \
    " NULLIF(c.transfer_minutes, 0) AS transfer_minutes, c.log_status AS status,"           \
    " COALESCE((SELECT JSON_ARRAYAGG(JSON_OBJECT('id', t.id, 'target_department', d.name,"  \
    "  'department_id', t.to_department_id, 'agent_id', t.agent_id, 'agent_name', a.name,"  \
    "  'transfer_time', CONCAT(REPLACE(t.transfer_time, ' ', 'T'), 'Z'), 'status',"         \
    "  t.status) ORDER BY t.transfer_time, t.id)"                                           \
    "  FROM call_transfers t FORCE INDEX (idx_call_transfers_tenant_call)"                  \
    "  LEFT JOIN departments d ON d.tenant_id = t.tenant_id AND d.id = t.to_department_id"  \
    "  LEFT JOIN agents a ON a.tenant_id = t.tenant_id AND a.id = t.agent_id"               \
    "  WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), JSON_ARRAY()) AS transfers,"  \
    " DATE_FORMAT(c.start_time, '%Y-%m-%d %H:%i:%s.%f') AS _cursor_time"                   \
    /* Deferred join: the page's ids first, so skipped rows cost an index step only. */     \
    " FROM (SELECT c.id FROM calls c FORCE INDEX (idx_calls_tenant_start)"

#define LOG_PAGE_END ") pg JOIN calls c ON c.id = pg.id ORDER BY c.start_time DESC, c.id DESC"
#define LOG_MAX_OFFSET 10000

/* The transfer portal's words for statuses; "transferred" is a log status of its own. */
static const struct field_word log_status_words[] = {
    {"initiated", "ringing"}, {"in_progress", "active"}, {"in-progress", "active"},
    {NULL, NULL}};


/* ---- the query ------------------------------------------------------------------------- */

struct log_query {
    struct page p;
    int days, want_transfer, has_transfer;
    const char *status, *pattern, *ctime, *cid;
};

/* A search box's "+1555…" arrives as " 1555…" ('+' is a space in a query string). */
static const char *search_text(struct request *r)
{
    const char *search = request_query(r, "search");
    if (search == NULL)
        return NULL;
    while (isspace((unsigned char)*search))
        search++;
    char *s = arena_strdup(r->arena, search);
    size_t n = s ? strlen(s) : 0;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int read_query(struct request *r, struct log_query *q)
{
    static const char *const ranges[] = {"1day", "7days", "30days", "90days", NULL};
    static const int range_days[] = {1, 7, 30, 90};
    const char *range = NULL;
    memset(q, 0, sizeof(*q));
    query_page(r, 25, 200, &q->p);
    query_enum(r, "date_range", ranges, &range);
    q->want_transfer = query_bool(r, "has_transfer", &q->has_transfer);
    /* Any status text filters (an unknown one finds nothing); "all" or empty: every one. */
    q->status = fields_word(log_status_words, request_query(r, "status"));
    if (q->status != NULL && (q->status[0] == '\0' || strcmp(q->status, "all") == 0))
        q->status = NULL;
    query_like_pattern(r, "search", search_text(r), &q->pattern);
    /* Offsets cost a scan of every skipped row; deeper pages use the cursor. */
    if (q->p.offset + q->p.limit > LOG_MAX_OFFSET)
        request_field_error(r, "page", "is too deep for offset paging: follow next_cursor "
                                       "with `after` instead");
    const char *after = request_query(r, "after");
    if (after != NULL && after[0] != '\0' && keyset_decode(r, after, &q->ctime, &q->cid) != 0)
        request_field_error(r, "after", "is not a cursor this server issued");
    q->days = 7;
    for (size_t i = 0; range != NULL && ranges[i] != NULL; i++)
        if (ranges[i] == range)
            q->days = range_days[i];
    return request_check_fields(r);
}

/* The WHERE of both the page and the count: only the clauses this request uses. */
static void build_where(struct request *r, const struct log_query *q, struct qb *w)
{
    qb_init(w, r->arena);
    qb_addv(w, " WHERE c.tenant_id = ? AND c.start_time >= NOW(3) - INTERVAL ? DAY",
            DB_STR(r->auth.tenant_id), DB_INT(q->days));
    if (q->status != NULL)
        qb_addv(w, " AND c.log_status = ?", DB_STR(q->status));
    if (q->want_transfer == 1)
        qb_addv(w,
                " AND ? = EXISTS (SELECT 1 FROM call_transfers x"
                " FORCE INDEX (idx_call_transfers_tenant_call)"
                " WHERE x.tenant_id = c.tenant_id AND x.call_id = c.id)",
                DB_INT(q->has_transfer));
    if (q->pattern != NULL)
        qb_addv(w, " AND (c.caller_number LIKE ? ESCAPE '\\\\' OR c.id LIKE ? ESCAPE '\\\\')",
                DB_STR(q->pattern), DB_STR(q->pattern));
}

static int call_logs(struct request *r)
{
    struct log_query q;
    struct qb where, page;
    struct db_result *res;
    long long total = -1;
    if (read_query(r, &q) != 0)
        return -1;
    build_where(r, &q, &where);
    qb_init(&page, r->arena);
    qb_add(&page, LOG_SELECT);
    qb_append(&page, &where);
    /* Rows strictly after the cursor: the first term bounds an index range, the second
     * breaks ties. A cursor page has no offset and no count. */
    if (q.ctime != NULL)
        qb_addv(&page, " AND c.start_time <= ? AND (c.start_time < ? OR c.id < ?)",
                DB_STR(q.ctime), DB_STR(q.ctime), DB_STR(q.cid));
    qb_addv(&page, " ORDER BY c.start_time DESC, c.id DESC LIMIT ?", DB_INT(q.p.limit + 1));
    if (q.ctime == NULL)
        qb_addv(&page, " OFFSET ?", DB_INT(q.p.offset));
    qb_add(&page, LOG_PAGE_END);
    int rc = qb_exec(&page, r->db, &res);
    if (rc == DB_OK && q.ctime == NULL) {
        struct qb count;
        qb_init(&count, r->arena);
        qb_add(&count, "SELECT COUNT(*) AS total FROM calls c");
        qb_append(&count, &where);
        rc = list_count(r, "calls", &count, &total);
    }
    if (rc != DB_OK)
        return request_db_error(r, rc);

    static const char *const log_json_cols[] = {"transfers", NULL};
    size_t shown = res->nrows > (size_t)q.p.limit ? (size_t)q.p.limit : res->nrows;
    struct json_object *rows = arena_json(r->arena, db_rows_json(res, shown, log_json_cols));
    const char *next = NULL;
    if (res->nrows > shown)
        next = keyset_encode(r, db_get(res, shown - 1, "_cursor_time"),
                             db_get(res, shown - 1, "id"));
    if (reply_list(r, "call_logs", rows, q.p.page, q.p.limit, total) != 0)
        return -1;
    /* Counting every row before a deep cursor would cost what the cursor saves. */
    if (total < 0)
        reply_list_by_cursor(r, next != NULL);
    struct json_object *nc = next ? json_object_new_string(next) : NULL;
    if ((next != NULL && nc == NULL) || reply_set(r, "next_cursor", nc) != 0)
        return request_oom(r);
    return 0;
}

static const struct route routes[] = {
    ROUTE("GET", "/api/calls/logs", call_logs, ROLES_ANY, FAM_TRANSFER,
          .summary = "Call history (filters, sort, page or cursor)", .key = "call_logs",
          .flags = ROUTE_LIST),
};

ROUTE_GROUP(call_logs_routes, routes);
