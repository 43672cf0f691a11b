/* contacts.h: a caller's number in the notations it arrives in, as E.164. */
#include "contacts.h"
#include "unit.h"

static void caller_numbers(void)
{
    static const char *const same[] = {"+15551234567", " 15551234567", "+1 (555) 123-4567",
                                       "0015551234567", "15551234567", "+1.555.123.4567",
                                       "\t+1 555 123 4567"};
    char out[24];
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        CHECK_EQ_INT(contact_number_e164(same[i], out, sizeof(out)), 0);
        CHECK_EQ_STR(out, "+15551234567");
    }
    static const char *const bad[] = {"", "abc", "12", "+0123456789", "++15551234567",
                                      "0", "00", "1234567890123456789"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(contact_number_e164(bad[i], out, sizeof(out)), -1);
}

const struct ut_case ut_contacts_cases[] = {
    {"caller_numbers", caller_numbers},
    {NULL, NULL},
};
