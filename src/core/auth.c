/*
 * Authentication of every request: the bearer token, then the session, user and tenant
 * behind it (session.h), so logout, deactivation and suspension act at the next request.
 * A verified session is cached, stamped with the tenant's auth generation, which every
 * auth-relevant write moves (auth_changed); a missed move is bounded by the TTL. The
 * generation is read in one multi-get with the route's (cached.h).
 */
#include "auth.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "cache.h"
#include "cached.h"
#include "config.h"
#include "event_out.h"
#include "request.h"
#include "router.h"
#include "session.h"
#include "stamped.h"
#include "token.h"

/* Seconds a verified session may be served from the cache without asking the database. */
#define AUTH_CACHE_TTL 15

/*
 * The cached verdict on the token's session: its role, stamped (stamped.h) with the
 * tenant's auth generation under "auth:<tenant>:<sid>:<user>". The generation comes in one
 * multi-get with the route's own (cached.h); the verdict from this process's copy, else
 * memcached. Returns whether *gen is the current generation (a verdict may be stored under
 * it); *role: the verdict, NULL a miss.
 */
static bool cached_verdict(struct request *r, const struct token_claims *c, const char **key,
                           uint64_t *gen, const char **role)
{
    const char *ns = arena_printf(r->arena, "auth:%s", c->tenant_id);
    const char *gen_key = ns ? arena_printf(r->arena, "gen:%s", ns) : NULL;
    struct cache_item got;
    *key = ns ? arena_printf(r->arena, "%s:%s:%s", ns, c->sid, c->sub) : NULL;
    if (gen_key == NULL || *key == NULL || cached_fetch(r, c->tenant_id, &gen_key, 1, &got) != 0)
        return false;
    char *end;
    if (got.val != NULL) {
        *gen = strtoull(got.val, &end, 10);
        if (end == got.val)
            return false;
    } else if (cache_generation(r->cache, ns, gen) != 0) {
        return false;
    }
    const char *verdict;
    size_t len;
    if (stamped_get(r->cache, r->arena, *key, *gen, &verdict, &len) == 0 && role_bit(verdict))
        *role = verdict;
    return true;
}

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

    const char *role = NULL, *verdict_key = NULL;
    uint64_t gen = 0;
    bool gen_ok = cached_verdict(r, &c, &verdict_key, &gen, &role);
    if (role == NULL) {
        const char *refusal, *fresh;
        int rc = session_check(r->db, r->arena, c.sid, c.sub, c.tenant_id, &fresh, &refusal);
        if (rc < 0)
            return request_db_error(r, rc);
        if (rc == 1)
            return unauthorized(r, refusal);
        role = fresh;
        if (gen_ok && role != NULL)
            stamped_put(r->cache, r->arena, verdict_key, gen, AUTH_CACHE_TTL, role, strlen(role));
    }

    /* The role comes from the database (or its cached copy), so a change applies at once. */
    r->auth.authenticated = true;
    r->auth.user_id = arena_strdup(r->arena, c.sub);
    r->auth.tenant_id = arena_strdup(r->arena, c.tenant_id);
    r->auth.session_id = arena_strdup(r->arena, c.sid);
    r->auth.role = role;
    r->auth.role_bit = role_bit(role);
    if (!r->auth.user_id || !r->auth.tenant_id || !r->auth.session_id)
        return request_oom(r);
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

