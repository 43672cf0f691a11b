#ifndef SB_AUTH_H
#define SB_AUTH_H
/*
 * Who is asking. auth_authenticate() verifies the bearer token (HS256, exp) and the
 * session, user and tenant behind it, fills r->auth, and answers 401/503 itself (-1).
 * A successful check is cached in memcached under the tenant's auth generation;
 * auth_changed() moves that generation and must follow (after commit) every write that can
 * end a session or change who may do what: revocations, password changes, user
 * activation, role or deletion, tenant status. It also wakes the event worker, which
 * ends the streams of revoked sessions (src/events/revoke.c).
 *
 * Password checks (pwcheck.c) are throttled per e-mail and per client address:
 * pwcheck_before() answers 429 (or 503) and returns -1 while either is locked; after a
 * check, pwcheck_passed(), or pwcheck_failed() (counts it; 1 when that locked the e-mail
 * or the address) and pwcheck_audit() for each user the e-mail names.
 */
struct request;

int auth_authenticate(struct request *r);
void auth_changed(struct request *r, const char *tenant_id);

int pwcheck_before(struct request *r, const char *email);
int pwcheck_failed(struct request *r, const char *email);
void pwcheck_audit(struct request *r, const char *email, const char *tenant_id,
                   const char *user_id, const char *what, int locked);
void pwcheck_passed(struct request *r, const char *email);

#endif
