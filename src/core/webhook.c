/* Outgoing webhooks: address policy, signature, retry schedule (webhook.h). */
#include "webhook.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto.h"

#define URL_MAX 2048

static const char *v4_refusal(const unsigned char *a, unsigned allow)
{
    bool loop = (allow & WEBHOOK_ALLOW_LOOPBACK) != 0;
    bool priv = (allow & WEBHOOK_ALLOW_PRIVATE) != 0;
    if (a[0] == 0)
        return "must not be an unspecified address";
    if (a[0] >= 224)
        return "must not be a multicast, broadcast or reserved address";
    if (a[0] == 127)
        return loop ? NULL : "must not be a loopback address";
    if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168))
        return priv ? NULL : "must not be a private address";
    if (a[0] == 100 && (a[1] & 0xc0) == 64)
        return priv ? NULL : "must not be a shared (CGNAT) address";
    if (a[0] == 169 && a[1] == 254)
        return priv ? NULL : "must not be a link-local address";
    return NULL;
}

static bool all_zero(const unsigned char *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != 0)
            return false;
    return true;
}

static const char *v6_refusal(const unsigned char *a, unsigned allow)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (all_zero(a, 16))
        return "must not be an unspecified address";
    if (all_zero(a, 15) && a[15] == 1)
        return (allow & WEBHOOK_ALLOW_LOOPBACK) ? NULL : "must not be a loopback address";
    /* An IPv4 address inside IPv6 reaches that IPv4 host: judge it as one. */
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0 || all_zero(a, 12))
        return v4_refusal(a + 12, allow);
    if (a[0] == 0xff)
        return "must not be a multicast address";
    if ((a[0] & 0xfe) == 0xfc)
        return (allow & WEBHOOK_ALLOW_PRIVATE) ? NULL : "must not be a private (ULA) address";
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return (allow & WEBHOOK_ALLOW_PRIVATE) ? NULL : "must not be a link-local address";
    return NULL;
}

const char *webhook_addr_refusal(int family, const unsigned char *addr, unsigned allow)
{
    if (family == AF_INET)
        return v4_refusal(addr, allow);
    if (family == AF_INET6)
        return v6_refusal(addr, allow);
    return "must be an Internet address";
}

/* The scheme's length ("http" 4, "https" 5) when url starts with it and "://", else 0. */
static size_t scheme_len(const char *url)
{
    if (strncasecmp(url, "http://", 7) == 0)
        return 4;
    if (strncasecmp(url, "https://", 8) == 0)
        return 5;
    return 0;
}

int webhook_url_host(const char *url, char *host, size_t cap, int *port)
{
    size_t sl = scheme_len(url);
    if (sl == 0)
        return -1;
    const char *auth = url + sl + 3;
    size_t alen = strcspn(auth, "/?#");
    /* Credentials (user:pass@) come before the last '@' of the authority. */
    for (size_t i = alen; i > 0; i--)
        if (auth[i - 1] == '@') {
            auth += i;
            alen -= i;
            break;
        }
    const char *h = auth, *colon;
    size_t hlen;
    if (alen > 0 && auth[0] == '[') {
        const char *close = memchr(auth, ']', alen);
        if (close == NULL)
            return -1;
        h = auth + 1;
        hlen = (size_t)(close - h);
        colon = close + 1 < auth + alen && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(auth, ':', alen);
        hlen = colon ? (size_t)(colon - auth) : alen;
    }
    *port = sl == 5 ? 443 : 80;
    if (colon != NULL) {
        int p = 0;
        const char *end = auth + alen;
        if (colon + 1 == end)
            return -1;
        for (const char *c = colon + 1; c < end; c++) {
            if (!isdigit((unsigned char)*c) || (p = p * 10 + (*c - '0')) > 65535)
                return -1;
        }
        if (p == 0)
            return -1;
        *port = p;
    }
    if (hlen == 0 || hlen >= cap)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    return 0;
}

const char *webhook_url_refusal(const char *url, unsigned allow)
{
    char host[256];
    unsigned char addr[16];
    int port;
    size_t n = strlen(url);
    if (n > URL_MAX)
        return "must be at most 2048 characters";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
            return "must not contain spaces or control characters";
    if (scheme_len(url) == 0)
        return "must be an http:// or https:// URL";
    if (webhook_url_host(url, host, sizeof(host), &port) != 0)
        return "must have a host (and a port in 1-65535 if any)";
    size_t hl = strlen(host);
    if (hl > 0 && host[hl - 1] == '.')
        host[--hl] = '\0';
    if (strcasecmp(host, "localhost") == 0 ||
        (hl > 10 && strcasecmp(host + hl - 10, ".localhost") == 0))
        return (allow & WEBHOOK_ALLOW_LOOPBACK) ? NULL : "must not be a loopback address";
    const char *why = NULL;
    if (inet_pton(AF_INET, host, addr) == 1)
        why = webhook_addr_refusal(AF_INET, addr, allow);
    else if (inet_pton(AF_INET6, host, addr) == 1)
        why = webhook_addr_refusal(AF_INET6, addr, allow);
    return why;
}

int webhook_signature(const char *secret, long long t, const char *body, size_t n,
                      char *out, size_t cap)
{
    char ts[24], hex[65];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    int rc = -1;
    int tl = snprintf(ts, sizeof(ts), "%lld.", t);
    if (tl < 0 || cap < WEBHOOK_SIGNATURE_MAX)
        return -1;
    /* One buffer "<t>.<body>": HMAC() is the one-shot API OpenSSL 3 keeps undeprecated. */
    unsigned char *data = malloc((size_t)tl + n + 1);
    if (data == NULL)
        return -1;
    memcpy(data, ts, (size_t)tl);
    memcpy(data + tl, body, n);
    if (HMAC(EVP_sha256(), secret, (int)strlen(secret), data, (size_t)tl + n, mac, &maclen) ==
            NULL || maclen != 32)
        goto out;
    crypto_hex(mac, 32, hex);
    rc = snprintf(out, cap, "t=%lld,v1=%s", t, hex) < (int)cap ? 0 : -1;
out:
    free(data);
    return rc;
}

long long webhook_backoff_ms(long long base_ms, long long cap_ms, int attempt,
                             unsigned random)
{
    long long ceil = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < attempt && ceil < cap_ms; i++)
        ceil *= 2;
    if (ceil > cap_ms)
        ceil = cap_ms;
    if (ceil <= 0)
        return 0;
    return (long long)(random % (unsigned long long)(ceil + 1));
}
