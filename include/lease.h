#ifndef SWITCHBOARD_LEASE_H
#define SWITCHBOARD_LEASE_H

#include "db.h"

struct arena;

/*
 * A job run by one process of the whole deployment at a time (sql/037): the lease `name`
 * is held by `holder` until it expires; the holder renews it, another process takes it
 * once it has expired, so the job carries on when the host running it dies. A holder that
 * stalls past its lease may overlap the next one briefly: the jobs under a lease are safe
 * to repeat (a delivery sent twice keeps its id).
 *
 * lease_hold: takes or renews the lease for ttl_ms; 1 held, 0 another holds it, or a
 * negative db_rc. lease_release: gives it up now (shutdown), so a standby takes it at once.
 */
int lease_hold(struct db *db, struct arena *a, const char *name, const char *holder,
               long ttl_ms);
void lease_release(struct db *db, struct arena *a, const char *name, const char *holder);

#endif
