/* validate.h pure checks: validate_email, validate_phone_e164, validate_text. */
#include <string.h>

#include "unit.h"
#include "validate.h"

#define UT_EMAIL(lit) validate_email(lit, sizeof(lit) - 1)
#define UT_TEXT(lit) validate_text(lit, sizeof(lit) - 1)

static void email_good(void)
{
    CHECK_EQ_INT(UT_EMAIL("a@b.co"), 0);
    CHECK_EQ_INT(UT_EMAIL("user@example.com"), 0);
    CHECK_EQ_INT(UT_EMAIL("First.Last+tag@Example.COM"), 0);
    CHECK_EQ_INT(UT_EMAIL("x_y-z@sub.example-host.org"), 0);
    CHECK_EQ_INT(UT_EMAIL("o'brien@example.ie"), 0);
    CHECK_EQ_INT(UT_EMAIL("1234@123.45.com"), 0);
    /* 64-byte local part. */
    CHECK_EQ_INT(UT_EMAIL("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.io"), 0);
    /* Only len bytes count. */
    CHECK_EQ_INT(validate_email("a@b.co trailing", 6), 0);
}

static void email_bad(void)
{
    CHECK(UT_EMAIL("") != 0);
    CHECK(UT_EMAIL("a") != 0);
    CHECK(UT_EMAIL("plainaddress") != 0);
    CHECK(UT_EMAIL("@example.com") != 0);
    CHECK(UT_EMAIL("user@") != 0);
    CHECK(UT_EMAIL("user@localhost") != 0);
    CHECK(UT_EMAIL("user@@example.com") != 0);
    CHECK(UT_EMAIL("a@b@example.com") != 0);
    CHECK(UT_EMAIL("us er@example.com") != 0);
    CHECK(UT_EMAIL("user@exa mple.com") != 0);
    CHECK(UT_EMAIL("user@example..com") != 0);
    CHECK(UT_EMAIL("user@.example.com") != 0);
    CHECK(UT_EMAIL("user@example.com.") != 0);
    CHECK(UT_EMAIL("user@-example.com") != 0);
    CHECK(UT_EMAIL("user@example.com-") != 0);
    CHECK(UT_EMAIL("user@exam_ple.com") != 0);
    CHECK(UT_EMAIL("us\"er@example.com") != 0);
    CHECK(UT_EMAIL("us,er@example.com") != 0);
    CHECK(UT_EMAIL("<user>@example.com") != 0);
    CHECK(UT_EMAIL("user\n@example.com") != 0);
    CHECK(UT_EMAIL("us\0er@example.com") != 0);
    CHECK(UT_EMAIL("user@exa\0mple.com") != 0);
    CHECK(UT_EMAIL("us\xc3\xa9r@example.com") != 0);
    CHECK(UT_EMAIL("user@ex\xc3\xa4mple.com") != 0);
    /* 65-byte local part. */
    CHECK(UT_EMAIL("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.io") != 0);
    /* Longer than 254 bytes in all. */
    char big[300];
    memset(big, 'a', sizeof(big));
    memcpy(big, "u@", 2);
    memcpy(big + 290, ".com", 4);
    CHECK(validate_email(big, 294) != 0);
    /* Truncated by len: "a@b.co" seen as "a@b." */
    CHECK(validate_email("a@b.co", 4) != 0);
}

/* validate_phone_e164 into a 17-byte buffer; returns the rc and the result in out. */
static int ut_phone(const char *in, char out[17])
{
    memset(out, 0x55, 17);
    return validate_phone_e164(in, strlen(in), out, 17);
}

static void phone_normalised(void)
{
    char out[17];
    CHECK_EQ_INT(ut_phone("+1-555-SALES-01", out), 0);
    CHECK_EQ_STR(out, "+15557253701");
    CHECK_EQ_INT(ut_phone("+44 (20) 7946 0958", out), 0);
    CHECK_EQ_STR(out, "+442079460958");
    CHECK_EQ_INT(ut_phone("+1.555.123.4567", out), 0);
    CHECK_EQ_STR(out, "+15551234567");
    CHECK_EQ_INT(ut_phone("+15551234567", out), 0);
    CHECK_EQ_STR(out, "+15551234567");
    CHECK_EQ_INT(ut_phone("+1 800 FLOWERS", out), 0);
    CHECK_EQ_STR(out, "+18003569377");
    CHECK_EQ_INT(ut_phone("+1 ABC DEF GHIJ", out), 0); /* every keypad key */
    CHECK_EQ_STR(out, "+12223334445");
    CHECK_EQ_INT(ut_phone("+1 KLM NOP QRST", out), 0);
    CHECK_EQ_STR(out, "+15566677778");
    CHECK_EQ_INT(ut_phone("+1 UVW XYZ 00", out), 0);
    CHECK_EQ_STR(out, "+188999900");
    /* 8 and 15 digits are the bounds; 15 digits fill the 17-byte buffer exactly. */
    CHECK_EQ_INT(ut_phone("+12345678", out), 0);
    CHECK_EQ_STR(out, "+12345678");
    CHECK_EQ_INT(ut_phone("+123456789012345", out), 0);
    CHECK_EQ_STR(out, "+123456789012345");
    CHECK_EQ_INT(ut_phone("+1 234-567-890-123-45", out), 0);
    CHECK_EQ_STR(out, "+123456789012345");
}

static void phone_rejected(void)
{
    char out[17];
    CHECK(ut_phone("15551234567", out) != 0);      /* no plus */
    CHECK(ut_phone("001 555 123 4567", out) != 0); /* no plus */
    CHECK(ut_phone("(555) 123-4567", out) != 0);
    CHECK(ut_phone("", out) != 0);
    CHECK(ut_phone("+", out) != 0);
    CHECK(ut_phone("+ - ()", out) != 0);
    CHECK(ut_phone("+1234567", out) != 0);          /* 7 digits */
    CHECK(ut_phone("+1234567890123456", out) != 0); /* 16 digits */
    CHECK(ut_phone("+12345678901234567890123", out) != 0);
    CHECK(ut_phone("+0123456789", out) != 0);  /* leading 0 */
    CHECK(ut_phone("+ 0123456789", out) != 0); /* leading 0 after a separator */
    CHECK(ut_phone("++15551234567", out) != 0);
    CHECK(ut_phone("+1555123456+7", out) != 0);
    CHECK(ut_phone("+1555#1234567", out) != 0);
    CHECK(ut_phone("+1555*1234567", out) != 0);
    CHECK(ut_phone("+1555_1234567", out) != 0);
    CHECK(ut_phone("+1555/1234567", out) != 0);
    CHECK(ut_phone("+1555\t1234567", out) != 0);
    CHECK(ut_phone("+1555\xc3\xa9" "1234567", out) != 0); /* letter outside A-Z */
    CHECK(ut_phone("+1555\xd0\x90" "1234567", out) != 0); /* Cyrillic A */
    CHECK(ut_phone("+1555[1234567", out) != 0);
    CHECK(ut_phone("+1555@1234567", out) != 0); /* the byte before 'A' */
    CHECK(ut_phone("+1555`1234567", out) != 0); /* the byte before 'a' */
    CHECK(ut_phone("+1555{1234567", out) != 0); /* the byte after 'z' */
    /* A NUL byte inside the given length. */
    CHECK(validate_phone_e164("+1555\0" "1234567", 13, out, sizeof(out)) != 0);
    /* A digit before the plus. */
    CHECK(ut_phone("1+5551234567", out) != 0);
}

static void phone_small_buffer(void)
{
    /* A buffer too small for the result is refused, and nothing is written past it. */
    char buf[24];
    memset(buf, 0x55, sizeof(buf));
    CHECK(validate_phone_e164("+123456789012345", 16, buf, 10) != 0);
    for (size_t i = 10; i < sizeof(buf); i++)
        CHECK_EQ_INT((unsigned char)buf[i], 0x55);
}

static void text_valid(void)
{
    CHECK_EQ_INT(validate_text("", 0), 0);
    CHECK_EQ_INT(UT_TEXT("plain ASCII \t\n\x01\x7f"), 0);
    CHECK_EQ_INT(UT_TEXT("caf\xc3\xa9"), 0);               /* 2 bytes */
    CHECK_EQ_INT(UT_TEXT("\xc2\x80"), 0);                  /* smallest 2-byte */
    CHECK_EQ_INT(UT_TEXT("\xe2\x82\xac"), 0);              /* euro, 3 bytes */
    CHECK_EQ_INT(UT_TEXT("\xe0\xa0\x80"), 0);              /* smallest 3-byte */
    CHECK_EQ_INT(UT_TEXT("\xed\x9f\xbf"), 0);              /* U+D7FF */
    CHECK_EQ_INT(UT_TEXT("\xee\x80\x80"), 0);              /* U+E000 */
    CHECK_EQ_INT(UT_TEXT("\xef\xbf\xbf"), 0);              /* U+FFFF */
    CHECK_EQ_INT(UT_TEXT("\xf0\x9f\x98\x80"), 0);          /* emoji, 4 bytes */
    CHECK_EQ_INT(UT_TEXT("hi \xf0\x9f\x91\x8b\xf0\x9f\x8f\xbd!"), 0);
    CHECK_EQ_INT(UT_TEXT("\xf0\x90\x80\x80"), 0);          /* smallest 4-byte */
    CHECK_EQ_INT(UT_TEXT("\xf4\x8f\xbf\xbf"), 0);          /* U+10FFFF */
    /* Only len bytes count. */
    CHECK_EQ_INT(validate_text("ok\xff", 2), 0);
}

static void text_invalid(void)
{
    CHECK(UT_TEXT("a\0b") != 0);                 /* NUL */
    CHECK(UT_TEXT("\0") != 0);
    CHECK(UT_TEXT("\xc0\x80") != 0);             /* overlong NUL */
    CHECK(UT_TEXT("\xc1\xbf") != 0);             /* overlong 2-byte */
    CHECK(UT_TEXT("\xe0\x80\x80") != 0);         /* overlong 3-byte */
    CHECK(UT_TEXT("\xe0\x9f\xbf") != 0);
    CHECK(UT_TEXT("\xf0\x80\x80\x80") != 0);     /* overlong 4-byte */
    CHECK(UT_TEXT("\xf0\x8f\xbf\xbf") != 0);
    CHECK(UT_TEXT("\xed\xa0\x80") != 0);         /* U+D800 */
    CHECK(UT_TEXT("\xed\xbf\xbf") != 0);         /* U+DFFF */
    CHECK(UT_TEXT("\xed\xa0\xbd\xed\xb8\x80") != 0); /* CESU-8 surrogate pair */
    CHECK(UT_TEXT("\xf4\x90\x80\x80") != 0);     /* U+110000 */
    CHECK(UT_TEXT("\xf5\x80\x80\x80") != 0);
    CHECK(UT_TEXT("\xf7\xbf\xbf\xbf") != 0);
    CHECK(UT_TEXT("\xf8\x88\x80\x80\x80") != 0); /* 5-byte form */
    CHECK(UT_TEXT("\xfc\x84\x80\x80\x80\x80") != 0);
    CHECK(UT_TEXT("\xfe") != 0);
    CHECK(UT_TEXT("\xff") != 0);
    CHECK(UT_TEXT("\x80") != 0);                 /* lone continuation */
    CHECK(UT_TEXT("a\xbf") != 0);
    CHECK(UT_TEXT("\xc3") != 0);                 /* truncated at end */
    CHECK(UT_TEXT("\xe2\x82") != 0);
    CHECK(UT_TEXT("\xf0\x9f\x98") != 0);
    CHECK(UT_TEXT("\xc3(") != 0);                /* bad continuation */
    CHECK(UT_TEXT("\xe2(\xa1") != 0);
    CHECK(UT_TEXT("\xf0\x9f(\x80") != 0);
    /* Sequence cut by len though memory continues validly. */
    CHECK(validate_text("\xc3\xa9", 1) != 0);
    CHECK(validate_text("\xf0\x9f\x98\x80", 3) != 0);
}

/* Coldcaller's numbers: an optional +, 8 to 16 digits, separators between them. */
static int ut_loose(const char *in, char out[18])
{
    memset(out, 0x55, 18);
    return validate_phone_loose(in, strlen(in), out, 18);
}

static void phone_loose(void)
{
    char out[18];
    CHECK_EQ_INT(ut_loose("(555) 123-4567", out), 0);
    CHECK_EQ_STR(out, "+5551234567");
    CHECK_EQ_INT(ut_loose("+1 555.123.4567", out), 0);
    CHECK_EQ_STR(out, "+15551234567");
    CHECK_EQ_INT(ut_loose("12345678", out), 0);
    CHECK_EQ_INT(ut_loose("+1234567890123456", out), 0); /* 16 digits fill 18 bytes */
    CHECK_EQ_STR(out, "+1234567890123456");
    CHECK(ut_loose("1234567", out) != 0);            /* 7 digits */
    CHECK(ut_loose("12345678901234567", out) != 0);  /* 17 digits */
    CHECK(ut_loose("123-abc-45678", out) != 0);
    CHECK(ut_loose("++12345678", out) != 0);
    CHECK(ut_loose("1234+5678", out) != 0);
    CHECK(ut_loose("", out) != 0);
    CHECK(ut_loose("+", out) != 0);
    CHECK(validate_phone_loose("12345678", 8, out, 17) != 0); /* buffer too small */
}

const struct ut_case ut_validate_cases[] = {
    {"phone_loose", phone_loose},
    {"email_good", email_good},
    {"email_bad", email_bad},
    {"phone_normalised", phone_normalised},
    {"phone_rejected", phone_rejected},
    {"phone_small_buffer", phone_small_buffer},
    {"text_valid", text_valid},
    {"text_invalid", text_invalid},
    {NULL, NULL},
};
