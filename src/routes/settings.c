/*
 * Settings the calldocker pages read: the system's (super_admin: version, limits,
 * features; never a secret or a path), and a company's (its tenant record, time zone and
 * business hours: its active schedules). The system's status is health.c's
 * (/api/settings/system/status).
 */
#include <stdbool.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "jsonutil.h"
#include "openapi.h"
#include "request.h"
#include "router.h"
#include "routes.h"

static struct json_object *system_limits(const struct config *c)
{
    struct json_object *o = json_object_new_object();
    int rc = json_set_int(o, "max_body_bytes", c->max_body_bytes) |
             json_set_int(o, "access_token_ttl", c->access_token_ttl) |
             json_set_int(o, "refresh_token_ttl", c->refresh_token_ttl) |
             json_set_int(o, "recording_max_bytes", c->recording_max_bytes) |
             json_set_int(o, "event_max_streams_per_session", c->event_max_streams_per_session) |
             json_set_int(o, "event_max_streams_per_tenant", c->event_max_streams_per_tenant) |
             json_set_int(o, "event_retention_hours", c->event_retention_hours) |
             json_set_int(o, "password_max_failures", c->password_max_failures) |
             json_set_int(o, "register_max_per_address_per_day",
                          c->register_max_per_address_per_day) |
             json_set_int(o, "webhook_retention_days", c->webhook_retention_days) |
             json_set_int(o, "workers", c->workers);
    return json_done(o, rc);
}

static struct json_object *system_features(const struct config *c)
{
    struct json_object *o = json_object_new_object();
    int rc = json_set_bool(o, "registration", c->register_enabled) |
             json_set_bool(o, "outgoing_webhooks", 1) | json_set_bool(o, "incoming_webhooks", 1) |
             json_set_bool(o, "recordings", c->recordings_dir[0] != '\0') |
             json_set_bool(o, "metrics", c->metrics_token[0] != '\0') |
             json_set_bool(o, "realtime", c->event_socket[0] != '\0');
    return json_done(o, rc);
}

static int settings_system(struct request *r)
{
    struct json_object *d = arena_json(r->arena, json_object_new_object());
    struct json_object *fam = json_object_new_array();
    static const char *const families[] = {"transfer", "callcenter", "calldocker", "coldcaller"};
    int rc = d == NULL || fam == NULL;
    for (size_t i = 0; !rc && i < sizeof(families) / sizeof(families[0]); i++)
        rc = json_push(fam, json_object_new_string(families[i]));
    rc = rc || json_set_str(d, "name", "Switchboard") ||
         json_set_str(d, "version", OPENAPI_INFO_VERSION) ||
         json_add(d, "limits", system_limits(r->cfg)) ||
         json_add(d, "features", system_features(r->cfg)) ||
         json_set_str(d, "public_base_url", r->cfg->public_base_url) ||
         json_add(d, "client_families", json_object_get(fam));
    json_object_put(fam);
    return rc ? request_oom(r) : reply_one(r, 200, "system", d);
}

static const char *const company_json_cols[] = {"settings", "hours", "holidays", NULL};

static int settings_company(struct request *r)
{
    if (company_scope(r) != 0)
        return -1;
    struct db_result *t, *s;
    const char *tid = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, name, domain, slug, status, plan, max_agents, timezone,"
                     " settings, created_at, updated_at FROM tenants WHERE id = ?",
                     DB_PARAMS(DB_STR(tid)), &t);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, name, timezone, hours, holidays FROM schedules"
                     " WHERE tenant_id = ? AND is_active = 1 ORDER BY name, id",
                     DB_PARAMS(DB_STR(tid)), &s);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (t->nrows == 0)
        return request_error(r, 404, "not_found", "Company not found");
    struct json_object *d = arena_json(r->arena, db_row_json(t, 0, company_json_cols));
    if (d == NULL || db_rows_attach(d, "business_hours", s, company_json_cols) != 0)
        return request_oom(r);
    return reply_one(r, 200, "company", d);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/settings/system", settings_system, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "The system's settings: version, limits, features", .key = "system"),
    ROUTE("GET", "/api/settings/company/:companyId", settings_company, ROLES_ANY, FAM_CALLDOCKER,
          .summary = "A company's settings: name, time zone, business hours", .key = "company"),
};

ROUTE_GROUP(settings_routes, routes);
