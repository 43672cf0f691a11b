#ifndef SB_BLACKLIST_STORE_H
#define SB_BLACKLIST_STORE_H
/*
 * The tenant's blacklist (`blacklist`, 002): numbers blocked for inbound calls, outbound
 * calls or both, until expires_at (NULL: for ever). The callcenter's /api/v1/blacklist
 * (blacklist.c) and coldcaller's /api/dnc (dnc.c) write the same rows. A blocked caller
 * never reaches a queue: qcall_enter() asks blacklist_store_blocks() first, so the Twilio
 * webhook, the IVR and the API entering a call are all held to it.
 */
#include <stdbool.h>

struct arena;
struct db;
struct json_object;
struct request;

/* The clause of an entry that blocks now: not expired. */
#define BLACKLIST_ACTIVE " AND (expires_at IS NULL OR expires_at > NOW())"
/* An entry's `active` in a resource's column list (blacklist_decorate() types it). */
#define BLACKLIST_ACTIVE_COLUMN "(expires_at IS NULL OR expires_at > NOW()) AS active"

/* A resource's decorate for the rows of both lists: `active`, a comparison the server
 * types as a number, as a boolean. */
void blacklist_decorate(struct request *r, struct json_object *row);

enum blacklist_direction { BLACKLIST_INBOUND, BLACKLIST_OUTBOUND };

/*
 * Whether number (any notation; a caller that is no phone number, "anonymous", is never
 * blocked) is blocked for calls in direction by an active entry of tenant. DB_OK with
 * *blocked, or a db_rc.
 */
int blacklist_store_blocks(struct db *db, struct arena *a, const char *tenant,
                           const char *number, enum blacklist_direction direction,
                           bool *blocked);

#endif
