/*
 * DID routing (did_route.h): the target checks of every DID write and the choice of a
 * number's route for a call, its schedule consulted.
 */
#include "did_route.h"

#include <string.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "log.h"
#include "request.h"
#include "schedule.h"
#include "txn.h"
#include "validate.h"

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The refusal's text, after the subject it is about ("node 'sales':") when there is one. */
static const char *why(struct request *r, const char *subject, const char *text)
{
    const char *s = subject ? arena_printf(r->arena, "%s %s", subject, text) : NULL;
    return s ? s : text;
}

/* A user id of the tenant: the voicemail box of that user, or an agent when role_agent. */
static int user_check(struct request *r, const char *id, const char *field, bool role_agent,
                      const char *subject)
{
    if (role_agent)
        return crud_refer(r,
                          "SELECT u.id FROM users u JOIN user_roles ur"
                          " ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id"
                          " WHERE u.id = ? AND u.tenant_id = ? AND u.is_active = 1"
                          " AND ur.role = 'agent' LOCK IN SHARE MODE",
                          id, field, why(r, subject, "must be an agent of this tenant"));
    return crud_refer(r,
                      "SELECT id FROM users WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
                      id, field, why(r, subject, "must be a user of this tenant"));
}

static int external_check(struct request *r, const char **target, const char *field,
                          const char *subject)
{
    char e164[24];
    if (validate_phone_e164(*target, strlen(*target), e164, sizeof(e164)) != 0) {
        request_field_error(r, field, why(r, subject, "must be a phone number (E.164)"));
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    *target = arena_strdup(r->arena, e164);
    return *target ? DB_OK : DB_ERROR;
}

int did_target_check(struct request *r, const char *type, const char **target,
                     const char *field, bool required)
{
    return did_target_check_for(r, type, target, field, required, NULL);
}

/* An IVR target: a flow of the tenant (ivf_…), or an active IVR menu of the tenant. */
static int ivr_check(struct request *r, const char *type, const char *t, const char *field,
                     const char *subject)
{
    if (strcmp(type, "flow") == 0 || has_prefix(t, "ivf_"))
        return crud_refer(r,
                          "SELECT id FROM ivr_flows WHERE id = ? AND tenant_id = ?"
                          " LOCK IN SHARE MODE",
                          t, field, why(r, subject, "must be an IVR flow of this tenant"));
    return crud_refer(r,
                      "SELECT id FROM ivr_menus WHERE id = ? AND tenant_id = ?"
                      " AND is_active = 1 LOCK IN SHARE MODE",
                      t, field, why(r, subject, "must be an IVR flow or menu of this tenant"));
}

int did_target_check_for(struct request *r, const char *type, const char **target,
                         const char *field, bool required, const char *subject)
{
    const char *t = *target;
    if (t == NULL) {
        if (!required || strcmp(type, "voicemail") == 0)
            return DB_OK;
        request_field_error(r, field, why(r, subject, "is required for this route type"));
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    if (strcmp(type, "queue") == 0)
        return crud_refer(r,
                          "SELECT id FROM queues WHERE id = ? AND tenant_id = ?"
                          " AND is_active = 1 LOCK IN SHARE MODE",
                          t, field, why(r, subject, "must be an active queue of this tenant"));
    if (strcmp(type, "department") == 0)
        return crud_refer(r,
                          "SELECT id FROM departments WHERE id = ? AND tenant_id = ?"
                          " AND is_active = 1 LOCK IN SHARE MODE",
                          t, field,
                          why(r, subject, "must be an active department of this tenant"));
    if (strcmp(type, "agent") == 0 && has_prefix(t, "usr_"))
        return user_check(r, t, field, true, subject);
    if (strcmp(type, "agent") == 0)
        return crud_refer(r,
                          "SELECT id FROM agents WHERE id = ? AND tenant_id = ?"
                          " LOCK IN SHARE MODE",
                          t, field, why(r, subject, "must be an agent of this tenant"));
    if (strcmp(type, "voicemail") == 0 && has_prefix(t, "usr_"))
        return user_check(r, t, field, false, subject);
    if (strcmp(type, "voicemail") == 0 && has_prefix(t, "vmb_"))
        return crud_refer(r,
                          "SELECT id FROM voicemail_boxes WHERE id = ? AND tenant_id = ?"
                          " LOCK IN SHARE MODE",
                          t, field, why(r, subject, "must be a voicemail box of this tenant"));
    if (strcmp(type, "external") == 0)
        return external_check(r, target, field, subject);
    if (strcmp(type, "ivr") == 0 || strcmp(type, "flow") == 0)
        return ivr_check(r, type, t, field, subject);
    return DB_OK;
}

/* The number's row with its schedule: by id, or by the number in E.164. */
static int route_row(struct request *r, const char *key, struct db_result **row)
{
    char e164[24];
    const char *id = key, *number = NULL;
    if (!has_prefix(key, "did_")) {
        if (validate_phone_e164(key, strlen(key), e164, sizeof(e164)) != 0)
            return 1;
        id = NULL;
        number = e164;
    }
    int rc = db_exec(r->db, r->arena,
                     "SELECT d.id, d.number, d.route_type, d.route_target, d.schedule_id,"
                     " d.after_hours_route_type, d.after_hours_route_target,"
                     " s.timezone, s.hours, s.holidays, s.is_active AS schedule_active"
                     " FROM dids d LEFT JOIN schedules s"
                     " ON s.tenant_id = d.tenant_id AND s.id = d.schedule_id"
                     " WHERE d.tenant_id = ? AND d.is_active = 1"
                     " AND (d.id = ? OR d.number = ?)",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id), DB_STR(number)), row);
    if (rc != DB_OK)
        return rc;
    return (*row)->nrows == 0 ? 1 : DB_OK;
}

int did_route_resolve(struct request *r, const char *did_id_or_number, time_t when,
                      struct did_route *out)
{
    struct db_result *row;
    memset(out, 0, sizeof(*out));
    int rc = did_id_or_number ? route_row(r, did_id_or_number, &row) : 1;
    if (rc != DB_OK)
        return rc;
    out->did_id = db_get(row, 0, "id");
    out->number = db_get(row, 0, "number");
    out->route_type = db_get(row, 0, "route_type");
    out->route_target = db_get(row, 0, "route_target");
    out->schedule_id = db_get(row, 0, "schedule_id");
    const char *ah_type = db_get(row, 0, "after_hours_route_type");
    /* Without an after-hours route there is nothing else to choose; an inactive schedule
     * is switched off, so the number's own route holds at every hour. */
    if (out->schedule_id == NULL || ah_type == NULL ||
        db_get_int(row, 0, "schedule_active", 0) == 0)
        return DB_OK;
    enum schedule_answer open = schedule_is_open(db_get(row, 0, "hours"),
                                                 db_get(row, 0, "holidays"),
                                                 db_get(row, 0, "timezone"), when);
    if (open == SCHEDULE_ERROR) {
        log_warn("did %s: schedule %s cannot be read (zone %s); using the number's route",
                 out->did_id, out->schedule_id, db_get(row, 0, "timezone"));
        return DB_OK;
    }
    if (open == SCHEDULE_CLOSED) {
        out->route_type = ah_type;
        out->route_target = db_get(row, 0, "after_hours_route_target");
        out->after_hours = true;
    }
    return DB_OK;
}
