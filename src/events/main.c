/*
 * switchboard-events -c CONFIG: the event worker. nginx proxies /api/events… and the
 * /api/calls/…/events streams to it over the unix socket cfg.event_socket (HTTP/1.1).
 * One process, one thread, one epoll loop (loop.c), so thousands of mostly idle clients
 * cost a few hundred bytes each.
 *
 * Pieces (events.h has the file map): api*.c route and authenticate, hub*.c hold the
 * subscribers, feed*.c is the single reader of call_events (woken through
 * cfg.event_wake_socket), store.c keeps tenants and the ring of recent events.
 *
 * SIGTERM/SIGINT: stop accepting, remove the socket files, close every connection,
 * exit 0. SIGHUP is ignored (nothing to reload). SIGPIPE is ignored (EPIPE instead).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "ws_internal.h"
#include "http.h"
#include "log.h"
#include "loop.h"

#define LISTEN_BACKLOG 1024
/* Who may connect when we run as root: nginx's workers (nginx.conf.in "user"). */
#define SOCKET_USER "nobody"
#define SOCKET_GROUP "nogroup"
/* The ring of recent events: replays of clients at most this far behind need no query. */
#define RING_EVENTS 50000
#define RING_BYTES (64u * 1024 * 1024)

struct app {
    struct loop *loop;
    struct housekeeping *housekeeping;
    struct ws_metrics *ws_metrics;
    struct http_server *srv;
    struct ev ev;
    int sigfd;
    const char *sock_path;
    dev_t sock_dev; /* the socket file we created, so we only ever remove our own */
    ino_t sock_ino;
    int sock_created;
};

static struct config cfg;

/* close() fails only with EINTR/EIO and releases the fd anyway: note it, go on. */
static void close_fd(int fd, const char *what)
{
    if (close(fd) != 0)
        log_debug("events: close %s: %s", what, strerror(errno));
}

/* ---- the socket ----------------------------------------------------------------- */

/* Removes a leftover socket file, but never a live worker's socket or a non-socket. */
static int remove_stale(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        log_error("events: cannot stat %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        log_error("events: %s exists and is not a socket; not removing it", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_error("events: socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    int err = errno;
    close_fd(fd, "probe socket");
    if (rc == 0 || err == EAGAIN) {
        /* EAGAIN: a full backlog, i.e. someone is listening but busy. */
        log_error("events: another process is listening on %s", path);
        return -1;
    }
    if (err != ECONNREFUSED) {
        log_error("events: cannot probe %s: %s", path, strerror(err));
        return -1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        log_error("events: cannot remove stale %s: %s", path, strerror(errno));
        return -1;
    }
    log_info("events: removed stale socket %s", path);
    return 0;
}

int events_bind_unix(const char *path, int type, struct stat *st)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_error("events: socket: %s", strerror(errno));
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    /* Created 0600 from the start: no window in which anyone else could connect. */
    mode_t old = umask(0177); /* umask() cannot fail */
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    int err = errno;
    umask(old);
    if (rc != 0) {
        log_error("events: bind %s: %s", path, strerror(err));
        close_fd(fd, "socket");
        return -1;
    }
    if (lstat(path, st) != 0 || events_restrict_socket(path) != 0) {
        log_error("events: cannot secure %s: %s", path, strerror(errno));
        if (unlink(path) != 0)
            log_warn("events: cannot remove %s: %s", path, strerror(errno));
        close_fd(fd, "socket");
        return -1;
    }
    return fd;
}

/* Only nginx's workers (and root) may connect: owner nobody:nogroup when we are root,
 * else ourselves; mode 0600 either way. The wake socket gets the same: the pool's
 * workers run as nobody too. */
int events_restrict_socket(const char *path)
{
    if (geteuid() == 0) {
        errno = 0;
        struct passwd *pw = getpwnam(SOCKET_USER);
        if (pw == NULL) {
            log_error("events: no user %s to own %s%s%s", SOCKET_USER, path,
                      errno ? ": " : "", errno ? strerror(errno) : "");
            return -1;
        }
        uid_t uid = pw->pw_uid;
        gid_t gid = pw->pw_gid;
        errno = 0;
        struct group *gr = getgrnam(SOCKET_GROUP);
        if (gr != NULL)
            gid = gr->gr_gid;
        else
            log_warn("events: no group %s; %s gets %s's primary group", SOCKET_GROUP, path,
                     SOCKET_USER);
        if (chown(path, uid, gid) != 0) {
            log_error("events: chown %s: %s", path, strerror(errno));
            return -1;
        }
    }
    if (chmod(path, 0600) != 0) {
        log_error("events: chmod %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int listen_unix(struct app *app, const char *path)
{
    struct sockaddr_un sa;
    if (path[0] == '\0') {
        log_error("events: config event_socket is not set");
        return -1;
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        log_error("events: event_socket %s is longer than %zu bytes", path,
                  sizeof(sa.sun_path) - 1);
        return -1;
    }
    if (remove_stale(path) != 0)
        return -1;
    struct stat st;
    int fd = events_bind_unix(path, SOCK_STREAM, &st);
    if (fd < 0)
        return -1;
    app->sock_dev = st.st_dev;
    app->sock_ino = st.st_ino;
    app->sock_created = 1;
    app->sock_path = path;
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        log_error("events: listen %s: %s", path, strerror(errno));
        if (unlink(path) != 0)
            log_warn("events: cannot remove %s: %s", path, strerror(errno));
        app->sock_created = 0;
        close_fd(fd, "socket");
        return -1;
    }
    return fd;
}

/* Removes the socket file if it is still the one we created (a newer worker may
 * already have replaced it during a restart). Idempotent. */
static void remove_socket(struct app *app)
{
    if (!app->sock_created)
        return;
    app->sock_created = 0;
    struct stat st;
    if (lstat(app->sock_path, &st) != 0) {
        if (errno != ENOENT)
            log_warn("events: stat %s: %s", app->sock_path, strerror(errno));
        return;
    }
    if (st.st_dev != app->sock_dev || st.st_ino != app->sock_ino) {
        log_info("events: %s belongs to another process now; leaving it", app->sock_path);
        return;
    }
    if (unlink(app->sock_path) != 0)
        log_warn("events: cannot remove %s: %s", app->sock_path, strerror(errno));
}

/* ---- process setup -------------------------------------------------------------- */

/* Every client is an fd; 10,000+ of them need more than the usual soft limit of 1024. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("events: getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        return;
    }
    if (rl.rlim_cur != rl.rlim_max) {
        rlim_t want = rl.rlim_max;
        /* The kernel refuses more than fs.nr_open (1048576 by default). */
        if (want == RLIM_INFINITY || want > 1048576)
            want = 1048576;
        struct rlimit nrl = {want, rl.rlim_max};
        if (want > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &nrl) == 0)
            rl.rlim_cur = want;
        else if (want > rl.rlim_cur)
            log_warn("events: cannot raise the fd limit to %llu: %s", (unsigned long long)want,
                     strerror(errno));
    }
    log_info("events: fd limit %llu", (unsigned long long)rl.rlim_cur);
}

/* SIGTERM/SIGINT/SIGHUP arrive through a signalfd in the loop, never in a handler. */
static int signals_open(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGPIPE, &sa, NULL) != 0) {
        log_error("events: ignoring SIGPIPE: %s", strerror(errno));
        return -1;
    }
    sigset_t set;
    if (sigemptyset(&set) != 0 || sigaddset(&set, SIGTERM) != 0 || sigaddset(&set, SIGINT) != 0 ||
        sigaddset(&set, SIGHUP) != 0 || sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
        log_error("events: blocking signals: %s", strerror(errno));
        return -1;
    }
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        log_error("events: signalfd: %s", strerror(errno));
    return fd;
}

static void shutdown_now(struct app *app, const char *why)
{
    log_info("events: %s: shutting down (%zu connections)", why,
             http_server_connections(app->srv));
    /* New connects fail at once (no file) rather than queue on a closing socket. */
    http_server_stop_listening(app->srv);
    remove_socket(app);
    /* One statement for this worker's presence rather than one per stream closing. */
    ws_online_stop(&app->ev);
    http_server_close_all(app->srv);
    loop_stop(app->loop);
}

static void on_signal(struct loop *loop, int fd, int mask, void *data)
{
    (void)loop;
    (void)mask;
    struct app *app = data;
    for (;;) {
        struct signalfd_siginfo si;
        ssize_t n = read(fd, &si, sizeof(si));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n != (ssize_t)sizeof(si)) {
            log_error("events: signalfd read: %s", n < 0 ? strerror(errno) : "short read");
            shutdown_now(app, "signalfd failed");
            return;
        }
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            shutdown_now(app, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        log_info("events: SIGHUP ignored (nothing to reload)");
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: switchboard-events -c CONFIG\n");
}

/* Reads the command line and the configuration (into cfg) and sets the log level. -1 to
 * go on, else the exit status (0 after -h, 2 for a bad command line, 1 for a bad config). */
static int configure(int argc, char **argv)
{
    const char *config_path = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "c:h")) != -1) {
        if (opt == 'c') {
            config_path = optarg;
        } else if (opt == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (config_path == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    char err[512];
    if (config_load(&cfg, config_path, err, sizeof(err)) != 0) {
        log_error("events: %s", err);
        return 1;
    }
    enum log_level level;
    if (log_level_parse(cfg.log_level, &level) != 0) {
        log_error("events: config log_level '%s' is not debug, info, warn or error",
                  cfg.log_level);
        return 1;
    }
    log_set_level(level);
    if (config_load_secrets(&cfg, err, sizeof(err)) != 0) {
        log_error("events: %s", err);
        return 1;
    }
    return -1;
}

/* The loop and the worker's pieces on it, serving *listen_fd (which the server owns once it
 * exists: *listen_fd is -1 then). 0, or -1 (logged); app_stop() undoes either. */
static int app_start(struct app *app, int *listen_fd)
{
    app->loop = loop_create(1024);
    if (app->loop == NULL) {
        log_error("events: cannot create the event loop: %s", strerror(errno));
        return -1;
    }
    struct db_options dbo;
    config_db_options(&cfg, (unsigned)cfg.event_db_timeout_seconds, &dbo);
    app->ev.cfg = &cfg;
    app->ev.loop = app->loop;
    app->ev.db = db_create(&dbo);
    app->ev.arena = arena_create(16 * 1024);
    app->ev.store = store_create(RING_EVENTS, RING_BYTES, cfg.jwt_key, cfg.jwt_key_len);
    app->ev.hub = hub_create(&app->ev);
    app->ev.feed = feed_create(&app->ev);
    if (app->ev.db == NULL || app->ev.arena == NULL || app->ev.store == NULL ||
        app->ev.hub == NULL || app->ev.feed == NULL) {
        log_error("events: out of memory at startup");
        return -1;
    }
    app->srv = http_server_create(app->loop, *listen_fd, api_route, &app->ev);
    if (app->srv == NULL)
        return -1;
    *listen_fd = -1; /* the server owns it now */
    app->ev.srv = app->srv;
    http_server_set_extra_headers(app->srv, api_fallback_headers);
    if (feed_start(app->ev.feed) != 0)
        return -1;
    app->housekeeping = housekeeping_start(&app->ev);
    if (app->housekeeping == NULL) {
        log_error("events: cannot start housekeeping (out of memory)");
        return -1;
    }
    app->ws_metrics = ws_metrics_start(&app->ev);
    if (app->ws_metrics == NULL) {
        log_error("events: cannot start metrics updates (out of memory)");
        return -1;
    }
    if (loop_fd_add(app->loop, app->sigfd, LOOP_READ, on_signal, app) != 0) {
        log_error("events: cannot watch signals: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void app_stop(struct app *app, int listen_fd)
{
    /* Connections first (their subscribers are released), then the subscribers. */
    http_server_destroy(app->srv);
    housekeeping_stop(app->housekeeping);
    ws_metrics_stop(app->ws_metrics);
    hub_destroy(app->ev.hub);
    feed_destroy(app->ev.feed);
    store_destroy(app->ev.store);
    arena_destroy(app->ev.arena);
    db_destroy(app->ev.db);
    if (listen_fd >= 0)
        close_fd(listen_fd, "listening socket");
    remove_socket(app);
    if (app->sigfd >= 0) {
        if (app->loop != NULL)
            loop_fd_del(app->loop, app->sigfd);
        close_fd(app->sigfd, "signalfd");
    }
    loop_destroy(app->loop);
}

int main(int argc, char **argv)
{
    int status = configure(argc, argv);
    if (status >= 0)
        return status;
    struct app app;
    memset(&app, 0, sizeof(app));
    app.sigfd = -1;
    int listen_fd = -1, rc = 1;

    raise_nofile();
    app.sigfd = signals_open();
    if (app.sigfd < 0)
        goto out;
    listen_fd = listen_unix(&app, cfg.event_socket);
    if (listen_fd < 0)
        goto out;
    if (app_start(&app, &listen_fd) != 0)
        goto out;
    log_info("events: listening on %s", cfg.event_socket);
    if (loop_run(app.loop) != 0)
        goto out;
    rc = 0;
    log_info("events: stopped");
out:
    app_stop(&app, listen_fd);
    return rc;
}
