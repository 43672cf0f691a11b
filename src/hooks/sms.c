/*
 * SMS delivery: the queued messages (sms_messages, its own outbox: sms.h) POSTed to
 * Twilio's Messages API, {twilio_api_base}/2010-04-01/Accounts/{sid}/Messages.json, form
 * To, From, Body, StatusCallback, basic auth with the tenant's account sid and auth token
 * (sealed by src/routes/integrations.c, opened here only to send).
 *
 * A 2xx records Twilio's sid ('sent'); a 4xx other than 429 is final ('failed' with
 * Twilio's code and message); anything else (5xx, 429, no answer) is tried again after the
 * webhooks' backoff (webhook_backoff_ms under webhook_retry_*), until webhook_give_up_seconds
 * after the message was queued. A round sends for SMS_BUDGET_MS at most (each call bounded
 * by SMS_TIMEOUT_MS), so the webhooks' deliveries wait little. A message is claimed with a
 * lease (SMS_LEASE_S): a process killed between the POST and its record sends it again
 * once the lease ran out (at least once, like webhook deliveries). The base URL is the
 * operator's, so the webhooks' address rule does not apply to it; no redirects, no proxy.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "hooks.h"
#include "log.h"
#include "request.h"
#include "sms.h"
#include "webhook.h"

#define SMS_BATCH 20
#define SMS_LEASE_S 60
#define SMS_TIMEOUT_MS 10000L
#define SMS_BUDGET_MS 2000

struct sms_answer {
    char text[1024];
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sms_answer *ans = arg;
    size_t n = size * nmemb, room = sizeof(ans->text) - 1 - ans->len;
    size_t k = n < room ? n : room;
    memcpy(ans->text + ans->len, data, k);
    ans->len += k;
    ans->text[ans->len] = '\0';
    return n;
}

/* The form of one message, escaped by curl; NULL when out of memory. */
static char *form_of(CURL *e, const struct hooks *h, const struct db_result *m, size_t i)
{
    const char *names[] = {"To", "From", "Body", "StatusCallback"};
    char callback[512];
    const char *base = h->cfg->public_base_url;
    int bl = (int)strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    snprintf(callback, sizeof(callback), "%.*s/webhooks/twilio/sms-status", bl, base);
    const char *values[] = {db_get(m, i, "to_number"), db_get(m, i, "from_number"),
                            db_get(m, i, "body"), callback};
    char *out = NULL;
    for (size_t k = 0; k < 4; k++) {
        char *v = curl_easy_escape(e, values[k], 0);
        char *prev = out;
        if (v == NULL || (out = arena_printf(h->arena, "%s%s%s=%s", prev ? prev : "",
                                             prev ? "&" : "", names[k], v)) == NULL) {
            curl_free(v);
            return NULL;
        }
        curl_free(v);
    }
    return out;
}

/* One POST: the HTTP status (0: none came back, err says why) and the answer's start. */
static long post(const struct hooks *h, const char *url, const char *sid, const char *token,
                 const char *form, struct sms_answer *ans, char *err, size_t errlen)
{
    long status = 0;
    CURL *e = curl_easy_init();
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return 0;
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->cfg->webhook_connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, SMS_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERNAME, sid);
    curl_easy_setopt(e, CURLOPT_PASSWORD, token);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "Switchboard-SMS/1");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, ans);
    CURLcode cc = curl_easy_perform(e);
    if (cc == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(err, errlen, "%s", curl_easy_strerror(cc));
    curl_easy_cleanup(e);
    return status;
}

/* A member of Twilio's JSON answer as text into out ("" when absent). */
static void answer_member(const struct sms_answer *ans, const char *key, char *out, size_t cap)
{
    struct json_object *o = json_tokener_parse(ans->text), *v;
    out[0] = '\0';
    if (o != NULL && json_object_object_get_ex(o, key, &v) && v != NULL)
        snprintf(out, cap, "%s", json_object_get_string(v));
    json_object_put(o);
}

/* The tenant's auth token, opened into out (at least 65 bytes); -1 when it cannot be. */
static int open_token(const struct hooks *h, const struct db_result *m, size_t i, char *out,
                      size_t cap)
{
    int col = db_col_index(m, "auth_token_sealed");
    const struct db_cell *c = col < 0 ? NULL : &m->cells[i * m->ncols + (size_t)col];
    if (c == NULL || c->v == NULL || c->len < CRYPTO_SEAL_OVERHEAD ||
        c->len - CRYPTO_SEAL_OVERHEAD >= cap ||
        crypto_open(h->cfg->jwt_key, h->cfg->jwt_key_len, CRYPTO_PURPOSE_TWILIO_TOKEN,
                    (const unsigned char *)c->v, c->len, (unsigned char *)out) != 0)
        return -1;
    out[c->len - CRYPTO_SEAL_OVERHEAD] = '\0';
    return 0;
}

/* What a provider call came to. */
struct outcome {
    bool sent, final;
    long long retry_ms;
    char sid[128], code[128], msg[256];
};

/* The outcome on the row, with the sms.status event of a sent or failed message for the
 * tenant's live views (and its webhooks), in one transaction. DB_OK or a db_rc. */
static int record(struct hooks *h, const struct db_result *m, size_t i, const struct outcome *o)
{
    const char *id = db_get(m, i, "id");
    int rc = db_begin(h->db);
    if (rc != DB_OK)
        return rc;
    rc = o->sent ? sms_store_sent(h->db, h->arena, id, o->sid[0] ? o->sid : NULL)
                 : sms_store_failed(h->db, h->arena, id, o->final, o->retry_ms, o->code,
                                    o->msg);
    struct request r;
    hooks_request(&r, h, db_get(m, i, "tenant_id"));
    const char *payload = arena_printf(h->arena, "{\"sms_id\":\"%s\",\"status\":\"%s\"}", id,
                                       o->sent ? "sent" : "failed");
    if (rc == DB_OK && (o->sent || o->final))
        rc = payload ? event_emit(&r, "sms.status", NULL, payload) : DB_ERROR;
    rc = db_finish(h->db, rc);
    if (rc == DB_OK && (o->sent || o->final))
        event_wake(&r);
    return rc;
}

/* A refused or failed call: Twilio's code and message, and whether to try again. */
static void failed(const struct hooks *h, const struct db_result *m, size_t i, long status,
                   const struct sms_answer *ans, const char *err, struct outcome *o)
{
    answer_member(ans, "code", o->code, sizeof(o->code));
    answer_member(ans, "message", o->msg, sizeof(o->msg));
    if (o->code[0] == '\0')
        snprintf(o->code, sizeof(o->code), status ? "http_%ld" : "no_answer", status);
    if (o->msg[0] == '\0')
        snprintf(o->msg, sizeof(o->msg), "%s", status ? "The provider refused the message" : err);
    o->final = status >= 400 && status < 500 && status != 429;
    int attempt = (int)db_get_int(m, i, "attempts", 0) + 1;
    unsigned rnd = 0;
    if (crypto_random(&rnd, sizeof(rnd)) != 0)
        rnd = (unsigned)attempt * 2654435761u;
    o->retry_ms = webhook_backoff_ms(h->cfg->webhook_retry_base_ms,
                                     h->cfg->webhook_retry_max_delay_ms, attempt, rnd);
    long long age_ms = db_get_int(m, i, "age_s", 0) * 1000;
    if (age_ms + o->retry_ms >= h->cfg->webhook_give_up_seconds * 1000LL)
        o->final = true;
    log_warn("hooks: sms %s: %s (%s)%s", db_get(m, i, "id"), o->msg, o->code,
             o->final ? ", given up" : "");
}

/* Sends message i of the claimed batch and records the outcome. DB_OK or a db_rc. */
static int send_one(struct hooks *h, const struct db_result *m, size_t i)
{
    const char *sid = db_get(m, i, "account_sid");
    char token[80], err[256] = "";
    struct sms_answer ans = {.len = 0};
    struct outcome o = {.sent = false};
    if (sid == NULL || open_token(h, m, i, token, sizeof(token)) != 0) {
        o.final = true;
        snprintf(o.code, sizeof(o.code), "not_configured");
        snprintf(o.msg, sizeof(o.msg), "The tenant has no usable Twilio credentials");
        return record(h, m, i, &o);
    }
    CURL *esc = curl_easy_init();
    char *form = esc ? form_of(esc, h, m, i) : NULL;
    curl_easy_cleanup(esc);
    const char *url = arena_printf(h->arena, "%s/2010-04-01/Accounts/%s/Messages.json",
                                   h->cfg->twilio_api_base, sid);
    if (form == NULL || url == NULL) {
        explicit_bzero(token, sizeof(token));
        return DB_ERROR;
    }
    long status = post(h, url, sid, token, form, &ans, err, sizeof(err));
    explicit_bzero(token, sizeof(token));
    if (status >= 200 && status < 300) {
        o.sent = true;
        answer_member(&ans, "sid", o.sid, sizeof(o.sid));
    } else {
        failed(h, m, i, status, &ans, err, &o);
    }
    return record(h, m, i, &o);
}

int hooks_sms(struct hooks *h)
{
    struct db_result *m;
    int rc = sms_store_claim(h->db, h->arena, SMS_BATCH, SMS_LEASE_S, &m);
    if (rc != DB_OK)
        return -1;
    /* A slow provider must not hold the webhooks' round: past the budget, the rest of the
     * batch goes back to the queue as it was. */
    long long end = hooks_clock_ms() + SMS_BUDGET_MS;
    for (size_t i = 0; i < m->nrows; i++) {
        if (hooks_clock_ms() < end)
            rc = send_one(h, m, i);
        else
            rc = sms_store_release(h->db, h->arena, db_get(m, i, "id"));
        if (rc < 0)
            return -1;
    }
    return (int)m->nrows;
}
