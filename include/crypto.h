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
/* Base64url without padding of n bytes into out, which has room for (4n + 2) / 3 + 1;
 * returns the text's length. */
size_t crypto_b64url_encode(const unsigned char *in, size_t n, char *out);
/* The value of a base64url digit, -1 for any other character (NUL included). */
int crypto_b64url_digit(char c);
/* Decodes n characters of unpadded base64url into out (at most cap bytes): the number of
 * bytes, or -1 when a character is not a digit or out is too small. */
long crypto_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap);
/* Standard base64 (with padding) of n bytes into the arena. */
char *crypto_base64(struct arena *a, const unsigned char *in, size_t n);
/* HMAC-SHA1 (Twilio request signatures). out gets 20 bytes. 0 on success. */
int crypto_hmac_sha1(const void *key, size_t key_len, const void *data, size_t n,
                     unsigned char out[20]);
/* HMAC-SHA256 (signed incoming webhooks). out gets 32 bytes. 0 on success. */
int crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                       unsigned char out[32]);
/*
 * Authenticated encryption of small secrets at rest: AES-256-GCM under a key derived
 * from `master` (the server key) for `purpose`. Sealed form: 12-byte nonce, ciphertext,
 * 16-byte tag. crypto_seal writes n + 28 bytes to out; crypto_open writes n - 28 bytes
 * and fails (-1) when the tag does not verify.
 */
#define CRYPTO_SEAL_OVERHEAD 28
int crypto_seal(const unsigned char *master, size_t master_len, const char *purpose,
                const void *plain, size_t n, unsigned char *out);
int crypto_open(const unsigned char *master, size_t master_len, const char *purpose,
                const unsigned char *sealed, size_t n, unsigned char *out);

/*
 * A new id: prefix, 12 hex digits of milliseconds since the epoch (so ids sort by
 * creation), 8 random hex digits. NULL on failure.
 */
char *id_new(struct arena *a, const char *prefix);

/* The purpose a tenant's Twilio auth token is sealed under (integrations.c seals it). */
#define CRYPTO_PURPOSE_TWILIO_TOKEN "twilio-auth-token"

#endif
