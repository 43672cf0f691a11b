/* crypto.h: digests, hex, constant-time compare, ids and random tokens. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "crypto.h"
#include "unit.h"

static void sha256_known(void)
{
    char out[65];
    crypto_sha256_hex("abc", 3, out);
    CHECK_EQ_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    crypto_sha256_hex("", 0, out);
    CHECK_EQ_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    crypto_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, out);
    CHECK_EQ_STR(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Binary data with a NUL: n counts. */
    char a[65], b[65];
    crypto_sha256_hex("a\0b", 3, a);
    crypto_sha256_hex("a", 1, b);
    CHECK(strcmp(a, b) != 0);
    CHECK_EQ_INT(strlen(a), 64);
}

static void hex(void)
{
    const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[13];
    memset(out, 'x', sizeof(out));
    crypto_hex(in, sizeof(in), out);
    CHECK_EQ_STR(out, "00017f80abff");
    out[0] = 'x';
    crypto_hex(in, 0, out);
    CHECK_EQ_STR(out, "");
}

static void equal(void)
{
    CHECK(crypto_equal("abcdef", "abcdef", 6));
    CHECK(!crypto_equal("abcdef", "abcdeg", 6));
    CHECK(!crypto_equal("bbcdef", "abcdef", 6));
    CHECK(crypto_equal("abcdef", "abcxyz", 3));
    CHECK(crypto_equal("a", "b", 0));
    CHECK(!crypto_equal("a\0b", "a\0c", 3));
}

static void random_bytes(void)
{
    unsigned char a[32], b[32];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    CHECK_EQ_INT(crypto_random(a, sizeof(a)), 0);
    CHECK_EQ_INT(crypto_random(b, sizeof(b)), 0);
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    CHECK_EQ_INT(crypto_random(a, 0), 0);
}

static int ut_is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int ut_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void ids(void)
{
    struct arena *a = arena_create(8192);
    REQUIRE(a != NULL);
    enum { N = 1000 };
    char **v = calloc(N, sizeof(*v));
    if (v == NULL) {
        arena_destroy(a);
        REQUIRE(v != NULL);
    }
    unsigned long long now_ms = (unsigned long long)time(NULL) * 1000ull;
    for (int i = 0; i < N; i++) {
        v[i] = id_new(a, "dept_");
        if (v[i] == NULL) {
            ut_fail(__FILE__, __LINE__, "id_new returned NULL");
            break;
        }
        if (strlen(v[i]) != 5 + 12 + 8 || strncmp(v[i], "dept_", 5) != 0 ||
            !ut_is_lower_hex(v[i] + 5, 20)) {
            ut_fail(__FILE__, __LINE__, "bad id \"%s\"", v[i]);
            break;
        }
        /* Ids sort by creation: the time part never goes back. */
        if (i > 0 && v[i - 1] != NULL && strncmp(v[i - 1] + 5, v[i] + 5, 12) > 0)
            ut_fail(__FILE__, __LINE__, "id %s sorts before the earlier %s", v[i], v[i - 1]);
    }
    if (v[0] != NULL) {
        char part[13];
        memcpy(part, v[0] + 5, 12);
        part[12] = '\0';
        unsigned long long ms = strtoull(part, NULL, 16);
        CHECK(ms + 60000 > now_ms && ms < now_ms + 60000);
    }
    int complete = 1;
    for (int i = 0; i < N; i++)
        complete &= v[i] != NULL;
    if (complete) {
        qsort(v, N, sizeof(*v), ut_cmp);
        for (int i = 1; i < N; i++)
            if (strcmp(v[i - 1], v[i]) == 0)
                ut_fail(__FILE__, __LINE__, "duplicate id %s", v[i]);
    }
    free(v);

    char *e = id_new(a, "");
    CHECK(e != NULL && strlen(e) == 20 && ut_is_lower_hex(e, 20));
    char *u = id_new(a, "usr_");
    CHECK(u != NULL && strncmp(u, "usr_", 4) == 0 && strlen(u) == 24);
    arena_destroy(a);
}

static int ut_is_b64url(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return 0;
    return 1;
}

static void random_token(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    char *t1 = crypto_random_token(a, 32);
    char *t2 = crypto_random_token(a, 32);
    CHECK(t1 != NULL && t2 != NULL);
    if (t1 != NULL && t2 != NULL) {
        CHECK_EQ_INT(strlen(t1), 43);
        CHECK(ut_is_b64url(t1));
        CHECK(ut_is_b64url(t2));
        CHECK(strcmp(t1, t2) != 0);
    }
    /* ceil(4n/3) characters, no padding, for every size up to 64. */
    for (size_t n = 0; n <= 64; n++) {
        char *t = crypto_random_token(a, n);
        if (t == NULL || strlen(t) != (n * 4 + 2) / 3 || !ut_is_b64url(t))
            ut_fail(__FILE__, __LINE__, "crypto_random_token(%zu) = \"%s\"", n,
                    t ? t : "(null)");
    }
    CHECK_NULL(crypto_random_token(a, 65));
    /* Over many tokens every alphabet character shows up (the mapping covers 64). */
    int seen[128] = {0};
    for (int i = 0; i < 200; i++) {
        char *t = crypto_random_token(a, 48);
        for (; t != NULL && *t; t++)
            seen[(unsigned char)*t & 127] = 1;
    }
    int count = 0;
    for (int i = 0; i < 128; i++)
        count += seen[i];
    CHECK_EQ_INT(count, 64);
    arena_destroy(a);
}

static void seal_open(void)
{
    static const unsigned char master[32] = "0123456789abcdef0123456789abcde";
    static const char secret[] = "twilio-auth-token-0123456789";
    size_t n = sizeof(secret) - 1;
    unsigned char sealed[sizeof(secret) + CRYPTO_SEAL_OVERHEAD], plain[sizeof(secret)];
    REQUIRE(crypto_seal(master, 32, "twilio", secret, n, sealed) == 0);
    CHECK(memcmp(sealed + 12, secret, n) != 0); /* not in the clear */
    CHECK_EQ_INT(crypto_open(master, 32, "twilio", sealed, n + CRYPTO_SEAL_OVERHEAD, plain), 0);
    CHECK_EQ_MEM(plain, n, secret, n);
    /* Another purpose, a changed byte, a changed tag or a short text: refused. */
    CHECK_EQ_INT(crypto_open(master, 32, "other", sealed, n + CRYPTO_SEAL_OVERHEAD, plain), -1);
    sealed[14] ^= 1;
    CHECK_EQ_INT(crypto_open(master, 32, "twilio", sealed, n + CRYPTO_SEAL_OVERHEAD, plain), -1);
    sealed[14] ^= 1;
    sealed[n + CRYPTO_SEAL_OVERHEAD - 1] ^= 0x80;
    CHECK_EQ_INT(crypto_open(master, 32, "twilio", sealed, n + CRYPTO_SEAL_OVERHEAD, plain), -1);
    sealed[n + CRYPTO_SEAL_OVERHEAD - 1] ^= 0x80;
    CHECK_EQ_INT(crypto_open(master, 32, "twilio", sealed, CRYPTO_SEAL_OVERHEAD - 1, plain), -1);
    /* Two seals of one text differ (fresh nonce). */
    unsigned char again[sizeof(sealed)];
    REQUIRE(crypto_seal(master, 32, "twilio", secret, n, again) == 0);
    CHECK(memcmp(again, sealed, sizeof(sealed)) != 0);
}

static void b64url(void)
{
    char out[32];
    unsigned char back[32];
    CHECK_EQ_INT(crypto_b64url_encode((const unsigned char *)"\xfb\xff", 2, out), 3);
    CHECK_EQ_STR(out, "-_8");
    CHECK_EQ_INT(crypto_b64url_encode((const unsigned char *)"", 0, out), 0);
    CHECK_EQ_INT(crypto_b64url_decode("-_8", 3, back, sizeof(back)), 2);
    CHECK(back[0] == 0xfb && back[1] == 0xff);
    CHECK_EQ_INT(crypto_b64url_decode("a+b", 3, back, sizeof(back)), -1);
    CHECK_EQ_INT(crypto_b64url_decode("AAAA", 4, back, 2), -1); /* 3 bytes into 2 */
    CHECK_EQ_INT(crypto_b64url_digit('_'), 63);
    CHECK_EQ_INT(crypto_b64url_digit('\0'), -1);
}

const struct ut_case ut_crypto_cases[] = {
    {"seal_open", seal_open},
    {"b64url", b64url},
    {"sha256_known", sha256_known},
    {"hex", hex},
    {"equal", equal},
    {"random_bytes", random_bytes},
    {"ids", ids},
    {"random_token", random_token},
    {NULL, NULL},
};
