/* src/core/ticket_store.c: the pure parts (the status machine, the SLA defaults). */
#include <stddef.h>

#include "ticket_store.h"
#include "unit.h"

static void test_status_moves(void)
{
    static const char *const working[] = {"open", "pending", "in_progress", "on_hold"};
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++)
            CHECK((ticket_status_refusal(working[i], working[j]) == NULL) == (i != j));
        CHECK(ticket_status_refusal(working[i], "resolved") == NULL);
        /* Closing needs a resolution first. */
        CHECK(ticket_status_refusal(working[i], "closed") != NULL);
    }
    CHECK(ticket_status_refusal("resolved", "closed") == NULL);
    CHECK(ticket_status_refusal("resolved", "open") == NULL);
    CHECK(ticket_status_refusal("resolved", "pending") != NULL);
    CHECK(ticket_status_refusal("resolved", "resolved") != NULL);
    CHECK(ticket_status_refusal("closed", "open") == NULL);
    CHECK(ticket_status_refusal("closed", "resolved") != NULL);
    CHECK(ticket_status_refusal("closed", "pending") != NULL);
    CHECK(ticket_status_refusal("closed", "closed") != NULL);
}

static void test_sla_defaults(void)
{
    long long f, r;
    ticket_sla_default("urgent", &f, &r);
    CHECK(f == 15 && r == 240);
    ticket_sla_default("low", &f, &r);
    CHECK(f == 480 && r == 2880);
    /* Unknown or missing: normal's. */
    ticket_sla_default(NULL, &f, &r);
    CHECK(f == 240 && r == 1440);
    ticket_sla_default("asap", &f, &r);
    CHECK(f == 240 && r == 1440);
}

const struct ut_case ut_ticket_store_cases[] = {
    {"status_moves", test_status_moves},
    {"sla_defaults", test_sla_defaults},
    {NULL, NULL},
};
