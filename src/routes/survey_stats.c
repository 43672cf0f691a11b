/*
 * CSAT and NPS of the answered surveys of a period, overall, per queue and per agent.
 * One query over idx_survey_responses_tenant_answered (sql/016) grouped by (queue, agent);
 * the queue and agent totals are sums of those groups, made here.
 *
 *   csat = 100 × ratings of 4 or 5 ÷ ratings (the first rating question of each answer)
 *   nps  = 100 × (promoters 9–10 − detractors 0–6) ÷ nps answers
 *
 * Figures with a divisor of 0 are 0, as in the CDR stats; both have 2 decimals.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "db.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"

#define DEFAULT_DAYS 30

struct tally {
    const char *key;
    long long n, csat_n, csat_ok, nps_n, promoters, detractors;
};

static void tally_add(struct tally *t, const struct tally *g)
{
    t->n += g->n;
    t->csat_n += g->csat_n;
    t->csat_ok += g->csat_ok;
    t->nps_n += g->nps_n;
    t->promoters += g->promoters;
    t->detractors += g->detractors;
}

/* The tally of key in t[0..*n) (made when new; t has room for max). */
static struct tally *tally_of(struct tally *t, size_t *n, const char *key)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(t[i].key, key) == 0)
            return &t[i];
    t[*n] = (struct tally){.key = key};
    return &t[(*n)++];
}

/* 100 × num ÷ den rounded half away from zero to 2 decimals, in integers (exact). */
static double pct(long long num, long long den)
{
    if (den <= 0)
        return 0.0;
    long long mag = num < 0 ? -num : num;
    long long bp = (mag * 20000 + den) / (2 * den);
    return (double)(num < 0 ? -bp : bp) / 100.0;
}

static struct json_object *tally_json(const struct tally *t, const char *key_name)
{
    struct json_object *o = json_object_new_object();
    int rc = (key_name != NULL && json_set_str(o, key_name, t->key)) ||
             json_set_int(o, "responses", t->n) || json_set_int(o, "csat_responses", t->csat_n) ||
             json_set_int(o, "csat_satisfied", t->csat_ok) ||
             json_set_double(o, "csat", pct(t->csat_ok, t->csat_n)) ||
             json_set_int(o, "nps_responses", t->nps_n) ||
             json_set_int(o, "promoters", t->promoters) ||
             json_set_int(o, "passives", t->nps_n - t->promoters - t->detractors) ||
             json_set_int(o, "detractors", t->detractors) ||
             json_set_double(o, "nps", pct(t->promoters - t->detractors, t->nps_n));
    return json_done(o, rc);
}

static int tallies_attach(struct json_object *o, const char *name, const char *key_name,
                          const struct tally *t, size_t n)
{
    struct json_object *arr = json_object_new_array();
    int rc = arr ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = json_push(arr, tally_json(&t[i], key_name));
    return rc == 0 ? json_add(o, name, arr) : (json_object_put(arr), -1);
}

/* The period (from, to: times as the CDR routes read them; default the last 30 days) and
 * the filters; 0, or -1 with the 422 answered. */
static int stats_where(struct request *r, struct qb *w, long long *from, long long *to)
{
    static const char *const ids[][2] = {{"queue_id", " AND queue_id = ?"},
                                         {"agent_id", " AND user_id = ?"},
                                         {"survey_id", " AND survey_id = ?"}};
    int hf = cdr_query_time(r, "from", false, from), ht = cdr_query_time(r, "to", true, to);
    if (ht != 1)
        *to = (long long)time(NULL) + 1;
    if (hf != 1)
        *from = *to - DEFAULT_DAYS * 86400LL;
    if (hf >= 0 && ht >= 0 && *to <= *from)
        request_field_error(r, "to", "must be after from");
    qb_addv(w, " WHERE tenant_id = ? AND answered_at >= FROM_UNIXTIME(?)"
               " AND answered_at < FROM_UNIXTIME(?)",
            DB_STR(r->auth.tenant_id), DB_INT(*from), DB_INT(*to));
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const char *v = request_query(r, ids[i][0]);
        if (v == NULL || *v == '\0')
            continue;
        if (strlen(v) > FILTER_ID_MAX)
            request_field_error(r, ids[i][0], "must be an id");
        qb_addv(w, ids[i][1], DB_STR(v));
    }
    return request_check_fields(r);
}

/* Each group's tally into overall, its queue's and its agent's. */
static void stats_fold(const struct db_result *g, struct tally *all,
                      struct tally *queues, size_t *nq, struct tally *agents, size_t *na)
{
    for (size_t i = 0; i < g->nrows; i++) {
        struct tally one = {
            .n = db_get_int(g, i, "n", 0), .csat_n = db_get_int(g, i, "csat_n", 0),
            .csat_ok = db_get_int(g, i, "csat_ok", 0), .nps_n = db_get_int(g, i, "nps_n", 0),
            .promoters = db_get_int(g, i, "promoters", 0),
            .detractors = db_get_int(g, i, "detractors", 0)};
        const char *q = db_get(g, i, "queue_id"), *u = db_get(g, i, "user_id");
        tally_add(all, &one);
        if (q != NULL)
            tally_add(tally_of(queues, nq, q), &one);
        if (u != NULL)
            tally_add(tally_of(agents, na, u), &one);
    }
}

static int survey_stats(struct request *r)
{
    long long from, to;
    struct qb q;
    struct db_result *g;
    qb_init(&q, r->arena);
    qb_add(&q, "SELECT queue_id, user_id, COUNT(*) AS n, COUNT(csat) AS csat_n,"
               " COALESCE(SUM(csat >= 4), 0) AS csat_ok, COUNT(nps) AS nps_n,"
               " COALESCE(SUM(nps >= 9), 0) AS promoters, COALESCE(SUM(nps <= 6), 0) AS detractors"
               " FROM survey_responses");
    if (stats_where(r, &q, &from, &to) != 0)
        return -1;
    qb_add(&q, " GROUP BY queue_id, user_id");
    int rc = qb_exec(&q, r->db, &g);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct tally all = {.key = NULL};
    struct tally *queues = arena_calloc(r->arena, g->nrows + 1, sizeof(*queues));
    struct tally *agents = arena_calloc(r->arena, g->nrows + 1, sizeof(*agents));
    size_t nq = 0, na = 0;
    if (queues == NULL || agents == NULL)
        return request_oom(r);
    stats_fold(g, &all, queues, &nq, agents, &na);
    struct json_object *o = arena_json(r->arena, tally_json(&all, NULL));
    struct json_object *win = o ? json_object_new_object() : NULL;
    if (json_add(o, "window", win) != 0 || json_set_utc(win, "from", from) != 0 ||
        json_set_utc(win, "to", to) != 0 ||
        tallies_attach(o, "queues", "queue_id", queues, nq) != 0 ||
        tallies_attach(o, "agents", "agent_id", agents, na) != 0)
        return request_oom(r);
    return reply_one(r, 200, "stats", o);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/surveys/stats", survey_stats, ROLES_STAFF, FAM_CALLCENTER,
          .summary = "CSAT and NPS of a period: overall, per queue, per agent", .key = "stats"),
};

ROUTE_GROUP(survey_stats_routes, routes);
