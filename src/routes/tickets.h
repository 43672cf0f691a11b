#ifndef SB_ROUTES_TICKETS_H
#define SB_ROUTES_TICKETS_H
/* What the tickets' route modules (tickets.c, ticket_views.c) share. */
struct resource;
struct request;

/* The tickets of the caller's tenant (tickets.c). */
extern const struct resource tickets;

/* Inside a step: the ticket locked until the commit, or a 404 answered. DB_OK,
 * TXN_ANSWERED or a db_rc. *status (may be NULL) gets its status (arena). */
int ticket_lock(struct request *r, const char *id, const char **status);

#endif
