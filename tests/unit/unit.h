#ifndef SB_UNIT_H
#define SB_UNIT_H
/*
 * A tiny test runner. Each test file defines static test functions and one table
 * `const struct ut_case ut_<suite>_cases[]` ended by {NULL, NULL}; main.c lists the
 * tables and runs every case. A case fails when any check in it fails; each failed
 * check prints `file:line: [case] expression (values)`. The last line of the output
 * is `N passed, N failed`, counting test cases. All symbols start with `ut_` so they
 * never collide with src/.
 */
#include <stddef.h>
#include <string.h>

struct ut_case {
    const char *name;
    void (*fn)(void);
};

void ut_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Failed checks in the running case so far. */
extern int ut_case_failures;

#define CHECK(e)                                                                               \
    do {                                                                                       \
        if (!(e))                                                                              \
            ut_fail(__FILE__, __LINE__, "CHECK(%s)", #e);                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                     \
    do {                                                                                       \
        long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);                              \
        if (ut_a_ != ut_b_)                                                                    \
            ut_fail(__FILE__, __LINE__, "CHECK_EQ_INT(%s, %s): %lld != %lld", #a, #b, ut_a_,   \
                    ut_b_);                                                                    \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                     \
    do {                                                                                       \
        const char *ut_sa_ = (a), *ut_sb_ = (b);                                               \
        if (ut_sa_ == NULL || ut_sb_ == NULL ? ut_sa_ != ut_sb_ : strcmp(ut_sa_, ut_sb_) != 0) \
            ut_fail(__FILE__, __LINE__, "CHECK_EQ_STR(%s, %s): \"%s\" != \"%s\"", #a, #b,      \
                    ut_sa_ ? ut_sa_ : "(null)", ut_sb_ ? ut_sb_ : "(null)");                   \
    } while (0)

/* Compares n bytes of a (NUL-free or not) with the string literal/array b of length n. */
#define CHECK_EQ_MEM(a, alen, b, blen)                                                         \
    do {                                                                                       \
        size_t ut_la_ = (alen), ut_lb_ = (blen);                                               \
        if (ut_la_ != ut_lb_ || memcmp((a), (b), ut_la_) != 0)                                 \
            ut_fail(__FILE__, __LINE__, "CHECK_EQ_MEM(%s, %s): %zu vs %zu bytes differ", #a,   \
                    #b, ut_la_, ut_lb_);                                                       \
    } while (0)

#define CHECK_NULL(p) CHECK((p) == NULL)
#define CHECK_NOT_NULL(p) CHECK((p) != NULL)

/* Like CHECK, but ends the case at once when false (later checks would crash). */
#define REQUIRE(e)                                                                             \
    do {                                                                                       \
        if (!(e)) {                                                                            \
            ut_fail(__FILE__, __LINE__, "REQUIRE(%s)", #e);                                    \
            return;                                                                            \
        }                                                                                      \
    } while (0)

extern const struct ut_case ut_router_cases[];
extern const struct ut_case ut_route_table_cases[];
extern const struct ut_case ut_json_cases[];
extern const struct ut_case ut_validate_cases[];
extern const struct ut_case ut_request_cases[];
extern const struct ut_case ut_token_cases[];
extern const struct ut_case ut_password_cases[];
extern const struct ut_case ut_crypto_cases[];
extern const struct ut_case ut_arena_cases[];
extern const struct ut_case ut_webhooks_cases[];
extern const struct ut_case ut_webhook_out_cases[];
extern const struct ut_case ut_sms_cases[];
extern const struct ut_case ut_cursor_cases[];
extern const struct ut_case ut_render_cases[];
extern const struct ut_case ut_fields_cases[];
extern const struct ut_case ut_qb_cases[];
extern const struct ut_case ut_stamped_cases[];
extern const struct ut_case ut_agent_state_cases[];
extern const struct ut_case ut_schedule_cases[];
extern const struct ut_case ut_ivr_cases[];
extern const struct ut_case ut_cdr_cases[];
extern const struct ut_case ut_survey_link_cases[];
extern const struct ut_case ut_contacts_cases[];
extern const struct ut_case ut_metrics_cases[];
extern const struct ut_case ut_openapi_cases[];
extern const struct ut_case ut_event_metrics_cases[];
extern const struct ut_case ut_ws_frames_cases[];
extern const struct ut_case ut_events_http_cases[];
extern const struct ut_case ut_crud_cases[];
extern const struct ut_case ut_ticket_store_cases[];
extern const struct ut_case ut_chat_cases[];
extern const struct ut_case ut_lead_import_cases[];
extern const struct ut_case ut_outbound_cases[];
extern const struct ut_case ut_mention_cases[];
extern const struct ut_case ut_recording_cases[];
extern const struct ut_case ut_call_metrics_cases[];
extern const struct ut_case ut_ivr_menu_cases[];
extern const struct ut_case ut_nodes_cases[];

#endif
