#ifndef SB_ROUTES_H
#define SB_ROUTES_H
/* Handlers, one resource per file under src/routes/, and the route table. */
#include <stddef.h>
#include "router.h"

struct request;

extern const struct route route_table[];
extern const size_t route_table_len;

/* Verifies the bearer token and the session/user/tenant behind it; answers 401/503 itself. */
int auth_authenticate(struct request *r);
/* Records a write in audit_logs (call inside the write's transaction). */
int audit_record(struct request *r, const char *tenant_id, const char *action,
                 const char *entity_type, const char *entity_id, const char *details_json);

/*
 * The user object of the API (users joined with their role) as a new JSON reference.
 * Returns DB_OK, 1 when there is no such user in that tenant, or a negative db_rc.
 */
struct json_object;
int user_fetch_json(struct request *r, const char *tenant_id, const char *user_id,
                    struct json_object **out);

/* Answers {success, user} for that user, or 404/503/500. */
int user_reply(struct request *r, int status, const char *tenant_id, const char *user_id);

int health_live(struct request *r);
int health_ready(struct request *r);
int pool_noop(struct request *r);

int auth_register(struct request *r);
int auth_login(struct request *r);
int auth_refresh(struct request *r);
int auth_logout(struct request *r);
int auth_profile_get(struct request *r);
int auth_profile_update(struct request *r);
int auth_change_password(struct request *r);

int tenant_list(struct request *r);
int tenant_create(struct request *r);
int tenant_get(struct request *r);
int tenant_update(struct request *r);
int tenant_set_status(struct request *r);
int tenant_delete(struct request *r);

int user_list(struct request *r);
int user_search(struct request *r);
int user_create(struct request *r);
int user_get(struct request *r);
int user_update(struct request *r);
int user_delete(struct request *r);
int user_set_role(struct request *r);
int user_activate(struct request *r);
int user_deactivate(struct request *r);

int department_list(struct request *r);
int department_create(struct request *r);
int department_get(struct request *r);
int department_update(struct request *r);
int department_delete(struct request *r);

#endif
