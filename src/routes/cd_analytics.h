#ifndef SB_ROUTES_CD_ANALYTICS_H
#define SB_ROUTES_CD_ANALYTICS_H
/* What the calldocker analytics modules (cd_analytics.c, cd_insights.c) share. */
struct json_object;
struct request;

/* A window of whole 15-minute UTC buckets: from <= t < to (Unix seconds). */
struct cd_period {
    long long from, to;
    const char *name; /* today, 7d, 30d, range */
};

/*
 * The route's company (company_scope: r->auth.tenant_id becomes it) and window: `period`
 * (today in the company's zone, 7d, 30d; default today), or `from` (and `to`, default
 * now; dates or RFC 3339 times). 0, or -1 answered (404, 422, 5xx).
 */
int cd_period_read(struct request *r, struct cd_period *p);
/* {start, end, period} of p, arena-owned; NULL when out of memory. */
struct json_object *cd_period_json(struct request *r, const struct cd_period *p);
/*
 * The overview's figures over p (arena): calls_total, answered, abandoned, service_level
 * (0..1), asa, aht (seconds), chats, tickets, and the rest of the KPI sums. DB_OK or a db_rc.
 */
int cd_overview(struct request *r, const struct cd_period *p, struct json_object **out);

#endif
