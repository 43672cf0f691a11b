/* The shared scaffolding of the database-only processes (daemon.h). */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "request.h"

volatile sig_atomic_t daemon_stop;

static void on_signal(int sig)
{
    (void)sig;
    daemon_stop = 1;
}

static int install(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

int daemon_signals(const char *name)
{
    if (install(SIGTERM, on_signal) != 0 || install(SIGINT, on_signal) != 0 ||
        install(SIGHUP, SIG_IGN) != 0 || install(SIGPIPE, SIG_IGN) != 0) {
        log_error("%s: sigaction: %s", name, strerror(errno));
        return -1;
    }
    return 0;
}

static int usage(const char *name, FILE *to, int status)
{
    fprintf(to, "usage: switchboard-%s -c CONFIG\n", name);
    return status;
}

int daemon_configure(const char *name, int argc, char **argv, struct config *cfg)
{
    const char *path = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "c:h")) != -1) {
        if (opt != 'c')
            return opt == 'h' ? usage(name, stdout, 0) : usage(name, stderr, 2);
        path = optarg;
    }
    if (path == NULL || optind != argc)
        return usage(name, stderr, 2);
    char err[512];
    enum log_level level;
    if (config_load(cfg, path, err, sizeof(err)) != 0 ||
        config_load_secrets(cfg, err, sizeof(err)) != 0) {
        log_error("%s: %s", name, err);
        return 1;
    }
    if (log_level_parse(cfg->log_level, &level) != 0) {
        log_error("%s: config log_level '%s' is not debug, info, warn or error", name,
                  cfg->log_level);
        return 1;
    }
    log_set_level(level);
    return -1;
}

void daemon_request(struct request *r, const struct daemon_ctx *d, const char *name,
                    const char *tenant_id)
{
    memset(r, 0, sizeof(*r));
    r->arena = d->arena;
    r->cfg = d->cfg;
    r->db = d->db;
    r->cache = d->cache;
    r->method = name;
    r->path = r->original_path = r->request_uri = "/daemon";
    r->query = "";
    r->request_id = name;
    r->auth.tenant_id = tenant_id;
}
