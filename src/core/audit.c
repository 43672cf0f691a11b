/* audit_logs: who did what to which record, from where. Written inside the change's transaction. */
#include "audit.h"

#include "db.h"
#include "request.h"

int audit_record(struct request *r, const char *tenant_id, const char *action,
                 const char *entity_type, const char *entity_id, const char *details_json)
{
    return db_exec(r->db, r->arena,
                   "INSERT INTO audit_logs (tenant_id, user_id, action, entity_type, entity_id,"
                   " ip_address, request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   DB_PARAMS(DB_STR(tenant_id), DB_STR(r->auth.user_id), DB_STR(action),
                             DB_STR(entity_type), DB_STR(entity_id), DB_STR(r->remote_addr),
                             DB_STR(r->request_id), DB_STR(details_json)),
                   NULL);
}
