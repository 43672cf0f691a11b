#include "crypto.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "arena.h"

int crypto_random(void *buf, size_t n)
{
    if (n > (size_t)0x7fffffff)
        return -1;
    return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

void crypto_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void crypto_sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32) {
        /* Cannot happen with a working libcrypto; an empty string matches no stored hash. */
        out[0] = '\0';
        return;
    }
    crypto_hex(md, 32, out);
}

bool crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t crypto_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = b64url[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = b64url[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    return o;
}

int crypto_b64url_digit(char c)
{
    const char *p = c ? strchr(b64url, c) : NULL;
    return p ? (int)(p - b64url) : -1;
}

long crypto_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int d = crypto_b64url_digit(in[i]);
        if (d < 0)
            return -1;
        acc = (acc << 6) | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)o;
}

char *crypto_random_token(struct arena *a, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof(buf) || crypto_random(buf, nbytes) != 0)
        return NULL;
    char *out = arena_alloc(a, (nbytes * 4 + 2) / 3 + 1);
    if (out != NULL)
        crypto_b64url_encode(buf, nbytes, out);
    return out;
}

char *crypto_base64(struct arena *a, const unsigned char *in, size_t n)
{
    if (n > (1u << 20))
        return NULL;
    char *out = arena_alloc(a, 4 * ((n + 2) / 3) + 1);
    if (out == NULL)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return out;
}

int crypto_hmac_sha1(const void *key, size_t key_len, const void *data, size_t n,
                     unsigned char out[20])
{
    unsigned int len = 0;
    if (key_len > 0x7fffffff ||
        HMAC(EVP_sha1(), key, (int)key_len, data, n, out, &len) == NULL || len != 20)
        return -1;
    return 0;
}

int crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                       unsigned char out[32])
{
    unsigned int len = 0;
    if (key_len > 0x7fffffff ||
        HMAC(EVP_sha256(), key, (int)key_len, data, n, out, &len) == NULL || len != 32)
        return -1;
    return 0;
}

static int derive_key(const unsigned char *master, size_t master_len, const char *purpose,
                      unsigned char key[32])
{
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), master, (int)master_len, (const unsigned char *)purpose,
             strlen(purpose), key, &len) == NULL || len != 32)
        return -1;
    return 0;
}

/*
 * AES-256-GCM of n bytes under the key derived for purpose, with a 12-byte nonce and a
 * 16-byte tag: encrypting writes the tag, decrypting checks it (-1 when it does not verify).
 */
static int gcm(bool encrypt, const unsigned char *master, size_t master_len,
               const char *purpose, const unsigned char nonce[12], const unsigned char *in,
               size_t n, unsigned char *out, unsigned char tag[16])
{
    unsigned char key[32];
    EVP_CIPHER_CTX *ctx = NULL;
    int len, rc = -1;
    if (n > 4096 || derive_key(master, master_len, purpose, key) != 0 ||
        (ctx = EVP_CIPHER_CTX_new()) == NULL ||
        EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, encrypt ? 1 : 0) != 1 ||
        EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1)
        goto out;
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + len, &len) != 1)
        goto out;
    if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
        goto out;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

int crypto_seal(const unsigned char *master, size_t master_len, const char *purpose,
                const void *plain, size_t n, unsigned char *out)
{
    if (crypto_random(out, 12) != 0)
        return -1;
    return gcm(true, master, master_len, purpose, out, plain, n, out + 12, out + 12 + n);
}

int crypto_open(const unsigned char *master, size_t master_len, const char *purpose,
                const unsigned char *sealed, size_t n, unsigned char *out)
{
    if (n < CRYPTO_SEAL_OVERHEAD || n > 4096 + CRYPTO_SEAL_OVERHEAD)
        return -1;
    size_t plain = n - CRYPTO_SEAL_OVERHEAD;
    unsigned char tag[16];
    memcpy(tag, sealed + 12 + plain, 16);
    return gcm(false, master, master_len, purpose, sealed, sealed + 12, plain, out, tag);
}

char *id_new(struct arena *a, const char *prefix)
{
    struct timespec ts;
    unsigned char rnd[4];
    char hex[9];
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || crypto_random(rnd, sizeof(rnd)) != 0)
        return NULL;
    unsigned long long ms = (unsigned long long)ts.tv_sec * 1000ull +
                            (unsigned long long)ts.tv_nsec / 1000000ull;
    crypto_hex(rnd, sizeof(rnd), hex);
    return arena_printf(a, "%s%012llx%s", prefix, ms & 0xffffffffffffull, hex);
}
