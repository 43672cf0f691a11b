/* mention.h: which addresses a text mentions. */
#include "mention.h"
#include "unit.h"

static size_t ut_scan(const char *text, char out[][MENTION_ADDR_MAX + 1])
{
    return mention_scan(text, out, MENTION_MAX);
}

static void mention_addresses(void)
{
    char out[MENTION_MAX][MENTION_ADDR_MAX + 1];
    CHECK_EQ_INT(ut_scan("@Jane.Doe@Example.com can you call back?", out), 1);
    CHECK_EQ_STR(out[0], "jane.doe@example.com");
    CHECK_EQ_INT(ut_scan("cc @a@x.io, @b@y.io. and (@c@z.io)", out), 3);
    CHECK_EQ_STR(out[0], "a@x.io");
    CHECK_EQ_STR(out[1], "b@y.io");
    CHECK_EQ_STR(out[2], "c@z.io");
    /* Once each, whatever the case. */
    CHECK_EQ_INT(ut_scan("@a@x.io @A@X.IO", out), 1);
}

static void mention_not_addresses(void)
{
    char out[MENTION_MAX][MENTION_ADDR_MAX + 1];
    /* A plain address, a handle, a lone @, an address with two @s. */
    CHECK_EQ_INT(ut_scan("mail jane@example.com", out), 0);
    CHECK_EQ_INT(ut_scan("@jane please", out), 0);
    CHECK_EQ_INT(ut_scan("@ @@ a@@b.c", out), 0);
    CHECK_EQ_INT(ut_scan("", out), 0);
}

static void mention_at_most(void)
{
    char out[2][MENTION_ADDR_MAX + 1];
    CHECK_EQ_INT(mention_scan("@a@x.io @b@x.io @c@x.io", out, 2), 2);
}

const struct ut_case ut_mention_cases[] = {
    {"addresses", mention_addresses},
    {"not_addresses", mention_not_addresses},
    {"at_most", mention_at_most},
    {NULL, NULL},
};
