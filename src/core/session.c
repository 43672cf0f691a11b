#include "session.h"

#include <string.h>

#include "db.h"

int session_check(struct db *db, struct arena *a, const char *session_id, const char *user_id,
                  const char *tenant_id, const char **role, const char **refusal)
{
    struct db_result *res;
    *role = NULL;
    *refusal = NULL;
    int rc = db_exec(db, a,
                     "SELECT u.is_active, ur.role, t.status AS tenant_status,"
                     " (s.revoked_at IS NULL AND s.expires_at > NOW()) AS session_live"
                     " FROM users u"
                     " JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id"
                     " JOIN tenants t ON t.id = u.tenant_id"
                     " JOIN auth_sessions s ON s.id = ? AND s.tenant_id = u.tenant_id"
                     "  AND s.user_id = u.id"
                     " WHERE u.id = ? AND u.tenant_id = ?",
                     DB_PARAMS(DB_STR(session_id), DB_STR(user_id), DB_STR(tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    const char *status = res->nrows ? db_get(res, 0, "tenant_status") : NULL;
    if (res->nrows == 0)
        *refusal = "Invalid token";
    else if (db_get_int(res, 0, "session_live", 0) == 0)
        *refusal = "Session ended; sign in again";
    else if (db_get_int(res, 0, "is_active", 0) == 0)
        *refusal = "This account is disabled";
    else if (status == NULL || strcmp(status, "active") != 0)
        *refusal = "This tenant is suspended";
    if (*refusal != NULL)
        return 1;
    *role = db_get(res, 0, "role");
    return DB_OK;
}
