/*
 * The route table: every module's routes, in one array built once at start-up. Each
 * module declares its own routes beside its handlers (method, path, handler, roles,
 * client families); docs/api.md documents each and a unit test holds the two together.
 */
#include <stdio.h>
#include <stdlib.h>

#include "routes.h"

static const struct route_group *const groups[] = {
    &health_routes, &auth_routes,  &profile_routes, &tenants_routes, &users_routes,
    &departments_routes, &agents_routes, &dids_routes, &integrations_routes,
    &webhooks_routes, &calls_routes, &transfers_routes, &call_logs_routes, &events_routes,
    &metrics_routes, &openapi_routes,
    &queues_routes, &queue_members_routes,
    &agent_state_routes,
    &password_reset_routes,
    &queue_calls_routes,
    &cdr_routes, &cdr_stats_routes,
    &notifications_routes,
    &tickets_routes, &ticket_views_routes, &ticket_stats_routes,
    &contacts_routes, &audit_logs_routes, &surveys_routes, &survey_stats_routes,
    &survey_public_routes,
    &chat_widgets_routes, &chat_public_routes, &chat_sessions_routes, &chat_agents_routes,
    &webhooks_out_routes,
    &leads_routes, &campaigns_routes, &dnc_routes,
    &outbound_calls_routes, &outbound_end_routes, &outbound_lists_routes,
    &outbound_analytics_routes,
    &recordings_routes, &recording_webhook_routes,
    &sip_routes,
    &call_metrics_routes,
    &ivr_flows_routes, &ivr_sessions_routes, &ivr_voice_routes, &ivr_stats_routes,
    &ivr_content_routes, &ivr_menus_routes, &ivr_options_routes,
    &sms_routes, &sms_webhook_routes, &speed_dials_routes, &call_tags_routes,
    &companies_routes, &admin_routes, &admin_widget_routes,
    &registrations_routes, &registration_approve_routes,
    &schedules_routes, &blacklist_routes,
    &voicemail_boxes_routes, &voicemail_messages_routes, &voicemail_webhook_routes,
    &cd_agents_routes, &cd_queue_routes, &settings_routes, &preferences_routes,
    &cd_analytics_routes, &cd_export_routes, &cd_webhooks_routes,
};

const struct route *route_table;
size_t route_table_len;

/* Before main(): the pool, the admin tool and the unit tests all see the full table. */
__attribute__((constructor)) static void route_table_build(void)
{
    size_t n = 0;
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
        n += groups[g]->n;
    struct route *all = calloc(n, sizeof(*all));
    if (all == NULL) {
        fputs("switchboard: out of memory building the route table\n", stderr);
        abort();
    }
    size_t k = 0;
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
        for (size_t i = 0; i < groups[g]->n; i++)
            all[k++] = groups[g]->routes[i];
    route_table = all;
    route_table_len = n;
}
