#ifndef SB_USER_STORE_H
#define SB_USER_STORE_H
/*
 * Users in the database, written one way: the API (registration, users) and
 * switchboard-admin share these. Every call runs inside the caller's transaction.
 */
struct arena;
struct db;

struct user_new {
    const char *id, *tenant_id, *email, *password_hash;
    const char *first_name, *last_name, *phone; /* may be NULL */
    const char *role;
};

/* The users row and its role. DB_OK or a db_rc: DB_DUPLICATE when the e-mail is taken in
 * the tenant, DB_FOREIGN_KEY when there is no such tenant. */
int user_store_insert(struct db *db, struct arena *a, const struct user_new *u);

/* A new password hash; the user's sessions end (but `keep`, may be NULL), with reason. */
int user_store_set_password(struct db *db, struct arena *a, const char *tenant_id,
                            const char *user_id, const char *hash, const char *keep,
                            const char *reason);

#endif
