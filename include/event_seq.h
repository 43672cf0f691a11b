#ifndef SWITCHBOARD_EVENT_SEQ_H
#define SWITCHBOARD_EVENT_SEQ_H

#include "db.h"

/*
 * A tenant's events are numbered 1, 2, 3… in commit order (sql/036): an event row written
 * in a transaction is noted here and takes its number just before the transaction commits
 * (db_precommit), when its tenant's row in event_sequences is locked until the commit; an
 * event written outside a transaction is numbered at once in a transaction of its own.
 * The numbers follow the order the events were written in. Returns a db_rc.
 */
int event_seq_note(struct db *db, const char *tenant_id, unsigned long long event_id);

struct arena;

/* One event row of the tenant (of a call when call_id, for an audience when given; the
 * JSON payload may be NULL), noted to be numbered. Returns a db_rc. */
int event_write(struct db *db, struct arena *a, const char *tenant_id, const char *call_id,
                const char *type, const char *audience, const char *payload_json);

#endif
