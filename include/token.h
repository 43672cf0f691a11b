#ifndef SB_TOKEN_H
#define SB_TOKEN_H
/*
 * Access tokens: JWT, HS256 only. libjwt 1.10 verifies with whatever `alg` the token
 * names and checks no claims, so jwt_verify_hs256() also requires alg HS256, an
 * integer unexpired `exp`, an `iat` not in the future (beyond leeway), and every
 * claim below present and well-formed. Keys shorter than 32 bytes are refused.
 */
#include <stddef.h>
#include <time.h>

#define TOKEN_ID_MAX 64
#define TOKEN_MIN_KEY 32
#define TOKEN_LEEWAY 30

struct token_claims {
    char sub[TOKEN_ID_MAX + 1];
    char tenant_id[TOKEN_ID_MAX + 1];
    char role[16];
    char sid[TOKEN_ID_MAX + 1];
    char jti[TOKEN_ID_MAX + 1];
    long long iat;
    long long exp;
    /* Signed, not required when verifying: the callcenter SPA decodes the payload for its
     * user (user_id, email; token_type "access"). */
    char email[256];
};

enum token_rc {
    TOKEN_OK = 0,
    TOKEN_ERROR = -1,     /* out of memory, bad key */
    TOKEN_MALFORMED = -2, /* not a JWT, bad signature, wrong alg, missing claim */
    TOKEN_EXPIRED = -3,
    TOKEN_NOT_YET_VALID = -4,
};

/* *out is malloc'd (caller frees). */
int jwt_sign_hs256(const unsigned char *key, size_t key_len, const struct token_claims *c,
                   char **out);
int jwt_verify_hs256(const char *token, const unsigned char *key, size_t key_len, time_t now,
                     struct token_claims *out);

#endif
