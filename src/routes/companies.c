/*
 * Companies: the calldocker family's name for tenants. These routes serve tenants.c's
 * declared resource (its fields, writes, status change and usage), so a company and a
 * tenant are one record with one set of rules. /api/companies is a super_admin's, except
 * that anyone reads their own company and its admin changes its names and settings (not
 * its plan, limits or status: tenants.c's prepare); another company is absent (404).
 * /api/admin/companies… is the platform admin's view of the same records, with counts.
 */
#include <stdbool.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "routes.h"

static int not_found(struct request *r)
{
    return request_error(r, 404, "not_found", "Company not found");
}

static int company_get(struct request *r)
{
    if (!tenant_may_see(r, request_param(r, "id")))
        return not_found(r);
    return resource_get(r, &tenant_resource);
}

static int company_update(struct request *r)
{
    if (!tenant_may_see(r, request_param(r, "id")))
        return not_found(r);
    return crud_update(r);
}

/* The company with what it uses (users, agents, queues, numbers, live calls…). */
static int admin_company_get(struct request *r)
{
    const char *id = request_param(r, "id");
    struct json_object *company = NULL, *counts = NULL;
    int rc = resource_fetch(r, &tenant_resource, id, &company);
    if (rc == DB_OK)
        rc = tenant_usage_json(r, id, &counts);
    if (rc == DB_OK && json_set(company, "counts", json_object_get(counts)) != 0)
        rc = DB_ERROR;
    return request_reply_found(r, 200, rc, "company", company, "Company not found");
}

#define COMPANY_NAMES CRUD_NAMES("a", "company", "companies")

static const struct route routes[] = {
    ROUTE("GET", "/api/companies", tenant_list, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "List companies (tenants)", .key = "companies", .flags = ROUTE_LIST,
          .resource = &tenant_resource),
    CRUD_CREATE_ROUTE("/api/companies", &tenant_resource, tenant_fields, ROLES_SUPER,
                      FAM_CALLDOCKER, COMPANY_NAMES),
    ROUTE("GET", "/api/companies/:id", company_get, ROLES_ANY, FAM_CALLDOCKER,
          .summary = "One company (a super_admin: any; others: their own)", .key = "company"),
    ROUTE("PUT", "/api/companies/:id", company_update, ROLES_ADMIN, FAM_CALLDOCKER,
          .summary = "Change a company (its admin: names and settings of their own)",
          ROUTE_BODY(tenant_fields), .key = "company", .resource = &tenant_resource),
    CRUD_DELETE_ROUTE("/api/companies/:id", &tenant_resource, ROLES_SUPER, FAM_CALLDOCKER,
                      COMPANY_NAMES),
    ROUTE("GET", "/api/admin/companies", tenant_list, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "List companies (platform admin)", .key = "companies",
          .flags = ROUTE_LIST, .resource = &tenant_resource),
    ROUTE("GET", "/api/admin/companies/:id", admin_company_get, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "One company with its counts", .key = "company"),
    ROUTE("PATCH", "/api/admin/companies/:id/status", tenant_set_status, ROLES_SUPER,
          FAM_CALLDOCKER, .summary = "Activate or suspend a company",
          ROUTE_BODY(tenant_status_field), .key = "company"),
    CRUD_DELETE_ROUTE("/api/admin/companies/:id", &tenant_resource, ROLES_SUPER,
                      FAM_CALLDOCKER, COMPANY_NAMES),
};

ROUTE_GROUP(companies_routes, routes);
