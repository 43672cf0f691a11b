#include "config.h"
#include "db.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum config_type { CFG_STR, CFG_LONG, CFG_BOOL };

struct config_key {
    const char *name;
    enum config_type type;
    size_t offset;
    size_t size; /* CFG_STR: buffer size */
    const char *def;
    long min, max;
};

#define STR(field, def) {#field, CFG_STR, offsetof(struct config, field), sizeof(((struct config *)0)->field), def, 0, 0}
#define LONG(field, def, lo, hi) {#field, CFG_LONG, offsetof(struct config, field), 0, def, lo, hi}
#define BOOL(field, def) {#field, CFG_BOOL, offsetof(struct config, field), 0, def, 0, 0}

/* Every key, once. The shipped config written by scripts/stack.sh documents them. */
static const struct config_key config_keys[] = {
    STR(db_socket, "/run/mysqld/mysqld.sock"),
    /* Several database nodes (issue 13: a Galera cluster), comma-separated, each a unix
     * socket path or host:port: the one that answered last is used, the next when it does
     * not answer (src/core/nodes.c). Set, it replaces db_socket. */
    STR(db_nodes, ""),
    STR(db_name, "switchboard"),
    STR(db_user, "switchboard"),
    STR(db_password_file, ""),
    STR(memcached_socket, ""),
    /* Several memcached servers (issue 13), comma-separated: a unix socket path or
     * host:port each; keys spread by consistent hashing, a failed server dropped and
     * retried (src/core/cache.c). Set, it replaces memcached_socket. */
    STR(memcached_servers, ""),
    STR(event_socket, ""),
    STR(event_wake_socket, ""), /* datagram socket the pool pokes after writing events */
    STR(event_wake_listen, ""), /* host:port (UDP) where other hosts' pools poke this one */
    STR(event_wake_peers, ""),  /* host:port,… (UDP) of the other hosts' event workers */
    STR(clock_wake_socket, ""), /* the clock's: poked when an agent is freed */
    STR(cors_allow_origins, "*"), /* "*" or a space-separated list of origins */
    STR(jwt_key_file, ""),
    /* A bearer token that opens /metrics to other addresses than loopback; "": none. */
    STR(metrics_token_file, ""),
    STR(public_base_url, "http://127.0.0.1:8080"),
    STR(log_level, "info"),
    LONG(workers, "0", 0, 256), /* 0: two per core */
    /* Recycling: a worker ends after this many requests, or once its resident memory grew
     * by worker_max_rss_growth_mb since its first request (a leak, a heap grown by a burst). */
    LONG(max_requests, "1000000", 1, 1000000000),
    LONG(worker_max_rss_growth_mb, "128", 8, 65536),
    LONG(max_body_bytes, "1048576", 1024, 64 * 1024 * 1024),
    LONG(access_token_ttl, "900", 30, 86400),
    LONG(refresh_token_ttl, "2592000", 300, 31536000),
    LONG(cache_ttl, "300", 1, 86400),
    LONG(shutdown_grace, "10", 1, 600),
    LONG(event_retention_hours, "72", 1, 8760),
    LONG(event_heartbeat_seconds, "15", 1, 300),
    /* How often coldcaller sockets subscribed to `metrics` get a metricsUpdate. */
    LONG(event_metrics_seconds, "10", 1, 3600),
    /* Open streams and waiting long-polls: per session (a browser with tabs), per tenant. */
    LONG(event_max_streams_per_session, "32", 1, 100000),
    LONG(event_max_streams_per_tenant, "10000", 1, 10000000),
    /* The event worker's bound on one database round trip (its loop waits that long). */
    LONG(event_db_timeout_seconds, "2", 1, 30),
    /* Failed password checks (login, change-password): per e-mail, and per address. */
    LONG(password_max_failures, "5", 1, 1000),
    LONG(password_max_failures_per_address, "100", 1, 1000000),
    LONG(password_lockout_seconds, "900", 1, 86400),
    /* Tenants one address may register per day; 0: no cap. */
    LONG(register_max_per_address_per_day, "10", 0, 1000000),
    BOOL(db_causal_reads, "false"), /* Galera: reads wait for the cluster's earlier commits */
    BOOL(register_enabled, "true"),
    /* Outgoing webhooks (switchboard-hooks): what a tenant's URL may reach besides public
     * addresses (a URL given by a tenant must not reach internal services). */
    BOOL(webhook_allow_private, "false"),
    BOOL(webhook_allow_loopback, "false"),
    /* Retries: full jitter under base * 2^(n-1), each delay at most max_delay; a delivery
     * still failing give_up_seconds after its first attempt is given up. */
    LONG(webhook_retry_base_ms, "5000", 10, 3600000),
    LONG(webhook_retry_max_delay_ms, "3600000", 10, 86400000),
    LONG(webhook_give_up_seconds, "86400", 1, 604800),
    /* A webhook whose deliveries were given up this many times in a row is disabled. */
    LONG(webhook_disable_after, "5", 1, 1000),
    LONG(webhook_connect_timeout_ms, "5000", 100, 60000),
    /* Attempt logs, and deliveries done or given up, are deleted after this many days. */
    LONG(webhook_retention_days, "30", 1, 3650),
    /* Cluster-wide jobs (switchboard-hooks) run under a lease of this length (lease.h):
     * the time a standby waits before it takes over from a holder that stopped. */
    LONG(job_lease_ms, "10000", 500, 600000),
    /* Call recordings: where their files live (nginx serves them from there by
     * X-Accel-Redirect; "": uploads are refused), and the largest upload (nginx's
     * client_max_body_size of the upload location, rendered from the same value). */
    STR(recordings_dir, ""),
    LONG(recording_max_bytes, "104857600", 1024, 16LL * 1024 * 1024 * 1024),
    /* SIP trunks (sip_client.h): the bound on one OPTIONS or REGISTER, DNS and TLS
     * included; a pool worker or the clock waits this long at most. The address rule is
     * the webhooks' (webhook_allow_*). */
    LONG(sip_timeout_ms, "3000", 100, 30000),
    /* SMS (switchboard-hooks, src/hooks/sms.c): the base URL of Twilio's REST API the
     * Messages are POSTed to (tests point it at a local fake). Operator-set, so not held to
     * the webhook address rule. */
    STR(twilio_api_base, "https://api.twilio.com"),
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static const struct config_key *key_find(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(config_keys[i].name, name) == 0)
            return &config_keys[i];
    return NULL;
}

static int key_set(struct config *cfg, const struct config_key *k, const char *value, char *err,
                   size_t errlen)
{
    char *base = (char *)cfg + k->offset;
    switch (k->type) {
    case CFG_STR:
        if (strlen(value) >= k->size) {
            snprintf(err, errlen, "config %s: value longer than %zu bytes", k->name, k->size - 1);
            return -1;
        }
        memcpy(base, value, strlen(value) + 1);
        return 0;
    case CFG_LONG: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < k->min || v > k->max) {
            snprintf(err, errlen, "config %s: '%s' is not an integer in [%ld, %ld]", k->name,
                     value, k->min, k->max);
            return -1;
        }
        *(long *)(void *)base = v;
        return 0;
    }
    case CFG_BOOL:
        if (strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
            strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0) {
            *(bool *)(void *)base = true;
        } else if (strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
                   strcasecmp(value, "no") == 0 || strcasecmp(value, "off") == 0) {
            *(bool *)(void *)base = false;
        } else {
            snprintf(err, errlen, "config %s: '%s' is not a boolean", k->name, value);
            return -1;
        }
        return 0;
    }
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "config: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "config %s:%d: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        const struct config_key *k = key_find(name);
        if (k == NULL) {
            snprintf(err, errlen, "config %s:%d: unknown key '%s'", path, lineno, name);
            rc = -1;
            break;
        }
        if (key_set(cfg, k, value, err, errlen) != 0) {
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NKEYS; i++)
        if (key_set(cfg, &config_keys[i], config_keys[i].def, err, errlen) != 0)
            return -1;
    if (path != NULL && load_file(cfg, path, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < NKEYS; i++) {
        char env[80] = "SB_";
        size_t j = 3;
        for (const char *p = config_keys[i].name; *p && j < sizeof(env) - 1; p++)
            env[j++] = (char)toupper((unsigned char)*p);
        env[j] = '\0';
        const char *v = getenv(env);
        if (v != NULL && key_set(cfg, &config_keys[i], v, err, errlen) != 0)
            return -1;
    }
    if (cfg->workers == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        cfg->workers = 2 * (cores > 0 ? cores : 1);
    }
    return 0;
}

static int read_secret(const char *path, unsigned char *buf, size_t size, size_t *len, char *err,
                       size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open secret file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "cannot read secret file %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == size - 1)
            break;
    }
    close(fd);
    while (n > 0 && isspace(buf[n - 1]))
        n--;
    buf[n] = '\0';
    *len = n;
    return 0;
}

static int load_metrics_token(struct config *cfg, char *err, size_t errlen)
{
    size_t n = 0;
    if (cfg->metrics_token_file[0] == '\0')
        return 0;
    if (read_secret(cfg->metrics_token_file, (unsigned char *)cfg->metrics_token,
                    sizeof(cfg->metrics_token), &n, err, errlen) != 0)
        return -1;
    if (n < 16) {
        snprintf(err, errlen, "metrics token in %s is shorter than 16 characters",
                 cfg->metrics_token_file);
        return -1;
    }
    return 0;
}

int config_load_secrets(struct config *cfg, char *err, size_t errlen)
{
    size_t n = 0;
    if (cfg->db_password_file[0] != '\0' &&
        read_secret(cfg->db_password_file, (unsigned char *)cfg->db_password,
                    sizeof(cfg->db_password), &n, err, errlen) != 0)
        return -1;
    if (cfg->jwt_key_file[0] == '\0') {
        snprintf(err, errlen, "config jwt_key_file is not set");
        return -1;
    }
    if (read_secret(cfg->jwt_key_file, cfg->jwt_key, sizeof(cfg->jwt_key), &cfg->jwt_key_len,
                    err, errlen) != 0)
        return -1;
    if (cfg->jwt_key_len < 32) {
        snprintf(err, errlen, "jwt key in %s is shorter than 32 bytes", cfg->jwt_key_file);
        return -1;
    }
    return load_metrics_token(cfg, err, errlen);
}

const char *config_memcached(const struct config *cfg)
{
    return cfg->memcached_servers[0] != '\0' ? cfg->memcached_servers : cfg->memcached_socket;
}

const char *config_db(const struct config *cfg)
{
    return cfg->db_nodes[0] != '\0' ? cfg->db_nodes : cfg->db_socket;
}

void config_db_options(const struct config *cfg, unsigned timeout_s, struct db_options *out)
{
    *out = (struct db_options){.socket = config_db(cfg),
                               .name = cfg->db_name,
                               .user = cfg->db_user,
                               .password = cfg->db_password,
                               .timeout = timeout_s,
                               .causal_reads = cfg->db_causal_reads};
}
