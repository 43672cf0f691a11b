/*
 * Every password check of the API goes through here (login, change-password, and any
 * later route that asks for a password): refused with 429 while the e-mail or the client
 * address is locked, each failure counted on both and recorded in the audit log, a
 * success clearing the e-mail's count. The counters live in MariaDB (throttle.h), so
 * every app host sees the same ones.
 *
 * Limits: password_max_failures per e-mail and password_max_failures_per_address per
 * address within password_lockout_seconds; reaching one locks it for that long. A locked
 * e-mail is refused before its password is verified, so a guesser learns nothing more,
 * and an unknown e-mail is counted like a known one, so a lock says nothing about which
 * e-mails exist.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "jsonutil.h"
#include "log.h"
#include "request.h"
#include "audit.h"
#include "auth.h"
#include "throttle.h"

static const char KIND_EMAIL[] = "pwd-email", KIND_ADDR[] = "pwd-addr";

static const char *addr_of(struct request *r)
{
    return r->remote_addr ? r->remote_addr : "-";
}

int pwcheck_before(struct request *r, const char *email)
{
    const char *kinds[] = {KIND_EMAIL, KIND_ADDR};
    const char *keys[] = {email, addr_of(r)};
    long retry = 0;
    int rc = throttle_locked(r->db, r->arena, kinds, keys, 2, &retry);
    if (rc < 0)
        return request_db_error(r, rc);
    if (rc == 0)
        return 0;
    r->retry_after = retry;
    char *msg = arena_printf(r->arena,
                             "Too many failed password attempts; try again in %ld seconds",
                             retry);
    return request_error(r, 429, "too_many_attempts",
                         msg ? msg : "Too many failed password attempts");
}

static void audit_one(struct request *r, const char *email, const char *tenant_id,
                      const char *user_id, const char *action, const char *what)
{
    struct json_object *d = arena_json(r->arena, json_object_new_object());
    if (d == NULL || json_set_str(d, "email", email) != 0 || json_set_str(d, "check", what) != 0)
        return;
    if (audit_record(r, tenant_id, action, "user", user_id, json_text(d, NULL)) != DB_OK)
        log_warn("auth: cannot audit %s for %s", action, user_id ? user_id : email);
}

void pwcheck_audit(struct request *r, const char *email, const char *tenant_id,
                   const char *user_id, const char *what, int locked)
{
    audit_one(r, email, tenant_id, user_id, "auth.password_failed", what);
    if (locked)
        audit_one(r, email, tenant_id, user_id, "auth.locked", what);
}

int pwcheck_failed(struct request *r, const char *email)
{
    const struct config *cfg = r->cfg;
    long by_email = 0, by_addr = 0;
    int rc = throttle_hit(r->db, r->arena, KIND_EMAIL, email, cfg->password_lockout_seconds,
                          cfg->password_max_failures, cfg->password_lockout_seconds,
                          &by_email);
    if (rc == DB_OK)
        rc = throttle_hit(r->db, r->arena, KIND_ADDR, addr_of(r), cfg->password_lockout_seconds,
                          cfg->password_max_failures_per_address,
                          cfg->password_lockout_seconds, &by_addr);
    if (rc != DB_OK)
        log_warn("auth: cannot count a failed password check: %s", db_last_error(r->db));
    int locked = by_email == cfg->password_max_failures ||
                 by_addr == cfg->password_max_failures_per_address;
    if (locked)
        log_warn("auth: password checks locked for %ld s after %ld failures on the e-mail,"
                 " %ld from %s",
                 cfg->password_lockout_seconds, by_email, by_addr, addr_of(r));
    return locked;
}

void pwcheck_passed(struct request *r, const char *email)
{
    if (throttle_clear(r->db, r->arena, KIND_EMAIL, email) != DB_OK)
        log_warn("auth: cannot clear the failed password count: %s", db_last_error(r->db));
}
