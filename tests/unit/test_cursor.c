/* cursor.h: per-tenant encrypted event positions. */
#include <string.h>

#include "cursor.h"
#include "unit.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static void round_trip(void)
{
    struct cursor_cipher *cc = cursor_cipher_new(key, sizeof(key), "ten_a");
    CHECK(cc != NULL);
    if (cc == NULL)
        return;
    const unsigned long long cases[] = {0, 1, 2, 255, 256, 1000000007ULL, 9223372036854775807ULL};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[CURSOR_TEXT_LEN + 1];
        unsigned long long back = 12345;
        CHECK_EQ_INT(cursor_encode(cc, cases[i], text), 0);
        CHECK_EQ_INT(strlen(text), cases[i] == 0 ? 1 : CURSOR_TEXT_LEN);
        CHECK(cursor_well_formed(text));
        CHECK_EQ_INT(cursor_decode(cc, text, &back), 0);
        CHECK(back == cases[i]);
    }
    cursor_cipher_free(cc);
}

static void reveals_no_order(void)
{
    struct cursor_cipher *cc = cursor_cipher_new(key, sizeof(key), "ten_a");
    CHECK(cc != NULL);
    if (cc == NULL)
        return;
    char a[CURSOR_TEXT_LEN + 1], b[CURSOR_TEXT_LEN + 1];
    CHECK_EQ_INT(cursor_encode(cc, 41, a), 0);
    CHECK_EQ_INT(cursor_encode(cc, 42, b), 0);
    /* Neighbouring positions share no visible structure: many digits differ. */
    int same = 0;
    for (int i = 0; i < CURSOR_TEXT_LEN; i++)
        same += a[i] == b[i];
    CHECK(same < 8);
    cursor_cipher_free(cc);
}

static void fresh_cursors_differ(void)
{
    struct cursor_cipher *cc = cursor_cipher_new(key, sizeof(key), "ten_a");
    CHECK(cc != NULL);
    if (cc == NULL)
        return;
    char a[CURSOR_TEXT_LEN + 1], b[CURSOR_TEXT_LEN + 1], c[CURSOR_TEXT_LEN + 1];
    unsigned long long pa = 0, pb = 0;
    CHECK_EQ_INT(cursor_encode_fresh(cc, 1234, a), 0);
    CHECK_EQ_INT(cursor_encode_fresh(cc, 1234, b), 0);
    CHECK_EQ_INT(cursor_encode(cc, 1234, c), 0);
    CHECK(strcmp(a, b) != 0 && strcmp(a, c) != 0);
    CHECK_EQ_INT(cursor_decode(cc, a, &pa), 0);
    CHECK_EQ_INT(cursor_decode(cc, b, &pb), 0);
    CHECK(pa == 1234 && pb == 1234);
    /* The start too: sealed, never the plain "0" that names it. */
    CHECK_EQ_INT(cursor_encode_fresh(cc, 0, a), 0);
    CHECK(strcmp(a, "0") != 0);
    CHECK_EQ_INT(cursor_decode(cc, a, &pa), 0);
    CHECK(pa == 0);
    /* An event's id is the same every time. */
    CHECK_EQ_INT(cursor_encode(cc, 1234, a), 0);
    CHECK_EQ_STR(a, c);
    cursor_cipher_free(cc);
}

static void other_tenant_refused(void)
{
    struct cursor_cipher *a = cursor_cipher_new(key, sizeof(key), "ten_a");
    struct cursor_cipher *b = cursor_cipher_new(key, sizeof(key), "ten_b");
    CHECK(a != NULL && b != NULL);
    if (a != NULL && b != NULL) {
        char text[CURSOR_TEXT_LEN + 1], other[CURSOR_TEXT_LEN + 1];
        unsigned long long pos = 0;
        CHECK_EQ_INT(cursor_encode(a, 77, text), 0);
        CHECK_EQ_INT(cursor_encode(b, 77, other), 0);
        CHECK(strcmp(text, other) != 0);
        CHECK_EQ_INT(cursor_decode(b, text, &pos), -1);
        CHECK_EQ_INT(cursor_decode(a, other, &pos), -1);
    }
    cursor_cipher_free(a);
    cursor_cipher_free(b);
}

static void malformed(void)
{
    struct cursor_cipher *cc = cursor_cipher_new(key, sizeof(key), "ten_a");
    CHECK(cc != NULL);
    if (cc == NULL)
        return;
    unsigned long long pos = 99;
    CHECK_EQ_INT(cursor_decode(cc, "0", &pos), 0);
    CHECK(pos == 0);
    const char *bad[] = {"", "1", "00", "123", "abc", "AAAAAAAAAAAAAAAAAAAAA",
                         "AAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAA+A",
                         "AAAAAAAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(cursor_decode(cc, bad[i], &pos), -1);
    /* A flipped digit of a real cursor no longer decodes. */
    char text[CURSOR_TEXT_LEN + 1];
    CHECK_EQ_INT(cursor_encode(cc, 5, text), 0);
    text[3] = text[3] == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(cursor_decode(cc, text, &pos), -1);
    cursor_cipher_free(cc);
}

const struct ut_case ut_cursor_cases[] = {
    {"round_trip", round_trip},
    {"reveals_no_order", reveals_no_order},
    {"fresh_cursors_differ", fresh_cursors_differ},
    {"other_tenant_refused", other_tenant_refused},
    {"malformed", malformed},
    {NULL, NULL},
};
