#ifndef SB_PASSWORD_H
#define SB_PASSWORD_H
/* argon2id (libargon2), encoded PHC strings. */
#include <stddef.h>

#define PASSWORD_HASH_MAX 128

/* 0 on success; `out` receives the encoded hash. */
int password_hash(const char *pw, size_t pw_len, char out[PASSWORD_HASH_MAX]);
/* 0 when pw matches, 1 when it does not, -1 on error (malformed hash). */
int password_verify(const char *encoded, const char *pw, size_t pw_len);
/* Spends the same time as a verify; used when no user matched, against enumeration. */
void password_verify_dummy(const char *pw, size_t pw_len);

#endif
