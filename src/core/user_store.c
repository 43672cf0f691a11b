#include "user_store.h"

#include "db.h"
#include "session.h"

int user_store_insert(struct db *db, struct arena *a, const struct user_new *u)
{
    int rc = db_exec(db, a,
                     "INSERT INTO users (id, tenant_id, email, password_hash, first_name,"
                     " last_name, phone) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(u->id), DB_STR(u->tenant_id), DB_STR(u->email),
                               DB_STR(u->password_hash), DB_STR(u->first_name),
                               DB_STR(u->last_name), DB_STR(u->phone)),
                     NULL);
    if (rc != DB_OK)
        return rc;
    return db_exec(db, a, "INSERT INTO user_roles (tenant_id, user_id, role) VALUES (?, ?, ?)",
                   DB_PARAMS(DB_STR(u->tenant_id), DB_STR(u->id), DB_STR(u->role)), NULL);
}

int user_store_set_password(struct db *db, struct arena *a, const char *tenant_id,
                            const char *user_id, const char *hash, const char *keep,
                            const char *reason)
{
    int rc = db_exec(db, a, "UPDATE users SET password_hash = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(hash), DB_STR(user_id), DB_STR(tenant_id)), NULL);
    if (rc != DB_OK)
        return rc;
    /* Whoever held the old password must not stay signed in with it. */
    return session_revoke(db, a, tenant_id, SESSION_USER, user_id, keep, reason);
}
