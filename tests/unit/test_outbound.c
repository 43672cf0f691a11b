/* src/core/outbound_store.c: the pure rules of a dial and its end. */
#include <string.h>
#include <time.h>

#include "arena.h"
#include "outbound.h"
#include "unit.h"

static void test_outcome_key(void)
{
    struct arena *a = arena_create(4096);
    CHECK_EQ_STR(outbound_outcome_key(a, "Not Interested"), "notInterested");
    CHECK_EQ_STR(outbound_outcome_key(a, "not_interested"), "notInterested");
    CHECK_EQ_STR(outbound_outcome_key(a, "no-answer"), "noAnswer");
    CHECK_EQ_STR(outbound_outcome_key(a, "NO_ANSWER"), "noAnswer");
    CHECK_EQ_STR(outbound_outcome_key(a, "callbackRequested"), "callbackRequested");
    CHECK_EQ_STR(outbound_outcome_key(a, "  Interested "), "interested");
    CHECK_NULL(outbound_outcome_key(a, "--"));
    CHECK_NULL(outbound_outcome_key(a, NULL));
    const char *long_key = outbound_outcome_key(
        a, "a very long outcome text that goes on and on past the sixty four characters bound");
    CHECK(long_key != NULL && strlen(long_key) <= 63);
    arena_destroy(a);
}

static void test_lead_status(void)
{
    CHECK_EQ_STR(outbound_lead_status_of("interested"), "qualified");
    CHECK_EQ_STR(outbound_lead_status_of("Sale"), "converted");
    CHECK_EQ_STR(outbound_lead_status_of("notInterested"), "not_interested");
    CHECK_EQ_STR(outbound_lead_status_of("callbackRequested"), "callback");
    CHECK_NULL(outbound_lead_status_of("voicemail"));
    CHECK_NULL(outbound_lead_status_of(NULL));
    CHECK(outbound_lead_status_known("do_not_call"));
    CHECK(!outbound_lead_status_known("maybe"));
}

static void test_moves(void)
{
    CHECK(outbound_move_ok("connecting", "ringing"));
    CHECK(outbound_move_ok("connecting", "connected"));
    CHECK(outbound_move_ok("ringing", "connected"));
    CHECK(outbound_move_ok("connected", "on_hold"));
    CHECK(outbound_move_ok("on_hold", "connected"));
    CHECK(!outbound_move_ok("connected", "ringing"));
    CHECK(!outbound_move_ok("ringing", "on_hold"));
    CHECK(!outbound_move_ok("on_hold", "connecting"));
    CHECK(outbound_is_live("on_hold"));
    CHECK(!outbound_is_live("completed"));
    CHECK(!outbound_is_live(NULL));
}

static void test_hours(void)
{
    /* Wednesday 10:30. */
    struct tm t = {.tm_wday = 3, .tm_hour = 10, .tm_min = 30};
    CHECK_EQ_INT(outbound_in_hours(&t, "09:00:00", "21:00:00", "mon,tue,wed,thu,fri"), 1);
    CHECK_EQ_INT(outbound_in_hours(&t, "10:30", "11:00", "wed"), 1);
    CHECK_EQ_INT(outbound_in_hours(&t, "09:00", "10:30", "wed"), 0); /* the end is excluded */
    CHECK_EQ_INT(outbound_in_hours(&t, "09:00:00", "21:00:00", "mon,tue,thu"), 0);
    CHECK_EQ_INT(outbound_in_hours(&t, "09:00:00", "21:00:00", NULL), 0);
    CHECK_EQ_INT(outbound_in_hours(&t, "nine", "21:00", "wed"), -1);
    t.tm_wday = 0;
    CHECK_EQ_INT(outbound_in_hours(&t, "00:00", "23:59:59", "sun"), 1);
}

static void test_figures(void)
{
    char b[24];
    outbound_hms(b, sizeof(b), 525);
    CHECK_EQ_STR(b, "00:08:45");
    outbound_hms(b, sizeof(b), 360000);
    CHECK_EQ_STR(b, "100:00:00");
    outbound_hms(b, sizeof(b), -5);
    CHECK_EQ_STR(b, "00:00:00");
    CHECK(outbound_round(63.333, 1) == 63.3);
    CHECK(outbound_round(0.375, 2) == 0.38);
    CHECK(outbound_round(-1.25, 1) == -1.3);
    CHECK(outbound_round(5, 0) == 5);
}

const struct ut_case ut_outbound_cases[] = {
    {"outcome_key", test_outcome_key}, {"lead_status", test_lead_status},
    {"moves", test_moves},             {"hours", test_hours},
    {"figures", test_figures},         {NULL, NULL},
};
