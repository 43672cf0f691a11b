#ifndef SB_CDR_STORE_H
#define SB_CDR_STORE_H
/*
 * Call detail records, written one way: when a call ends, inside the transaction that ends
 * it (the distributor's queued calls, the transfer service's calls, switchboard-admin
 * import-cdrs). One write inserts the CDR and adds the call to its two KPI buckets
 * (kpi_queue_buckets, kpi_agent_buckets: sql/011_cdr_kpi.sql), so the windowed KPIs are
 * always exactly the CDRs' and never need a scan of them.
 *
 * The writer knows the queue, so it passes the queue's service-level threshold and
 * short-abandon seconds: whether a call was answered within the service level or was a
 * short abandon is decided once, at write time, with the queue's settings of that moment.
 *
 * What a call adds to the buckets (cdr_kpi_delta):
 *   queue bucket (queue_id, '' for none), only for calls offered to the contact center:
 *     a call in a queue, or an inbound call. Outbound and internal calls outside a queue
 *     are CDRs but no offered calls.
 *     offered 1; answered when disposition is answered; abandoned when abandoned (short
 *     ones included), short_abandoned when abandoned with wait < short_abandon_seconds;
 *     answered_in_sl when answered with wait <= sl_threshold; overflowed for timeout,
 *     overflow and no_agent (the queue's own rules moved the call on); wait (sum and max)
 *     of every offered call, answer_wait of the answered ones; talk (billsec), hold and
 *     wrap-up of the answered ones.
 *   agent bucket (user_id), for an answered call with an agent: handled 1, talk, hold,
 *     wrap-up.
 *   Both in the 15-minute UTC bucket of the call's start (when it was offered).
 */
#include <stdbool.h>

struct arena;
struct db;
struct request;

#define CDR_BUCKET_SECONDS 900
#define CDR_ID_MAX 64

/* Every text may be NULL (SQL NULL) but caller_number, called_number, direction and
 * disposition. Times are Unix seconds, UTC. */
struct cdr {
    const char *id; /* NULL: a new "cdr_…" id */
    const char *call_sid, *uniqueid, *linkedid;
    const char *import_ref; /* an imported CDR's origin: unique per tenant (re-imports) */
    const char *direction;  /* inbound, outbound, internal */
    const char *caller_number, *caller_name, *called_number;
    const char *did_id, *queue_id, *user_id, *contact_id, *recording_id;
    long long start;  /* when the call was offered (the bucket) */
    long long answer; /* 0: never answered */
    long long end;    /* 0: start + duration */
    long long duration, billsec; /* billsec: talk time */
    long long wait;   /* < 0: answer - start when answered, else duration */
    long long hold, wrapup;
    /* answered, no_answer, busy, failed, congestion, canceled, abandoned, timeout,
     * overflow, no_agent */
    const char *disposition;
    const char *hangup_side; /* caller, agent, system, or NULL */
    const char *hangup_cause;
    const char *tags_json, *metadata_json; /* JSON text */
    /* The queue's settings when the call ended (0 for a call in no queue). */
    long long sl_threshold;          /* answered with wait <= this: within service level */
    long long short_abandon_seconds; /* abandoned with wait < this: a short abandon */
};

/* What one CDR adds to its buckets. Pure. */
struct cdr_delta {
    bool in_queue_bucket, in_agent_bucket;
    long long bucket; /* Unix seconds of the bucket's start */
    long long offered, answered, abandoned, short_abandoned, answered_in_sl, overflowed;
    long long wait, answer_wait, talk, hold, wrapup;
    long long handled;
};

/* The start of t's 15-minute UTC bucket (also for times before 1970). Pure. */
long long cdr_bucket_of(long long t);
/* The wait as written: c->wait, or derived when c->wait < 0. Pure. */
long long cdr_wait_of(const struct cdr *c);
/* True for a known disposition / direction / hang-up side word. Pure. */
bool cdr_disposition_known(const char *s);
/* The delta of c (see above). Pure. */
void cdr_kpi_delta(const struct cdr *c, struct cdr_delta *d);

/* A window's bucket sums (kpi_queue_buckets summed over its rows). */
struct cdr_kpi_sums {
    long long offered, answered, abandoned, short_abandoned, answered_in_sl, overflowed;
    long long wait_sum, wait_max, answer_wait_sum, talk_sum, hold_sum, wrapup_sum;
};

/*
 * The figures of a window, from its sums only. Pure. Rates are fractions (0..1, 4
 * decimals), times seconds (2 decimals); a figure whose divisor is 0 is 0.
 *   counted          = offered - short_abandoned
 *   abandonment_rate = (abandoned - short_abandoned) / counted
 *   service_level    = answered_in_sl / counted
 *   asa              = answer_wait_sum / answered
 *   avg_wait         = wait_sum / offered
 *   aht              = (talk_sum + hold_sum + wrapup_sum) / answered
 */
struct cdr_kpi_figures {
    double abandonment_rate, service_level, asa, avg_wait, aht;
};
void cdr_kpi_figures(const struct cdr_kpi_sums *s, struct cdr_kpi_figures *f);
/* (talk + hold + wrapup) / handled, 2 decimals (0 when handled is 0). Pure. */
double cdr_kpi_aht(long long handled, long long talk, long long hold, long long wrapup);

/* (talk + wrapup) / staffed seconds (logged in, not on a break), 4 decimals, at most 1;
 * 0 when staffed is 0. Pure. */
double cdr_kpi_occupancy(long long talk, long long wrapup, long long staffed);

/*
 * A time as the CDR routes take it: "2026-12-03" (midnight UTC; *date_only set),
 * "2026-12-03T10:00:00Z", with fractions, with an offset ("+01:00"), or
 * "2026-12-03 10:00:00" (UTC). 0 with *out (Unix seconds), or -1. Pure.
 */
int cdr_parse_time(const char *s, long long *out, bool *date_only);

/*
 * Inside the caller's transaction: inserts the CDR for tenant and adds it to its buckets.
 * id_out (may be NULL; at least CDR_ID_MAX + 1 bytes) gets the CDR's id. DB_OK or a db_rc:
 * DB_DUPLICATE (nothing added to the buckets) when its call_sid or import_ref exists,
 * DB_FOREIGN_KEY when a reference is not the tenant's, DB_CONSTRAINT for impossible times.
 */
int cdr_store_write(struct db *db, struct arena *a, const char *tenant_id, const struct cdr *c,
                    char *id_out);
/* The same for the request's tenant, on its connection. */
int cdr_write(struct request *r, const struct cdr *c, char *id_out);

#endif
