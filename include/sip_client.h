#ifndef SB_SIP_CLIENT_H
#define SB_SIP_CLIENT_H
/*
 * One SIP transaction with a tenant's trunk, sent and read by libre (baresip's SIP stack,
 * Debian's libre-dev): OPTIONS (is the server there, how far) and REGISTER with digest
 * authentication (a 401/407 challenge is answered once with the trunk's credentials).
 * No message is built or parsed here: libre writes the request line, Via, From/To,
 * Call-ID, CSeq, Contact and Authorization, and decodes the answer.
 *
 * Blocking, bounded: each call runs libre's loop in the calling process until the final
 * answer or timeout_ms (DNS, connect, TLS handshake and retransmissions included), then
 * tears every socket down. Nothing stays behind: a registration is refreshed by sending
 * REGISTER again before it expires (the clock does it, src/core/sip_store.c), never by a
 * timer of the library. Not thread-safe (libre's loop is per thread; our processes have one).
 *
 * The server's address is judged like a webhook's (webhook_addr_refusal, `allow`): a name is
 * resolved by libre's resolver and its first IPv4 address, once judged, is where the request
 * goes (no second lookup to rebind), except over TLS, where the name stays in the route so
 * the library can check the certificate against it.
 */
#include <stdbool.h>
#include <stddef.h>

enum sip_transport { SIP_TP_UDP, SIP_TP_TCP, SIP_TP_TLS };

/* What went wrong before any SIP answer; SIP_OK when one came (whatever its code). */
enum sip_outcome {
    SIP_OK = 0,
    SIP_ERR_ADDRESS, /* the server's address is not allowed (error: the reason) */
    SIP_ERR_DNS,     /* the name does not resolve */
    SIP_ERR_TIMEOUT, /* no final answer within timeout_ms */
    SIP_ERR_REFUSED, /* connection refused (TCP/TLS) */
    SIP_ERR_TLS,     /* the TLS handshake failed */
    SIP_ERR_NETWORK, /* any other socket error */
    SIP_ERR_INTERNAL /* the library could not start (out of memory…) */
};

struct sip_target {
    const char *server; /* host name or literal address of the registrar/proxy */
    int port;
    enum sip_transport transport;
    const char *domain;   /* the SIP domain (request URI, To/From); server when NULL or "" */
    const char *username; /* REGISTER: the account; OPTIONS: From user (may be NULL) */
    const char *password; /* REGISTER: the digest secret (never logged) */
    unsigned allow;       /* WEBHOOK_ALLOW_* (webhook.h) */
    long timeout_ms;
};

struct sip_result {
    enum sip_outcome outcome;
    int status;        /* the final SIP status code, 0 when none */
    char reason[64];   /* its reason phrase */
    long rtt_ms;       /* from the first send to the final answer */
    long expires;      /* REGISTER 2xx: the seconds the registrar granted (0: removed) */
    bool challenged;   /* REGISTER: a 401/407 was answered with credentials */
    char error[160];   /* for people, when outcome != SIP_OK or status >= 300 */
};

/* A stable code for an outcome ("timeout", "dns_failed"…), for answers and last_error. */
const char *sip_outcome_code(enum sip_outcome o);
/* "UDP"/"TCP"/"TLS" to the enum: 0, or -1 for anything else. */
int sip_transport_parse(const char *s, enum sip_transport *out);

/* OPTIONS to the target. Always fills res; returns 0 when a final answer came, else -1. */
int sip_client_options(const struct sip_target *t, struct sip_result *res);
/* REGISTER for `expires` seconds (0 removes the binding). Same return as options. */
int sip_client_register(const struct sip_target *t, unsigned expires, struct sip_result *res);

/*
 * One SIP response as it came off the wire, decoded by libre and read the way the client
 * reads a REGISTER's final answer (code, reason, the expiry granted to `user`'s Contact;
 * asked: the seconds requested). 0, or -1 when libre refuses it or it is a request. Pure:
 * no socket, no loop (the fuzz target tests/fuzz/fuzz_sip.c).
 */
int sip_client_read_response(const void *buf, size_t n, const char *user, unsigned asked,
                             struct sip_result *res);

#endif
