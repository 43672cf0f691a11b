#ifndef SB_SESSION_H
#define SB_SESSION_H
/*
 * Whether the session behind a verified token may act: the session is live (not revoked,
 * not expired), the user active, the tenant active. Shared by the pool's auth check and
 * the event worker's stream authentication.
 */
struct arena;
struct db;

/*
 * DB_OK with *role (arena) the user's current role; 1 when refused, with *refusal the
 * message for the 401; or a negative db_rc.
 */
int session_check(struct db *db, struct arena *a, const char *session_id, const char *user_id,
                  const char *tenant_id, const char **role, const char **refusal);

#endif
