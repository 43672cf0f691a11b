/* password.h: argon2id hashing and verification. Each hash/verify costs ~20-100 ms. */
#include <string.h>
#include <time.h>

#include "password.h"
#include "unit.h"

#define UT_PW "correct horse battery staple"

static void hash_then_verify(void)
{
    char h[PASSWORD_HASH_MAX];
    memset(h, 0, sizeof(h));
    REQUIRE(password_hash(UT_PW, strlen(UT_PW), h) == 0);
    CHECK(memchr(h, '\0', sizeof(h)) != NULL);
    CHECK(strncmp(h, "$argon2id$", 10) == 0);
    CHECK(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    CHECK(strstr(h, UT_PW) == NULL);
    CHECK_EQ_INT(password_verify(h, UT_PW, strlen(UT_PW)), 0);
    CHECK_EQ_INT(password_verify(h, "correct horse battery stapl", strlen(UT_PW) - 1), 1);
    CHECK_EQ_INT(password_verify(h, "Correct horse battery staple", strlen(UT_PW)), 1);
    CHECK_EQ_INT(password_verify(h, UT_PW "!", strlen(UT_PW) + 1), 1);
    CHECK_EQ_INT(password_verify(h, "", 0), 1);
    /* pw_len counts, not the NUL terminator. */
    CHECK_EQ_INT(password_verify(h, UT_PW "xyz", strlen(UT_PW)), 0);
}

static void binary_password(void)
{
    char h[PASSWORD_HASH_MAX];
    REQUIRE(password_hash("a\0b", 3, h) == 0);
    CHECK_EQ_INT(password_verify(h, "a\0b", 3), 0);
    CHECK_EQ_INT(password_verify(h, "a\0c", 3), 1);
    CHECK_EQ_INT(password_verify(h, "a", 1), 1);
}

static void salted(void)
{
    char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
    REQUIRE(password_hash(UT_PW, strlen(UT_PW), h1) == 0);
    REQUIRE(password_hash(UT_PW, strlen(UT_PW), h2) == 0);
    CHECK(strcmp(h1, h2) != 0);
    /* The salts (the field after the 4th $) differ, not only the digests. */
    const char *s1 = h1, *s2 = h2;
    for (int i = 0; i < 3 && s1 && s2; i++) {
        s1 = strchr(s1 + 1, '$');
        s2 = strchr(s2 + 1, '$');
    }
    REQUIRE(s1 != NULL && s2 != NULL);
    const char *e1 = strchr(s1 + 1, '$');
    CHECK(e1 != NULL && strncmp(s1, s2, (size_t)(e1 - s1)) != 0);
    CHECK_EQ_INT(password_verify(h2, UT_PW, strlen(UT_PW)), 0);
}

static void malformed_hash(void)
{
    char h[PASSWORD_HASH_MAX];
    REQUIRE(password_hash(UT_PW, strlen(UT_PW), h) == 0);
    CHECK_EQ_INT(password_verify(NULL, UT_PW, strlen(UT_PW)), -1);
    CHECK_EQ_INT(password_verify("", UT_PW, strlen(UT_PW)), -1);
    CHECK_EQ_INT(password_verify("$argon2id$", UT_PW, strlen(UT_PW)), -1);
    CHECK_EQ_INT(password_verify("$argon2id$garbage", UT_PW, strlen(UT_PW)), -1);
    CHECK_EQ_INT(password_verify("$argon2id$v=19$m=19456,t=2,p=1$!!!!$!!!!", UT_PW,
                                 strlen(UT_PW)),
                 -1);
    CHECK_EQ_INT(password_verify("$2b$12$abcdefghijklmnopqrstuuRmmrfWsiH5dq2Ra.Cw9Zo0aD3Yb2Xe",
                                 UT_PW, strlen(UT_PW)),
                 -1);
    CHECK_EQ_INT(password_verify(UT_PW, UT_PW, strlen(UT_PW)), -1);
    /* The same hash under argon2i / argon2d is not ours. */
    char other[PASSWORD_HASH_MAX + 8];
    strcpy(other, "$argon2i$");
    strcat(other, h + 10);
    CHECK_EQ_INT(password_verify(other, UT_PW, strlen(UT_PW)), -1);
    /* Truncated. */
    strcpy(other, h);
    other[strlen(other) / 2] = '\0';
    CHECK_EQ_INT(password_verify(other, UT_PW, strlen(UT_PW)), -1);
    /* A changed digest that still decodes is a mismatch, not an error. */
    strcpy(other, h);
    char *last = strrchr(other, '$');
    REQUIRE(last != NULL && last[1] != '\0');
    last[1] = last[1] == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(password_verify(other, UT_PW, strlen(UT_PW)), 1);
}

static double ut_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * password_verify_dummy must cost about a real verify (its hash must decode with the
 * same parameters), else a login for an unknown email answers measurably faster.
 */
static void dummy_costs_like_verify(void)
{
    char h[PASSWORD_HASH_MAX];
    REQUIRE(password_hash(UT_PW, strlen(UT_PW), h) == 0);
    double real = 1e9, dummy = 0;
    for (int i = 0; i < 2; i++) {
        double t0 = ut_now();
        (void)password_verify(h, "wrong password", 14);
        double t1 = ut_now();
        password_verify_dummy("wrong password", 14);
        double t2 = ut_now();
        if (t1 - t0 < real)
            real = t1 - t0;
        if (t2 - t1 > dummy)
            dummy = t2 - t1;
    }
    if (dummy < real / 4)
        ut_fail(__FILE__, __LINE__, "password_verify_dummy took %.2f ms, a verify %.2f ms",
                dummy * 1e3, real * 1e3);
}

const struct ut_case ut_password_cases[] = {
    {"hash_then_verify", hash_then_verify},
    {"binary_password", binary_password},
    {"salted", salted},
    {"malformed_hash", malformed_hash},
    {"dummy_costs_like_verify", dummy_costs_like_verify},
    {NULL, NULL},
};
