/* stamped.h: the stamp's rules, and this process's copies under the same rules. */
#include <string.h>

#include "arena.h"
#include "stamped.h"
#include "unit.h"

#define UT_V(lit) (lit), sizeof(lit) - 1

static void parse_rules(void)
{
    const char *p;
    size_t len;
    long long exp = 0;
    CHECK_EQ_INT(stamped_parse(UT_V("42 2000\n3\n[1,2,3]"), 42, 1000, &p, &len, &exp), 0);
    CHECK_EQ_MEM(p, len, "3\n[1,2,3]", 9);
    CHECK_EQ_INT(exp, 2000);
    /* Another generation, expired, or not a stamp: a miss. */
    CHECK_EQ_INT(stamped_parse(UT_V("41 2000\nx"), 42, 1000, &p, &len, NULL), 1);
    CHECK_EQ_INT(stamped_parse(UT_V("42 2000\nx"), 42, 2000, &p, &len, NULL), 1);
    CHECK_EQ_INT(stamped_parse(UT_V("42\nx"), 42, 1000, &p, &len, NULL), 1);
    CHECK_EQ_INT(stamped_parse(UT_V("42 \nx"), 42, 1000, &p, &len, NULL), 1);
    CHECK_EQ_INT(stamped_parse(UT_V("42 2000 x"), 42, 1000, &p, &len, NULL), 1);
    CHECK_EQ_INT(stamped_parse(UT_V("x 2000\nx"), 0, 1000, &p, &len, NULL), 1);
    CHECK_EQ_INT(stamped_parse(NULL, 0, 42, 1000, &p, &len, NULL), 1);
    /* An empty payload is a value. */
    CHECK_EQ_INT(stamped_parse(UT_V("7 2000\n"), 7, 1000, &p, &len, NULL), 0);
    CHECK_EQ_INT(len, 0);
}

static void copies_follow_the_generation(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    const char *p;
    size_t len;
    /* No memcached here (NULL): what is found is this process's copy. */
    stamped_put(NULL, a, "ut:stamped:list", 5, 60, "2\n[1,2]", 7);
    CHECK_EQ_INT(stamped_get(NULL, a, "ut:stamped:list", 5, &p, &len), 0);
    CHECK_EQ_MEM(p, len, "2\n[1,2]", 7);
    /* A moved generation (a write) makes the copy useless, in either direction. */
    CHECK_EQ_INT(stamped_get(NULL, a, "ut:stamped:list", 6, &p, &len), 1);
    CHECK_EQ_INT(stamped_get(NULL, a, "ut:stamped:list", 4, &p, &len), 1);
    CHECK_EQ_INT(stamped_get(NULL, a, "ut:stamped:other", 5, &p, &len), 1);
    /* A newer value replaces it. */
    stamped_put(NULL, a, "ut:stamped:list", 6, 60, "0\n[]", 4);
    CHECK_EQ_INT(stamped_get(NULL, a, "ut:stamped:list", 6, &p, &len), 0);
    CHECK_EQ_MEM(p, len, "0\n[]", 4);
    CHECK_EQ_INT(stamped_get(NULL, a, "ut:stamped:list", 5, &p, &len), 1);
    /* Expired copies are not used (ttl 0: expired at once). */
    stamped_put(NULL, a, "ut:stamped:ttl", 1, 0, "x", 1);
    CHECK_EQ_INT(stamped_get(NULL, a, "ut:stamped:ttl", 1, &p, &len), 1);
    arena_destroy(a);
}

const struct ut_case ut_stamped_cases[] = {
    {"parse_rules", parse_rules},
    {"copies_follow_the_generation", copies_follow_the_generation},
    {NULL, NULL},
};
