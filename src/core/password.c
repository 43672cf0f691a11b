#include "password.h"

#include <string.h>
#include <argon2.h>

#include "crypto.h"

/*
 * OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. A verify costs ~20-40 ms on
 * the reference machine, which bounds login throughput per core (docs/benchmarks.md).
 */
#define ARGON2_T_COST 2
#define ARGON2_M_COST 19456
#define ARGON2_PARALLELISM 1
#define ARGON2_SALT_LEN 16
#define ARGON2_HASH_LEN 32

int password_hash(const char *pw, size_t pw_len, char out[PASSWORD_HASH_MAX])
{
    unsigned char salt[ARGON2_SALT_LEN];
    if (crypto_random(salt, sizeof(salt)) != 0)
        return -1;
    int rc = argon2id_hash_encoded(ARGON2_T_COST, ARGON2_M_COST, ARGON2_PARALLELISM, pw, pw_len,
                                   salt, sizeof(salt), ARGON2_HASH_LEN, out, PASSWORD_HASH_MAX);
    return rc == ARGON2_OK ? 0 : -1;
}

int password_verify(const char *encoded, const char *pw, size_t pw_len)
{
    if (encoded == NULL || strncmp(encoded, "$argon2id$", 10) != 0)
        return -1;
    int rc = argon2id_verify(encoded, pw, pw_len);
    if (rc == ARGON2_OK)
        return 0;
    if (rc == ARGON2_VERIFY_MISMATCH)
        return 1;
    return -1;
}

void password_verify_dummy(const char *pw, size_t pw_len)
{
    /* A hash of a random password made with the same parameters. */
    static const char dummy[] =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
        "Jq1V8WnNlFq3tWm7rE1Zy1kY2Jv3b0yq8c0S7oX3xqI";
    (void)argon2id_verify(dummy, pw, pw_len);
}
