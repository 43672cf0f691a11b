#include "session.h"

#include <string.h>
#include <json-c/json.h>

#include "db.h"
#include "event_seq.h"
#include "jsonutil.h"

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

static const char *scope_name(enum session_scope scope)
{
    return scope == SESSION_ONE ? "session" : scope == SESSION_USER ? "user" : "tenant";
}

int session_announce(struct db *db, struct arena *a, const char *tenant_id,
                     enum session_scope scope, const char *subject, const char *reason)
{
    struct json_object *o = json_object_new_object();
    const char *key = scope == SESSION_ONE ? "session_id" : "user_id";
    const char *text = NULL;
    if (o != NULL && json_set_str(o, "scope", scope_name(scope)) == 0 &&
        json_set_str(o, "reason", reason) == 0 &&
        (scope == SESSION_TENANT || json_set_str(o, key, subject) == 0))
        text = json_text(o, NULL);
    int rc = text != NULL ? event_write(db, a, tenant_id, NULL, "_auth", NULL, text) : DB_ERROR;
    json_object_put(o);
    return rc;
}

int session_revoke(struct db *db, struct arena *a, const char *tenant_id,
                   enum session_scope scope, const char *subject, const char *keep,
                   const char *reason)
{
    /* A statement per scope, so each walks only its own index range (an UPDATE locks
     * every row it reads). */
    int rc;
    if (scope == SESSION_ONE)
        rc = db_exec(db, a,
                     "UPDATE auth_sessions SET revoked_at = NOW(), revoked_reason = ?"
                     " WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
                     DB_PARAMS(DB_STR(reason), DB_STR(subject), DB_STR(tenant_id)), NULL);
    else if (scope == SESSION_USER)
        rc = db_exec(db, a,
                     "UPDATE auth_sessions SET revoked_at = NOW(), revoked_reason = ?"
                     " WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL"
                     " AND (? IS NULL OR id <> ?)",
                     DB_PARAMS(DB_STR(reason), DB_STR(tenant_id), DB_STR(subject),
                               DB_STR(keep), DB_STR(keep)),
                     NULL);
    else
        rc = db_exec(db, a,
                     "UPDATE auth_sessions SET revoked_at = NOW(), revoked_reason = ?"
                     " WHERE tenant_id = ? AND revoked_at IS NULL",
                     DB_PARAMS(DB_STR(reason), DB_STR(tenant_id)), NULL);
    if (rc != DB_OK)
        return rc;
    return session_announce(db, a, tenant_id, scope, subject, reason);
}
