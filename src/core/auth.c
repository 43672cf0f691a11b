/*
 * Authentication of every request: the bearer token, then the session, user and tenant
 * behind it (session.h), so logout, deactivation and suspension act at the next request.
 * A verified session is cached in memcached under the tenant's auth generation, which
 * every auth-relevant write moves (auth_changed); a missed move is bounded by the TTL.
 */
#include "auth.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "event_out.h"
#include "request.h"
#include "router.h"
#include "session.h"
#include "token.h"

/* Seconds a verified session may be served from the cache without asking the database. */
#define AUTH_CACHE_TTL 15

static int unauthorized(struct request *r, const char *message)
{
    return request_error(r, 401, "unauthorized", message);
}

int auth_authenticate(struct request *r)
{
    const char *h = r->authorization;
    if (h == NULL || h[0] == '\0')
        return unauthorized(r, "Authentication required");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return unauthorized(r, "Use an Authorization: Bearer token");
    const char *token = h + 7;
    while (*token == ' ')
        token++;
    struct token_claims c;
    int trc = jwt_verify_hs256(token, r->cfg->jwt_key, r->cfg->jwt_key_len, time(NULL), &c);
    if (trc == TOKEN_EXPIRED)
        return unauthorized(r, "Token expired");
    if (trc != TOKEN_OK)
        return unauthorized(r, "Invalid token");

    /* The cached verdict, valid while the tenant's auth generation has not moved. */
    char *key = NULL, *role = NULL;
    uint64_t gen;
    const char *ns = arena_printf(r->arena, "auth:%s", c.tenant_id);
    if (ns != NULL && cache_generation(r->cache, ns, &gen) == 0) {
        key = arena_printf(r->arena, "%s:%llu:%s:%s", ns, (unsigned long long)gen, c.sid, c.sub);
        size_t len;
        if (key != NULL && cache_get(r->cache, r->arena, key, &role, &len) == 0 &&
            role_bit(role) == 0)
            role = NULL;
    }
    if (role == NULL) {
        const char *refusal, *fresh;
        int rc = session_check(r->db, r->arena, c.sid, c.sub, c.tenant_id, &fresh, &refusal);
        if (rc < 0)
            return request_db_error(r, rc);
        if (rc == 1)
            return unauthorized(r, refusal);
        role = (char *)fresh;
        if (key != NULL && role != NULL)
            cache_set(r->cache, key, role, strlen(role), AUTH_CACHE_TTL);
    }

    /* The role comes from the database (or its cached copy), so a change applies at once. */
    r->auth.authenticated = true;
    r->auth.user_id = arena_strdup(r->arena, c.sub);
    r->auth.tenant_id = arena_strdup(r->arena, c.tenant_id);
    r->auth.session_id = arena_strdup(r->arena, c.sid);
    r->auth.role = role;
    r->auth.role_bit = role_bit(role);
    if (!r->auth.user_id || !r->auth.tenant_id || !r->auth.session_id)
        return request_error(r, 500, "internal_error", "Out of memory");
    return 0;
}

void auth_changed(struct request *r, const char *tenant_id)
{
    const char *ns = arena_printf(r->arena, "auth:%s", tenant_id);
    if (ns != NULL)
        cache_bump(r->cache, ns);
    /* The write may have announced a revocation (session_announce): deliver it now. */
    event_wake(r);
}

