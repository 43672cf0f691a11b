/*
 * The calldocker family's `:companyId`: a company is a tenant. The caller's own company
 * is theirs; another one exists for a super_admin only (404 for everyone else, like any
 * record of another tenant), and the request then acts in it: r->auth.tenant_id becomes
 * that company, so every tenant-scoped statement after this reads and writes there.
 */
#include <string.h>

#include "db.h"
#include "request.h"
#include "router.h"
#include "routes.h"

int company_scope(struct request *r)
{
    const char *company = request_param(r, "companyId");
    if (company == NULL || company[0] == '\0')
        return request_error(r, 404, "not_found", "Company not found");
    if (r->auth.tenant_id != NULL && strcmp(company, r->auth.tenant_id) == 0)
        return 0;
    if (!(r->auth.role_bit & ROLE_SUPER_ADMIN))
        return request_error(r, 404, "not_found", "Company not found");
    struct db_result *t;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM tenants WHERE id = ? AND status <> 'deleted'",
                     DB_PARAMS(DB_STR(company)), &t);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (t->nrows == 0)
        return request_error(r, 404, "not_found", "Company not found");
    r->auth.tenant_id = db_get(t, 0, "id");
    return 0;
}
