/* request_io.h: url_decode() and path_fold_v1(). */
#include <string.h>

#include "arena.h"
#include "httputil.h"
#include "unit.h"

static struct arena *ut_a;

/* url_decode of the whole literal. */
static const char *ut_dec(const char *s, int plus_space)
{
    return url_decode(ut_a, s, strlen(s), plus_space);
}

static void url_decode_percent(void)
{
    ut_a = arena_create(4096);
    REQUIRE(ut_a != NULL);
    CHECK_EQ_STR(ut_dec("", 0), "");
    CHECK_EQ_STR(ut_dec("plain", 0), "plain");
    CHECK_EQ_STR(ut_dec("a%20b", 0), "a b");
    CHECK_EQ_STR(ut_dec("%41%42%43", 0), "ABC");
    CHECK_EQ_STR(ut_dec("%4a%4A%6b", 0), "JJk");
    CHECK_EQ_STR(ut_dec("%2F%2f", 0), "//");
    CHECK_EQ_STR(ut_dec("caf%C3%A9", 0), "caf\xc3\xa9");
    CHECK_EQ_STR(ut_dec("%25", 0), "%");
    CHECK_EQ_STR(ut_dec("%2541", 0), "%41"); /* decoded once only */
    CHECK_EQ_STR(ut_dec("%41", 0), "A");     /* escape at the very end */
    CHECK_EQ_STR(ut_dec("x%41", 0), "xA");
    /* Only len bytes are read. */
    CHECK_EQ_STR(url_decode(ut_a, "%41%42", 3, 0), "A");
    CHECK_EQ_STR(url_decode(ut_a, "%4142", 2, 0), "%4");
    CHECK_EQ_STR(url_decode(ut_a, "ab%", 2, 0), "ab");
    arena_destroy(ut_a);
    ut_a = NULL;
}

static void url_decode_plus(void)
{
    ut_a = arena_create(4096);
    REQUIRE(ut_a != NULL);
    CHECK_EQ_STR(ut_dec("a+b", 0), "a+b");
    CHECK_EQ_STR(ut_dec("a+b", 1), "a b");
    CHECK_EQ_STR(ut_dec("++", 1), "  ");
    CHECK_EQ_STR(ut_dec("%2B", 1), "+");
    CHECK_EQ_STR(ut_dec("%2b+%20", 1), "+  ");
    CHECK_EQ_STR(ut_dec("%2B", 0), "+");
    arena_destroy(ut_a);
    ut_a = NULL;
}

static void url_decode_malformed(void)
{
    ut_a = arena_create(4096);
    REQUIRE(ut_a != NULL);
    CHECK_EQ_STR(ut_dec("%", 0), "%");
    CHECK_EQ_STR(ut_dec("%4", 0), "%4");
    CHECK_EQ_STR(ut_dec("100%", 0), "100%");
    CHECK_EQ_STR(ut_dec("%zz", 0), "%zz");
    CHECK_EQ_STR(ut_dec("%4g", 0), "%4g");
    CHECK_EQ_STR(ut_dec("%g4", 0), "%g4");
    CHECK_EQ_STR(ut_dec("%%41", 0), "%A");
    CHECK_EQ_STR(ut_dec("%-1", 0), "%-1");
    CHECK_EQ_STR(ut_dec("% 41", 1), "% 41");
    CHECK_EQ_STR(ut_dec("a%2", 1), "a%2");
    CHECK_EQ_STR(ut_dec("%+4", 1), "% 4");
    arena_destroy(ut_a);
    ut_a = NULL;
}

static void path_fold(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    CHECK_EQ_STR(path_fold_v1(a, "/api/v1/departments"), "/api/departments");
    CHECK_EQ_STR(path_fold_v1(a, "/api/v1/users/usr_1/role"), "/api/users/usr_1/role");
    CHECK_EQ_STR(path_fold_v1(a, "/api/v1"), "/api");
    CHECK_EQ_STR(path_fold_v1(a, "/api/v1/"), "/api/");
    CHECK_EQ_STR(path_fold_v1(a, "/api/v1/v1/x"), "/api/v1/x"); /* once */

    const char *same[] = {"/api/v10/x", "/api/v1x", "/api/v2/departments", "/api/departments",
                          "/v1/api", "/API/v1/x", "/api/V1/x", "/apiv1/x", "/health", "/", ""};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        const char *got = path_fold_v1(a, same[i]);
        if (got != same[i])
            ut_fail(__FILE__, __LINE__, "path_fold_v1(\"%s\") = \"%s\", expected it unchanged",
                    same[i], got ? got : "(null)");
    }
    arena_destroy(a);
}

const struct ut_case ut_request_cases[] = {
    {"url_decode_percent", url_decode_percent},
    {"url_decode_plus", url_decode_plus},
    {"url_decode_malformed", url_decode_malformed},
    {"path_fold", path_fold},
    {NULL, NULL},
};
