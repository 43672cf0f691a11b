/*
 * Who is asking for a stream, a long-poll or the health counts (api_internal.h).
 *
 * A JWT is verified (HS256, cfg.jwt_key) and its session, user and tenant checked in one
 * query (the join of src/routes/auth.c auth_authenticate); the stream ends at the token's
 * exp. A ticket is spent by one UPDATE (exactly one row, not used, not expired), then its
 * session, user and tenant are checked the same way; its stream may last one access-token
 * lifetime (cfg.access_token_ttl).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "session.h"
#include "token.h"
#include "api_internal.h"

#define TICKET_MAX 256

void api_reply_db_error(struct ev *ev, struct http_conn *c, const char *cors, int rc)
{
    ev->counters.db_errors_request++;
    if (rc == DB_UNAVAILABLE)
        http_reply_error(c, 503, "service_unavailable", "The database is unavailable", cors);
    else
        http_reply_error(c, 500, "internal_error", "Internal server error", cors);
}

static void unauthorized(struct http_conn *c, const char *cors, const char *message)
{
    http_reply_error(c, 401, "unauthorized", message, cors);
}

/* 0 when the session may stream, with *role the user's role; else answers 401/503 and
 * returns -1. */
static int check_session(struct ev *ev, struct http_conn *c, const char *cors, const char *sid,
                         const char *user_id, const char *tenant_id, const char **role)
{
    const char *refusal;
    int rc = session_check(ev->db, ev->arena, sid, user_id, tenant_id, role, &refusal);
    if (rc < 0) {
        api_reply_db_error(ev, c, cors, rc);
        return -1;
    }
    if (rc == 1) {
        unauthorized(c, cors, refusal);
        return -1;
    }
    return 0;
}

static int auth_jwt(struct ev *ev, struct http_conn *c, const char *cors, const char *token,
                    struct identity *id)
{
    const struct config *cfg = ev->cfg;
    struct token_claims cl;
    const char *role;
    time_t now = time(NULL);
    int trc = jwt_verify_hs256(token, cfg->jwt_key, cfg->jwt_key_len, now, &cl);
    if (trc == TOKEN_EXPIRED) {
        unauthorized(c, cors, "Token expired");
        return -1;
    }
    if (trc != TOKEN_OK) {
        unauthorized(c, cors, "Invalid token");
        return -1;
    }
    if (check_session(ev, c, cors, cl.sid, cl.sub, cl.tenant_id, &role) != 0)
        return -1;
    snprintf(id->tenant_id, sizeof(id->tenant_id), "%s", cl.tenant_id);
    snprintf(id->session_id, sizeof(id->session_id), "%s", cl.sid);
    snprintf(id->user_id, sizeof(id->user_id), "%s", cl.sub);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    id->expires_in_ms = cl.exp * 1000 - ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    if (id->expires_in_ms < 1)
        id->expires_in_ms = 1;
    return 0;
}

static int auth_ticket(struct ev *ev, struct http_conn *c, const char *cors, const char *ticket,
                       struct identity *id)
{
    size_t n = strlen(ticket);
    if (n == 0 || n > TICKET_MAX) {
        unauthorized(c, cors, "Invalid or used ticket");
        return -1;
    }
    char hash[65];
    crypto_sha256_hex(ticket, n, hash);
    struct db_result *res;
    int rc = db_exec(ev->db, ev->arena,
                     "UPDATE stream_tickets SET used_at = NOW()"
                     " WHERE id = ? AND used_at IS NULL AND expires_at > NOW()",
                     DB_PARAMS(DB_STR(hash)), &res);
    if (rc != DB_OK) {
        api_reply_db_error(ev, c, cors, rc);
        return -1;
    }
    if (res->affected_rows != 1) {
        unauthorized(c, cors, "Invalid or used ticket");
        return -1;
    }
    rc = db_exec(ev->db, ev->arena,
                 "SELECT tenant_id, user_id, session_id FROM stream_tickets WHERE id = ?",
                 DB_PARAMS(DB_STR(hash)), &res);
    if (rc != DB_OK) {
        api_reply_db_error(ev, c, cors, rc);
        return -1;
    }
    if (res->nrows == 0) {
        unauthorized(c, cors, "Invalid or used ticket");
        return -1;
    }
    const char *role;
    if (check_session(ev, c, cors, db_get(res, 0, "session_id"), db_get(res, 0, "user_id"),
                      db_get(res, 0, "tenant_id"), &role) != 0)
        return -1;
    const char *tenant = db_get(res, 0, "tenant_id");
    const char *sid = db_get(res, 0, "session_id"), *uid = db_get(res, 0, "user_id");
    if (tenant == NULL || strlen(tenant) > TOKEN_ID_MAX || sid == NULL ||
        strlen(sid) > TOKEN_ID_MAX || uid == NULL || strlen(uid) > TOKEN_ID_MAX) {
        unauthorized(c, cors, "Invalid or used ticket");
        return -1;
    }
    snprintf(id->tenant_id, sizeof(id->tenant_id), "%s", tenant);
    snprintf(id->session_id, sizeof(id->session_id), "%s", sid);
    snprintf(id->user_id, sizeof(id->user_id), "%s", uid);
    id->expires_in_ms = ev->cfg->access_token_ttl * 1000LL;
    return 0;
}

int api_authenticate(struct ev *ev, struct http_conn *c, const struct http_request *req,
                     const struct query *q, const char *cors, struct identity *id)
{
    const char *h = http_request_header(req, "Authorization");
    if (h != NULL && *h != '\0') {
        if (strncasecmp(h, "Bearer ", 7) != 0) {
            unauthorized(c, cors, "Use an Authorization: Bearer token");
            return -1;
        }
        const char *token = h + 7;
        while (*token == ' ')
            token++;
        return auth_jwt(ev, c, cors, token, id);
    }
    if (q->access_token != NULL && *q->access_token != '\0')
        return auth_jwt(ev, c, cors, q->access_token, id);
    if (q->ticket != NULL && *q->ticket != '\0')
        return auth_ticket(ev, c, cors, q->ticket, id);
    unauthorized(c, cors, "Authentication required");
    return -1;
}

/*
 * Anyone may ask whether the worker is up; its counts (every tenant's streams together,
 * and the feed's position in the table all tenants share) only a super_admin's token
 * sees.
 */
int api_health_detail_allowed(struct ev *ev, struct http_conn *c,
                              const struct http_request *req, const char *cors)
{
    const char *h = http_request_header(req, "Authorization");
    if (h == NULL || *h == '\0')
        return 0;
    struct token_claims cl;
    const char *role = NULL;
    if (strncasecmp(h, "Bearer ", 7) != 0 ||
        jwt_verify_hs256(h + 7, ev->cfg->jwt_key, ev->cfg->jwt_key_len, time(NULL), &cl) !=
            TOKEN_OK) {
        unauthorized(c, cors, "Invalid token");
        return -1;
    }
    if (check_session(ev, c, cors, cl.sid, cl.sub, cl.tenant_id, &role) != 0)
        return -1;
    if (role == NULL || strcmp(role, "super_admin") != 0) {
        http_reply_error(c, 403, "forbidden", "Only a super_admin sees the worker's counts",
                         cors);
        return -1;
    }
    return 1;
}
