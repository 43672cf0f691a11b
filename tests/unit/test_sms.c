/* src/core/sms_text.c: segments, opt-out words, Twilio's statuses. */
#include <string.h>

#include "sms.h"
#include "unit.h"

static int segs(const char *s)
{
    return sms_segments(s, strlen(s));
}

static void fill(char *buf, const char *unit, size_t times)
{
    buf[0] = '\0';
    for (size_t i = 0; i < times; i++)
        strcat(buf, unit);
}

static void segments_gsm(void)
{
    static char buf[8 * 400];
    CHECK_EQ_INT(segs("Hello"), 1);
    CHECK_EQ_INT(segs(""), 1);
    fill(buf, "a", 160);
    CHECK_EQ_INT(segs(buf), 1);
    fill(buf, "a", 161);
    CHECK_EQ_INT(segs(buf), 2);
    fill(buf, "a", 306);
    CHECK_EQ_INT(segs(buf), 2);
    fill(buf, "a", 307);
    CHECK_EQ_INT(segs(buf), 3);
    /* Extension characters take two septets: 80 of them fill one segment. */
    fill(buf, "{", 80);
    CHECK_EQ_INT(segs(buf), 1);
    fill(buf, "\xe2\x82\xac", 81); /* euro sign */
    CHECK_EQ_INT(segs(buf), 2);
    /* é and £ are GSM-7. */
    fill(buf, "\xc3\xa9\xc2\xa3", 80);
    CHECK_EQ_INT(segs(buf), 1);
}

static void segments_ucs2(void)
{
    static char buf[8 * 400];
    fill(buf, "\xc3\xa7", 70); /* ç is not GSM-7 (only Ç is) */
    CHECK_EQ_INT(segs(buf), 1);
    fill(buf, "\xc3\xa7", 71);
    CHECK_EQ_INT(segs(buf), 2);
    fill(buf, "\xc3\xa7", 134);
    CHECK_EQ_INT(segs(buf), 2);
    fill(buf, "\xc3\xa7", 135);
    CHECK_EQ_INT(segs(buf), 3);
    /* An emoji is two UTF-16 units. */
    fill(buf, "\xf0\x9f\x98\x80", 35);
    CHECK_EQ_INT(segs(buf), 1);
    fill(buf, "\xf0\x9f\x98\x80", 36);
    CHECK_EQ_INT(segs(buf), 2);
    CHECK_EQ_INT(segs("bad \xff"), 0);
}

static void opt_words(void)
{
    CHECK_EQ_INT(sms_opt_word("STOP"), SMS_OPT_OUT);
    CHECK_EQ_INT(sms_opt_word("  stop \n"), SMS_OPT_OUT);
    CHECK_EQ_INT(sms_opt_word("Unsubscribe"), SMS_OPT_OUT);
    CHECK_EQ_INT(sms_opt_word("stopall"), SMS_OPT_OUT);
    CHECK_EQ_INT(sms_opt_word("quit"), SMS_OPT_OUT);
    CHECK_EQ_INT(sms_opt_word("please stop"), SMS_OPT_NONE);
    CHECK_EQ_INT(sms_opt_word("STOPP"), SMS_OPT_NONE);
    CHECK_EQ_INT(sms_opt_word("start"), SMS_OPT_IN);
    CHECK_EQ_INT(sms_opt_word(" UNSTOP"), SMS_OPT_IN);
    CHECK_EQ_INT(sms_opt_word(""), SMS_OPT_NONE);
    CHECK_EQ_INT(sms_opt_word(NULL), SMS_OPT_NONE);
}

static void statuses(void)
{
    CHECK_EQ_STR(sms_status_of("delivered"), "delivered");
    CHECK_EQ_STR(sms_status_of("undelivered"), "undelivered");
    CHECK_EQ_STR(sms_status_of("failed"), "failed");
    CHECK(sms_status_of("queued") == NULL);
    CHECK(sms_status_of(NULL) == NULL);
}

const struct ut_case ut_sms_cases[] = {
    {"segments_gsm", segments_gsm},
    {"segments_ucs2", segments_ucs2},
    {"opt_words", opt_words},
    {"statuses", statuses},
    {NULL, NULL},
};
