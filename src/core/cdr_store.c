/* CDRs and their KPI buckets, written together (cdr_store.h). */
#include "cdr_store.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "cached.h"
#include "db.h"
#include "request.h"
#include "txn.h"

static const char *const dispositions[] = {"answered", "no_answer", "busy",     "failed",
                                           "congestion", "canceled", "abandoned", "timeout",
                                           "overflow",   "no_agent", NULL};

static bool is(const char *s, const char *word)
{
    return s != NULL && strcmp(s, word) == 0;
}

bool cdr_disposition_known(const char *s)
{
    for (size_t i = 0; s != NULL && dispositions[i] != NULL; i++)
        if (strcmp(dispositions[i], s) == 0)
            return true;
    return false;
}

long long cdr_bucket_of(long long t)
{
    long long m = t % CDR_BUCKET_SECONDS;
    return t - (m < 0 ? m + CDR_BUCKET_SECONDS : m);
}

long long cdr_wait_of(const struct cdr *c)
{
    if (c->wait >= 0)
        return c->wait;
    if (c->answer > 0 && c->answer >= c->start)
        return c->answer - c->start;
    if (c->duration > 0)
        return c->duration;
    return c->end > c->start ? c->end - c->start : 0;
}

void cdr_kpi_delta(const struct cdr *c, struct cdr_delta *d)
{
    memset(d, 0, sizeof(*d));
    d->bucket = cdr_bucket_of(c->start);
    bool answered = is(c->disposition, "answered");
    long long wait = cdr_wait_of(c);
    d->in_queue_bucket = c->queue_id != NULL || is(c->direction, "inbound");
    d->in_agent_bucket = answered && c->user_id != NULL;
    if (d->in_queue_bucket) {
        d->offered = 1;
        d->answered = answered;
        d->abandoned = is(c->disposition, "abandoned");
        d->short_abandoned = d->abandoned && wait < c->short_abandon_seconds;
        d->answered_in_sl = answered && wait <= c->sl_threshold;
        d->overflowed = is(c->disposition, "timeout") || is(c->disposition, "overflow") ||
                        is(c->disposition, "no_agent");
        d->wait = wait;
        d->answer_wait = answered ? wait : 0;
    }
    if (answered) {
        d->talk = c->billsec;
        d->hold = c->hold;
        d->wrapup = c->wrapup;
        d->handled = d->in_agent_bucket;
    }
}

static double ratio(long long a, long long b, double scale)
{
    /* Half up by hand (the figures are never negative): no libm for one rounding. */
    if (b <= 0 || a <= 0)
        return 0.0;
    return (double)(long long)((double)a / (double)b * scale + 0.5) / scale;
}

void cdr_kpi_figures(const struct cdr_kpi_sums *s, struct cdr_kpi_figures *f)
{
    long long counted = s->offered - s->short_abandoned;
    f->abandonment_rate = ratio(s->abandoned - s->short_abandoned, counted, 1e4);
    f->service_level = ratio(s->answered_in_sl, counted, 1e4);
    f->asa = ratio(s->answer_wait_sum, s->answered, 1e2);
    f->avg_wait = ratio(s->wait_sum, s->offered, 1e2);
    f->aht = cdr_kpi_aht(s->answered, s->talk_sum, s->hold_sum, s->wrapup_sum);
}

double cdr_kpi_aht(long long handled, long long talk, long long hold, long long wrapup)
{
    return ratio(talk + hold + wrapup, handled, 1e2);
}

double cdr_kpi_occupancy(long long talk, long long wrapup, long long staffed)
{
    double o = ratio(talk + wrapup, staffed, 1e4);
    /* Calls counted in the bucket they started in may outrun a window's staffed time. */
    return o > 1 ? 1 : o;
}

/* n digits at p as a number, or -1. */
static int digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* "+01:00", "-05:30", "Z" or nothing at p: the offset in seconds; -1 when none of them. */
static int parse_offset(const char *p, long long *off)
{
    *off = 0;
    if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0'))
        return 0;
    if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':')
        return -1;
    int h = digits(p + 1, 2), m = digits(p + 4, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    *off = (h * 60LL + m) * 60 * (*p == '-' ? -1 : 1);
    return 0;
}

int cdr_parse_time(const char *s, long long *out, bool *date_only)
{
    if (s == NULL || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    struct tm tm = {0};
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = 0, mi = 0, se = 0;
    const char *p = s + 10;
    *date_only = *p == '\0';
    if (!*date_only) {
        if ((*p != 'T' && *p != 't' && *p != ' ') || strlen(p) < 9 || p[3] != ':' || p[6] != ':')
            return -1;
        h = digits(p + 1, 2), mi = digits(p + 4, 2), se = digits(p + 7, 2);
        p += 9;
        if (*p == '.')
            for (p++; isdigit((unsigned char)*p); p++)
                ;
    }
    long long off;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || se < 0 || se > 59 || parse_offset(p, &off) != 0)
        return -1;
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
    tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = se;
    time_t t = timegm(&tm);
    /* timegm() moves Feb 30 to March: such a date is no date. */
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
        return -1;
    *out = (long long)t - off;
    return 0;
}

static struct db_param time_param(long long t)
{
    return t > 0 ? DB_INT(t) : DB_NULL;
}

static int insert_cdr(struct db *db, struct arena *a, const char *tenant, const char *id,
                      const struct cdr *c, long long wait)
{
    long long end = c->end > 0 ? c->end : c->start + c->duration;
    return db_exec(
        db, a,
        "INSERT INTO cdrs (id, tenant_id, call_sid, uniqueid, linkedid, import_ref, direction,"
        " caller_number, caller_name, called_number, did_id, queue_id, user_id, contact_id,"
        " recording_id, start_time, answer_time, end_time, duration, billsec, wait_time,"
        " hold_time, wrapup_time, disposition, hangup_side, hangup_cause, tags, metadata)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?),"
        " FROM_UNIXTIME(?), FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        DB_PARAMS(DB_STR(id), DB_STR(tenant), DB_STR(c->call_sid), DB_STR(c->uniqueid),
                  DB_STR(c->linkedid), DB_STR(c->import_ref), DB_STR(c->direction),
                  DB_STR(c->caller_number), DB_STR(c->caller_name), DB_STR(c->called_number),
                  DB_STR(c->did_id), DB_STR(c->queue_id), DB_STR(c->user_id),
                  DB_STR(c->contact_id), DB_STR(c->recording_id), DB_INT(c->start),
                  time_param(c->answer), time_param(end), DB_INT(c->duration),
                  DB_INT(c->billsec), DB_INT(wait), DB_INT(c->hold), DB_INT(c->wrapup),
                  DB_STR(c->disposition), DB_STR(c->hangup_side), DB_STR(c->hangup_cause),
                  DB_STR(c->tags_json), DB_STR(c->metadata_json)),
        NULL);
}

static int bump_queue(struct db *db, struct arena *a, const char *tenant, const char *queue,
                      const struct cdr_delta *d)
{
    return db_exec(
        db, a,
        "INSERT INTO kpi_queue_buckets (tenant_id, queue_id, bucket_start, offered, answered,"
        " abandoned, short_abandoned, answered_in_sl, overflowed, wait_sum, wait_max,"
        " answer_wait_sum, talk_sum, hold_sum, wrapup_sum)"
        " VALUES (?, ?, FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON DUPLICATE KEY UPDATE offered = offered + VALUES(offered),"
        " answered = answered + VALUES(answered), abandoned = abandoned + VALUES(abandoned),"
        " short_abandoned = short_abandoned + VALUES(short_abandoned),"
        " answered_in_sl = answered_in_sl + VALUES(answered_in_sl),"
        " overflowed = overflowed + VALUES(overflowed), wait_sum = wait_sum + VALUES(wait_sum),"
        " wait_max = GREATEST(wait_max, VALUES(wait_max)),"
        " answer_wait_sum = answer_wait_sum + VALUES(answer_wait_sum),"
        " talk_sum = talk_sum + VALUES(talk_sum), hold_sum = hold_sum + VALUES(hold_sum),"
        " wrapup_sum = wrapup_sum + VALUES(wrapup_sum)",
        DB_PARAMS(DB_STR(tenant), DB_STR(queue ? queue : ""), DB_INT(d->bucket),
                  DB_INT(d->offered), DB_INT(d->answered), DB_INT(d->abandoned),
                  DB_INT(d->short_abandoned), DB_INT(d->answered_in_sl), DB_INT(d->overflowed),
                  DB_INT(d->wait), DB_INT(d->wait), DB_INT(d->answer_wait), DB_INT(d->talk),
                  DB_INT(d->hold), DB_INT(d->wrapup)),
        NULL);
}

static int bump_agent(struct db *db, struct arena *a, const char *tenant, const char *user,
                      const struct cdr_delta *d)
{
    return db_exec(db, a,
                   "INSERT INTO kpi_agent_buckets (tenant_id, user_id, bucket_start, handled,"
                   " talk_sum, hold_sum, wrapup_sum) VALUES (?, ?, FROM_UNIXTIME(?), ?, ?, ?, ?)"
                   " ON DUPLICATE KEY UPDATE handled = handled + VALUES(handled),"
                   " talk_sum = talk_sum + VALUES(talk_sum), hold_sum = hold_sum + VALUES(hold_sum),"
                   " wrapup_sum = wrapup_sum + VALUES(wrapup_sum)",
                   DB_PARAMS(DB_STR(tenant), DB_STR(user), DB_INT(d->bucket),
                             DB_INT(d->handled), DB_INT(d->talk), DB_INT(d->hold),
                             DB_INT(d->wrapup)),
                   NULL);
}

int cdr_store_write(struct db *db, struct arena *a, const char *tenant_id, const struct cdr *c,
                    char *id_out)
{
    if (c->caller_number == NULL || c->called_number == NULL || c->direction == NULL ||
        !cdr_disposition_known(c->disposition) || c->start <= 0 || c->duration < 0 ||
        c->billsec < 0 || c->hold < 0 || c->wrapup < 0)
        return DB_CONSTRAINT;
    const char *id = c->id ? c->id : id_new(a, "cdr_");
    if (id == NULL || strlen(id) > CDR_ID_MAX)
        return DB_ERROR;
    struct cdr_delta d;
    cdr_kpi_delta(c, &d);
    /* The CDR first: a duplicate (a re-sent call or a re-imported line) adds nothing. */
    int rc = insert_cdr(db, a, tenant_id, id, c, cdr_wait_of(c));
    if (rc == DB_OK && d.in_queue_bucket)
        rc = bump_queue(db, a, tenant_id, c->queue_id, &d);
    if (rc == DB_OK && d.in_agent_bucket)
        rc = bump_agent(db, a, tenant_id, c->user_id, &d);
    if (rc == DB_OK && id_out != NULL)
        snprintf(id_out, CDR_ID_MAX + 1, "%s", id);
    return rc;
}

int cdr_write(struct request *r, const struct cdr *c, char *id_out)
{
    int rc = cdr_store_write(r->db, r->arena, r->auth.tenant_id, c, id_out);
    /* The CDR list's cached totals (list_count.h) are of the generation before this. */
    if (rc == DB_OK)
        txn_after_commit(r, cached_invalidate, "cdrs");
    return rc;
}
