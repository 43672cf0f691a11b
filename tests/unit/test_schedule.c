/* src/core/schedule.c: opening hours against the system zoneinfo. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "schedule.h"
#include "unit.h"

/* A UTC instant from its calendar parts. */
static time_t ut_utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi};
    return timegm(&tm);
}

static const char *const ut_weekdays =
    "{\"mon\":[{\"open\":\"09:00\",\"close\":\"17:00\"}],"
    "\"tue\":[{\"open\":\"09:00\",\"close\":\"17:00\"}],"
    "\"wed\":[{\"open\":\"09:00\",\"close\":\"12:00\"},{\"open\":\"13:00\",\"close\":\"17:00\"}],"
    "\"thu\":[{\"open\":\"00:00\",\"close\":\"24:00\"}],"
    "\"fri\":[{\"open\":\"09:00\",\"close\":\"17:00\"}],\"sat\":[]}";

static void test_minutes(void)
{
    CHECK_EQ_INT(schedule_minutes("00:00"), 0);
    CHECK_EQ_INT(schedule_minutes("09:30"), 570);
    CHECK_EQ_INT(schedule_minutes("24:00"), 1440);
    CHECK_EQ_INT(schedule_minutes("24:01"), -1);
    CHECK_EQ_INT(schedule_minutes("12:60"), -1);
    CHECK_EQ_INT(schedule_minutes("9:30"), -1);
    CHECK_EQ_INT(schedule_minutes("ab:cd"), -1);
    CHECK_EQ_INT(schedule_minutes(NULL), -1);
}

static void test_plain_week(void)
{
    /* 2025-03-24 is a Monday. */
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "UTC", ut_utc(2025, 3, 24, 8, 59)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "UTC", ut_utc(2025, 3, 24, 9, 0)),
                 SCHEDULE_OPEN);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "UTC", ut_utc(2025, 3, 24, 16, 59)),
                 SCHEDULE_OPEN);
    /* close is exclusive */
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "UTC", ut_utc(2025, 3, 24, 17, 0)),
                 SCHEDULE_CLOSED);
    /* Wednesday's lunch break */
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "", ut_utc(2025, 3, 26, 12, 30)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, NULL, ut_utc(2025, 3, 26, 13, 0)),
                 SCHEDULE_OPEN);
    /* Thursday all day, up to its last minute */
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "UTC", ut_utc(2025, 3, 27, 23, 59)),
                 SCHEDULE_OPEN);
    /* Saturday's empty list and the absent Sunday are closed */
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "UTC", ut_utc(2025, 3, 29, 12, 0)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "UTC", ut_utc(2025, 3, 30, 12, 0)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open("{}", NULL, "UTC", ut_utc(2025, 3, 24, 12, 0)),
                 SCHEDULE_CLOSED);
    /* full day names are read too */
    CHECK_EQ_INT(schedule_is_open("{\"monday\":[{\"open\":\"09:00\",\"close\":\"10:00\"}]}",
                                  NULL, "UTC", ut_utc(2025, 3, 24, 9, 30)),
                 SCHEDULE_OPEN);
}

static void test_no_hours_always_open(void)
{
    CHECK_EQ_INT(schedule_is_open(NULL, NULL, "UTC", ut_utc(2025, 3, 30, 3, 0)), SCHEDULE_OPEN);
    CHECK_EQ_INT(schedule_is_open("null", "[]", "Europe/Paris", ut_utc(2025, 3, 30, 3, 0)),
                 SCHEDULE_OPEN);
    /* but a holiday closes even a schedule without hours */
    CHECK_EQ_INT(schedule_is_open(NULL, "[{\"date\":\"2025-03-30\"}]", "UTC",
                                  ut_utc(2025, 3, 30, 3, 0)),
                 SCHEDULE_CLOSED);
}

/* Paris moved to summer time on 2025-03-30 and back on 2025-10-26. */
static void test_dst(void)
{
    const char *tz = "Europe/Paris";
    /* Monday 07:30 UTC: 08:30 in winter (CET), 09:30 in summer (CEST). */
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, tz, ut_utc(2025, 3, 24, 7, 30)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, tz, ut_utc(2025, 3, 31, 7, 30)),
                 SCHEDULE_OPEN);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, tz, ut_utc(2025, 10, 20, 7, 30)),
                 SCHEDULE_OPEN);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, tz, ut_utc(2025, 10, 27, 7, 30)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, tz, ut_utc(2025, 10, 27, 8, 0)),
                 SCHEDULE_OPEN);
    /* The night of the change: Sunday 01:30-03:30 local; 02:xx does not exist that night. */
    const char *night = "{\"sun\":[{\"open\":\"01:30\",\"close\":\"03:30\"}]}";
    CHECK_EQ_INT(schedule_is_open(night, NULL, tz, ut_utc(2025, 3, 30, 0, 45)), SCHEDULE_OPEN);
    CHECK_EQ_INT(schedule_is_open(night, NULL, tz, ut_utc(2025, 3, 30, 1, 15)), SCHEDULE_OPEN);
    CHECK_EQ_INT(schedule_is_open(night, NULL, tz, ut_utc(2025, 3, 30, 1, 30)), SCHEDULE_CLOSED);
    /* New York: the same UTC instant either side of its change (2025-03-09). */
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "America/New_York",
                                  ut_utc(2025, 3, 7, 13, 30)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "America/New_York",
                                  ut_utc(2025, 3, 10, 13, 30)),
                 SCHEDULE_OPEN);
}

static void test_holiday(void)
{
    const char *xmas = "[{\"date\":\"2025-12-25\",\"name\":\"Christmas\"},\"2026-01-01\"]";
    /* 2025-12-25 is a Thursday (open all day otherwise) */
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, xmas, "UTC", ut_utc(2025, 12, 25, 10, 0)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, xmas, "UTC", ut_utc(2025, 12, 18, 10, 0)),
                 SCHEDULE_OPEN);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, xmas, "UTC", ut_utc(2026, 1, 1, 10, 0)),
                 SCHEDULE_CLOSED);
    /* The holiday is a local date: 23:30 UTC on the 24th is already the 25th in Paris. */
    CHECK_EQ_INT(schedule_is_open(NULL, xmas, "Europe/Paris", ut_utc(2025, 12, 24, 23, 30)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open(NULL, xmas, "UTC", ut_utc(2025, 12, 24, 23, 30)),
                 SCHEDULE_OPEN);
}

static void test_overnight(void)
{
    const char *nights = "{\"mon\":[{\"open\":\"22:00\",\"close\":\"06:00\"}]}";
    CHECK_EQ_INT(schedule_is_open(nights, NULL, "UTC", ut_utc(2025, 3, 24, 21, 59)),
                 SCHEDULE_CLOSED);
    CHECK_EQ_INT(schedule_is_open(nights, NULL, "UTC", ut_utc(2025, 3, 24, 22, 0)),
                 SCHEDULE_OPEN);
    CHECK_EQ_INT(schedule_is_open(nights, NULL, "UTC", ut_utc(2025, 3, 25, 5, 59)),
                 SCHEDULE_OPEN);
    CHECK_EQ_INT(schedule_is_open(nights, NULL, "UTC", ut_utc(2025, 3, 25, 6, 0)),
                 SCHEDULE_CLOSED);
    /* Monday's early hours belong to Sunday night, which has no range */
    CHECK_EQ_INT(schedule_is_open(nights, NULL, "UTC", ut_utc(2025, 3, 24, 5, 0)),
                 SCHEDULE_CLOSED);
    /* A holiday on the Tuesday closes the tail of Monday night */
    CHECK_EQ_INT(schedule_is_open(nights, "[\"2025-03-25\"]", "UTC", ut_utc(2025, 3, 25, 5, 0)),
                 SCHEDULE_CLOSED);
    /* and a holiday Monday opens no night that runs into Tuesday */
    CHECK_EQ_INT(schedule_is_open(nights, "[\"2025-03-24\"]", "UTC", ut_utc(2025, 3, 25, 5, 0)),
                 SCHEDULE_CLOSED);
    /* Saturday night into Sunday wraps the week */
    CHECK_EQ_INT(schedule_is_open("{\"sat\":[{\"open\":\"20:00\",\"close\":\"02:00\"}]}", NULL,
                                  "UTC", ut_utc(2025, 3, 30, 1, 0)),
                 SCHEDULE_OPEN);
}

static void test_errors(void)
{
    time_t t = ut_utc(2025, 3, 24, 12, 0);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "Mars/Olympus", t), SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "../../etc/passwd", t), SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "/etc/localtime", t), SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, NULL, "Europe", t), SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open("{", NULL, "UTC", t), SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open("[]", NULL, "UTC", t), SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open("{\"mon\":{}}", NULL, "UTC", t), SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open("{\"mon\":[{\"open\":\"25:00\",\"close\":\"26:00\"}]}", NULL,
                                  "UTC", t),
                 SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open("{\"mon\":[{\"open\":\"09:00\"}]}", NULL, "UTC", t),
                 SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, "{}", "UTC", t), SCHEDULE_ERROR);
    CHECK_EQ_INT(schedule_is_open(ut_weekdays, "[{\"name\":\"x\"}]", "UTC", t), SCHEDULE_ERROR);
}

/* The process's own zone is put back, whatever it was. */
static void test_tz_restored(void)
{
    const char *old = getenv("TZ");
    char keep[64] = "";
    int had = old != NULL;
    if (had)
        snprintf(keep, sizeof(keep), "%s", old);
    REQUIRE(setenv("TZ", "Asia/Tokyo", 1) == 0);
    struct tm tm;
    CHECK_EQ_INT(schedule_local_time("Europe/Paris", ut_utc(2025, 7, 1, 12, 0), &tm), 0);
    CHECK_EQ_INT(tm.tm_hour, 14);
    CHECK_EQ_STR(getenv("TZ"), "Asia/Tokyo");
    REQUIRE(unsetenv("TZ") == 0);
    CHECK_EQ_INT(schedule_local_time("UTC", ut_utc(2025, 7, 1, 12, 0), &tm), 0);
    CHECK_NULL(getenv("TZ"));
    if (had)
        setenv("TZ", keep, 1);
    tzset();
}

/* Weekdays 09:00-17:00 local, across the 2026 changes of New York (03-08) and Paris (10-25). */
static void test_state_dst(void)
{
    const char *h = "{\"mon\":[{\"open\":\"09:00\",\"close\":\"17:00\"}],"
                    "\"fri\":[{\"open\":\"09:00\",\"close\":\"17:00\"}]}";
    time_t next = 1;
    /* Friday 08:30 EST: closed, opens at 09:00 EST (14:00Z). */
    CHECK_EQ_INT(schedule_state(h, NULL, "America/New_York", ut_utc(2026, 3, 6, 13, 30), &next),
                 SCHEDULE_STATE_CLOSED);
    CHECK(next == ut_utc(2026, 3, 6, 14, 0));
    /* Friday 16:30 EST: open until 22:00Z, then closed over the weekend. */
    CHECK_EQ_INT(schedule_state(h, NULL, "America/New_York", ut_utc(2026, 3, 6, 21, 30), &next),
                 SCHEDULE_STATE_OPEN);
    CHECK(next == ut_utc(2026, 3, 6, 22, 0));
    /* Saturday: the next opening is Monday 09:00 EDT, 13:00Z, after the change. */
    CHECK_EQ_INT(schedule_state(h, NULL, "America/New_York", ut_utc(2026, 3, 7, 17, 0), &next),
                 SCHEDULE_STATE_CLOSED);
    CHECK(next == ut_utc(2026, 3, 9, 13, 0));
    CHECK_EQ_INT(schedule_state(h, NULL, "America/New_York", ut_utc(2026, 3, 9, 13, 30), &next),
                 SCHEDULE_STATE_OPEN);
    CHECK_EQ_INT(schedule_is_open(h, NULL, "America/New_York", ut_utc(2026, 3, 9, 13, 30)),
                 SCHEDULE_OPEN);
    /* Paris: Friday opens 07:00Z (CEST), Monday 08:00Z (CET). */
    CHECK_EQ_INT(schedule_state(h, NULL, "Europe/Paris", ut_utc(2026, 10, 24, 12, 0), &next),
                 SCHEDULE_STATE_CLOSED);
    CHECK(next == ut_utc(2026, 10, 26, 8, 0));
    CHECK_EQ_INT(schedule_state(h, NULL, "Europe/Paris", ut_utc(2026, 10, 26, 7, 30), &next),
                 SCHEDULE_STATE_CLOSED);
    CHECK_EQ_INT(schedule_state(h, NULL, "Europe/Paris", ut_utc(2026, 10, 23, 7, 30), &next),
                 SCHEDULE_STATE_OPEN);
    CHECK(next == ut_utc(2026, 10, 23, 15, 0));
}

static void test_state_holiday_and_errors(void)
{
    time_t next = 1;
    CHECK_EQ_INT(schedule_state(ut_weekdays, "[{\"date\":\"2026-12-25\"}]", "UTC",
                                ut_utc(2026, 12, 25, 12, 0), &next),
                 SCHEDULE_STATE_HOLIDAY);
    CHECK(next == ut_utc(2026, 12, 26, 0, 0));
    /* Always open: nothing changes. */
    CHECK_EQ_INT(schedule_state(NULL, NULL, "UTC", ut_utc(2026, 1, 1, 0, 0), &next),
                 SCHEDULE_STATE_OPEN);
    CHECK(next == 0);
    CHECK_EQ_INT(schedule_state(NULL, NULL, "Mars/Olympus", ut_utc(2026, 1, 1, 0, 0), &next),
                 SCHEDULE_STATE_ERROR);
    CHECK(schedule_invalid(ut_weekdays, "[\"2026-12-25\"]") == NULL);
    CHECK(schedule_invalid(NULL, NULL) == NULL);
    CHECK_EQ_STR(schedule_invalid("{\"sun\":[{\"open\":\"9\"}]}", NULL), "hours");
    CHECK_EQ_STR(schedule_invalid("[1]", NULL), "hours");
    CHECK_EQ_STR(schedule_invalid(NULL, "{\"a\":1}"), "holidays");
    CHECK_EQ_STR(schedule_invalid(NULL, "[3]"), "holidays");
    CHECK_EQ_STR(schedule_invalid(NULL, "[\"Christmas\"]"), "holidays");
    CHECK_EQ_STR(schedule_invalid(NULL, "[\"2026-13-01\"]"), "holidays");
}

const struct ut_case ut_schedule_cases[] = {
    {"minutes", test_minutes},
    {"plain_week", test_plain_week},
    {"no_hours_always_open", test_no_hours_always_open},
    {"dst", test_dst},
    {"holiday", test_holiday},
    {"overnight", test_overnight},
    {"errors", test_errors},
    {"tz_restored", test_tz_restored},
    {"state_dst", test_state_dst},
    {"state_holiday_and_errors", test_state_holiday_and_errors},
    {NULL, NULL},
};
