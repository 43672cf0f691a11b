/* src/routes/webhooks.c: Twilio request signatures; src/core/crypto.c: sealed secrets. */
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "request.h"
#include "routes.h"
#include "unit.h"

/* Twilio's worked example ("Webhooks security" guide). */
static const char *const vector_url = "https://mycompany.com/myapp.php?foo=1&bar=2";
static const struct query_pair vector_params[] = {
    /* out of order on purpose: the signature sorts them */
    {"To", "+18005551212"},   {"CallSid", "CA1234567890ABCDE"}, {"Digits", "1234"},
    {"From", "+12349013030"}, {"Caller", "+12349013030"},
};
#define NPARAMS (sizeof(vector_params) / sizeof(vector_params[0]))

static void twilio_published_vector(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    char *sig = twilio_signature(a, "12345", vector_url, vector_params, NPARAMS);
    CHECK_EQ_STR(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    arena_destroy(a);
}

static void twilio_tampered_inputs_differ(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    struct query_pair p[NPARAMS];
    memcpy(p, vector_params, sizeof(p));
    p[2].value = "9999"; /* Digits */
    CHECK(strcmp(twilio_signature(a, "12345", vector_url, p, NPARAMS),
                 "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") != 0);
    CHECK(strcmp(twilio_signature(a, "54321", vector_url, vector_params, NPARAMS),
                 "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") != 0);
    CHECK(strcmp(twilio_signature(a, "12345", "https://mycompany.com/myapp.php", vector_params,
                                  NPARAMS),
                 "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") != 0);
    /* A parameter dropped changes it too. */
    CHECK(strcmp(twilio_signature(a, "12345", vector_url, vector_params, NPARAMS - 1),
                 "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") != 0);
    arena_destroy(a);
}

static void seal_round_trip(void)
{
    static const unsigned char master[32] = "0123456789abcdef0123456789abcdef";
    const char *secret = "0123456789abcdef0123456789abcdef";
    unsigned char sealed[32 + CRYPTO_SEAL_OVERHEAD], sealed2[sizeof(sealed)];
    char plain[33];
    REQUIRE(crypto_seal(master, 32, "twilio-auth-token", secret, 32, sealed) == 0);
    REQUIRE(crypto_seal(master, 32, "twilio-auth-token", secret, 32, sealed2) == 0);
    CHECK(memcmp(sealed, sealed2, sizeof(sealed)) != 0); /* fresh nonce each time */
    CHECK(memmem(sealed, sizeof(sealed), secret, 8) == NULL);
    memset(plain, 0, sizeof(plain));
    CHECK_EQ_INT(crypto_open(master, 32, "twilio-auth-token", sealed, sizeof(sealed),
                             (unsigned char *)plain),
                 0);
    CHECK_EQ_STR(plain, secret);
    CHECK_EQ_INT(crypto_open(master, 32, "other-purpose", sealed, sizeof(sealed),
                             (unsigned char *)plain),
                 -1);
    sealed[20] ^= 1;
    CHECK_EQ_INT(crypto_open(master, 32, "twilio-auth-token", sealed, sizeof(sealed),
                             (unsigned char *)plain),
                 -1);
    CHECK_EQ_INT(crypto_open(master, 32, "twilio-auth-token", sealed, 10,
                             (unsigned char *)plain),
                 -1);
}

static void base64_known(void)
{
    struct arena *a = arena_create(1024);
    REQUIRE(a != NULL);
    CHECK_EQ_STR(crypto_base64(a, (const unsigned char *)"", 0), "");
    CHECK_EQ_STR(crypto_base64(a, (const unsigned char *)"f", 1), "Zg==");
    CHECK_EQ_STR(crypto_base64(a, (const unsigned char *)"foobar", 6), "Zm9vYmFy");
    arena_destroy(a);
}

const struct ut_case ut_webhooks_cases[] = {
    {"twilio_published_vector", twilio_published_vector},
    {"twilio_tampered_inputs_differ", twilio_tampered_inputs_differ},
    {"seal_round_trip", seal_round_trip},
    {"base64_known", base64_known},
    {NULL, NULL},
};
