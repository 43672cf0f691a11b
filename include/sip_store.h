#ifndef SB_SIP_STORE_H
#define SB_SIP_STORE_H
/*
 * A tenant's SIP trunk (sql/025_sip_trunks.sql): its row as the API shows it, its target
 * with the password opened for one send, and the outcome of a REGISTER stored with its
 * event. Used by the routes (src/routes/sip.c) and the clock's refresh phase (tick.c).
 * Every query is scoped by r->auth.tenant_id.
 *
 * Serialisation: every REGISTER of a trunk is sent while its row is locked (FOR UPDATE in
 * the transaction that stores the outcome), so a refresh by the clock and an unregister by
 * an admin never cross on the wire; the lock is held for at most sip_timeout_ms.
 */
#include <stdbool.h>

#include "sip_client.h"

struct json_object;
struct request;

#define SIP_PASSWORD_MAX 128

struct sip_trunk {
    const char *id, *provider, *server, *transport, *domain, *username, *state;
    int port;
    long register_expires;
    bool has_password;
    bool refreshing; /* the clock's refresh: a failure is retried */
    char password[SIP_PASSWORD_MAX + 1]; /* opened; wiped by sip_trunk_wipe() */
};

/* The trunk as answered (camelCased by the dialect): never the password, hasPassword.
 * DB_OK with *out (arena), 1 when the tenant has none, or a negative db_rc. */
int sip_trunk_fetch(struct request *r, struct json_object **out);

/* Reads the tenant's trunk, its password opened; lock: FOR UPDATE (inside a transaction).
 * DB_OK, 1 when none, or a negative db_rc (a password that does not open: DB_ERROR). */
int sip_trunk_load(struct request *r, bool lock, struct sip_trunk *t);
void sip_trunk_wipe(struct sip_trunk *t);
/* The send parameters of t under r's configuration (timeout, address rule). */
void sip_trunk_target(const struct request *r, const struct sip_trunk *t,
                      struct sip_target *out);

/*
 * Inside the transaction that holds t's row: stores a REGISTER outcome (asked: the seconds
 * requested, 0 for an unregister) and emits sip.registered / sip.registration_failed /
 * sip.unregistered when the state changes (a refresh that keeps it registered emits none).
 * DB_OK or a negative db_rc.
 */
int sip_trunk_store_register(struct request *r, const struct sip_trunk *t, unsigned asked,
                             const struct sip_result *res);
/* Stores an OPTIONS outcome (last_status, last_error, last_rtt_ms, last_checked_at). */
int sip_trunk_store_test(struct request *r, const char *id, const struct sip_result *res);

/* The outcome as answered: {ok, status_code, reason, rtt_ms, expires, error, error_code}. */
struct json_object *sip_result_json(struct request *r, const struct sip_result *res);

/* The clock's move (tick.c): REGISTER again for the trunk id if still due and not held by
 * another clock; *moved 1 when sent. DB_OK or a negative db_rc. */
int sip_refresh_due(struct request *r, const char *id, int *moved);

#endif
