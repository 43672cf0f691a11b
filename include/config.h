#ifndef SB_CONFIG_H
#define SB_CONFIG_H
/*
 * Table-driven configuration (src/core/config.c declares every key once with its
 * type, bounds and default). Sources, later wins: defaults, the file given to
 * config_load() (`key = value` lines, `#` comments), then environment variables
 * SB_<KEY> (upper case). Unknown keys and out-of-range values fail config_load().
 * Secrets live in files named by *_file keys, never in the config file itself.
 */
#include <stdbool.h>
#include <stddef.h>

struct config {
    char db_socket[256];
    char db_nodes[1024];
    char db_name[64];
    char db_user[64];
    char db_password_file[256];
    char memcached_socket[256];
    char memcached_servers[1024];
    char event_socket[256];
    char event_wake_socket[256];
    char event_wake_listen[128];
    char event_wake_peers[1024];
    char clock_wake_socket[256];
    char cors_allow_origins[512];
    char jwt_key_file[256];
    char metrics_token_file[256];
    char public_base_url[256];
    char log_level[16];
    long workers;
    long max_requests;
    long worker_max_rss_growth_mb;
    long max_body_bytes;
    long access_token_ttl;
    long refresh_token_ttl;
    long cache_ttl;
    long shutdown_grace;
    long event_retention_hours;
    long event_heartbeat_seconds;
    long event_metrics_seconds; /* coldcaller's metricsUpdate period (ws_metrics.c) */
    long event_max_streams_per_session;
    long event_max_streams_per_tenant;
    long event_db_timeout_seconds;
    long password_max_failures;
    long password_max_failures_per_address;
    long password_lockout_seconds;
    long register_max_per_address_per_day;
    bool db_causal_reads;
    bool register_enabled;
    bool webhook_allow_private;
    bool webhook_allow_loopback;
    long webhook_retry_base_ms;
    long webhook_retry_max_delay_ms;
    long webhook_give_up_seconds;
    long webhook_disable_after;
    long webhook_connect_timeout_ms;
    long webhook_retention_days;
    long job_lease_ms;
    char recordings_dir[256];
    long recording_max_bytes;
    long sip_timeout_ms;
    char twilio_api_base[256];

    /* Loaded from the *_file keys by config_load_secrets(); never logged. */
    char db_password[256];
    unsigned char jwt_key[256];
    size_t jwt_key_len;
    char metrics_token[256]; /* "" when metrics_token_file is not set */
};

/* path may be NULL (defaults + environment). On error writes a message to err. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Reads db_password_file, jwt_key_file and metrics_token_file; the key must be at least
 * 32 bytes, a metrics token at least 16 characters. */
int config_load_secrets(struct config *cfg, char *err, size_t errlen);
/* The database nodes to use: db_nodes when set, else db_socket (nodes.h). */
const char *config_db(const struct config *cfg);
/* Every process's database options: the nodes, account and causal reads of cfg, and the
 * round-trip bound timeout_s (0: the default). */
struct db_options;
void config_db_options(const struct config *cfg, unsigned timeout_s, struct db_options *out);
/* The memcached servers to use: memcached_servers when set, else memcached_socket. */
const char *config_memcached(const struct config *cfg);

#endif
