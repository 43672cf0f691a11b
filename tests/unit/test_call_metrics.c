/* src/routes/call_metrics.c's pure part: a MOS as coldcaller's quality label. */
#include "call_metrics.h"
#include "unit.h"

static void quality_label(void)
{
    CHECK_EQ_STR(call_metrics_quality_label(0), "unknown");
    CHECK_EQ_STR(call_metrics_quality_label(-1), "unknown");
    CHECK_EQ_STR(call_metrics_quality_label(1.0), "poor");
    CHECK_EQ_STR(call_metrics_quality_label(3.59), "poor");
    CHECK_EQ_STR(call_metrics_quality_label(3.6), "fair");
    CHECK_EQ_STR(call_metrics_quality_label(4.0), "good");
    CHECK_EQ_STR(call_metrics_quality_label(4.2), "good");
    CHECK_EQ_STR(call_metrics_quality_label(4.3), "excellent");
    CHECK_EQ_STR(call_metrics_quality_label(5.0), "excellent");
}

const struct ut_case ut_call_metrics_cases[] = {
    {"quality_label", quality_label},
    {NULL, NULL},
};
