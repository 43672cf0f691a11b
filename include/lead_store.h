#ifndef SB_LEAD_STORE_H
#define SB_LEAD_STORE_H
/*
 * Leads (issue 10, sql/021): a lead is a contact of the tenant with a lead_no, its number
 * within the tenant (1, 2, 3 … like a ticket number), which is also its public id in the
 * coldcaller family. Used by the lead routes (src/routes/leads.c) and the CSV import
 * (lead_import.h), over a plain connection so switchboard-admin shares them. Every call is
 * scoped by the tenant it is given.
 */
#include <stdbool.h>

struct arena;
struct db;

/* The fields of a new lead as written; NULL members are NULL columns. phone is E.164. */
struct lead_new {
    const char *first_name, *last_name, *company, *email;
    const char *phone, *phone_as_sent;
    const char *campaign_id, *lead_status, *time_zone, *notes, *tags_json;
    const char *next_callback_at; /* "YYYY-MM-DD HH:MM:SS" UTC */
    bool do_not_call;
};

/*
 * Inside the caller's transaction: n new lead numbers for tenant, *first … *first + n - 1.
 * The counter row (lead_counters) stays locked until the commit, so concurrent creates take
 * turns and numbers follow commit order, never auto-increment order. DB_OK or a db_rc.
 */
int lead_store_numbers(struct db *db, struct arena *a, const char *tenant, long long n,
                       long long *first);

/* Inside the caller's transaction: inserts lead l as contact id with number lead_no.
 * DB_OK or a db_rc. */
int lead_store_insert(struct db *db, struct arena *a, const char *tenant, const char *id,
                      long long lead_no, const struct lead_new *l);

/*
 * Whether number (E.164) is on the tenant's do-not-call list now: a `blacklist` row with
 * direction outbound or both that has not expired. DB_OK with *blocked, or a db_rc.
 */
int lead_store_dnc_blocked(struct db *db, struct arena *a, const char *tenant,
                           const char *number, bool *blocked);

/* Inside the caller's transaction: whether campaign_id is a campaign of the tenant (locked
 * in share mode until the commit, so it cannot go away under the write). DB_OK with
 * *found, or a db_rc. */
int lead_store_campaign_exists(struct db *db, struct arena *a, const char *tenant,
                               const char *campaign_id, bool *found);

/* "2026-12-03T10:00:00Z" (cdr_parse_time's forms) as "YYYY-MM-DD HH:MM:SS" UTC into out
 * (at least 20 bytes). 0, or -1 when it is no time. Pure. */
int lead_store_datetime(const char *s, char *out, unsigned size);

/* Whether tz is an IANA zone name the system's zoneinfo knows. Pure (reads the tree). */
bool lead_store_zone_known(const char *tz);

#endif
