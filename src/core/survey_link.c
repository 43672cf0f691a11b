/* Signed survey response links (survey_link.h). */
#include "survey_link.h"

#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "arena.h"
#include "crypto.h"

#define MAC_LEN 32
#define PAYLOAD_MAX (4 * (SURVEY_LINK_ID_MAX + 1))
static const char label[] = "switchboard survey link v1";

/* Ids are made of letters, digits, '_' and '-': never the separator. */
static int is_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > SURVEY_LINK_ID_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int mac_of(const unsigned char *key, size_t key_len, const void *payload, size_t n,
                  unsigned char mac[MAC_LEN])
{
    unsigned char k[MAC_LEN];
    unsigned int len = 0;
    int rc = -1;
    if (key_len > 4096 ||
        HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)label, sizeof(label) - 1,
             k, &len) == NULL || len != MAC_LEN)
        goto out;
    if (HMAC(EVP_sha256(), k, MAC_LEN, payload, n, mac, &len) == NULL || len != MAC_LEN)
        goto out;
    rc = 0;
out:
    OPENSSL_cleanse(k, sizeof(k));
    return rc;
}

char *survey_link_sign(struct arena *a, const unsigned char *key, size_t key_len,
                       const struct survey_link *l)
{
    char payload[PAYLOAD_MAX + 1];
    unsigned char mac[MAC_LEN];
    if (!is_id(l->tenant_id) || !is_id(l->survey_id) || !is_id(l->subject_type) ||
        !is_id(l->subject_id))
        return NULL;
    int n = snprintf(payload, sizeof(payload), "%s\n%s\n%s\n%s", l->tenant_id, l->survey_id,
                     l->subject_type, l->subject_id);
    if (n < 0 || (size_t)n >= sizeof(payload) ||
        mac_of(key, key_len, payload, (size_t)n, mac) != 0)
        return NULL;
    char *out = arena_alloc(a, (4 * (size_t)n + 2) / 3 + 1 + 1 + (4 * MAC_LEN + 2) / 3 + 1);
    if (out == NULL)
        return NULL;
    size_t o = crypto_b64url_encode((const unsigned char *)payload, (size_t)n, out);
    out[o++] = '.';
    o += crypto_b64url_encode(mac, MAC_LEN, out + o);
    out[o] = '\0';
    return out;
}

/* The n-th (0-based) LF-separated field of p into the arena. */
static const char *field_of(struct arena *a, const char *p, size_t len, int nth)
{
    const char *end = p + len, *s = p;
    for (int i = 0; i < nth; i++) {
        s = memchr(s, '\n', (size_t)(end - s));
        if (s == NULL)
            return NULL;
        s++;
    }
    const char *e = memchr(s, '\n', (size_t)(end - s));
    return arena_strndup(a, s, (size_t)((e ? e : end) - s));
}

int survey_link_verify(struct arena *a, const unsigned char *key, size_t key_len,
                       const char *token, struct survey_link *l)
{
    unsigned char payload[PAYLOAD_MAX + 1], mac[MAC_LEN + 1], want[MAC_LEN];
    const char *dot = token ? strchr(token, '.') : NULL;
    if (dot == NULL || (size_t)(dot - token) > (4 * PAYLOAD_MAX + 2) / 3)
        return -1;
    long n = crypto_b64url_decode(token, (size_t)(dot - token), payload, PAYLOAD_MAX);
    long m = crypto_b64url_decode(dot + 1, strlen(dot + 1), mac, sizeof(mac));
    if (n <= 0 || m != MAC_LEN || mac_of(key, key_len, payload, (size_t)n, want) != 0 ||
        !crypto_equal(mac, want, MAC_LEN))
        return -1;
    const char *p = (const char *)payload;
    l->tenant_id = field_of(a, p, (size_t)n, 0);
    l->survey_id = field_of(a, p, (size_t)n, 1);
    l->subject_type = field_of(a, p, (size_t)n, 2);
    l->subject_id = field_of(a, p, (size_t)n, 3);
    /* Signed by us, so well formed; checked anyway, as a key leak must not become SQL. */
    if (!is_id(l->tenant_id) || !is_id(l->survey_id) || !is_id(l->subject_id) ||
        (strcmp(l->subject_type ? l->subject_type : "", "call") != 0 &&
         strcmp(l->subject_type ? l->subject_type : "", "chat") != 0))
        return -1;
    return 0;
}
