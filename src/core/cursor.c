#include "cursor.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto.h"

#define BLOCK 16
/* The last 4 bytes of every plaintext block: what makes a foreign cursor detectable. */
static const unsigned char magic[4] = {'s', 'b', 'c', 1};
static const char label[] = "switchboard event cursor v1";

struct cursor_cipher {
    EVP_CIPHER_CTX *enc, *dec;
};

void cursor_cipher_free(struct cursor_cipher *cc)
{
    if (cc == NULL)
        return;
    EVP_CIPHER_CTX_free(cc->enc);
    EVP_CIPHER_CTX_free(cc->dec);
    free(cc);
}

/* key = first 16 bytes of HMAC(HMAC(server_key, label), tenant_id). */
static int derive(const unsigned char *server_key, size_t key_len, const char *tenant_id,
                  unsigned char key[BLOCK])
{
    unsigned char master[32], full[32];
    unsigned int n = 0;
    if (HMAC(EVP_sha256(), server_key, (int)key_len, (const unsigned char *)label,
             sizeof(label) - 1, master, &n) == NULL || n != 32)
        return -1;
    if (HMAC(EVP_sha256(), master, 32, (const unsigned char *)tenant_id, strlen(tenant_id),
             full, &n) == NULL || n != 32)
        return -1;
    memcpy(key, full, BLOCK);
    OPENSSL_cleanse(master, sizeof(master));
    OPENSSL_cleanse(full, sizeof(full));
    return 0;
}

struct cursor_cipher *cursor_cipher_new(const unsigned char *server_key, size_t key_len,
                                        const char *tenant_id)
{
    unsigned char key[BLOCK];
    struct cursor_cipher *cc = calloc(1, sizeof(*cc));
    if (cc == NULL || key_len > 4096 || derive(server_key, key_len, tenant_id, key) != 0)
        goto fail;
    cc->enc = EVP_CIPHER_CTX_new();
    cc->dec = EVP_CIPHER_CTX_new();
    /* ECB on a single block is a keyed permutation of it: exactly what is wanted here. */
    if (cc->enc == NULL || cc->dec == NULL ||
        EVP_EncryptInit_ex(cc->enc, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
        EVP_DecryptInit_ex(cc->dec, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(cc->enc, 0) != 1 ||
        EVP_CIPHER_CTX_set_padding(cc->dec, 0) != 1)
        goto fail;
    OPENSSL_cleanse(key, sizeof(key));
    return cc;
fail:
    OPENSSL_cleanse(key, sizeof(key));
    cursor_cipher_free(cc);
    return NULL;
}

static int encode(const struct cursor_cipher *cc, unsigned long long pos,
                  const unsigned char nonce[4], char out[CURSOR_TEXT_LEN + 1])
{
    unsigned char plain[BLOCK], sealed[BLOCK];
    static const unsigned char no_nonce[4];
    /* "0" names the start plainly; a fresh position is sealed even there, so a tenant's
     * cursors say nothing, not even that it had no events yet (each tenant starts at 0). */
    if (pos == 0 && memcmp(nonce, no_nonce, sizeof(no_nonce)) == 0) {
        memcpy(out, "0", 2);
        return 0;
    }
    for (int i = 0; i < 8; i++)
        plain[i] = (unsigned char)(pos >> (56 - 8 * i));
    memcpy(plain + 8, nonce, 4);
    memcpy(plain + 12, magic, sizeof(magic));
    int n = 0;
    if (EVP_EncryptUpdate(cc->enc, sealed, &n, plain, BLOCK) != 1 || n != BLOCK)
        return -1;
    /* 128 bits as 22 six-bit digits, the last one holding the final 2 bits. */
    crypto_b64url_encode(sealed, BLOCK, out);
    return 0;
}

int cursor_encode(const struct cursor_cipher *cc, unsigned long long pos,
                  char out[CURSOR_TEXT_LEN + 1])
{
    static const unsigned char zero[4];
    return encode(cc, pos, zero, out);
}

int cursor_encode_fresh(const struct cursor_cipher *cc, unsigned long long pos,
                        char out[CURSOR_TEXT_LEN + 1])
{
    unsigned char nonce[4];
    if (crypto_random(nonce, sizeof(nonce)) != 0)
        return -1;
    return encode(cc, pos, nonce, out);
}

int cursor_well_formed(const char *text)
{
    if (strcmp(text, "0") == 0)
        return 1;
    if (strlen(text) != CURSOR_TEXT_LEN)
        return 0;
    for (const char *p = text; *p; p++)
        if (crypto_b64url_digit(*p) < 0)
            return 0;
    /* The last digit carries 2 bits; the 4 below them are always 0. */
    return (crypto_b64url_digit(text[CURSOR_TEXT_LEN - 1]) & 15) == 0;
}

int cursor_decode(const struct cursor_cipher *cc, const char *text, unsigned long long *pos)
{
    if (!cursor_well_formed(text))
        return -1;
    if (strcmp(text, "0") == 0) {
        *pos = 0;
        return 0;
    }
    unsigned char sealed[BLOCK], plain[BLOCK];
    long o = crypto_b64url_decode(text, CURSOR_TEXT_LEN, sealed, BLOCK);
    int n = 0;
    if (o != BLOCK || EVP_DecryptUpdate(cc->dec, plain, &n, sealed, BLOCK) != 1 || n != BLOCK)
        return -1;
    if (!crypto_equal(plain + 12, magic, sizeof(magic)))
        return -1;
    unsigned long long v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | plain[i];
    if (v > 9223372036854775807ULL)
        return -1;
    *pos = v;
    return 0;
}
