/*
 * token.h: jwt_sign_hs256 / jwt_verify_hs256. Hostile tokens are built by hand with
 * OpenSSL (HMAC, EVP_EncodeBlock turned into base64url without padding).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <json-c/json.h>

#include "crypto.h"
#include "token.h"
#include "unit.h"

#define UT_NOW 1700000000LL
#define UT_KEYLEN 32
static const unsigned char ut_key[] = "0123456789abcdef0123456789abcdef";
static const unsigned char ut_key2[] = "fedcba9876543210fedcba9876543210";
static const unsigned char ut_key_last[] = "0123456789abcdef0123456789abcdeF";
static const unsigned char ut_key33[] = "0123456789abcdef0123456789abcdef!";

static const char ut_hs256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* Base64url without padding, malloc'd (crypto.h's coder, checked on its own in
 * test_crypto.c; the tokens around it are still built here by hand). */
static char *ut_b64url(const void *in, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out != NULL)
        out[crypto_b64url_encode(in, n, out)] = '\0';
    return out;
}

/* Decodes base64url (no padding) of n chars; malloc'd, NUL-terminated, *outlen bytes. */
static char *ut_b64url_decode(const char *in, size_t n, size_t *outlen)
{
    char *out = malloc(n / 4 * 3 + 3);
    long len = out != NULL ? crypto_b64url_decode(in, n, (unsigned char *)out, n / 4 * 3 + 2) : -1;
    if (len < 0) {
        free(out);
        return NULL;
    }
    out[len] = '\0';
    *outlen = (size_t)len;
    return out;
}

/*
 * header.payload.signature with HMAC `md` over the first two parts; md NULL gives an
 * empty signature, with the trailing dot when `dot`. malloc'd.
 */
static char *ut_token(const char *header, const char *payload, const EVP_MD *md,
                      const unsigned char *key, size_t key_len, int dot)
{
    char *h = ut_b64url(header, strlen(header));
    char *p = ut_b64url(payload, strlen(payload));
    char *s = NULL, *out = NULL;
    if (h == NULL || p == NULL)
        goto done;
    size_t in_len = strlen(h) + 1 + strlen(p);
    char *input = malloc(in_len + 1);
    if (input == NULL)
        goto done;
    snprintf(input, in_len + 1, "%s.%s", h, p);
    if (md != NULL) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mac_len = 0;
        if (HMAC(md, key, (int)key_len, (const unsigned char *)input, in_len, mac, &mac_len) ==
            NULL) {
            free(input);
            goto done;
        }
        s = ut_b64url(mac, mac_len);
    } else {
        s = calloc(1, 1);
    }
    if (s != NULL) {
        size_t n = in_len + 2 + strlen(s);
        out = malloc(n);
        if (out != NULL)
            snprintf(out, n, "%s%s%s", input, (md != NULL || dot) ? "." : "", s);
    }
    free(input);
done:
    free(h);
    free(p);
    free(s);
    return out;
}

/*
 * The claims JSON: the seven standard claims (valid at UT_NOW) except `omit`, with
 * `key` given the raw JSON `raw` instead of its default (or added), then `extra`.
 */
static void ut_claims(char *buf, size_t size, const char *omit, const char *key, const char *raw,
                      const char *extra)
{
    char iat[32], exp[32];
    snprintf(iat, sizeof(iat), "%lld", UT_NOW);
    snprintf(exp, sizeof(exp), "%lld", UT_NOW + 900);
    const char *names[] = {"sub", "tenant_id", "role", "sid", "jti", "iat", "exp"};
    const char *vals[] = {"\"usr_1\"", "\"ten_1\"", "\"agent\"", "\"ses_1\"", "\"jti_1\"", iat,
                          exp};
    size_t o = (size_t)snprintf(buf, size, "{");
    int first = 1, used_key = 0;
    for (size_t i = 0; i < 7; i++) {
        if (omit != NULL && strcmp(omit, names[i]) == 0)
            continue;
        const char *v = vals[i];
        if (key != NULL && strcmp(key, names[i]) == 0) {
            v = raw;
            used_key = 1;
        }
        o += (size_t)snprintf(buf + o, size - o, "%s\"%s\":%s", first ? "" : ",", names[i], v);
        first = 0;
    }
    if (key != NULL && !used_key)
        o += (size_t)snprintf(buf + o, size - o, ",\"%s\":%s", key, raw);
    if (extra != NULL)
        o += (size_t)snprintf(buf + o, size - o, ",%s", extra);
    snprintf(buf + o, size - o, "}");
}

/* Verifies with ut_key at UT_NOW; on failure also checks that *out was cleared. */
static int ut_verify_at(const char *token, long long now, struct token_claims *out, int line)
{
    struct token_claims local;
    if (out == NULL)
        out = &local;
    memset(out, 'x', sizeof(*out));
    int rc = jwt_verify_hs256(token, ut_key, UT_KEYLEN, (time_t)now, out);
    if (rc != TOKEN_OK) {
        static const struct token_claims zero;
        if (memcmp(out, &zero, sizeof(zero)) != 0)
            ut_fail(__FILE__, line, "claims not cleared after rc %d", rc);
    }
    return rc;
}
#define UT_VERIFY(tok) ut_verify_at((tok), UT_NOW, NULL, __LINE__)

/* A hand-made HS256 token for the claims from ut_claims(...) verifies to `expect`. */
static void ut_check_payload(const char *payload, int expect, int line)
{
    char *tok = ut_token(ut_hs256, payload, EVP_sha256(), ut_key, UT_KEYLEN, 1);
    if (tok == NULL) {
        ut_fail(__FILE__, line, "could not build a token");
        return;
    }
    int rc = ut_verify_at(tok, UT_NOW, NULL, line);
    if (rc != expect)
        ut_fail(__FILE__, line, "payload %s: rc %d, expected %d", payload, rc, expect);
    free(tok);
}
#define UT_PAYLOAD(omit, key, raw, extra, expect)                                              \
    do {                                                                                       \
        char ut_buf_[1024];                                                                    \
        ut_claims(ut_buf_, sizeof(ut_buf_), omit, key, raw, extra);                            \
        ut_check_payload(ut_buf_, expect, __LINE__);                                           \
    } while (0)

static void ut_std_claims(struct token_claims *c)
{
    memset(c, 0, sizeof(*c));
    strcpy(c->sub, "usr_0001");
    strcpy(c->tenant_id, "ten_0001");
    strcpy(c->role, "manager");
    strcpy(c->sid, "ses_0001");
    strcpy(c->jti, "jti_0001");
    c->iat = UT_NOW;
    c->exp = UT_NOW + 900;
}

static void sign_verify_roundtrip(void)
{
    struct token_claims c, out;
    char *tok = NULL;
    ut_std_claims(&c);
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    REQUIRE(tok != NULL);
    CHECK_EQ_INT(ut_verify_at(tok, UT_NOW, &out, __LINE__), TOKEN_OK);
    CHECK_EQ_STR(out.sub, "usr_0001");
    CHECK_EQ_STR(out.tenant_id, "ten_0001");
    CHECK_EQ_STR(out.role, "manager");
    CHECK_EQ_STR(out.sid, "ses_0001");
    CHECK_EQ_STR(out.jti, "jti_0001");
    CHECK_EQ_INT(out.iat, UT_NOW);
    CHECK_EQ_INT(out.exp, UT_NOW + 900);
    /* Still valid just before expiry. */
    CHECK_EQ_INT(ut_verify_at(tok, UT_NOW + 899, NULL, __LINE__), TOKEN_OK);

    /* The header says HS256 and the payload carries every claim. */
    const char *d1 = strchr(tok, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    REQUIRE(d1 != NULL && d2 != NULL && strchr(d2 + 1, '.') == NULL);
    size_t n;
    char *hdr = ut_b64url_decode(tok, (size_t)(d1 - tok), &n);
    char *pl = ut_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &n);
    CHECK(hdr != NULL && strstr(hdr, "\"HS256\"") != NULL);
    struct json_object *claims = pl ? json_tokener_parse(pl) : NULL;
    CHECK(claims != NULL);
    const char *names[] = {"sub", "tenant_id", "role", "sid", "jti", "iat", "exp"};
    for (size_t i = 0; claims != NULL && i < 7; i++)
        if (!json_object_object_get_ex(claims, names[i], NULL))
            ut_fail(__FILE__, __LINE__, "signed payload lacks %s: %s", names[i], pl);
    json_object_put(claims);
    free(hdr);
    free(pl);
    free(tok);

    /* Claims with JSON-special characters and the longest ids survive. */
    ut_std_claims(&c);
    strcpy(c.sub, "u\"s\\r/\xc3\xa9");
    memset(c.jti, 'j', TOKEN_ID_MAX);
    c.jti[TOKEN_ID_MAX] = '\0';
    strcpy(c.role, "super_admin");
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    CHECK_EQ_INT(ut_verify_at(tok, UT_NOW, &out, __LINE__), TOKEN_OK);
    CHECK_EQ_STR(out.sub, c.sub);
    CHECK_EQ_STR(out.jti, c.jti);
    CHECK_EQ_STR(out.role, "super_admin");
    free(tok);
}

/* The builder itself: a hand-made HS256 token with the standard claims is accepted. */
static void handmade_control(void)
{
    UT_PAYLOAD(NULL, NULL, NULL, NULL, TOKEN_OK);
    UT_PAYLOAD(NULL, NULL, NULL, "\"extra\":[1,2]", TOKEN_OK);
    UT_PAYLOAD(NULL, "nbf", "1699999000", NULL, TOKEN_OK);
}

static void tampered_payload(void)
{
    struct token_claims c;
    char *tok = NULL;
    ut_std_claims(&c);
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    char *d1 = strchr(tok, '.');
    char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    REQUIRE(d1 != NULL && d2 != NULL);
    size_t n;
    char *pl = ut_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &n);
    REQUIRE(pl != NULL);
    char *role = strstr(pl, "manager");
    if (role == NULL) {
        free(pl);
        free(tok);
        REQUIRE(role != NULL);
    }
    memcpy(role, "admin\"", 6); /* "manager" -> "admin", same JSON shape */
    memmove(role + 6, role + 8, strlen(role + 8) + 1);
    char *pl2 = ut_b64url(pl, strlen(pl));
    REQUIRE(pl2 != NULL);
    size_t size = strlen(tok) + strlen(pl2) + 8;
    char *forged = malloc(size);
    REQUIRE(forged != NULL);
    snprintf(forged, size, "%.*s.%s%s", (int)(d1 - tok), tok, pl2, d2);
    CHECK(strcmp(forged, tok) != 0);
    CHECK_EQ_INT(UT_VERIFY(forged), TOKEN_MALFORMED);

    /* A single flipped payload character (still base64url). */
    strcpy(forged, tok);
    char *mid = forged + (d1 - tok) + 5;
    *mid = *mid == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(UT_VERIFY(forged), TOKEN_MALFORMED);
    /* Header altered (typ changed), same signature. */
    static const char h2json[] = "{\"alg\":\"HS256\",\"typ\":\"JWS\"}";
    char *h2 = ut_b64url(h2json, sizeof(h2json) - 1);
    REQUIRE(h2 != NULL);
    snprintf(forged, size, "%s%s", h2, d1);
    CHECK_EQ_INT(UT_VERIFY(forged), TOKEN_MALFORMED);
    free(h2);
    free(forged);
    free(pl2);
    free(pl);
    free(tok);
}

static void tampered_signature(void)
{
    struct token_claims c;
    char *tok = NULL;
    ut_std_claims(&c);
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    char *sig = strrchr(tok, '.');
    REQUIRE(sig != NULL && strlen(sig + 1) == 43);
    sig++;
    size_t len = strlen(tok);
    char *t = malloc(len + 8);
    REQUIRE(t != NULL);

    strcpy(t, tok);
    t[sig - tok] = sig[0] == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(UT_VERIFY(t), TOKEN_MALFORMED);
    strcpy(t, tok);
    t[sig - tok + 20] = sig[20] == 'x' ? 'y' : 'x';
    CHECK_EQ_INT(UT_VERIFY(t), TOKEN_MALFORMED);
    strcpy(t, tok);
    t[len - 1] = '\0'; /* truncated signature */
    CHECK_EQ_INT(UT_VERIFY(t), TOKEN_MALFORMED);
    strcpy(t, tok);
    t[sig - tok] = '\0'; /* "header.payload." */
    CHECK_EQ_INT(UT_VERIFY(t), TOKEN_MALFORMED);
    t[sig - tok - 1] = '\0'; /* "header.payload" */
    CHECK_EQ_INT(UT_VERIFY(t), TOKEN_MALFORMED);
    snprintf(t, len + 8, "%sAA", tok); /* longer signature */
    CHECK_EQ_INT(UT_VERIFY(t), TOKEN_MALFORMED);
    snprintf(t, len + 8, "%s.x", tok); /* a fourth part */
    CHECK_EQ_INT(UT_VERIFY(t), TOKEN_MALFORMED);
    free(t);
    free(tok);
}

static void alg_none_rejected(void)
{
    char pl[1024];
    ut_claims(pl, sizeof(pl), NULL, NULL, NULL, NULL);
    const char *headers[] = {"{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"alg\":\"none\"}",
                             "{\"alg\":\"None\",\"typ\":\"JWT\"}", "{\"alg\":\"NONE\"}",
                             "{\"typ\":\"JWT\"}", "{\"alg\":\"\"}", "{\"alg\":null}"};
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        for (int dot = 0; dot <= 1; dot++) {
            char *tok = ut_token(headers[i], pl, NULL, NULL, 0, dot);
            REQUIRE(tok != NULL);
            int rc = UT_VERIFY(tok);
            if (rc != TOKEN_MALFORMED)
                ut_fail(__FILE__, __LINE__, "header %s%s: rc %d, expected %d", headers[i],
                        dot ? " (trailing dot)" : "", rc, TOKEN_MALFORMED);
            free(tok);
        }
        /* Same header with a real HS256 MAC on it. */
        char *tok = ut_token(headers[i], pl, EVP_sha256(), ut_key, UT_KEYLEN, 1);
        REQUIRE(tok != NULL);
        int rc = UT_VERIFY(tok);
        if (rc != TOKEN_MALFORMED)
            ut_fail(__FILE__, __LINE__, "header %s with HS256 MAC: rc %d, expected %d",
                    headers[i], rc, TOKEN_MALFORMED);
        free(tok);
    }
}

static void other_algs_rejected(void)
{
    char pl[1024];
    ut_claims(pl, sizeof(pl), NULL, NULL, NULL, NULL);
    char *tok = ut_token("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", pl, EVP_sha384(), ut_key,
                         UT_KEYLEN, 1);
    REQUIRE(tok != NULL);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_MALFORMED);
    free(tok);
    tok = ut_token("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", pl, EVP_sha512(), ut_key, UT_KEYLEN,
                   1);
    REQUIRE(tok != NULL);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_MALFORMED);
    free(tok);
    /* RS256 / ES256 headers, with an HMAC made from the shared key (key confusion). */
    tok = ut_token("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", pl, EVP_sha256(), ut_key, UT_KEYLEN,
                   1);
    REQUIRE(tok != NULL);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_MALFORMED);
    free(tok);
    tok = ut_token("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", pl, EVP_sha256(), ut_key, UT_KEYLEN,
                   1);
    REQUIRE(tok != NULL);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_MALFORMED);
    free(tok);
    /* A header that is not JSON. */
    tok = ut_token("not json", pl, EVP_sha256(), ut_key, UT_KEYLEN, 1);
    REQUIRE(tok != NULL);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_MALFORMED);
    free(tok);
}

static void expired(void)
{
    struct token_claims c;
    char *tok = NULL;
    ut_std_claims(&c);
    c.exp = UT_NOW;
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_EXPIRED);
    free(tok);

    ut_std_claims(&c);
    c.iat = UT_NOW - 1000;
    c.exp = UT_NOW - 1;
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_EXPIRED);
    free(tok);

    ut_std_claims(&c);
    c.exp = UT_NOW + 1;
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_OK);
    /* The same token once time has passed. */
    CHECK_EQ_INT(ut_verify_at(tok, UT_NOW + 1, NULL, __LINE__), TOKEN_EXPIRED);
    CHECK_EQ_INT(ut_verify_at(tok, UT_NOW + 100000, NULL, __LINE__), TOKEN_EXPIRED);
    free(tok);

    UT_PAYLOAD(NULL, "exp", "0", NULL, TOKEN_EXPIRED);
    UT_PAYLOAD(NULL, "exp", "-1", NULL, TOKEN_EXPIRED);
}

static void not_yet_valid(void)
{
    struct token_claims c;
    char *tok = NULL;
    ut_std_claims(&c);
    c.iat = UT_NOW + 3600;
    c.exp = UT_NOW + 7200;
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_NOT_YET_VALID);
    free(tok);

    /* iat within the leeway is fine, one second beyond is not. */
    ut_std_claims(&c);
    c.iat = UT_NOW + TOKEN_LEEWAY;
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_OK);
    free(tok);
    ut_std_claims(&c);
    c.iat = UT_NOW + TOKEN_LEEWAY + 1;
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_NOT_YET_VALID);
    free(tok);

    char v[32];
    snprintf(v, sizeof(v), "%lld", UT_NOW + 3600);
    UT_PAYLOAD(NULL, "nbf", v, NULL, TOKEN_NOT_YET_VALID);
    snprintf(v, sizeof(v), "%lld", UT_NOW + TOKEN_LEEWAY + 1);
    UT_PAYLOAD(NULL, "nbf", v, NULL, TOKEN_NOT_YET_VALID);
    snprintf(v, sizeof(v), "%lld", UT_NOW);
    UT_PAYLOAD(NULL, "nbf", v, NULL, TOKEN_OK);
    UT_PAYLOAD(NULL, "nbf", "\"1699999000\"", NULL, TOKEN_MALFORMED);
    UT_PAYLOAD(NULL, "nbf", "null", NULL, TOKEN_MALFORMED);
}

static void malformed_claims(void)
{
    const char *names[] = {"sub", "tenant_id", "role", "sid", "jti", "iat", "exp"};
    for (size_t i = 0; i < 7; i++) {
        UT_PAYLOAD(names[i], NULL, NULL, NULL, TOKEN_MALFORMED); /* missing */
        UT_PAYLOAD(NULL, names[i], "null", NULL, TOKEN_MALFORMED);
        UT_PAYLOAD(NULL, names[i], "[]", NULL, TOKEN_MALFORMED);
        UT_PAYLOAD(NULL, names[i], "{}", NULL, TOKEN_MALFORMED);
        UT_PAYLOAD(NULL, names[i], "true", NULL, TOKEN_MALFORMED);
    }
    for (size_t i = 0; i < 5; i++) { /* string claims */
        UT_PAYLOAD(NULL, names[i], "\"\"", NULL, TOKEN_MALFORMED);
        UT_PAYLOAD(NULL, names[i], "123", NULL, TOKEN_MALFORMED);
    }
    UT_PAYLOAD(NULL, "exp", "\"9999999999\"", NULL, TOKEN_MALFORMED);
    UT_PAYLOAD(NULL, "exp", "9999999999.5", NULL, TOKEN_MALFORMED);
    UT_PAYLOAD(NULL, "exp", "1e10", NULL, TOKEN_MALFORMED);
    UT_PAYLOAD(NULL, "iat", "\"1700000000\"", NULL, TOKEN_MALFORMED);
    /* Ids up to TOKEN_ID_MAX bytes, role up to 15. */
    char v[128];
    snprintf(v, sizeof(v), "\"%0*d\"", TOKEN_ID_MAX, 0);
    UT_PAYLOAD(NULL, "sub", v, NULL, TOKEN_OK);
    snprintf(v, sizeof(v), "\"%0*d\"", TOKEN_ID_MAX + 1, 0);
    UT_PAYLOAD(NULL, "sub", v, NULL, TOKEN_MALFORMED);
    UT_PAYLOAD(NULL, "tenant_id", v, NULL, TOKEN_MALFORMED);
    UT_PAYLOAD(NULL, "sid", v, NULL, TOKEN_MALFORMED);
    UT_PAYLOAD(NULL, "jti", v, NULL, TOKEN_MALFORMED);
    UT_PAYLOAD(NULL, "role", "\"super_admin_role\"", NULL, TOKEN_MALFORMED);
    UT_PAYLOAD(NULL, "role", "\"super_admin_rol\"", NULL, TOKEN_OK);

    /* Payloads that are not a claims object. */
    const char *bad[] = {"[]", "\"s\"", "42", "null", "not json", "{}", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ut_check_payload(bad[i], TOKEN_MALFORMED, __LINE__);
}

static void not_a_token(void)
{
    const char *bad[] = {"", "abc", "a.b", "a.b.c", ".", "..", "...", "....",
                         "\xff.\xff.\xff", "Bearer x.y.z", "e30.e30.", "e30.e30"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = UT_VERIFY(bad[i]);
        if (rc != TOKEN_MALFORMED)
            ut_fail(__FILE__, __LINE__, "token \"%s\": rc %d, expected %d", bad[i], rc,
                    TOKEN_MALFORMED);
    }
    CHECK_EQ_INT(UT_VERIFY(NULL), TOKEN_MALFORMED);
    char *big = malloc(10001);
    REQUIRE(big != NULL);
    memset(big, 'A', 10000);
    big[10000] = '\0';
    big[3000] = '.';
    big[6000] = '.';
    CHECK_EQ_INT(UT_VERIFY(big), TOKEN_MALFORMED);
    free(big);
}

static void key_length(void)
{
    struct token_claims c, out;
    char *tok = (char *)1;
    ut_std_claims(&c);
    CHECK_EQ_INT(jwt_sign_hs256(ut_key, TOKEN_MIN_KEY - 1, &c, &tok), TOKEN_ERROR);
    CHECK_NULL(tok);
    tok = (char *)1;
    CHECK_EQ_INT(jwt_sign_hs256(ut_key, 0, &c, &tok), TOKEN_ERROR);
    CHECK_NULL(tok);
    tok = (char *)1;
    CHECK_EQ_INT(jwt_sign_hs256(NULL, UT_KEYLEN, &c, &tok), TOKEN_ERROR);
    CHECK_NULL(tok);

    /* A token MAC'd with a 31-byte key is refused when verified with that key. */
    char pl[1024];
    ut_claims(pl, sizeof(pl), NULL, NULL, NULL, NULL);
    char *t31 = ut_token(ut_hs256, pl, EVP_sha256(), ut_key, TOKEN_MIN_KEY - 1, 1);
    REQUIRE(t31 != NULL);
    CHECK_EQ_INT(jwt_verify_hs256(t31, ut_key, TOKEN_MIN_KEY - 1, (time_t)UT_NOW, &out),
                 TOKEN_ERROR);
    CHECK_EQ_INT(jwt_verify_hs256(t31, ut_key, 0, (time_t)UT_NOW, &out), TOKEN_ERROR);
    CHECK_EQ_INT(jwt_verify_hs256(t31, NULL, UT_KEYLEN, (time_t)UT_NOW, &out), TOKEN_ERROR);
    free(t31);
    /* alg none with an empty key is refused too. */
    char *tn = ut_token("{\"alg\":\"none\"}", pl, NULL, NULL, 0, 1);
    REQUIRE(tn != NULL);
    CHECK(jwt_verify_hs256(tn, (const unsigned char *)"", 0, (time_t)UT_NOW, &out) != TOKEN_OK);
    CHECK(jwt_verify_hs256(tn, NULL, 0, (time_t)UT_NOW, &out) != TOKEN_OK);
    free(tn);

    /* Exactly TOKEN_MIN_KEY bytes is enough. */
    tok = NULL;
    CHECK_EQ_INT(jwt_sign_hs256(ut_key, TOKEN_MIN_KEY, &c, &tok), TOKEN_OK);
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key, TOKEN_MIN_KEY, (time_t)UT_NOW, &out), TOKEN_OK);
    free(tok);
}

static void wrong_key(void)
{
    struct token_claims c, out;
    char *tok = NULL;
    ut_std_claims(&c);
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key2, UT_KEYLEN, (time_t)UT_NOW, &out),
                 TOKEN_MALFORMED);
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key_last, UT_KEYLEN, (time_t)UT_NOW, &out),
                 TOKEN_MALFORMED);
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key33, 33, (time_t)UT_NOW, &out), TOKEN_MALFORMED);
    CHECK_EQ_STR(out.sub, "");
    free(tok);
    /* And a hand-made token under another key. */
    char pl[1024];
    ut_claims(pl, sizeof(pl), NULL, NULL, NULL, NULL);
    tok = ut_token(ut_hs256, pl, EVP_sha256(), ut_key2, UT_KEYLEN, 1);
    REQUIRE(tok != NULL);
    CHECK_EQ_INT(UT_VERIFY(tok), TOKEN_MALFORMED);
    free(tok);
}

/* The per-process cache of verified tokens (token.c) changes no verdict. */
static void verified_cache(void)
{
    struct token_claims c, out;
    char *tok = NULL;
    ut_std_claims(&c);
    c.exp = UT_NOW + 10;
    REQUIRE(jwt_sign_hs256(ut_key, UT_KEYLEN, &c, &tok) == TOKEN_OK);
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key, UT_KEYLEN, (time_t)UT_NOW, &out), TOKEN_OK);
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key, UT_KEYLEN, (time_t)UT_NOW + 5, &out), TOKEN_OK);
    CHECK_EQ_STR(out.sid, "ses_0001");
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key, UT_KEYLEN, (time_t)UT_NOW + 10, &out),
                 TOKEN_EXPIRED);
    CHECK_EQ_STR(out.sub, "");
    /* Another key is another verification. */
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key2, UT_KEYLEN, (time_t)UT_NOW, &out),
                 TOKEN_MALFORMED);
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key_last, UT_KEYLEN, (time_t)UT_NOW, &out),
                 TOKEN_MALFORMED);
    /* A clock set back before the token's iat. */
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key, UT_KEYLEN, (time_t)UT_NOW - 1000, &out),
                 TOKEN_NOT_YET_VALID);
    /* A token one byte off (its signature) is not the cached one. */
    tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(jwt_verify_hs256(tok, ut_key, UT_KEYLEN, (time_t)UT_NOW, &out),
                 TOKEN_MALFORMED);
    free(tok);
}

const struct ut_case ut_token_cases[] = {
    {"verified_cache", verified_cache},
    {"sign_verify_roundtrip", sign_verify_roundtrip},
    {"handmade_control", handmade_control},
    {"tampered_payload", tampered_payload},
    {"tampered_signature", tampered_signature},
    {"alg_none_rejected", alg_none_rejected},
    {"other_algs_rejected", other_algs_rejected},
    {"expired", expired},
    {"not_yet_valid", not_yet_valid},
    {"malformed_claims", malformed_claims},
    {"not_a_token", not_a_token},
    {"key_length", key_length},
    {"wrong_key", wrong_key},
    {NULL, NULL},
};
