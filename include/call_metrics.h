#ifndef SB_CALL_METRICS_H
#define SB_CALL_METRICS_H
/*
 * Coldcaller's realtime view of outbound calls (src/routes/call_metrics.c): what other
 * modules (the SIP slice, health routes) share with it.
 */
#include <stdbool.h>

struct request;

/* The statuses of an outbound call in progress, as SQL: routes.h's LIVE_SQL (calls.c's
 * live statuses) and `connecting`, an outbound call's first status (POST
 * /api/calls/start). The realtime route and the event worker's metricsUpdate count by
 * it, through idx_calls_tenant_status. */
#define CALL_METRICS_LIVE_SQL \
    "('connecting','ringing','active','on_hold','transferring','connected')"

/*
 * Whether the request's tenant has a registered SIP trunk; *quality gets its connection
 * quality from the last OPTIONS or REGISTER round trip (call_metrics_link_label).
 */
bool call_metrics_sip_registered(struct request *r, const char **quality);

/* A SIP round trip in ms as coldcaller's label: excellent < 100, good < 200, fair < 400,
 * poor above; "unknown" when never measured (< 0). */
static inline const char *call_metrics_link_label(long long rtt_ms)
{
    if (rtt_ms < 0)
        return "unknown";
    return rtt_ms < 100 ? "excellent" : rtt_ms < 200 ? "good" : rtt_ms < 400 ? "fair" : "poor";
}

/* A MOS (1..5) as coldcaller's label: excellent >= 4.3, good >= 4.0, fair >= 3.6, poor
 * below; "unknown" for 0 or less (no report). */
const char *call_metrics_quality_label(double mos);

#endif
