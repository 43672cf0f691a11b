/*
 * Unit test runner: runs every case of every suite (or, with arguments, only the
 * cases whose "suite/name" contains one of them), prints one line per failed check
 * and ends with `N passed, N failed` (test cases). Exit status 1 when any failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

/*
 * Under AddressSanitizer a malloc too big to serve returns NULL, as it would in
 * production, instead of aborting the run (arena tests ask for absurd sizes).
 * ASAN_OPTIONS from the environment still take precedence.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

int ut_case_failures;
static const char *ut_current_case = "?";

void ut_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    ut_case_failures++;
    printf("%s:%d: [%s] ", file, line, ut_current_case);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const struct {
    const char *name;
    const struct ut_case *cases;
} ut_suites[] = {
    {"router", ut_router_cases},     {"route_table", ut_route_table_cases},
    {"json", ut_json_cases},         {"validate", ut_validate_cases},
    {"request", ut_request_cases},   {"token", ut_token_cases},
    {"password", ut_password_cases}, {"crypto", ut_crypto_cases},
    {"arena", ut_arena_cases},       {"webhooks", ut_webhooks_cases},
    {"webhook_out", ut_webhook_out_cases}, {"sms", ut_sms_cases},
    {"cursor", ut_cursor_cases},     {"render", ut_render_cases},
    {"fields", ut_fields_cases},     {"qb", ut_qb_cases},
    {"metrics", ut_metrics_cases},   {"event_metrics", ut_event_metrics_cases},
    {"ws_frames", ut_ws_frames_cases},
    {"events_http", ut_events_http_cases},
    {"openapi", ut_openapi_cases},   {"crud", ut_crud_cases},
    {"stamped", ut_stamped_cases},
    {"agent_state", ut_agent_state_cases},
    {"schedule", ut_schedule_cases},
    {"ivr", ut_ivr_cases},
    {"cdr", ut_cdr_cases},
    {"ticket_store", ut_ticket_store_cases},
    {"survey_link", ut_survey_link_cases},
    {"contacts", ut_contacts_cases},
    {"chat", ut_chat_cases},
    {"mention", ut_mention_cases},
    {"lead_import", ut_lead_import_cases},
    {"outbound", ut_outbound_cases},
    {"recording", ut_recording_cases},
    {"call_metrics", ut_call_metrics_cases},
    {"ivr_menu", ut_ivr_menu_cases},
    {"nodes", ut_nodes_cases},
};

static int ut_selected(const char *full, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(full, argv[i]) != NULL)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    char full[160];
    /* Line by line: a log line on stderr lands beside the case that wrote it. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t s = 0; s < sizeof(ut_suites) / sizeof(ut_suites[0]); s++) {
        for (const struct ut_case *c = ut_suites[s].cases; c->fn != NULL; c++) {
            snprintf(full, sizeof(full), "%s/%s", ut_suites[s].name, c->name);
            if (!ut_selected(full, argc, argv))
                continue;
            ut_current_case = full;
            ut_case_failures = 0;
            c->fn();
            if (ut_case_failures == 0)
                passed++;
            else
                failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
