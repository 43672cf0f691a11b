/* Leads over a plain connection (lead_store.h): numbers, the insert, the do-not-call check. */
#include "lead_store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cdr_store.h"
#include "db.h"
#include "schedule.h"

int lead_store_numbers(struct db *db, struct arena *a, const char *tenant, long long n,
                       long long *first)
{
    struct db_result *res;
    /* The upsert takes the row lock first, so two creates never read the same number. */
    int rc = db_exec(db, a,
                     "INSERT INTO lead_counters (tenant_id, last_number) VALUES (?, ?)"
                     " ON DUPLICATE KEY UPDATE last_number = last_number + ?",
                     DB_PARAMS(DB_STR(tenant), DB_INT(n), DB_INT(n)), NULL);
    if (rc == DB_OK)
        rc = db_exec(db, a,
                     "SELECT last_number FROM lead_counters WHERE tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(tenant)), &res);
    if (rc == DB_OK && res->nrows != 1)
        rc = DB_ERROR;
    if (rc == DB_OK)
        *first = db_get_int(res, 0, "last_number", 0) - n + 1;
    return rc;
}

int lead_store_insert(struct db *db, struct arena *a, const char *tenant, const char *id,
                      long long lead_no, const struct lead_new *l)
{
    return db_exec(
        db, a,
        "INSERT INTO contacts (id, tenant_id, lead_no, campaign_id, lead_status, time_zone,"
        " do_not_call, next_callback_at, first_name, last_name, company, email, phone,"
        " phone_as_sent, notes, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        DB_PARAMS(DB_STR(id), DB_STR(tenant), DB_INT(lead_no), DB_STR(l->campaign_id),
                  DB_STR(l->lead_status ? l->lead_status : "new"), DB_STR(l->time_zone),
                  DB_INT(l->do_not_call ? 1 : 0), DB_STR(l->next_callback_at),
                  DB_STR(l->first_name), DB_STR(l->last_name), DB_STR(l->company),
                  DB_STR(l->email), DB_STR(l->phone), DB_STR(l->phone_as_sent),
                  DB_STR(l->notes), DB_STR(l->tags_json)),
        NULL);
}

int lead_store_dnc_blocked(struct db *db, struct arena *a, const char *tenant,
                           const char *number, bool *blocked)
{
    struct db_result *res;
    *blocked = false;
    int rc = db_exec(db, a,
                     "SELECT id FROM blacklist WHERE tenant_id = ? AND number = ?"
                     " AND direction IN ('outbound','both')"
                     " AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP())",
                     DB_PARAMS(DB_STR(tenant), DB_STR(number)), &res);
    if (rc == DB_OK)
        *blocked = res->nrows > 0;
    return rc;
}

int lead_store_campaign_exists(struct db *db, struct arena *a, const char *tenant,
                               const char *campaign_id, bool *found)
{
    struct db_result *res;
    *found = false;
    int rc = db_exec(db, a,
                     "SELECT id FROM campaigns WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(campaign_id), DB_STR(tenant)), &res);
    if (rc == DB_OK)
        *found = res->nrows > 0;
    return rc;
}

int lead_store_datetime(const char *s, char *out, unsigned size)
{
    long long t;
    bool date_only;
    struct tm tm;
    if (s == NULL || cdr_parse_time(s, &t, &date_only) != 0)
        return -1;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1970)
        return -1;
    return strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) > 0 ? 0 : -1;
}

bool lead_store_zone_known(const char *tz)
{
    struct tm tm;
    return tz != NULL && *tz != '\0' && schedule_local_time(tz, time(NULL), &tm) == 0;
}
