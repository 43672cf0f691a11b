#ifndef SB_AUDIT_H
#define SB_AUDIT_H
/* audit_logs: who did what to which record, from where. */
struct request;

/* Records a write inside the write's transaction (details: JSON text or NULL). */
int audit_record(struct request *r, const char *tenant_id, const char *action,
                 const char *entity_type, const char *entity_id, const char *details_json);

#endif
