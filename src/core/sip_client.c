/*
 * sip_client.h over libre. One struct op per call owns every libre object it makes; the loop
 * (re_main) runs until done() or the overall timer cancels it, and op_free() releases all.
 * Why libre and not sofia-sip or osip2: see docs/sip.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <re.h>
/* re_dbg.h wants a module name and level for its macros, which we do not use. */
#define DEBUG_MODULE "sip_client"
#define DEBUG_LEVEL 0
#include <re_dbg.h>

#include "sip_client.h"
#include "webhook.h"

/* Room for every descriptor our processes may hold when the SIP sockets are opened. */
#define SIP_MAX_FDS 8192

struct op {
    const struct sip_target *t;
    struct sip_result *res;
    const char *method;
    unsigned expires;
    struct dnsc *dnsc;
    struct sip *sip;
    struct tls *tls;
    struct dns_query *dq;
    struct sip_dialog *dlg;
    struct sip_auth *auth;
    struct sip_request *req;
    struct tmr tmr;
    uint64_t t0;
    bool done, looping;
    char domain[256];
};

const char *sip_outcome_code(enum sip_outcome o)
{
    static const char *const codes[] = {
        [SIP_OK] = "ok",
        [SIP_ERR_ADDRESS] = "address_refused",
        [SIP_ERR_DNS] = "dns_failed",
        [SIP_ERR_TIMEOUT] = "timeout",
        [SIP_ERR_REFUSED] = "connection_refused",
        [SIP_ERR_TLS] = "tls_failed",
        [SIP_ERR_NETWORK] = "network_error",
        [SIP_ERR_INTERNAL] = "internal_error",
    };
    return (unsigned)o < sizeof(codes) / sizeof(codes[0]) ? codes[o] : "internal_error";
}

int sip_transport_parse(const char *s, enum sip_transport *out)
{
    static const char *const names[] = {"UDP", "TCP", "TLS"};
    for (int i = 0; s != NULL && i < 3; i++)
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum sip_transport)i;
            return 0;
        }
    return -1;
}

/* libre keeps per-process state (its loop, OpenSSL); a forked worker sets it up on first use. */
static int lib_ready(void)
{
    static pid_t ready_in = 0;
    if (ready_in == getpid())
        return 0;
    if (libre_init() != 0)
        return -1;
    /* Outcomes are ours to report (sip_result); libre's own warnings would only repeat them
     * on stderr, colour codes included. */
    dbg_init(DBG_ERR, DBG_NONE);
    (void)fd_setsize(SIP_MAX_FDS);
    ready_in = getpid();
    return 0;
}

static void finish(struct op *op, enum sip_outcome o, const char *error)
{
    if (op->done)
        return;
    op->done = true;
    op->res->outcome = o;
    if (error != NULL)
        snprintf(op->res->error, sizeof(op->res->error), "%s", error);
    tmr_cancel(&op->tmr);
    if (op->looping)
        re_cancel();
}

static void timeout_handler(void *arg)
{
    struct op *op = arg;
    char msg[160];
    /* Still resolving: the name is what failed, whether the resolver answered or not. */
    if (op->dq != NULL && op->sip == NULL) {
        snprintf(msg, sizeof(msg), "The SIP server name %.100s did not resolve within %ld ms",
                 op->t->server, op->t->timeout_ms);
        finish(op, SIP_ERR_DNS, msg);
        return;
    }
    snprintf(msg, sizeof(msg), "No answer from the SIP server within %ld ms", op->t->timeout_ms);
    finish(op, SIP_ERR_TIMEOUT, msg);
}

/* An errno from libre's transport as our outcome. */
static void finish_errno(struct op *op, int err)
{
    char msg[160];
    enum sip_outcome o = SIP_ERR_NETWORK;
    if (err == ETIMEDOUT)
        o = SIP_ERR_TIMEOUT;
    else if (err == ECONNREFUSED)
        o = SIP_ERR_REFUSED;
    else if (op->t->transport == SIP_TP_TLS && (err == EPROTO || err == EAUTH || err == EBADMSG))
        o = SIP_ERR_TLS;
    if (o == SIP_ERR_TLS)
        snprintf(msg, sizeof(msg), "TLS handshake with the SIP server failed (%s)", strerror(err));
    else if (o == SIP_ERR_REFUSED)
        snprintf(msg, sizeof(msg), "The SIP server refused the connection");
    else
        snprintf(msg, sizeof(msg), "SIP transport error: %s", strerror(err));
    finish(op, o, msg);
}

static int auth_handler(char **user, char **pass, const char *realm, void *arg)
{
    const struct op *op = arg;
    (void)realm;
    if (op->t->username == NULL || op->t->password == NULL)
        return EAUTH;
    int err = str_dup(user, op->t->username);
    if (err == 0)
        err = str_dup(pass, op->t->password);
    return err;
}

/* REGISTER's Contact, from the local address the transport picked (libre prints it). */
static int send_handler(enum sip_transp tp, const struct sa *src, const struct sa *dst,
                        struct mbuf *mb, void *arg)
{
    const struct op *op = arg;
    struct sip_contact contact;
    (void)dst;
    if (strcmp(op->method, "REGISTER") != 0)
        return 0;
    sip_contact_set(&contact, op->t->username, src, tp);
    return mbuf_printf(mb, "%H", sip_contact_print, &contact);
}

struct reading {
    const char *user;
    struct sip_result *res;
};

/* The seconds the registrar granted for our Contact, when it names them. */
static bool contact_expires(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
    struct reading *rd = arg;
    struct sip_addr addr;
    struct pl val;
    (void)msg;
    if (sip_addr_decode(&addr, &hdr->val) != 0 || rd->user == NULL ||
        pl_strcmp(&addr.uri.user, rd->user) != 0)
        return false;
    if (msg_param_decode(&addr.params, "expires", &val) != 0)
        return false;
    rd->res->expires = (long)pl_u32(&val);
    return true;
}

/* What a final answer tells: code, reason, and for a REGISTER 2xx the granted expiry
 * (our Contact's expires, else Expires, else what was asked; 0 when we removed it). */
static void read_final(const struct sip_msg *msg, const char *user, bool is_register,
                       unsigned asked, struct sip_result *res)
{
    struct reading rd = {user, res};
    res->status = msg->scode;
    (void)pl_strcpy(&msg->reason, res->reason, sizeof(res->reason));
    if (is_register && msg->scode >= 200 && msg->scode < 300) {
        res->expires = pl_isset(&msg->expires) ? (long)pl_u32(&msg->expires) : (long)asked;
        (void)sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, contact_expires, &rd);
        if (asked == 0)
            res->expires = 0;
    }
    if (msg->scode >= 300)
        snprintf(res->error, sizeof(res->error), "The SIP server answered %u %s", msg->scode,
                 res->reason);
}

int sip_client_read_response(const void *buf, size_t n, const char *user, unsigned asked,
                             struct sip_result *res)
{
    struct mbuf *mb = mbuf_alloc(n > 0 ? n : 1);
    struct sip_msg *msg = NULL;
    int rc = -1;
    memset(res, 0, sizeof(*res));
    if (mb == NULL || mbuf_write_mem(mb, buf, n) != 0)
        goto out;
    mb->pos = 0;
    if (sip_msg_decode(&msg, mb) != 0 || msg->req)
        goto out;
    read_final(msg, user, true, asked, res);
    rc = 0;
out:
    mem_deref(msg);
    mem_deref(mb);
    return rc;
}

static int send_request(struct op *op);

static void response_handler(int err, const struct sip_msg *msg, void *arg)
{
    struct op *op = arg;
    if (err != 0 || msg == NULL) {
        finish_errno(op, err != 0 ? err : EPROTO);
        return;
    }
    if (msg->scode < 200)
        return;
    bool challenge = msg->scode == 401 || msg->scode == 407;
    /* One answer to a challenge: a second challenge means the credentials are wrong. */
    if (challenge && strcmp(op->method, "REGISTER") == 0 && !op->res->challenged) {
        op->res->challenged = true;
        if (sip_auth_authenticate(op->auth, msg) == 0 && send_request(op) == 0)
            return;
    }
    op->res->rtt_ms = (long)(tmr_jiffies() - op->t0);
    read_final(msg, op->t->username, strcmp(op->method, "REGISTER") == 0, op->expires, op->res);
    finish(op, SIP_OK, NULL);
}

static int send_request(struct op *op)
{
    op->req = mem_deref(op->req);
    if (strcmp(op->method, "REGISTER") == 0)
        return sip_drequestf(&op->req, op->sip, true, "REGISTER", op->dlg, 0, op->auth,
                             send_handler, response_handler, op,
                             "Expires: %u\r\nContent-Length: 0\r\n\r\n", op->expires);
    return sip_drequestf(&op->req, op->sip, true, "OPTIONS", op->dlg, 0, NULL, send_handler,
                         response_handler, op,
                         "Accept: application/sdp\r\nContent-Length: 0\r\n\r\n");
}

static const char *tp_param(enum sip_transport tp)
{
    return tp == SIP_TP_TLS ? "tls" : tp == SIP_TP_TCP ? "tcp" : "udp";
}

/* The local address a datagram to dst leaves from (the kernel's route), port 0. */
static int local_addr_for(const struct sa *dst, struct sa *laddr)
{
    int fd = socket(sa_af(dst), SOCK_DGRAM, 0), rc = -1;
    if (fd < 0)
        return -1;
    if (connect(fd, &dst->u.sa, dst->len) == 0) {
        sa_init(laddr, sa_af(dst));
        laddr->len = sizeof(laddr->u);
        if (getsockname(fd, &laddr->u.sa, &laddr->len) == 0) {
            sa_set_port(laddr, 0);
            rc = 0;
        }
    }
    close(fd);
    return rc;
}

/*
 * libre 1.1.0's SIP transport does not check the server's certificate: its context accepts
 * any. The context is ours alone (one per request, one server), so the check is set on it:
 * the system's CAs, and the certificate must name the configured server (name or address).
 */
static int tls_verify(struct op *op)
{
    SSL_CTX *ctx = tls_openssl_context(op->tls);
    unsigned char addr[16];
    const char *host = op->t->server;
    if (ctx == NULL || SSL_CTX_set_default_verify_paths(ctx) != 1)
        return EINVAL;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
    bool literal = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
    int ok = literal ? X509_VERIFY_PARAM_set1_ip_asc(param, host)
                     : X509_VERIFY_PARAM_set1_host(param, host, 0);
    return ok == 1 ? 0 : EINVAL;
}

static int add_transport(struct op *op, const struct sa *dst)
{
    struct sa laddr;
    if (local_addr_for(dst, &laddr) != 0)
        return errno != 0 ? errno : ENETUNREACH;
    int err = sip_alloc(&op->sip, op->dnsc, 4, 4, 4, "Switchboard", NULL, NULL);
    if (err != 0)
        return err;
    switch (op->t->transport) {
    case SIP_TP_UDP:
        return sip_transp_add(op->sip, SIP_TRANSP_UDP, &laddr);
    case SIP_TP_TCP:
        return sip_transp_add(op->sip, SIP_TRANSP_TCP, &laddr);
    case SIP_TP_TLS:
        err = tls_alloc(&op->tls, TLS_METHOD_SSLV23, NULL, NULL);
        if (err == 0)
            err = tls_verify(op);
        return err != 0 ? err : sip_transp_add(op->sip, SIP_TRANSP_TLS, &laddr, op->tls);
    }
    return EINVAL;
}

/* Judged, then the dialog: request URI and To/From in the domain, the server as its route. */
static void start_at(struct op *op, const struct sa *dst)
{
    const struct sip_target *t = op->t;
    const void *bytes = sa_af(dst) == AF_INET ? (const void *)&dst->u.in.sin_addr
                                              : (const void *)&dst->u.in6.sin6_addr;
    const char *refusal = webhook_addr_refusal(sa_af(dst), bytes, t->allow);
    char route[320], ruri[300], aor[400];
    if (refusal != NULL) {
        char msg[160];
        snprintf(msg, sizeof(msg), "The SIP server %s", refusal);
        finish(op, SIP_ERR_ADDRESS, msg);
        return;
    }
    int err = add_transport(op, dst);
    if (err != 0) {
        finish_errno(op, err);
        return;
    }
    /* Over TLS the name stays, so the certificate is checked against it. */
    if (t->transport == SIP_TP_TLS)
        re_snprintf(route, sizeof(route), "sip:%s:%d;transport=tls", t->server, t->port);
    else
        re_snprintf(route, sizeof(route), "sip:%J;transport=%s", dst, tp_param(t->transport));
    re_snprintf(ruri, sizeof(ruri), "sip:%s", op->domain);
    re_snprintf(aor, sizeof(aor), "sip:%s@%s",
                t->username != NULL && *t->username ? t->username : "switchboard", op->domain);
    const char *routev[] = {route};
    err = sip_dialog_alloc(&op->dlg, ruri, aor, NULL, aor, routev, 1);
    if (err == 0)
        err = sip_auth_alloc(&op->auth, auth_handler, op, false);
    op->t0 = tmr_jiffies();
    if (err == 0)
        err = send_request(op);
    if (err != 0)
        finish_errno(op, err);
}

static bool first_a(struct dnsrr *rr, void *arg)
{
    struct sa *sa = arg;
    sa_set_in(sa, rr->rdata.a.addr, 0);
    return true;
}

static void dns_handler(int err, const struct dnshdr *hdr, struct list *ansl,
                        struct list *authl, struct list *addl, void *arg)
{
    struct op *op = arg;
    struct sa dst;
    (void)authl;
    (void)addl;
    sa_init(&dst, AF_UNSPEC);
    if (err == 0 && hdr != NULL && hdr->rcode == DNS_RCODE_OK)
        (void)dns_rrlist_apply(ansl, NULL, DNS_TYPE_A, DNS_CLASS_IN, true, first_a, &dst);
    if (sa_af(&dst) != AF_INET) {
        char msg[160];
        snprintf(msg, sizeof(msg), "The SIP server name %.100s does not resolve", op->t->server);
        finish(op, SIP_ERR_DNS, msg);
        return;
    }
    sa_set_port(&dst, (uint16_t)op->t->port);
    start_at(op, &dst);
}

static int resolver_open(struct op *op)
{
    struct sa nsv[4];
    uint32_t nsn = 4;
    char domain[64] = "";
    if (dns_srv_get(domain, sizeof(domain), nsv, &nsn) != 0 || nsn == 0) {
        nsn = 1;
        (void)sa_set_str(&nsv[0], "127.0.0.1", 53);
    }
    return dnsc_alloc(&op->dnsc, NULL, nsv, nsn);
}

/* A literal address now; a name through the resolver, inside the loop and the timeout. */
static void begin(struct op *op)
{
    struct sa dst;
    const char *host = op->t->server;
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
        host = "127.0.0.1";
    if (sa_set_str(&dst, host, (uint16_t)op->t->port) == 0) {
        start_at(op, &dst);
        return;
    }
    int err = dnsc_query(&op->dq, op->dnsc, host, DNS_TYPE_A, DNS_CLASS_IN, true, dns_handler,
                         op);
    if (err != 0)
        finish(op, SIP_ERR_DNS, "The SIP server name could not be looked up");
}

static void op_free(struct op *op)
{
    tmr_cancel(&op->tmr);
    op->dq = mem_deref(op->dq);
    op->req = mem_deref(op->req);
    op->dlg = mem_deref(op->dlg);
    op->auth = mem_deref(op->auth);
    if (op->sip != NULL)
        sip_close(op->sip, true);
    op->sip = mem_deref(op->sip);
    op->tls = mem_deref(op->tls);
    op->dnsc = mem_deref(op->dnsc);
}

static int run(const struct sip_target *t, const char *method, unsigned expires,
               struct sip_result *res)
{
    struct op op = {.t = t, .res = res, .method = method, .expires = expires};
    memset(res, 0, sizeof(*res));
    tmr_init(&op.tmr);
    snprintf(op.domain, sizeof(op.domain), "%s",
             t->domain != NULL && *t->domain ? t->domain : t->server);
    if (lib_ready() != 0 || resolver_open(&op) != 0) {
        finish(&op, SIP_ERR_INTERNAL, "The SIP library could not start");
        goto out;
    }
    tmr_start(&op.tmr, (uint64_t)t->timeout_ms, timeout_handler, &op);
    begin(&op);
    if (!op.done) {
        op.looping = true;
        (void)re_main(NULL);
        op.looping = false;
    }
    if (!op.done)
        finish(&op, SIP_ERR_INTERNAL, "The SIP loop stopped early");
out:
    op_free(&op);
    return res->outcome == SIP_OK ? 0 : -1;
}

int sip_client_options(const struct sip_target *t, struct sip_result *res)
{
    return run(t, "OPTIONS", 0, res);
}

int sip_client_register(const struct sip_target *t, unsigned expires, struct sip_result *res)
{
    return run(t, "REGISTER", expires, res);
}
