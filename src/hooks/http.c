/*
 * The POSTs of webhook deliveries, through libcurl's multi interface: a batch holds one
 * run per webhook (deliver.c); runs go concurrently, a run's calls one after another on
 * the webhook's own easy handle (the next once the previous answered 2xx), each bounded by
 * a connect and a total timeout. The multi handle lives as long as the process, so its
 * connection cache keeps a webhook's connection alive between calls and rounds.
 *
 * Where a request may go is decided here, not by curl: the host is resolved by us, every
 * address it resolves to must pass webhook_addr_refusal() (a name resolving to one private
 * address among public ones is refused), and curl is pinned to the address we checked
 * (CURLOPT_RESOLVE), so a DNS answer that changes between our check and curl's connect (DNS
 * rebinding) cannot send the request elsewhere. A connection kept alive goes on to the
 * address it was opened to, which was checked then; each run checks the host again. No
 * redirects, no proxy from the environment, http and https only.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "crypto.h"
#include "config.h"
#include "daemon.h"
#include "hooks.h"
#include "log.h"
#include "utf8.h"
#include "webhook.h"

/* One multi handle for the process: its connection cache keeps a webhook's connection
 * open from one delivery to the next (keep-alive), across runs too. */
static CURLM *multi;

/* A run starts no call after this long into the round: a receiver that answers 2xx but
 * slowly would otherwise hold the round (other webhooks' records, fan-out) for RUN_MAX of
 * its timeouts. Its run goes on at the next round. */
#define RUN_BUDGET_MS 1000
static long long round_end_ms;

int hooks_http_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    multi = curl_multi_init();
    if (multi != NULL && curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 64L) == CURLM_OK)
        return 0;
    curl_multi_cleanup(multi);
    multi = NULL;
    curl_global_cleanup();
    return -1;
}

void hooks_http_cleanup(void)
{
    curl_multi_cleanup(multi);
    multi = NULL;
    curl_global_cleanup();
}

static size_t on_answer(char *data, size_t size, size_t nmemb, void *arg)
{
    struct hooks_call *c = arg;
    size_t n = size * nmemb, room = HOOKS_ANSWER_MAX - c->answer_len;
    if (room > 0) {
        size_t k = n < room ? n : room;
        memcpy(c->answer + c->answer_len, data, k);
        c->answer_len += k;
        c->answer[c->answer_len] = '\0';
    }
    return n; /* the rest is read and dropped: the total timeout bounds it */
}

/* The checked address of host:port as "host:port:addr" for CURLOPT_RESOLVE into pin ("" when
 * the host is an address literal: nothing to pin). 0, or -1 with c->error set. */
static int resolve_checked(const struct hooks *h, struct hooks_call *c, const char *host,
                           int port, char *pin, size_t cap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    char text[INET6_ADDRSTRLEN] = "";
    pin[0] = '\0';
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(c->error, sizeof(c->error), "cannot resolve %.100s: %.100s", host,
                 gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        const void *a = ai->ai_family == AF_INET
                            ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                            : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        const char *why = webhook_addr_refusal(ai->ai_family, a, h->allow);
        if (inet_ntop(ai->ai_family, a, text, sizeof(text)) == NULL)
            snprintf(text, sizeof(text), "?");
        if (why != NULL) {
            snprintf(c->error, sizeof(c->error), "refused: %.100s resolves to %s, which %.60s",
                     host, text, why);
            freeaddrinfo(res);
            return -1;
        }
        if (pin[0] == '\0')
            snprintf(pin, cap, ai->ai_family == AF_INET6 ? "%s:%d:[%s]" : "%s:%d:%s", host,
                     port, text);
    }
    freeaddrinfo(res);
    unsigned char lit[16];
    if (inet_pton(AF_INET, host, lit) == 1 || inet_pton(AF_INET6, host, lit) == 1)
        pin[0] = '\0';
    return 0;
}

static struct curl_slist *headers_of(const struct hooks_call *c, const char *sig)
{
    char line[256];
    struct curl_slist *l = NULL, *n;
    const char *fixed[] = {"Content-Type: application/json", "User-Agent: Switchboard-Webhooks/1",
                           "Expect:"};
    for (size_t i = 0; i < 3; i++) {
        if ((n = curl_slist_append(l, fixed[i])) == NULL)
            goto fail;
        l = n;
    }
    const char *names[] = {"X-Switchboard-Event", "X-Switchboard-Delivery",
                           "X-Switchboard-Signature"};
    const char *values[] = {c->event_type, c->delivery_id, sig};
    for (size_t i = 0; i < 3; i++) {
        snprintf(line, sizeof(line), "%s: %s", names[i], values[i]);
        if ((n = curl_slist_append(l, line)) == NULL)
            goto fail;
        l = n;
    }
    return l;
fail:
    curl_slist_free_all(l);
    return NULL;
}

/* The run's easy handle with what its calls share (the webhook's URL, the checked address,
 * timeouts), or NULL with its first call's error set (nothing is sent). The URL is checked
 * and its host resolved once per run: a run is one webhook's. */
static CURL *prepare(const struct hooks *h, struct hooks_run *run)
{
    struct hooks_call *c = &run->calls[0];
    char host[256], pin[600];
    int port;
    const char *why = webhook_url_refusal(c->url, h->allow);
    if (c->secret == NULL) {
        snprintf(c->error, sizeof(c->error), "the signing secret cannot be opened");
        return NULL;
    }
    if (why != NULL) {
        snprintf(c->error, sizeof(c->error), "refused: the URL %s", why);
        return NULL;
    }
    if (webhook_url_host(c->url, host, sizeof(host), &port) != 0 ||
        resolve_checked(h, c, host, port, pin, sizeof(pin)) != 0)
        return NULL;
    CURL *e = curl_easy_init();
    run->resolve = pin[0] ? curl_slist_append(NULL, pin) : NULL;
    if (e == NULL || (pin[0] && run->resolve == NULL)) {
        snprintf(c->error, sizeof(c->error), "out of memory");
        curl_easy_cleanup(e);
        return NULL;
    }
    int bad = curl_easy_setopt(e, CURLOPT_URL, c->url) != CURLE_OK ||
              curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    curl_easy_setopt(e, CURLOPT_RESOLVE, (struct curl_slist *)run->resolve);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->cfg->webhook_connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(e, CURLOPT_PRIVATE, run);
    if (bad) {
        snprintf(c->error, sizeof(c->error), "refused: the URL is not http or https");
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

/* Puts the run's next call on its easy handle and into the multi handle. 0, or -1 with the
 * call's error set (then it counts as attempted: a failure, which ends the run). */
static int start_call(struct hooks_run *run)
{
    struct hooks_call *c = &run->calls[run->done];
    char sig[WEBHOOK_SIGNATURE_MAX];
    CURL *e = run->easy;
    c->status = c->latency_ms = 0;
    c->answer_len = 0;
    c->answer[0] = c->error[0] = '\0';
    if (webhook_signature(c->secret, (long long)time(NULL), c->body, strlen(c->body), sig,
                          sizeof(sig)) != 0) {
        snprintf(c->error, sizeof(c->error), "cannot sign the delivery");
        goto fail;
    }
    if ((c->headers = headers_of(c, sig)) == NULL) {
        snprintf(c->error, sizeof(c->error), "out of memory");
        goto fail;
    }
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(c->body));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)c->headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    if (curl_multi_add_handle(multi, e) != CURLM_OK) {
        snprintf(c->error, sizeof(c->error), "out of memory");
        goto fail;
    }
    return 0;
fail:
    curl_slist_free_all(c->headers);
    c->headers = NULL;
    run->done++;
    return -1;
}

/* The answer's bytes go into a utf8mb4 column: a byte that is not part of well-formed
 * UTF-8 (binary answers, a character cut at the 512th byte), or a NUL, becomes '?'. */
static void answer_to_text(struct hooks_call *c)
{
    unsigned char *p = (unsigned char *)c->answer;
    for (size_t i = 0; i < c->answer_len;) {
        size_t n = p[i] ? utf8_next(p + i, c->answer_len - i) : 0;
        if (n == 0) {
            p[i++] = '?';
            continue;
        }
        i += n;
    }
}

static void finish(struct hooks_call *c, CURL *e, CURLcode rc)
{
    answer_to_text(c);
    curl_off_t us = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &c->status);
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &us);
    c->latency_ms = (long)(us / 1000);
    if (rc != CURLE_OK)
        snprintf(c->error, sizeof(c->error), "%s", curl_easy_strerror(rc));
    else if (c->status < 200 || c->status > 299)
        snprintf(c->error, sizeof(c->error), "HTTP %ld", c->status);
}

static void release(struct hooks_run *run)
{
    curl_easy_cleanup(run->easy);
    curl_slist_free_all(run->resolve);
    run->easy = run->resolve = NULL;
}

/* The run's call in flight is done: the next one follows on the same handle (and, libcurl
 * keeping the connection in the multi handle's cache, on the same connection) after a 2xx,
 * unless the run is complete, out of time (RUN_BUDGET_MS) or the process is stopping. */
static void call_done(struct hooks_run *run, CURLcode result)
{
    struct hooks_call *c = &run->calls[run->done];
    finish(c, run->easy, result);
    curl_multi_remove_handle(multi, run->easy);
    curl_slist_free_all(c->headers);
    c->headers = NULL;
    run->done++;
    if (c->error[0] != '\0' || run->done >= run->n || daemon_stop ||
        hooks_clock_ms() >= round_end_ms || start_call(run) != 0)
        release(run);
}

static void start_runs(const struct hooks *h, struct hooks_run *runs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct hooks_run *run = &runs[i];
        run->done = 0;
        run->easy = run->resolve = NULL;
        if (run->n == 0)
            continue;
        for (size_t k = 0; k < run->n; k++)
            run->calls[k].error[0] = '\0';
        run->easy = prepare(h, run);
        if (run->easy == NULL)
            run->done = 1; /* the first call failed before it was sent */
        else if (start_call(run) != 0)
            release(run);
    }
}

static size_t in_flight(const struct hooks_run *runs, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += runs[i].easy != NULL;
    return k;
}

void hooks_http_run(const struct hooks *h, struct hooks_run *runs, size_t n)
{
    int running = 0;
    round_end_ms = hooks_clock_ms() + RUN_BUDGET_MS;
    start_runs(h, runs, n);
    /* Until every run is over: a call that ends may start its run's next one. */
    while (in_flight(runs, n) > 0) {
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            break;
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            char *priv = NULL;
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURLcode result = msg->data.result;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            call_done((struct hooks_run *)(void *)priv, result);
        }
        if (running > 0 && curl_multi_poll(multi, NULL, 0, 200, NULL) != CURLM_OK)
            break;
    }
    for (size_t i = 0; i < n; i++) /* left over only when the multi interface failed */
        if (runs[i].easy != NULL) {
            struct hooks_call *c = &runs[i].calls[runs[i].done];
            snprintf(c->error, sizeof(c->error), "transfer failed");
            c->answer_len = 0;
            c->answer[0] = '\0';
            curl_multi_remove_handle(multi, runs[i].easy);
            curl_slist_free_all(c->headers);
            c->headers = NULL;
            runs[i].done++;
            release(&runs[i]);
        }
}
