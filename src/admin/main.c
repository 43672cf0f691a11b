/*
 * switchboard-admin: what an operator needs without the API.
 *   migrate --dir DIR
 *   create-tenant --name NAME [--domain DOMAIN]
 *   create-user --tenant ID --email EMAIL --role ROLE --password-stdin [--first-name F] [--last-name L]
 *   reset-password --tenant ID --email EMAIL --password-stdin
 *   outbox [--tenant ID] [--mark-sent]   pending messages, unsealed, one JSON a line
 *   openapi     the OpenAPI description of the route table (no configuration needed)
 *   routes      the route table, one "METHOD PATTERN" a line (no configuration needed)
 *   import-cdrs --tenant ID [--timezone ZONE] FILE   Asterisk cdr_csv history (import_cdrs.c)
 *   import-leads --tenant ID FILE   a CSV of leads, as POST /api/leads/import (import_leads.c)
 * Passwords come on stdin only, so they never show in `ps` or shell history.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "import_cdrs.h"
#include "import_leads.h"
#include "openapi.h"
#include "outbox.h"
#include "password.h"
#include "router.h"
#include "routes.h"
#include "user_store.h"
#include "validate.h"

/* Set from the config in main(); reset-password needs it to reach memcached. */
static const char *cfg_memcached_socket;

struct opts {
    const char *dir, *name, *domain, *tenant, *email, *role, *first, *last;
    const char *timezone;
    int password_stdin;
    int mark_sent;
};

static int fail(const char *what, struct db *db)
{
    fprintf(stderr, "switchboard-admin: %s", what);
    if (db != NULL && db_last_errno(db) != 0)
        fprintf(stderr, ": %s (%u)", db_last_error(db), db_last_errno(db));
    fputc('\n', stderr);
    return 1;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0)
        goto out;
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)n + 1);
    if (buf == NULL)
        goto out;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
    *len = (size_t)n;
out:
    fclose(f);
    return buf;
}

/*
 * A statement ends at a line that ends with ';'. Lines that are only a `--` comment are
 * dropped first, so a comment that happens to end with ';' cannot end a statement.
 */
static int apply_file(struct db *db, char *text)
{
    size_t cap = strlen(text) + 1, used = 0;
    char *stmt = malloc(cap);
    int rc = -1;
    if (stmt == NULL)
        return -1;
    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *s = line;
        while (s < line + len && (*s == ' ' || *s == '\t'))
            s++;
        bool comment = (size_t)(s - line) + 2 <= len && strncmp(s, "--", 2) == 0;
        if (!comment && s < line + len) {
            memcpy(stmt + used, line, len);
            used += len;
            stmt[used++] = '\n';
            size_t e = len;
            while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r'))
                e--;
            if (e > 0 && line[e - 1] == ';') {
                /* drop the ';' and what follows it on this line */
                used -= len - e + 2;
                stmt[used] = '\0';
                if (db_exec_uncached(db, stmt) != DB_OK) {
                    fprintf(stderr, "switchboard-admin: statement failed:\n%.400s\n", stmt);
                    goto out;
                }
                used = 0;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if (used > 0) {
        stmt[used] = '\0';
        if (db_exec_uncached(db, stmt) != DB_OK) {
            fprintf(stderr, "switchboard-admin: statement failed:\n%.400s\n", stmt);
            goto out;
        }
    }
    rc = 0;
out:
    free(stmt);
    return rc;
}

static int cmd_migrate(struct db *db, struct arena *a, const struct opts *o)
{
    if (o->dir == NULL)
        return fail("migrate needs --dir", NULL);
    if (db_exec_uncached(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                             " version VARCHAR(32) NOT NULL PRIMARY KEY,"
                             " name VARCHAR(255) NOT NULL,"
                             " applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP"
                             ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4") != DB_OK)
        return fail("cannot create schema_migrations", db);
    DIR *d = opendir(o->dir);
    if (d == NULL)
        return fail("cannot open the migrations folder", NULL);
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 512) {
        size_t len = strlen(e->d_name);
        if (len > 8 && isdigit((unsigned char)e->d_name[0]) &&
            strcmp(e->d_name + len - 4, ".sql") == 0)
            names[n++] = arena_strdup(a, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_cmp);
    int applied = 0;
    for (size_t i = 0; i < n; i++) {
        if (names[i] == NULL)
            return fail("out of memory", NULL);
        const char *us = strchr(names[i], '_');
        char *version = arena_strndup(a, names[i], us ? (size_t)(us - names[i]) : 3);
        struct db_result *res;
        if (db_exec(db, a, "SELECT 1 FROM schema_migrations WHERE version = ?",
                    DB_PARAMS(DB_STR(version)), &res) != DB_OK)
            return fail("cannot read schema_migrations", db);
        if (res->nrows > 0)
            continue;
        char *path = arena_printf(a, "%s/%s", o->dir, names[i]);
        size_t len;
        char *text = path ? read_file(path, &len) : NULL;
        if (text == NULL)
            return fail("cannot read a migration file", NULL);
        int rc = apply_file(db, text);
        free(text);
        if (rc != 0)
            return fail(names[i], db);
        if (db_exec(db, a, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    DB_PARAMS(DB_STR(version), DB_STR(names[i])), NULL) != DB_OK)
            return fail("cannot record the migration", db);
        printf("applied %s\n", names[i]);
        applied++;
    }
    if (applied == 0)
        printf("schema is up to date (%zu migrations)\n", n);
    return 0;
}

static int cmd_create_tenant(struct db *db, struct arena *a, const struct opts *o)
{
    if (o->name == NULL || o->name[0] == '\0')
        return fail("create-tenant needs --name", NULL);
    char *id = id_new(a, "ten_");
    if (id == NULL)
        return fail("out of memory", NULL);
    int rc = db_exec(db, a, "INSERT INTO tenants (id, name, domain) VALUES (?, ?, ?)",
                     DB_PARAMS(DB_STR(id), DB_STR(o->name), DB_STR(o->domain)), NULL);
    if (rc == DB_DUPLICATE)
        return fail("a tenant with this name or domain exists", NULL);
    if (rc != DB_OK)
        return fail("cannot create the tenant", db);
    printf("%s\n", id);
    return 0;
}

static int read_password(char *buf, size_t size)
{
    if (fgets(buf, (int)size, stdin) == NULL)
        return -1;
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n < 8 || n > 256 || validate_text(buf, n) != 0)
        return -1;
    return 0;
}

static int hash_from_stdin(const struct opts *o, char hash[PASSWORD_HASH_MAX])
{
    char pw[300];
    if (!o->password_stdin)
        return fail("give the password on stdin with --password-stdin", NULL);
    if (read_password(pw, sizeof(pw)) != 0)
        return fail("the password must be 8 to 256 bytes of text", NULL);
    int rc = password_hash(pw, strlen(pw), hash);
    explicit_bzero(pw, sizeof(pw));
    return rc == 0 ? 0 : fail("cannot hash the password", NULL);
}

static const char *lower_email(struct arena *a, const char *email)
{
    if (email == NULL || validate_email(email, strlen(email)) != 0)
        return NULL;
    char *s = arena_strdup(a, email);
    for (char *p = s; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

static int cmd_create_user(struct db *db, struct arena *a, const struct opts *o)
{
    const char *email = lower_email(a, o->email);
    if (o->tenant == NULL || email == NULL)
        return fail("create-user needs --tenant and a valid --email", NULL);
    if (o->role == NULL || role_bit(o->role) == 0)
        return fail("--role must be super_admin, admin, manager or agent", NULL);
    char hash[PASSWORD_HASH_MAX];
    if (hash_from_stdin(o, hash) != 0)
        return 1;
    char *id = id_new(a, "usr_");
    if (id == NULL)
        return fail("out of memory", NULL);
    struct user_new u = {id, o->tenant, email, hash, o->first, o->last, NULL, o->role};
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = user_store_insert(db, a, &u);
    if (rc == DB_OK)
        rc = db_commit(db);
    else
        db_rollback(db);
    if (rc == DB_DUPLICATE)
        return fail("that email already exists in the tenant", NULL);
    if (rc == DB_FOREIGN_KEY)
        return fail("no such tenant", NULL);
    if (rc != DB_OK)
        return fail("cannot create the user", db);
    printf("%s\n", id);
    return 0;
}

static int cmd_reset_password(struct db *db, struct arena *a, const struct opts *o)
{
    const char *email = lower_email(a, o->email);
    if (o->tenant == NULL || email == NULL)
        return fail("reset-password needs --tenant and a valid --email", NULL);
    char hash[PASSWORD_HASH_MAX];
    if (hash_from_stdin(o, hash) != 0)
        return 1;
    struct db_result *res = NULL;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_exec(db, a, "SELECT id FROM users WHERE tenant_id = ? AND email = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(o->tenant), DB_STR(email)), &res);
    if (rc == DB_OK && res->nrows == 0) {
        db_rollback(db);
        return fail("no such user in that tenant", NULL);
    }
    const char *id = rc == DB_OK ? db_get(res, 0, "id") : NULL;
    if (rc == DB_OK)
        rc = user_store_set_password(db, a, o->tenant, id, hash, NULL, "password_reset");
    if (rc == DB_OK)
        rc = db_commit(db);
    else
        db_rollback(db);
    if (rc != DB_OK)
        return fail("cannot reset the password", db);
    /* The pool caches verified sessions per tenant generation: move it (see auth.c). */
    struct cache *cache = cache_create(cfg_memcached_socket);
    char ns[128];
    snprintf(ns, sizeof(ns), "auth:%s", o->tenant);
    if (cache == NULL || cache_bump(cache, ns) != 0)
        fprintf(stderr, "switchboard-admin: memcached did not answer; cached sessions end within 15 s\n");
    cache_destroy(cache);
    printf("password reset for %s; its sessions are revoked\n", id);
    return 0;
}

/* make writes $(BUILD)/openapi.json with this: the same text GET /api/openapi.json serves. */
static int cmd_openapi(void)
{
    size_t len;
    char *text = openapi_text(route_table, route_table_len, &len);
    if (text == NULL)
        return fail("out of memory building the OpenAPI description", NULL);
    int rc = fwrite(text, 1, len, stdout) == len && putchar('\n') != EOF ? 0 : 1;
    free(text);
    return fflush(stdout) == 0 ? rc : 1;
}

/* The table the pool routes with, for tests that hold other lists to it. */
static int cmd_routes(void)
{
    for (size_t i = 0; i < route_table_len; i++)
        printf("%s %s\n", route_table[i].method, route_table[i].pattern);
    return fflush(stdout) == 0 ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: switchboard-admin -c CONFIG COMMAND [options]\n"
            "  migrate --dir DIR\n"
            "  create-tenant --name NAME [--domain DOMAIN]\n"
            "  create-user --tenant ID --email EMAIL --role ROLE --password-stdin"
            " [--first-name F] [--last-name L]\n"
            "  reset-password --tenant ID --email EMAIL --password-stdin\n"
            "  outbox [--tenant ID] [--mark-sent]\n"
            "  openapi\n"
            "  routes\n"
            "  import-cdrs --tenant ID [--timezone ZONE] FILE\n"
            "  import-leads --tenant ID FILE\n");
}

/* The CDR list's cached totals of the tenant are of an older generation now. */
static int cdrs_imported(const char *tenant, int rc)
{
    struct cache *cache = cache_create(cfg_memcached_socket);
    char ns[128];
    snprintf(ns, sizeof(ns), "cdrs:%s", tenant);
    if (cache == NULL || cache_bump(cache, ns) != 0)
        fprintf(stderr, "switchboard-admin: memcached did not answer; CDR list totals may lag\n");
    cache_destroy(cache);
    return rc;
}

/* A command that needs the database. The exit status. */
static int run_command(const char *cmd, struct db *db, struct arena *a, const struct config *cfg,
                       const struct opts *o, int argc, char **argv)
{
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(db, a, o);
    if (strcmp(cmd, "create-tenant") == 0)
        return cmd_create_tenant(db, a, o);
    if (strcmp(cmd, "create-user") == 0)
        return cmd_create_user(db, a, o);
    if (strcmp(cmd, "reset-password") == 0)
        return cmd_reset_password(db, a, o);
    if (strcmp(cmd, "outbox") == 0)
        return outbox_print(db, a, cfg, o->tenant, o->mark_sent != 0, stdout) == 0 ? 0 : 1;
    if (strcmp(cmd, "import-cdrs") == 0)
        return o->tenant != NULL && optind < argc
                   ? cdrs_imported(o->tenant, import_cdrs(db, o->tenant, argv[optind],
                                                          o->timezone, stdout, stderr))
                   : fail("import-cdrs needs --tenant ID and a FILE", NULL);
    if (strcmp(cmd, "import-leads") == 0)
        return o->tenant != NULL && optind < argc
                   ? import_leads(db, o->tenant, argv[optind], stdout, stderr)
                   : fail("import-leads needs --tenant ID and a FILE", NULL);
    usage();
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"config", required_argument, NULL, 'c'},  {"dir", required_argument, NULL, 'd'},
        {"name", required_argument, NULL, 'n'},    {"domain", required_argument, NULL, 'D'},
        {"tenant", required_argument, NULL, 't'},  {"email", required_argument, NULL, 'e'},
        {"role", required_argument, NULL, 'r'},    {"first-name", required_argument, NULL, 'f'},
        {"last-name", required_argument, NULL, 'l'}, {"password-stdin", no_argument, NULL, 'p'},
        {"mark-sent", no_argument, NULL, 'M'},
        {"timezone", required_argument, NULL, 'z'},
        {NULL, 0, NULL, 0},
    };
    const char *conf = getenv("SWITCHBOARD_CONF");
    struct opts o;
    memset(&o, 0, sizeof(o));
    int c;
    while ((c = getopt_long(argc, argv, "+c:", long_opts, NULL)) != -1) {
        switch (c) {
        case 'c': conf = optarg; break;
        default: usage(); return 2;
        }
    }
    if (optind >= argc) {
        usage();
        return 2;
    }
    const char *cmd = argv[optind];
    optind++;
    /* Built from the route table alone: no configuration, database or secret. */
    if (strcmp(cmd, "openapi") == 0)
        return cmd_openapi();
    if (strcmp(cmd, "routes") == 0)
        return cmd_routes();
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 'n': o.name = optarg; break;
        case 'D': o.domain = optarg; break;
        case 't': o.tenant = optarg; break;
        case 'e': o.email = optarg; break;
        case 'r': o.role = optarg; break;
        case 'f': o.first = optarg; break;
        case 'l': o.last = optarg; break;
        case 'p': o.password_stdin = 1; break;
        case 'M': o.mark_sent = 1; break;
        case 'z': o.timezone = optarg; break;
        case 'c': conf = optarg; break;
        default: usage(); return 2;
        }
    }
    static struct config cfg;
    char err[512];
    if (config_load(&cfg, conf, err, sizeof(err)) != 0 ||
        config_load_secrets(&cfg, err, sizeof(err)) != 0)
        return fail(err, NULL);
    cfg_memcached_socket = config_memcached(&cfg);
    struct db_options dbo;
    config_db_options(&cfg, 0, &dbo);
    struct db *db = db_create(&dbo);
    struct arena *a = arena_create(16 * 1024);
    int rc = 2;
    if (db == NULL || a == NULL) {
        rc = fail("out of memory", NULL);
        goto out;
    }
    rc = run_command(cmd, db, a, &cfg, &o, argc, argv);
out:
    arena_destroy(a);
    db_destroy(db);
    return rc;
}
