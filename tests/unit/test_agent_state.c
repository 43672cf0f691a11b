/* agent_state.h: the combined word of the two axes, the value lists, the day parameter. */
#include "agent_state.h"
#include "unit.h"

static void combined_word(void)
{
    /* Presence decides first: offline, break and away hide whatever the activity is. */
    for (size_t i = 0; agent_activities[i] != NULL; i++) {
        CHECK_EQ_STR(agent_state_combined("offline", agent_activities[i]), "offline");
        CHECK_EQ_STR(agent_state_combined("break", agent_activities[i]), "break");
        CHECK_EQ_STR(agent_state_combined("away", agent_activities[i]), "busy");
    }
    CHECK_EQ_STR(agent_state_combined("available", "idle"), "available");
    CHECK_EQ_STR(agent_state_combined("available", "offered"), "on_call");
    CHECK_EQ_STR(agent_state_combined("available", "on_call"), "on_call");
    CHECK_EQ_STR(agent_state_combined("available", "wrap_up"), "wrap_up");
    /* Unknown words, either axis. */
    CHECK(agent_state_combined("busy", "idle") == NULL);
    CHECK(agent_state_combined("available", "ringing") == NULL);
    CHECK(agent_state_combined(NULL, "idle") == NULL);
    CHECK(agent_state_combined("available", NULL) == NULL);
    CHECK(agent_state_combined("", "") == NULL);
}

/* Every combination gives one of the words the Go clients know. */
static void combined_words_known(void)
{
    for (size_t p = 0; agent_presences[p] != NULL; p++)
        for (size_t a = 0; agent_activities[a] != NULL; a++)
            CHECK(agent_state_is(agent_states_combined,
                                 agent_state_combined(agent_presences[p], agent_activities[a])));
    CHECK(agent_state_is(agent_presences, "break"));
    CHECK(!agent_state_is(agent_presences, "busy"));
    CHECK(!agent_state_is(agent_presences, NULL));
    CHECK(!agent_state_is(agent_activities, "Idle"));
}

static void day_valid(void)
{
    CHECK(agent_state_day_valid("2026-12-03"));
    CHECK(agent_state_day_valid("2024-02-29"));
    CHECK(agent_state_day_valid("2000-02-29"));
    CHECK(agent_state_day_valid("1970-01-01"));
    CHECK(agent_state_day_valid("2026-12-31"));
    CHECK(!agent_state_day_valid("2026-02-29"));
    CHECK(!agent_state_day_valid("1900-02-29"));
    CHECK(!agent_state_day_valid("2026-04-31"));
    CHECK(!agent_state_day_valid("2026-13-01"));
    CHECK(!agent_state_day_valid("2026-00-10"));
    CHECK(!agent_state_day_valid("2026-01-00"));
    CHECK(!agent_state_day_valid("1969-12-31"));
    CHECK(!agent_state_day_valid("2026-1-01"));
    CHECK(!agent_state_day_valid("2026/01/01"));
    CHECK(!agent_state_day_valid("2026-01-01T00"));
    CHECK(!agent_state_day_valid("+026-01-01"));
    CHECK(!agent_state_day_valid(""));
    CHECK(!agent_state_day_valid(NULL));
}

const struct ut_case ut_agent_state_cases[] = {
    {"combined_word", combined_word},
    {"combined_words_known", combined_words_known},
    {"day_valid", day_valid},
    {NULL, NULL},
};
