#include "token.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jwt.h>
#include <json-c/json.h>

#include "hash.h"

static int add_claim(jwt_t *jwt, const char *name, const char *value)
{
    return jwt_add_grant(jwt, name, value) == 0 ? 0 : -1;
}

int jwt_sign_hs256(const unsigned char *key, size_t key_len, const struct token_claims *c,
                   char **out)
{
    jwt_t *jwt = NULL;
    int rc = TOKEN_ERROR;
    *out = NULL;
    if (key == NULL || key_len < TOKEN_MIN_KEY || key_len > 4096)
        return TOKEN_ERROR;
    if (jwt_new(&jwt) != 0)
        return TOKEN_ERROR;
    if (add_claim(jwt, "sub", c->sub) || add_claim(jwt, "tenant_id", c->tenant_id) ||
        add_claim(jwt, "role", c->role) || add_claim(jwt, "sid", c->sid) ||
        add_claim(jwt, "jti", c->jti) || jwt_add_grant_int(jwt, "iat", (long)c->iat) != 0 ||
        jwt_add_grant_int(jwt, "exp", (long)c->exp) != 0 ||
        add_claim(jwt, "user_id", c->sub) || add_claim(jwt, "token_type", "access") ||
        (c->email[0] != '\0' && add_claim(jwt, "email", c->email)))
        goto out;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)key_len) != 0)
        goto out;
    *out = jwt_encode_str(jwt);
    if (*out != NULL)
        rc = TOKEN_OK;
out:
    jwt_free(jwt);
    return rc;
}

static int copy_string_claim(struct json_object *claims, const char *name, char *dst, size_t size)
{
    struct json_object *v;
    if (!json_object_object_get_ex(claims, name, &v) || !json_object_is_type(v, json_type_string))
        return -1;
    size_t len = (size_t)json_object_get_string_len(v);
    const char *s = json_object_get_string(v);
    if (len == 0 || len >= size || memchr(s, '\0', len) != NULL)
        return -1;
    memcpy(dst, s, len + 1);
    return 0;
}

static int int_claim(struct json_object *claims, const char *name, long long *out)
{
    struct json_object *v;
    if (!json_object_object_get_ex(claims, name, &v) || !json_object_is_type(v, json_type_int))
        return -1;
    errno = 0;
    *out = (long long)json_object_get_int64(v);
    return errno == 0 ? 0 : -1;
}

static int verify_uncached(const char *token, const unsigned char *key, size_t key_len,
                           time_t now, struct token_claims *out)
{
    jwt_t *jwt = NULL;
    char *claims_text = NULL;
    struct json_object *claims = NULL;
    int rc = TOKEN_MALFORMED;

    memset(out, 0, sizeof(*out));
    /* An empty key would let libjwt accept `alg: none`; refuse before decoding. */
    if (key == NULL || key_len < TOKEN_MIN_KEY || key_len > 4096)
        return TOKEN_ERROR;
    if (token == NULL || token[0] == '\0' || strlen(token) > 4096)
        return TOKEN_MALFORMED;
    if (jwt_decode(&jwt, token, key, (int)key_len) != 0 || jwt == NULL)
        goto out;
    /* libjwt verified with the alg the token names: only HS256 is ours. */
    if (jwt_get_alg(jwt) != JWT_ALG_HS256)
        goto out;
    claims_text = jwt_get_grants_json(jwt, NULL);
    if (claims_text == NULL)
        goto out;
    claims = json_tokener_parse(claims_text);
    if (claims == NULL || !json_object_is_type(claims, json_type_object))
        goto out;
    if (copy_string_claim(claims, "sub", out->sub, sizeof(out->sub)) ||
        copy_string_claim(claims, "tenant_id", out->tenant_id, sizeof(out->tenant_id)) ||
        copy_string_claim(claims, "role", out->role, sizeof(out->role)) ||
        copy_string_claim(claims, "sid", out->sid, sizeof(out->sid)) ||
        copy_string_claim(claims, "jti", out->jti, sizeof(out->jti)) ||
        int_claim(claims, "exp", &out->exp) || int_claim(claims, "iat", &out->iat))
        goto out;
    if (out->exp <= (long long)now) {
        rc = TOKEN_EXPIRED;
        goto out;
    }
    if (out->iat > (long long)now + TOKEN_LEEWAY) {
        rc = TOKEN_NOT_YET_VALID;
        goto out;
    }
    struct json_object *nbf;
    if (json_object_object_get_ex(claims, "nbf", &nbf)) {
        if (!json_object_is_type(nbf, json_type_int))
            goto out;
        if (json_object_get_int64(nbf) > (long long)now + TOKEN_LEEWAY) {
            rc = TOKEN_NOT_YET_VALID;
            goto out;
        }
    }
    rc = TOKEN_OK;
out:
    if (rc != TOKEN_OK) {
        struct token_claims zero = {0};
        *out = zero;
    }
    json_object_put(claims);
    free(claims_text);
    jwt_free(jwt);
    return rc;
}

/*
 * Verified tokens, per process. A client sends the same token with every request for its
 * fifteen minutes, and verifying one (libjwt: base64, a JSON parse, HMAC) cost a sixth of a
 * cached read. The same bytes under the same key verify the same way, so a hit only
 * re-checks the clock. Direct-mapped: a collision just verifies again.
 */
#define VERIFIED_SLOTS 64
#define VERIFIED_TOKEN_MAX 1024

struct verified {
    unsigned key_hash;
    size_t key_len, token_len;
    time_t verified_at; /* a clock set back since verifies again (iat, nbf) */
    char token[VERIFIED_TOKEN_MAX];
    struct token_claims claims;
};

static struct verified verified[VERIFIED_SLOTS];

static unsigned key_hash_of(const unsigned char *key, size_t len)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= key[i];
        h *= 16777619u;
    }
    return h;
}

int jwt_verify_hs256(const char *token, const unsigned char *key, size_t key_len, time_t now,
                     struct token_claims *out)
{
    size_t len = token != NULL ? strnlen(token, VERIFIED_TOKEN_MAX) : 0;
    if (len == 0 || len >= VERIFIED_TOKEN_MAX || key == NULL)
        return verify_uncached(token, key, key_len, now, out);
    unsigned kh = key_hash_of(key, key_len);
    struct verified *v = &verified[hash_fnv1a(token) % VERIFIED_SLOTS];
    if (v->token_len == len && v->key_len == key_len && v->key_hash == kh &&
        now >= v->verified_at && memcmp(v->token, token, len) == 0) {
        if (v->claims.exp <= (long long)now) {
            memset(out, 0, sizeof(*out));
            return TOKEN_EXPIRED;
        }
        *out = v->claims;
        return TOKEN_OK;
    }
    int rc = verify_uncached(token, key, key_len, now, out);
    if (rc == TOKEN_OK) {
        memcpy(v->token, token, len);
        v->token_len = len;
        v->key_len = key_len;
        v->key_hash = kh;
        v->verified_at = now;
        v->claims = *out;
    }
    return rc;
}
