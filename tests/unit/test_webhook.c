/* src/core/webhook.c: which addresses a webhook may reach, its signature, its backoff. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "unit.h"
#include "webhook.h"

/* The refusal of a textual address (v4 or v6) under allow; "bad" when it does not parse. */
static const char *refusal(const char *text, unsigned allow)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, text, a) == 1)
        return webhook_addr_refusal(AF_INET, a, allow);
    if (inet_pton(AF_INET6, text, a) == 1)
        return webhook_addr_refusal(AF_INET6, a, allow);
    return "bad";
}

static void addr_public_allowed(void)
{
    const char *ok[] = {"93.184.216.34", "8.8.8.8", "172.15.255.255", "172.32.0.1",
                        "100.63.255.255", "100.128.0.1", "169.253.1.1", "192.167.1.1",
                        "2606:4700::1111", "2001:db8::1", "::ffff:8.8.8.8"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (refusal(ok[i], 0) != NULL)
            ut_fail(__FILE__, __LINE__, "%s refused: %s", ok[i], refusal(ok[i], 0));
}

static void addr_internal_refused(void)
{
    const char *bad[] = {"127.0.0.1", "127.1.2.3", "10.0.0.1", "10.255.255.255", "172.16.0.1",
                         "172.31.255.255", "192.168.1.1", "100.64.0.1", "100.127.255.255",
                         "169.254.169.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.1.1.1",
                         "255.255.255.255", "240.0.0.1", "::1", "::", "fc00::1", "fd12:3456::1",
                         "fe80::1", "febf::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
                         "::ffff:169.254.169.254", "64:ff9b::a00:1", "::10.0.0.1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (refusal(bad[i], 0) == NULL)
            ut_fail(__FILE__, __LINE__, "%s allowed", bad[i]);
}

static void addr_allow_flags(void)
{
    CHECK(refusal("127.0.0.1", WEBHOOK_ALLOW_LOOPBACK) == NULL);
    CHECK(refusal("::1", WEBHOOK_ALLOW_LOOPBACK) == NULL);
    CHECK(refusal("::ffff:127.0.0.1", WEBHOOK_ALLOW_LOOPBACK) == NULL);
    /* loopback does not open private networks, nor the other way round */
    CHECK(refusal("10.0.0.1", WEBHOOK_ALLOW_LOOPBACK) != NULL);
    CHECK(refusal("127.0.0.1", WEBHOOK_ALLOW_PRIVATE) != NULL);
    CHECK(refusal("10.0.0.1", WEBHOOK_ALLOW_PRIVATE) == NULL);
    CHECK(refusal("100.64.0.1", WEBHOOK_ALLOW_PRIVATE) == NULL);
    CHECK(refusal("fd00::1", WEBHOOK_ALLOW_PRIVATE) == NULL);
    CHECK(refusal("fe80::1", WEBHOOK_ALLOW_PRIVATE) == NULL);
    /* never, whatever is allowed */
    unsigned all = WEBHOOK_ALLOW_LOOPBACK | WEBHOOK_ALLOW_PRIVATE;
    CHECK(refusal("0.0.0.0", all) != NULL);
    CHECK(refusal("::", all) != NULL);
    CHECK(refusal("224.0.0.1", all) != NULL);
    CHECK(refusal("ff02::1", all) != NULL);
    CHECK(webhook_addr_refusal(AF_UNIX, (const unsigned char *)"xxxxxxxxxxxxxxxx", all) != NULL);
}

static void url_checks(void)
{
    CHECK(webhook_url_refusal("https://hooks.example.com/in?x=1", 0) == NULL);
    CHECK(webhook_url_refusal("http://user:pw@example.com:8080/p", 0) == NULL);
    CHECK(webhook_url_refusal("ftp://example.com/", 0) != NULL);
    CHECK(webhook_url_refusal("example.com/hook", 0) != NULL);
    CHECK(webhook_url_refusal("http:///nohost", 0) != NULL);
    CHECK(webhook_url_refusal("http://exa mple.com/", 0) != NULL);
    CHECK(webhook_url_refusal("http://example.com:0/", 0) != NULL);
    CHECK(webhook_url_refusal("http://example.com:70000/", 0) != NULL);
    CHECK(webhook_url_refusal("http://10.1.2.3/hook", 0) != NULL);
    CHECK(webhook_url_refusal("http://10.1.2.3/hook", WEBHOOK_ALLOW_PRIVATE) == NULL);
    CHECK(webhook_url_refusal("http://127.0.0.1:9000/", 0) != NULL);
    CHECK(webhook_url_refusal("http://127.0.0.1:9000/", WEBHOOK_ALLOW_LOOPBACK) == NULL);
    CHECK(webhook_url_refusal("http://[::1]:9000/", 0) != NULL);
    CHECK(webhook_url_refusal("http://[fd00::1]/", 0) != NULL);
    CHECK(webhook_url_refusal("http://[2001:db8::1]:8443/", 0) == NULL);
    CHECK(webhook_url_refusal("http://LocalHost./x", 0) != NULL);
    CHECK(webhook_url_refusal("http://a.localhost/x", 0) != NULL);
    CHECK(webhook_url_refusal("http://a.localhost/x", WEBHOOK_ALLOW_LOOPBACK) == NULL);
    /* the host is the part after the last '@' of the authority */
    CHECK(webhook_url_refusal("http://example.com@127.0.0.1/", 0) != NULL);
    CHECK(webhook_url_refusal("http://169.254.169.254/latest/meta-data", 0) != NULL);
}

static void url_host_parts(void)
{
    char host[64];
    int port = 0;
    CHECK_EQ_INT(webhook_url_host("https://Ex.com/x", host, sizeof(host), &port), 0);
    CHECK_EQ_STR(host, "Ex.com");
    CHECK_EQ_INT(port, 443);
    CHECK_EQ_INT(webhook_url_host("http://[::1]:8080/", host, sizeof(host), &port), 0);
    CHECK_EQ_STR(host, "::1");
    CHECK_EQ_INT(port, 8080);
    CHECK_EQ_INT(webhook_url_host("http://u@h?q", host, sizeof(host), &port), 0);
    CHECK_EQ_STR(host, "h");
    CHECK_EQ_INT(port, 80);
    CHECK_EQ_INT(webhook_url_host("http://[::1/", host, sizeof(host), &port), -1);
}

/* Python: hmac.new(b"whsec_test", b'1700000000.{"a":1}', sha256).hexdigest() */
static void signature_known(void)
{
    char sig[WEBHOOK_SIGNATURE_MAX];
    const char *body = "{\"a\":1}";
    CHECK_EQ_INT(webhook_signature("whsec_test", 1700000000LL, body, strlen(body), sig,
                                   sizeof(sig)),
                 0);
    CHECK_EQ_STR(sig, "t=1700000000,v1="
                      "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
    CHECK_EQ_INT(webhook_signature("whsec_test", 1700000001LL, body, strlen(body), sig,
                                   sizeof(sig)),
                 0);
    CHECK(strstr(sig, "38877139021993b8") == NULL);
    CHECK_EQ_INT(webhook_signature("k", 1, body, strlen(body), sig, 10), -1);
}

static void backoff_bounds(void)
{
    CHECK_EQ_INT(webhook_backoff_ms(1000, 60000, 1, 0), 0);
    CHECK_EQ_INT(webhook_backoff_ms(1000, 60000, 1, 1000), 1000);
    CHECK_EQ_INT(webhook_backoff_ms(1000, 60000, 1, 1001), 0);
    CHECK_EQ_INT(webhook_backoff_ms(1000, 60000, 3, 4000), 4000);
    CHECK(webhook_backoff_ms(1000, 60000, 3, 0xffffffffu) <= 4000);
    /* capped, also for attempts that would overflow a doubling */
    CHECK(webhook_backoff_ms(1000, 60000, 10, 0xffffffffu) <= 60000);
    CHECK(webhook_backoff_ms(1000, 60000, 1000, 0xffffffffu) <= 60000);
    CHECK_EQ_INT(webhook_backoff_ms(1000, 60000, 1000, 60000), 60000);
}

const struct ut_case ut_webhook_out_cases[] = {
    {"addr_public_allowed", addr_public_allowed},
    {"addr_internal_refused", addr_internal_refused},
    {"addr_allow_flags", addr_allow_flags},
    {"url_checks", url_checks},
    {"url_host_parts", url_host_parts},
    {"signature_known", signature_known},
    {"backoff_bounds", backoff_bounds},
    {NULL, NULL},
};
