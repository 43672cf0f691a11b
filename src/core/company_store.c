/* A new company's departments and chat widget (company_store.h). */
#include "company_store.h"

#include <stddef.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"

const char *const company_default_departments[] = {"Sales", "Support", "Billing", NULL};

int company_store_departments(struct db *db, struct arena *a, const char *tenant_id,
                              const char *phone, int *created)
{
    *created = 0;
    for (size_t i = 0; company_default_departments[i] != NULL; i++) {
        const char *name = company_default_departments[i], *id = id_new(a, "dept_");
        struct db_result *res;
        if (id == NULL)
            return DB_ERROR;
        int rc = db_exec(db, a,
                         "INSERT INTO departments (id, tenant_id, name, phone_number)"
                         " SELECT ?, ?, ?, ? FROM DUAL WHERE NOT EXISTS"
                         " (SELECT 1 FROM departments WHERE tenant_id = ? AND name = ?"
                         "  AND is_active = 1)",
                         DB_PARAMS(DB_STR(id), DB_STR(tenant_id), DB_STR(name), DB_STR(phone),
                                   DB_STR(tenant_id), DB_STR(name)),
                         &res);
        if (rc != DB_OK)
            return rc;
        *created += (int)res->affected_rows;
    }
    return DB_OK;
}

int company_store_widget(struct db *db, struct arena *a, const char *tenant_id,
                         const char *name, int *created)
{
    const char *id = id_new(a, "cw_");
    char *key = crypto_random_token(a, 18);
    const char *public_key = key ? arena_printf(a, "pk_%s", key) : NULL;
    struct db_result *res;
    *created = 0;
    if (id == NULL || public_key == NULL)
        return DB_ERROR;
    int rc = db_exec(db, a,
                     "INSERT INTO chat_widgets (id, tenant_id, name, public_key, allowed_origins)"
                     " SELECT ?, ?, ?, ?, '[]' FROM DUAL WHERE NOT EXISTS"
                     " (SELECT 1 FROM chat_widgets WHERE tenant_id = ?)",
                     DB_PARAMS(DB_STR(id), DB_STR(tenant_id), DB_STR(name), DB_STR(public_key),
                               DB_STR(tenant_id)),
                     &res);
    if (rc == DB_OK)
        *created = (int)res->affected_rows;
    return rc;
}
