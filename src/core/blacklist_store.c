/* The tenant's blacklist (blacklist_store.h). */
#include "blacklist_store.h"

#include <json-c/json.h>
#include <string.h>

#include "db.h"
#include "validate.h"

void blacklist_decorate(struct request *r, struct json_object *row)
{
    struct json_object *a;
    (void)r;
    if (json_object_object_get_ex(row, "active", &a) && json_object_is_type(a, json_type_int))
        json_object_object_add(row, "active", json_object_new_boolean(json_object_get_int(a)));
}

int blacklist_store_blocks(struct db *db, struct arena *a, const char *tenant,
                           const char *number, enum blacklist_direction direction,
                           bool *blocked)
{
    char e164[24];
    struct db_result *res;
    *blocked = false;
    if (number == NULL || validate_phone_e164(number, strlen(number), e164, sizeof(e164)) != 0)
        return DB_OK;
    int rc = db_exec(db, a,
                     "SELECT id FROM blacklist WHERE tenant_id = ? AND number = ?"
                     " AND direction IN (?, 'both')" BLACKLIST_ACTIVE " LIMIT 1",
                     DB_PARAMS(DB_STR(tenant), DB_STR(e164),
                               DB_STR(direction == BLACKLIST_INBOUND ? "inbound" : "outbound")),
                     &res);
    if (rc == DB_OK)
        *blocked = res->nrows > 0;
    return rc;
}
