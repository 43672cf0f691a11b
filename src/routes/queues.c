/*
 * Call queues of the caller's tenant (the callcenter family): every column the
 * distributor reads, the overflow target used when max wait passes or no member is logged
 * in, and a schedule. Any signed-in role reads them (agents see the queues they work);
 * admins and managers write them. A delete is hard: members go with the queue (FK
 * cascade); it is refused while a phone number, an IVR option or another queue still
 * sends callers to it, and (FK RESTRICT) once CDRs name it.
 */
#include <stdbool.h>
#include <string.h>

#include "crud.h"
#include "db.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const strategies[] = {"ringall", "roundrobin", "leastrecent", "fewestcalls",
                                         "random",  "linear",     NULL};
static const char *const overflow_types[] = {"queue", "department", "voicemail", "hangup",
                                             NULL};

enum {
    Q_NAME, Q_DESC, Q_STRATEGY, Q_TIMEOUT, Q_RETRY, Q_WRAPUP, Q_MAX_WAIT, Q_MAX_CALLERS,
    Q_SERVICE_LEVEL, Q_SHORT_ABANDON, Q_MOH, Q_ANNOUNCE, Q_OVERFLOW_TYPE, Q_OVERFLOW_TARGET,
    Q_SCHEDULE, Q_ACTIVE
};

/* The bounds are the table's CHECKs where it has them; the rest keep values sane (a day of
 * waiting, a hundred thousand callers, an hour of service-level threshold). */
static const struct field_def queue_fields[] = {
    [Q_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [Q_DESC] = {"description", FT_TEXT, F_NULLABLE, 0, 16000, NULL, NULL, NULL},
    [Q_STRATEGY] = {"strategy", FT_ENUM, 0, 0, 0, strategies, NULL, NULL},
    [Q_TIMEOUT] = {"timeout", FT_INT, 0, 1, 600, NULL, NULL, NULL},
    [Q_RETRY] = {"retry", FT_INT, 0, 0, 600, NULL, NULL, NULL},
    [Q_WRAPUP] = {"wrapup_time", FT_INT, 0, 0, 3600, NULL, NULL, NULL},
    [Q_MAX_WAIT] = {"max_wait_time", FT_INT, 0, 0, 86400, NULL, NULL, NULL},
    [Q_MAX_CALLERS] = {"max_callers", FT_INT, 0, 0, 100000, NULL, NULL, NULL},
    [Q_SERVICE_LEVEL] = {"service_level", FT_INT, 0, 0, 3600, NULL, NULL, NULL},
    [Q_SHORT_ABANDON] = {"short_abandon_seconds", FT_INT, 0, 0, 600, NULL, NULL, NULL},
    [Q_MOH] = {"music_on_hold", FT_TEXT, 0, 1, 100, NULL, NULL, NULL},
    [Q_ANNOUNCE] = {"announce_position", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
    [Q_OVERFLOW_TYPE] = {"overflow_type", FT_ENUM, F_NULLABLE, 0, 0, overflow_types, NULL, NULL},
    [Q_OVERFLOW_TARGET] = {"overflow_target_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [Q_SCHEDULE] = {"schedule_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [Q_ACTIVE] = {"is_active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const queue_columns_of[] = {
    [Q_NAME] = "name",
    [Q_DESC] = "description",
    [Q_STRATEGY] = "strategy",
    [Q_TIMEOUT] = "timeout",
    [Q_RETRY] = "retry",
    [Q_WRAPUP] = "wrapup_time",
    [Q_MAX_WAIT] = "max_wait_time",
    [Q_MAX_CALLERS] = "max_callers",
    [Q_SERVICE_LEVEL] = "service_level",
    [Q_SHORT_ABANDON] = "short_abandon_seconds",
    [Q_MOH] = "music_on_hold",
    [Q_ANNOUNCE] = "announce_position",
    [Q_OVERFLOW_TYPE] = "overflow_type",
    [Q_OVERFLOW_TARGET] = "overflow_target_id",
    [Q_SCHEDULE] = "schedule_id",
    [Q_ACTIVE] = "is_active",
};

static const struct filter_def queue_filters[] = {
    {"is_active", FILTER_BOOL, " AND q.is_active = ?", NULL, NULL},
    {"strategy", FILTER_ENUM, " AND q.strategy = ?", strategies, NULL},
    {"search", FILTER_LIKE, " AND q.name LIKE ? ESCAPE '\\\\'", NULL, NULL},
};

static const struct sort_def queue_sorts[] = {
    {"name", "q.name"},
    {"created_at", "q.created_at"},
    {NULL, NULL},
};

static const struct resource_writes queue_writes;

/* member_count is a correlated count on the members' unique key (tenant, queue, user): one
 * query for a page as for one queue. */
static const struct resource queues = {
    .table = "queues",
    .columns = "q.id, q.tenant_id, q.name, q.description, q.strategy, q.timeout, q.retry,"
               " q.wrapup_time, q.max_wait_time, q.max_callers, q.service_level,"
               " q.short_abandon_seconds, q.music_on_hold, q.announce_position,"
               " q.overflow_type, q.overflow_target_id, q.schedule_id, q.is_active,"
               " (SELECT COUNT(*) FROM queue_members m WHERE m.tenant_id = q.tenant_id"
               " AND m.queue_id = q.id) AS member_count, q.created_at, q.updated_at",
    .from = "queues q",
    .id_col = "q.id",
    .tenant_col = "q.tenant_id",
    .id_prefix = "queue_",
    RESOURCE_NAMES("queue", "queues", "Queue not found"),
    .order = "q.name, q.id",
    RESOURCE_FILTERS(queue_filters),
    .sorts = queue_sorts,
    RESOURCE_FIELDS(queue_fields, queue_columns_of),
    .writes = &queue_writes,
};

int queue_refer(struct request *r, const char *queue_id, const char *field)
{
    return crud_refer(r, "SELECT id FROM queues WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
                      queue_id, field, "must be a queue of this tenant");
}

/* ---- overflow -------------------------------------------------------------------------- */

static bool needs_target(const char *type)
{
    return type != NULL && (strcmp(type, "queue") == 0 || strcmp(type, "department") == 0);
}

/* A value as it will be after the write: sent (null is NULL), else the old row's. */
static const char *as_it_will_be(const struct crud_write *w, size_t field)
{
    const struct field_value *v = &w->v[field];
    if (v->sent)
        return v->null ? NULL : v->s;
    return w->op == CRUD_UPDATE ? db_get(w->old, 0, queue_columns_of[field]) : NULL;
}

static int refuse(struct request *r, const char *field, const char *why)
{
    request_field_error(r, field, why);
    request_check_fields(r);
    return TXN_ANSWERED;
}

/*
 * The pair as it will be: a queue or department target exactly when the type needs one,
 * of this tenant (locked in share mode until the commit, so it cannot be deleted under
 * us), and never the queue itself. Chains (A to B to A) are the distributor's to stop: it
 * follows at most a few hops.
 */
static int overflow_check(struct request *r, struct crud_write *w)
{
    const char *type = as_it_will_be(w, Q_OVERFLOW_TYPE);
    const char *target = as_it_will_be(w, Q_OVERFLOW_TARGET);
    if (needs_target(type) && target == NULL)
        return refuse(r, "overflow_target_id", "is required when overflow_type is queue or department");
    if (!needs_target(type) && target != NULL)
        return type == NULL ? refuse(r, "overflow_type", "is required with overflow_target_id")
                            : refuse(r, "overflow_target_id",
                                     "must be null when overflow_type is voicemail or hangup");
    if (target == NULL)
        return DB_OK;
    if (strcmp(type, "department") == 0)
        return crud_refer(r,
                          "SELECT id FROM departments WHERE id = ? AND tenant_id = ?"
                          " AND is_active = 1 LOCK IN SHARE MODE",
                          target, "overflow_target_id",
                          "must be an active department of this tenant");
    if (strcmp(target, w->id) == 0)
        return refuse(r, "overflow_target_id", "a queue cannot overflow to itself");
    return queue_refer(r, target, "overflow_target_id");
}

/* ---- writes ---------------------------------------------------------------------------- */

static int queue_prepare(struct request *r, struct crud_write *w)
{
    (void)r;
    struct field_value *v = w->v;
    if (w->op == CRUD_DELETE)
        return 0;
    /* Choosing voicemail, hang-up or none drops the old target without the client having to
     * send null for it. */
    if (v[Q_OVERFLOW_TYPE].sent && !v[Q_OVERFLOW_TARGET].sent &&
        !needs_target(v[Q_OVERFLOW_TYPE].null ? NULL : v[Q_OVERFLOW_TYPE].s))
        v[Q_OVERFLOW_TARGET] = (struct field_value){.sent = true, .null = true};
    return 0;
}

/*
 * What still sends callers here. The queue row is locked already (FOR UPDATE): a writer
 * that points a DID, an IVR option or a queue's overflow at it checks the queue in share
 * mode first, so it waits for this delete and then finds the queue gone.
 */
static int queue_delete_check(struct request *r, const char *id)
{
    struct db_result *res;
    const char *t = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT (SELECT COUNT(*) FROM dids WHERE tenant_id = ?"
                     "   AND ((route_type = 'queue' AND route_target = ?)"
                     "     OR (after_hours_route_type = 'queue' AND after_hours_route_target = ?)))"
                     " AS dids,"
                     " (SELECT COUNT(*) FROM ivr_options WHERE tenant_id = ?"
                     "   AND route_type = 'queue' AND route_target = ?) AS ivr,"
                     " (SELECT COUNT(*) FROM queues WHERE tenant_id = ? AND overflow_type = 'queue'"
                     "   AND overflow_target_id = ? AND id <> ?) AS overflow",
                     DB_PARAMS(DB_STR(t), DB_STR(id), DB_STR(id), DB_STR(t), DB_STR(id),
                               DB_STR(t), DB_STR(id), DB_STR(id)),
                     &res);
    if (rc != DB_OK)
        return rc;
    if (db_get_int(res, 0, "dids", 0) > 0)
        return txn_fail(r, 409, "conflict",
                        "A phone number routes to this queue; route it elsewhere first");
    if (db_get_int(res, 0, "ivr", 0) > 0)
        return txn_fail(r, 409, "conflict",
                        "An IVR option routes to this queue; change it first");
    if (db_get_int(res, 0, "overflow", 0) > 0)
        return txn_fail(r, 409, "conflict",
                        "Another queue overflows to this queue; change its overflow first");
    return DB_OK;
}

static int queue_check(struct request *r, struct crud_write *w)
{
    /* The members go with the queue (FK cascade): their removal is told before the rows
     * are gone; a delete refused later (CDRs) rolls the events back with it. */
    if (w->op == CRUD_DELETE) {
        int rc = queue_delete_check(r, w->id);
        return rc == DB_OK ? queue_members_removed(r, w->id) : rc;
    }
    if (w->op == CRUD_CREATE || w->v[Q_OVERFLOW_TYPE].sent || w->v[Q_OVERFLOW_TARGET].sent)
        return overflow_check(r, w);
    return DB_OK;
}

static const struct crud_ref queue_refs[] = {
    {Q_SCHEDULE, "SELECT id FROM schedules WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
     "must be a schedule of this tenant"},
};

/* The row is gone after a delete: its name keeps the audit entry readable. */
static const char *const queue_delete_details[] = {"name", NULL};

static const struct resource_writes queue_writes = {
    .prepare = queue_prepare,
    CRUD_REFS(queue_refs),
    .check = queue_check,
    .duplicate = "Queue with this name already exists",
    .referenced = "This queue has call records; deactivate it instead",
    .deleted = "Queue deleted successfully",
    .delete_details = queue_delete_details,
    .delete_answers_record = true,
};

static const struct route routes[] = {
    CRUD_ROUTES("/api/queues", &queues, queue_fields, ROLES_ANY, ROLES_STAFF, FAM_CALLCENTER,
                CRUD_NAMES("a", "queue", "queues")),
};

ROUTE_GROUP(queues_routes, routes);
