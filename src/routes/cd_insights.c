/*
 * A company's insights and export (calldocker). Insights: the overview's figures against
 * the previous window of equal length, the changed ones as plain sentences ("Abandoned
 * calls rose from 4 to 9 (+125%)"), largest relative change first. Export: the window's
 * CDRs as CSV, streamed row by row (cdr_csv_export).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cd_analytics.h"
#include "db.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "router.h"
#include "routes.h"

enum unit { U_COUNT, U_RATIO, U_SECONDS };

struct figure {
    const char *key, *label;
    enum unit unit;
};

/* The overview's figures an insight speaks of, in the overview's words. */
static const struct figure figures[] = {
    {"calls_total", "Calls", U_COUNT},
    {"answered", "Answered calls", U_COUNT},
    {"abandoned", "Abandoned calls", U_COUNT},
    {"service_level", "Service level", U_RATIO},
    {"asa", "Average speed of answer", U_SECONDS},
    {"aht", "Average handle time", U_SECONDS},
    {"outbound_calls", "Outbound calls", U_COUNT},
    {"chats", "Chats", U_COUNT},
    {"tickets", "Tickets", U_COUNT},
};
#define NFIGURES (sizeof(figures) / sizeof(figures[0]))

/* Without libm: |x|, and x to one decimal. */
static double mag(double x)
{
    return x < 0 ? -x : x;
}

static double one_decimal(double x)
{
    return (double)(long long)(x * 10 + (x >= 0 ? 0.5 : -0.5)) / 10;
}

static double figure_of(struct json_object *o, const struct figure *f)
{
    double v = json_object_get_double(json_object_object_get(o, f->key));
    return f->unit == U_RATIO ? v * 100.0 : v;
}

static const char *shown(struct arena *a, const struct figure *f, double v)
{
    switch (f->unit) {
    case U_RATIO: return arena_printf(a, "%.1f%%", v);
    case U_SECONDS: return arena_printf(a, "%.0fs", v);
    default: return arena_printf(a, "%.0f", v);
    }
}

/* "Abandoned calls rose from 4 to 9 (+125%)"; from nothing, no percentage. */
static const char *sentence(struct arena *a, const struct figure *f, double was, double now)
{
    const char *verb = now > was ? "rose" : "fell";
    const char *w = shown(a, f, was), *n = shown(a, f, now);
    if (w == NULL || n == NULL)
        return NULL;
    if (was == 0)
        return arena_printf(a, "%s %s from %s to %s", f->label, verb, w, n);
    return arena_printf(a, "%s %s from %s to %s (%+.0f%%)", f->label, verb, w, n,
                        (now - was) / mag(was) * 100.0);
}

/* Relative size of a change: against the previous value, or the new one from nothing. */
static double change_size(double was, double now)
{
    return was != 0 ? mag(now - was) / mag(was) : mag(now) > 0 ? 1e9 + mag(now) : 0;
}

static int by_size(const void *a, const void *b)
{
    struct json_object *x = *(struct json_object *const *)a, *y = *(struct json_object *const *)b;
    double sx = json_object_get_double(json_object_object_get(x, "_size"));
    double sy = json_object_get_double(json_object_object_get(y, "_size"));
    return sx < sy ? 1 : sx > sy ? -1 : 0;
}

static struct json_object *insight(struct arena *a, const struct figure *f, double was,
                                   double now)
{
    const char *text = sentence(a, f, was, now);
    struct json_object *o = json_object_new_object();
    int rc = text == NULL || json_set_str(o, "metric", f->key) ||
             json_set_str(o, "text", text) || json_set_double(o, "previous", was) ||
             json_set_double(o, "current", now) ||
             json_set(o, "change_percent",
                      was != 0 ? json_object_new_double(one_decimal((now - was) / mag(was) * 100))
                               : NULL) ||
             json_set_str(o, "direction", now > was ? "up" : "down") ||
             json_set_double(o, "_size", change_size(was, now));
    return json_done(o, rc);
}

static struct json_object *insights_of(struct request *r, struct json_object *cur,
                                       struct json_object *prev)
{
    struct json_object *arr = arena_json(r->arena, json_object_new_array());
    for (size_t i = 0; arr != NULL && i < NFIGURES; i++) {
        double now = figure_of(cur, &figures[i]), was = figure_of(prev, &figures[i]);
        if (mag(now - was) < 1e-9)
            continue;
        if (json_push(arr, insight(r->arena, &figures[i], was, now)) != 0)
            return NULL;
    }
    if (arr == NULL)
        return NULL;
    json_object_array_sort(arr, by_size);
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        json_object_object_del(json_object_array_get_idx(arr, i), "_size");
    return arr;
}

static int insights_get(struct request *r)
{
    struct cd_period p, before;
    struct json_object *cur, *prev;
    if (cd_period_read(r, &p) != 0)
        return -1;
    before.name = p.name;
    before.to = p.from;
    before.from = p.from - (p.to - p.from);
    int rc = cd_overview(r, &p, &cur);
    if (rc == DB_OK)
        rc = cd_overview(r, &before, &prev);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_add(o, "insights", json_object_get(insights_of(r, cur, prev))) ||
        json_set(o, "current", json_object_get(cur)) ||
        json_set(o, "previous", json_object_get(prev)) ||
        json_set(o, "window", json_object_get(cd_period_json(r, &p))) ||
        json_set(o, "previous_window", json_object_get(cd_period_json(r, &before))))
        return request_oom(r);
    return reply_one(r, 200, "insights", o);
}

static int export_get(struct request *r)
{
    struct cd_period p;
    struct qb w;
    if (cd_period_read(r, &p) != 0)
        return -1;
    qb_init(&w, r->arena);
    qb_addv(&w, " AND c.start_time >= FROM_UNIXTIME(?)", DB_INT(p.from));
    qb_addv(&w, " AND c.start_time < FROM_UNIXTIME(?)", DB_INT(p.to));
    return cdr_csv_export(r, &w);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/analytics/company/:companyId/insights", insights_get, ROLES_STAFF,
          FAM_CALLDOCKER, .summary = "The largest changes against the previous window",
          .key = "insights"),
    ROUTE("GET", "/api/analytics/company/:companyId/export", export_get, ROLES_STAFF,
          FAM_CALLDOCKER, .summary = "The window's CDRs as CSV, streamed",
          .answer_media = "text/csv"),
};

ROUTE_GROUP(cd_export_routes, routes);
