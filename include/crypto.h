#ifndef SB_CRYPTO_H
#define SB_CRYPTO_H
/* Small wrappers over OpenSSL: randomness, digests, encodings, constant-time compare. */
#include <stdbool.h>
#include <stddef.h>

struct arena;

/* 0 on success (RAND_bytes). */
int crypto_random(void *buf, size_t n);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void crypto_hex(const unsigned char *in, size_t n, char *out);
/* SHA-256 of data as 64 hex chars + NUL. */
void crypto_sha256_hex(const void *data, size_t n, char out[65]);
bool crypto_equal(const void *a, const void *b, size_t n);
/* Base64url without padding of n random bytes, in the arena (NULL on failure). */
char *crypto_random_token(struct arena *a, size_t nbytes);
/*
 * A new id: prefix, 12 hex digits of milliseconds since the epoch (so ids sort by
 * creation), 8 random hex digits. NULL on failure.
 */
char *id_new(struct arena *a, const char *prefix);

#endif
