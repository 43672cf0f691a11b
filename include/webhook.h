#ifndef SB_WEBHOOK_H
#define SB_WEBHOOK_H
/*
 * Outgoing webhooks: the pure parts shared by the API (src/routes/webhooks_out.c) and the
 * delivery process (src/hooks): which addresses a tenant's URL may reach, the signature a
 * receiver verifies, and the retry schedule. No I/O here; tests/unit/test_webhook_out.c.
 */
#include <stdbool.h>
#include <stddef.h>

/* What the configuration lets a webhook reach beyond public addresses. */
#define WEBHOOK_ALLOW_LOOPBACK 1u /* 127/8, ::1 (tests) */
#define WEBHOOK_ALLOW_PRIVATE 2u  /* RFC 1918, CGNAT, link-local, IPv6 ULA and link-local */

/*
 * Why an address (family AF_INET with 4 bytes, AF_INET6 with 16) may not be reached, as a
 * 422 reason ("must not be a private address"), or NULL when it may. Refused unless allowed: loopback; private (10/8, 172.16/12,
 * 192.168/16), CGNAT (100.64/10), link-local (169.254/16, fe80::/10), IPv6 ULA (fc00::/7).
 * Always refused: unspecified (0/8, ::), multicast, broadcast and reserved (224/3),
 * and any other family. An IPv4-mapped or -compatible IPv6 address (::ffff:a.b.c.d, and the
 * NAT64 prefix 64:ff9b::/96) is judged as its IPv4 address. Pure.
 */
const char *webhook_addr_refusal(int family, const unsigned char *addr, unsigned allow);

/*
 * Why a URL may not be a webhook's (a 422 reason for `url`), or NULL: http or https only, a host, no spaces or
 * control characters, at most 2048 bytes; a host that is a literal address is judged by
 * webhook_addr_refusal, and "localhost" (any case, trailing dot too) counts as loopback.
 * Host names are resolved and judged at delivery time (src/hooks), not here. Pure.
 */
const char *webhook_url_refusal(const char *url, unsigned allow);

/* The URL's host (brackets of an IPv6 literal removed) and port (80/443 by scheme) into
 * host (cap bytes). 0, or -1 when the URL does not parse. Pure. */
int webhook_url_host(const char *url, char *host, size_t cap, int *port);

/*
 * The X-Switchboard-Signature value for body sent at unix time t:
 * "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>" into out (at least
 * WEBHOOK_SIGNATURE_MAX bytes). 0, or -1 when HMAC fails.
 */
#define WEBHOOK_SIGNATURE_MAX 96
int webhook_signature(const char *secret, long long t, const char *body, size_t n,
                      char *out, size_t cap);

/*
 * The delay before retry number `attempt` (1 after the first failure): full jitter,
 * uniform in [0, min(cap_ms, base_ms * 2^(attempt-1))], from `random` (any 32 bits).
 * Pure.
 */
long long webhook_backoff_ms(long long base_ms, long long cap_ms, int attempt,
                             unsigned random);

#endif
