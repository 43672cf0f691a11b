#ifndef SB_SESSION_H
#define SB_SESSION_H
/*
 * Sessions in the database: whether one may act, and ending them. Shared by the pool's
 * auth check, the event worker's stream authentication and switchboard-admin.
 */
struct arena;
struct db;

/*
 * Whether the session behind a verified token may act: the session is live (not revoked,
 * not expired), the user active, the tenant active. DB_OK with *role (arena) the user's
 * current role; 1 when refused, with *refusal the message for the 401; or a negative db_rc.
 */
int session_check(struct db *db, struct arena *a, const char *session_id, const char *user_id,
                  const char *tenant_id, const char **role, const char **refusal);

enum session_scope {
    SESSION_ONE,    /* subject: a session id */
    SESSION_USER,   /* subject: a user id; `keep` (may be NULL) is spared */
    SESSION_TENANT, /* subject: unused; the tenant's every session */
};

/*
 * Inside the caller's transaction: ends the sessions of scope with reason (a short word
 * such as "logout"), then announces it (below). DB_OK or a negative db_rc.
 */
int session_revoke(struct db *db, struct arena *a, const char *tenant_id,
                   enum session_scope scope, const char *subject, const char *keep,
                   const char *reason);

/*
 * Inside the caller's transaction: writes the control event ("_auth" in call_events) that
 * makes every event worker re-check the streams of that scope once the transaction
 * commits (src/events/revoke.c). For writes that stop sessions without revoking them (a
 * suspended tenant, a deactivated user). DB_OK or a negative db_rc.
 */
int session_announce(struct db *db, struct arena *a, const char *tenant_id,
                     enum session_scope scope, const char *subject, const char *reason);

#endif
