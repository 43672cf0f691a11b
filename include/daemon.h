#ifndef SB_DAEMON_H
#define SB_DAEMON_H
/*
 * What the background processes that work on the database alone (switchboard-clock,
 * switchboard-hooks) share: `-c CONFIG` read with its secrets and log level, the signals
 * that stop them, and the synthetic request their moves run in (no token, no route: the
 * item's tenant, so the moves' queries are scoped like a request's).
 */
#include <signal.h>

struct arena;
struct cache;
struct config;
struct db;
struct request;

/* Set by SIGTERM and SIGINT once daemon_signals() installed the handlers. */
extern volatile sig_atomic_t daemon_stop;

/* Reads `name -c CONFIG` into cfg. -1: go on; otherwise the exit status (0 for -h). */
int daemon_configure(const char *name, int argc, char **argv, struct config *cfg);
/* SIGTERM/SIGINT set daemon_stop; SIGHUP and SIGPIPE are ignored. 0, or -1 (logged). */
int daemon_signals(const char *name);

struct daemon_ctx {
    const struct config *cfg;
    struct db *db;
    struct cache *cache;
    struct arena *arena;
};

/* r as a request of process `name` ("CLOCK", "HOOKS") for tenant_id (may be NULL). */
void daemon_request(struct request *r, const struct daemon_ctx *d, const char *name,
                    const char *tenant_id);

#endif
