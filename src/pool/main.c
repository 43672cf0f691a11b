/*
 * The FastCGI worker pool. spawn-fcgi hands us the listening socket as fd 0; this
 * master preforks `workers` workers that accept on it, respawns any that die,
 * recycles them after `max_requests` or by memory growth, rolls them on SIGHUP and stops gracefully on
 * SIGTERM (in-flight requests finish; idle workers go at once).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcgiapp.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "log.h"
#include "metrics.h"
#include "request_io.h"
#include "routes.h"

#define MAX_WORKERS 256

/* Shared with the master so it can say what a dead worker was serving. */
struct worker_slot {
    pid_t pid;
    int retiring;
    time_t started;
    char current[160];
};

static struct worker_slot *slots;
static long nslots;
static volatile sig_atomic_t got_term, got_hup, got_chld;
static struct config cfg;

static void on_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        got_term = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else if (sig == SIGCHLD)
        got_chld = 1;
}

/* ---- metrics (metrics.h): the pool's part ------------------------------------------ */

static long slot_index(const struct worker_slot *slot)
{
    return (long)(slot - slots);
}

/* How the worker a respawn replaces ended. */
static enum metrics_respawn exit_cause(int status)
{
    if (WIFSIGNALED(status))
        return METRICS_RESPAWN_CRASHED;
    return WEXITSTATUS(status) == 0 ? METRICS_RESPAWN_RECYCLED : METRICS_RESPAWN_FAILED;
}

/* The block for every slot and route, before the first fork. 0 or -1 (said on stderr). */
static int metrics_start(void)
{
    if (metrics_create(nslots, cfg.workers, route_table, route_table_len) == 0)
        return 0;
    fprintf(stderr, "switchboard-pool: metrics: mmap failed: %s\n", strerror(errno));
    return -1;
}

/* ------------------------------------------------------------------------------------ */

static int install(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a worker's accept() must return on SIGTERM */
    return sigaction(sig, &sa, NULL);
}

/* Resident memory in KiB (/proc/self/statm), 0 when unknown. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Checked every RSS_CHECK_EVERY requests: a worker recycles by memory growth, not by count
 * alone, so a busy pool does not fork a worker every few seconds. */
#define RSS_CHECK_EVERY 256

static bool grew_too_much(long served, long *base_kib)
{
    if (served == 1)
        *base_kib = rss_kib();
    if (served % RSS_CHECK_EVERY != 0 || *base_kib == 0)
        return false;
    long grown = rss_kib() - *base_kib;
    if (grown <= cfg.worker_max_rss_growth_mb * 1024)
        return false;
    log_info("worker: recycled after %ld requests: resident memory grew by %ld MiB", served,
             grown / 1024);
    return true;
}

static int worker_run(struct worker_slot *slot)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);

    struct db_options dbo;
    config_db_options(&cfg, 0, &dbo);
    struct db *db = db_create(&dbo);
    struct cache *cache = cache_create(config_memcached(&cfg));
    struct arena *arena = arena_create(64 * 1024);
    FCGX_Request fcgx;
    int rc = 1;
    if (db == NULL || cache == NULL || arena == NULL) {
        log_error("worker: out of memory at start");
        goto out;
    }
    if (FCGX_InitRequest(&fcgx, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        log_error("worker: FCGX_InitRequest failed");
        goto out;
    }
    long base_kib = 0;
    for (long served = 0; served < cfg.max_requests;) {
        if (got_term || grew_too_much(served, &base_kib))
            break;
        if (FCGX_Accept_r(&fcgx) < 0) {
            if (got_term)
                break;
            if (errno == EINTR)
                continue;
            log_error("worker: FCGX_Accept_r failed: %s", strerror(errno));
            break;
        }
        /* Signals wait until the answer is written: libfcgi does not retry on EINTR. */
        sigprocmask(SIG_BLOCK, &block, &old);
        uint64_t t0 = metrics_request_begin();
        struct request req;
        if (request_begin(&req, &fcgx, arena, &cfg, db, cache) == 0) {
            snprintf(slot->current, sizeof(slot->current), "%s %s (request %s)", req.method,
                     req.path, req.request_id);
            log_set_request_id(req.request_id);
            dispatch(&req);
        } else {
            request_error(&req, 500, "internal_error", "Out of memory");
        }
        request_send(&req);
        FCGX_Finish_r(&fcgx);
        metrics_request_end(req.match.route, req.reply.status, t0);
        slot->current[0] = '\0';
        log_set_request_id(NULL);
        arena_reset(arena);
        served++;
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    rc = 0;
out:
    arena_destroy(arena);
    cache_destroy(cache);
    db_destroy(db);
    return rc;
}

/* A worker must not outlive its master (kill -9, a crash): orphans would keep accepting
 * on the old socket and block the next master. The kernel sends the worker SIGTERM when
 * the master dies, so it finishes the request in hand and exits. A master that died
 * before the prctl() is caught by getppid(). Called with SIGTERM blocked. */
static void follow_master(pid_t master)
{
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
        log_warn("worker: prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
    if (getppid() != master)
        got_term = 1;
}

static pid_t spawn(struct worker_slot *slot)
{
    pid_t master = getpid();
    metrics_slot_open(slot_index(slot));
    pid_t pid = fork();
    if (pid < 0) {
        log_error("master: fork failed: %s", strerror(errno));
        metrics_slot_close(slot_index(slot));
        return -1;
    }
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        install(SIGTERM, on_signal);
        install(SIGINT, on_signal);
        signal(SIGHUP, SIG_IGN);
        follow_master(master);
        metrics_attach(slot_index(slot));
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        _exit(worker_run(slot));
    }
    slot->pid = pid;
    slot->retiring = 0;
    slot->started = time(NULL);
    slot->current[0] = '\0';
    return pid;
}

static struct worker_slot *free_slot(void)
{
    for (long i = 0; i < nslots; i++)
        if (slots[i].pid == 0)
            return &slots[i];
    return NULL;
}

static long live_workers(int include_retiring)
{
    long n = 0;
    for (long i = 0; i < nslots; i++)
        if (slots[i].pid != 0 && (include_retiring || !slots[i].retiring))
            n++;
    return n;
}

static void reap(int respawn)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct worker_slot *slot = NULL;
        for (long i = 0; i < nslots; i++)
            if (slots[i].pid == pid)
                slot = &slots[i];
        if (slot == NULL)
            continue;
        if (WIFSIGNALED(status))
            log_error("master: worker %ld killed by signal %d while serving: %s", (long)pid,
                      WTERMSIG(status), slot->current[0] ? slot->current : "(idle)");
        else if (WEXITSTATUS(status) != 0)
            log_error("master: worker %ld exited with status %d", (long)pid,
                      WEXITSTATUS(status));
        int quick = time(NULL) - slot->started < 1;
        slot->pid = 0;
        slot->current[0] = '\0';
        metrics_slot_close(slot_index(slot));
        if (!respawn)
            continue;
        /* A worker that dies at once would otherwise make us fork in a tight loop. */
        if (quick && WIFEXITED(status) && WEXITSTATUS(status) != 0)
            usleep(200 * 1000);
        while (live_workers(0) < cfg.workers) {
            struct worker_slot *s = free_slot();
            if (s == NULL || spawn(s) < 0)
                break;
            metrics_respawn(exit_cause(status));
        }
    }
}

static void roll(void)
{
    log_info("master: SIGHUP, rolling workers");
    long old = 0;
    for (long i = 0; i < nslots; i++) {
        if (slots[i].pid != 0 && !slots[i].retiring) {
            slots[i].retiring = 1;
            old++;
        }
    }
    for (long n = 0; n < cfg.workers; n++) {
        struct worker_slot *s = free_slot();
        if (s == NULL || spawn(s) < 0)
            break;
    }
    for (long i = 0; i < nslots; i++)
        if (slots[i].pid != 0 && slots[i].retiring)
            kill(slots[i].pid, SIGTERM);
    log_info("master: %ld workers retiring", old);
}

static void shutdown_workers(void)
{
    for (long i = 0; i < nslots; i++)
        if (slots[i].pid != 0)
            kill(slots[i].pid, SIGTERM);
    time_t deadline = time(NULL) + cfg.shutdown_grace;
    while (live_workers(1) > 0 && time(NULL) < deadline) {
        reap(0);
        usleep(20 * 1000);
    }
    for (long i = 0; i < nslots; i++) {
        if (slots[i].pid != 0) {
            log_warn("master: worker %ld did not stop in time; killing", (long)slots[i].pid);
            kill(slots[i].pid, SIGKILL);
        }
    }
    while (waitpid(-1, NULL, 0) > 0)
        ;
}

int main(int argc, char **argv)
{
    const char *conf = getenv("SWITCHBOARD_CONF");
    int opt;
    while ((opt = getopt(argc, argv, "c:")) != -1) {
        if (opt == 'c') {
            conf = optarg;
        } else {
            fprintf(stderr, "usage: %s -c CONFIG\n", argv[0]);
            return 2;
        }
    }
    char err[512];
    if (config_load(&cfg, conf, err, sizeof(err)) != 0 ||
        config_load_secrets(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "switchboard-pool: %s\n", err);
        return 1;
    }
    enum log_level level;
    if (log_level_parse(cfg.log_level, &level) == 0)
        log_set_level(level);
    /* libfcgi lingers after each answer (shutdown, then up to 2 s waiting for nginx to
     * close) so that TCP does not reset unread data. Over nginx's unix socket the answer
     * is in nginx's receive queue before close() and nothing is reset; the linger only
     * kept a worker from its next request. Read at FCGX_IsCGI's library set-up. */
    if (setenv("LIBFCGI_OS_CLOSE_POLL_TIMEOUT", "0", 0) != 0)
        log_warn("pool: setenv: %s", strerror(errno));
    if (FCGX_IsCGI()) {
        fprintf(stderr, "switchboard-pool: fd 0 is not a FastCGI socket; start me with spawn-fcgi\n");
        return 1;
    }
    if (FCGX_Init() != 0) {
        fprintf(stderr, "switchboard-pool: FCGX_Init failed\n");
        return 1;
    }
    if (cfg.workers > MAX_WORKERS / 2)
        cfg.workers = MAX_WORKERS / 2;
    nslots = cfg.workers * 2; /* room for a full new generation during a roll */
    slots = mmap(NULL, sizeof(*slots) * (size_t)nslots, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED) {
        fprintf(stderr, "switchboard-pool: mmap failed: %s\n", strerror(errno));
        return 1;
    }
    memset(slots, 0, sizeof(*slots) * (size_t)nslots);
    if (metrics_start() != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);

    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    install(SIGTERM, on_signal);
    install(SIGINT, on_signal);
    install(SIGHUP, on_signal);
    install(SIGCHLD, on_signal);

    for (long i = 0; i < cfg.workers; i++)
        spawn(&slots[i]);
    log_info("master: %ld workers, recycled after %ld requests", cfg.workers, cfg.max_requests);

    while (!got_term) {
        sigsuspend(&old);
        if (got_chld) {
            got_chld = 0;
            reap(1);
        }
        if (got_hup) {
            got_hup = 0;
            roll();
        }
    }
    log_info("master: SIGTERM, stopping workers");
    shutdown_workers();
    log_info("master: stopped");
    return 0;
}
