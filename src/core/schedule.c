/*
 * Opening hours (schedule.h). The local time comes from the C library with TZ set to the
 * schedule's zone, so DST and every past rule change are the system zoneinfo's, not ours.
 */
#include "schedule.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonutil.h"

#define TZ_NAME_MAX 128

/* glibc silently reads an unknown zone as UTC: a misspelt zone must be an error instead,
 * so the name must be a file of the zoneinfo tree (and cannot climb out of it). */
static bool zone_known(const char *tz)
{
    size_t n = strlen(tz);
    if (n == 0 || n >= TZ_NAME_MAX || tz[0] == '/' || strstr(tz, "..") != NULL)
        return false;
    for (const char *p = tz; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '_' || *p == '-' || *p == '+'))
            return false;
    const char *dir = getenv("TZDIR");
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int schedule_local_time(const char *tz, time_t when, struct tm *out)
{
    if (tz == NULL || *tz == '\0')
        tz = "UTC";
    if (!zone_known(tz))
        return -1;
    char saved[TZ_NAME_MAX + 2];
    const char *old = getenv("TZ");
    bool had = old != NULL && strlen(old) < sizeof(saved);
    if (had)
        memcpy(saved, old, strlen(old) + 1);
    int rc = setenv("TZ", tz, 1);
    if (rc == 0) {
        tzset();
        rc = localtime_r(&when, out) != NULL ? 0 : -1;
    }
    /* Put the process's zone back: logs and other callers keep theirs. */
    if (had)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    return rc;
}

int schedule_minutes(const char *hhmm)
{
    if (hhmm == NULL || strlen(hhmm) != 5 || hhmm[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (hhmm[i] < '0' || hhmm[i] > '9'))
            return -1;
    int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0'), m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

static const char *const day_keys[7][2] = {
    {"sun", "sunday"},   {"mon", "monday"}, {"tue", "tuesday"},  {"wed", "wednesday"},
    {"thu", "thursday"}, {"fri", "friday"}, {"sat", "saturday"},
};

enum part { TODAY, OVERNIGHT_TAIL };

/*
 * Whether the ranges of day wday (0 Sunday) cover minute: TODAY the ranges that start
 * that day, OVERNIGHT_TAIL the part of its overnight ranges that runs into the next day.
 * 1, 0, or -1 when a range is malformed.
 */
static int day_covers(struct json_object *hours, int wday, int minute, enum part part)
{
    struct json_object *day = NULL;
    if (!json_object_object_get_ex(hours, day_keys[wday][0], &day))
        json_object_object_get_ex(hours, day_keys[wday][1], &day);
    if (day == NULL)
        return 0;
    if (!json_object_is_type(day, json_type_array))
        return -1;
    for (size_t i = 0; i < json_object_array_length(day); i++) {
        struct json_object *range = json_object_array_get_idx(day, i), *o, *c;
        if (!json_object_is_type(range, json_type_object) ||
            !json_object_object_get_ex(range, "open", &o) ||
            !json_object_object_get_ex(range, "close", &c))
            return -1;
        int open = schedule_minutes(json_object_get_string(o));
        int close = schedule_minutes(json_object_get_string(c));
        if (open < 0 || close < 0 || open == 24 * 60)
            return -1;
        bool overnight = close < open;
        if (part == TODAY && (overnight ? minute >= open : minute >= open && minute < close))
            return 1;
        if (part == OVERNIGHT_TAIL && overnight && minute < close)
            return 1;
    }
    return 0;
}

/* 1 when date ("YYYY-MM-DD") is one of the holidays, 0 when not, -1 when malformed. */
static int is_holiday(struct json_object *holidays, const char *date)
{
    if (holidays == NULL)
        return 0;
    if (!json_object_is_type(holidays, json_type_array))
        return -1;
    for (size_t i = 0; i < json_object_array_length(holidays); i++) {
        struct json_object *h = json_object_array_get_idx(holidays, i), *d = h;
        if (json_object_is_type(h, json_type_object) &&
            !json_object_object_get_ex(h, "date", &d))
            return -1;
        if (!json_object_is_type(d, json_type_string))
            return -1;
        if (strcmp(json_object_get_string(d), date) == 0)
            return 1;
    }
    return 0;
}

/* The local date of tm, or of the day before it (back = 1), as YYYY-MM-DD. */
static void date_of(const struct tm *tm, int back, char out[16])
{
    struct tm d = {.tm_year = tm->tm_year, .tm_mon = tm->tm_mon,
                   .tm_mday = tm->tm_mday - back, .tm_hour = 12};
    /* Calendar arithmetic only: timegm normalises the day without any zone. */
    time_t t = timegm(&d);
    gmtime_r(&t, &d);
    snprintf(out, 16, "%04d-%02d-%02d", (d.tm_year + 1900) % 10000, (d.tm_mon + 1) % 100,
             d.tm_mday % 100);
}

static enum schedule_answer evaluate(struct json_object *hours, struct json_object *holidays,
                                     const struct tm *tm)
{
    char today[16], yesterday[16];
    date_of(tm, 0, today);
    date_of(tm, 1, yesterday);
    int h = is_holiday(holidays, today);
    if (h != 0)
        return h < 0 ? SCHEDULE_ERROR : SCHEDULE_CLOSED;
    if (hours == NULL)
        return SCHEDULE_OPEN;
    if (!json_object_is_type(hours, json_type_object))
        return SCHEDULE_ERROR;
    int minute = tm->tm_hour * 60 + tm->tm_min;
    int open = day_covers(hours, tm->tm_wday, minute, TODAY);
    if (open != 0)
        return open < 0 ? SCHEDULE_ERROR : SCHEDULE_OPEN;
    int y = is_holiday(holidays, yesterday);
    if (y < 0)
        return SCHEDULE_ERROR;
    open = y ? 0 : day_covers(hours, (tm->tm_wday + 6) % 7, minute, OVERNIGHT_TAIL);
    return open < 0 ? SCHEDULE_ERROR : open ? SCHEDULE_OPEN : SCHEDULE_CLOSED;
}

static int parse(const char *text, struct json_object **out)
{
    *out = NULL;
    if (text == NULL)
        return 0;
    return json_parse_value(text, strlen(text), out);
}

enum schedule_answer schedule_is_open(const char *hours_json, const char *holidays_json,
                                      const char *tz, time_t when)
{
    struct json_object *hours = NULL, *holidays = NULL;
    enum schedule_answer rc = SCHEDULE_ERROR;
    struct tm tm;
    if (schedule_local_time(tz, when, &tm) != 0 || parse(hours_json, &hours) != 0 ||
        parse(holidays_json, &holidays) != 0)
        goto out;
    rc = evaluate(hours, holidays, &tm);
out:
    json_object_put(hours);
    json_object_put(holidays);
    return rc;
}

/* Whether every holiday's date is a YYYY-MM-DD of a month 01-12 and a day 01-31. */
static bool dates_valid(struct json_object *holidays)
{
    for (size_t i = 0; holidays != NULL && i < json_object_array_length(holidays); i++) {
        struct json_object *h = json_object_array_get_idx(holidays, i), *d = h;
        if (json_object_is_type(h, json_type_object))
            json_object_object_get_ex(h, "date", &d);
        const char *s = json_object_get_string(d);
        int y, m, day, n = 0;
        if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &day, &n) != 3 ||
            n != 10 || m < 1 || m > 12 || day < 1 || day > 31)
            return false;
    }
    return true;
}

const char *schedule_invalid(const char *hours_json, const char *holidays_json)
{
    struct json_object *hours = NULL, *holidays = NULL;
    const char *bad = NULL;
    if (parse(hours_json, &hours) != 0 ||
        (hours != NULL && !json_object_is_type(hours, json_type_object)))
        bad = "hours";
    /* Minute -1 is covered by no range: every range of every day is read. */
    for (int wday = 0; bad == NULL && hours != NULL && wday < 7; wday++)
        if (day_covers(hours, wday, -1, TODAY) < 0)
            bad = "hours";
    if (bad == NULL && (parse(holidays_json, &holidays) != 0 || is_holiday(holidays, "") < 0 ||
                        !dates_valid(holidays)))
        bad = "holidays";
    json_object_put(hours);
    json_object_put(holidays);
    return bad;
}

struct parsed {
    struct json_object *hours, *holidays;
    const char *tz;
};

static enum schedule_state state_at(const struct parsed *p, time_t t, long *gmtoff)
{
    struct tm tm;
    char today[16];
    if (schedule_local_time(p->tz, t, &tm) != 0)
        return SCHEDULE_STATE_ERROR;
    *gmtoff = tm.tm_gmtoff;
    date_of(&tm, 0, today);
    if (is_holiday(p->holidays, today) == 1)
        return SCHEDULE_STATE_HOLIDAY;
    enum schedule_answer a = evaluate(p->hours, p->holidays, &tm);
    return a == SCHEDULE_ERROR ? SCHEDULE_STATE_ERROR
           : a == SCHEDULE_OPEN ? SCHEDULE_STATE_OPEN : SCHEDULE_STATE_CLOSED;
}

/* The minutes of the day at which a state may change: midnight and every open and close. */
static void boundaries(struct json_object *hours, bool mark[24 * 60])
{
    memset(mark, 0, 24 * 60 * sizeof(bool));
    mark[0] = true;
    for (int wday = 0; hours != NULL && wday < 7; wday++) {
        struct json_object *day = NULL;
        if (!json_object_object_get_ex(hours, day_keys[wday][0], &day))
            json_object_object_get_ex(hours, day_keys[wday][1], &day);
        for (size_t i = 0; day != NULL && i < json_object_array_length(day); i++) {
            struct json_object *range = json_object_array_get_idx(day, i), *o, *c;
            if (json_object_object_get_ex(range, "open", &o) &&
                json_object_object_get_ex(range, "close", &c)) {
                int open = schedule_minutes(json_object_get_string(o));
                int close = schedule_minutes(json_object_get_string(c));
                mark[open % (24 * 60)] = true;
                mark[close % (24 * 60)] = true;
            }
        }
    }
}

/* The first instant after `when` (within SCHEDULE_HORIZON_DAYS) whose state is not `now`:
 * each boundary minute of each local day, as a UTC instant by the zone's offset there. */
static time_t next_change(const struct parsed *p, time_t when, enum schedule_state now,
                          long off)
{
    bool mark[24 * 60];
    struct tm base;
    boundaries(p->hours, mark);
    if (schedule_local_time(p->tz, when, &base) != 0)
        return 0;
    for (int d = 0; d <= SCHEDULE_HORIZON_DAYS; d++)
        for (int m = 0; m < 24 * 60; m++) {
            if (!mark[m])
                continue;
            struct tm wall = {.tm_year = base.tm_year, .tm_mon = base.tm_mon,
                              .tm_mday = base.tm_mday + d, .tm_hour = m / 60, .tm_min = m % 60};
            time_t naive = timegm(&wall), t = naive - off;
            long off2 = off;
            if (state_at(p, t, &off2) == SCHEDULE_STATE_ERROR)
                return 0;
            t = naive - (off = off2);
            if (t <= when)
                continue;
            enum schedule_state s = state_at(p, t, &off2);
            if (s == SCHEDULE_STATE_ERROR)
                return 0;
            if (s != now)
                return t;
        }
    return 0;
}

enum schedule_state schedule_state(const char *hours_json, const char *holidays_json,
                                   const char *tz, time_t when, time_t *next)
{
    struct parsed p = {.tz = tz};
    enum schedule_state s = SCHEDULE_STATE_ERROR;
    long off = 0;
    if (next != NULL)
        *next = 0;
    if (schedule_invalid(hours_json, holidays_json) != NULL ||
        parse(hours_json, &p.hours) != 0 || parse(holidays_json, &p.holidays) != 0)
        goto out;
    s = state_at(&p, when, &off);
    if (s != SCHEDULE_STATE_ERROR && next != NULL)
        *next = next_change(&p, when, s, off);
out:
    json_object_put(p.hours);
    json_object_put(p.holidays);
    return s;
}
