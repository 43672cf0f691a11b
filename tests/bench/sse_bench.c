/*
 * sse-bench: live-event fan-out latency of the event worker, for `make bench`.
 *
 * One process, one epoll loop. Opens N SSE streams to /api/calls/events?access_token=…
 * (through nginx on 127.0.0.1:PORT, or straight to the event worker's unix socket with
 * -u), at most -f connects in flight at a time, and waits until every stream has had
 * its `connected` event. Then, M times, -i ms apart, it creates a call (POST /api/calls
 * through nginx, with a caller number unique to this run and event) and notes the time
 * just before the request is written; each stream notes when it sees that call's
 * `call_started` event (matched by caller_number). Latency = receipt - write, both
 * CLOCK_MONOTONIC. Prints one line:
 *
 *   sse via=nginx clients=N events=M p50_ms=… p99_ms=… max_ms=… missed=0 dup=0 dropped=0
 *       post_errors=0 connect_s=… rss_base_mb=… rss_mb=…
 *
 * rss_base_mb / rss_mb: VmRSS of -P PID before the first connect and once all N are
 * connected. The access token comes from the environment (SSE_BENCH_TOKEN), not argv.
 *
 * Exit status: 0 all delivered; 1 deliveries missed or calls not created; 2 not every
 * stream could be opened (the line is printed anyway, with connected=K); 3 usage/setup.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MAX_EVENTS 64          /* one bit per event in struct conn */
#define LINE_MAX_LEN 2048      /* longer header/SSE lines are cut (ours are < 1 KB) */
#define POST_BUF 8192
#define FD_MARGIN 64
#define CALLED_NUMBER "+15559990000"

enum { C_IDLE, C_CONNECTING, C_HEAD, C_BODY, C_CLOSED };
enum { CH_SIZE, CH_EXT, CH_DATA, CH_CRLF };

struct conn {
    int fd;
    unsigned char state, chunked, cstate, connected, status_seen, cut;
    uint32_t chunk_left;
    uint32_t llen;
    uint64_t got; /* bit k: event k received */
    char *line;   /* LINE_MAX_LEN bytes */
};

struct post {
    int fd;
    int done, ok;
    size_t len;
    char buf[POST_BUF];
};

static struct {
    int nclients, nevents, interval_ms, inflight_max, wait_s, connect_timeout_s;
    int port;
    int ws; /* -W: WebSocket (/ws, callcenter frames) instead of SSE */
    const char *host, *unix_path, *path, *token;
    long pid;
    char prefix[16]; /* caller number without its 2-digit event index */
} opt;

static struct conn *conns;
static struct post posts[MAX_EVENTS];
static int64_t sent_ns[MAX_EVENTS];
static int64_t *lat;
static size_t nlat;
static int epfd = -1;
static char *sse_request;
static size_t sse_request_len;
static struct sockaddr_storage sse_addr, post_addr;
static socklen_t sse_addr_len, post_addr_len;
static long nconnected, ninflight, nfailed, ndropped, ndup, nunexpected, npost_errors;
static char first_error[256];

static void note_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note_error(const char *fmt, ...)
{
    if (first_error[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(first_error, sizeof(first_error), fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(first_error, sizeof(first_error), "(error text unavailable)");
}

static int64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("sse-bench: clock_gettime");
        exit(3);
    }
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void close_fd(int fd)
{
    if (close(fd) != 0 && errno != EINTR)
        perror("sse-bench: close");
}

/* ---- streams ------------------------------------------------------------------------ */

static void conn_close(struct conn *c, const char *why)
{
    if (c->state == C_CLOSED || c->state == C_IDLE)
        return;
    if (!c->connected) {
        nfailed++;
        ninflight--;
        note_error("stream failed before connected: %s", why);
    } else {
        ndropped++;
        note_error("stream dropped after connected: %s", why);
    }
    if (epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL) != 0)
        perror("sse-bench: epoll_ctl DEL");
    close_fd(c->fd);
    c->fd = -1;
    c->state = C_CLOSED;
}

/* The value of "key" in a flat JSON object text: a pointer to the string's first
 * character and its length (no escapes expected in the values we look at), or NULL. */
static const char *json_str(const char *s, size_t n, const char *key, size_t *vlen)
{
    size_t kl = strlen(key);
    const char *end = s + n;
    for (const char *p = s; p + kl + 2 < end; p++) {
        if (p[0] != '"' || memcmp(p + 1, key, kl) != 0 || p[kl + 1] != '"')
            continue;
        const char *q = p + kl + 2;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end || *q != ':')
            continue;
        q++;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end || *q != '"')
            continue;
        const char *v = ++q;
        while (q < end && *q != '"')
            q++;
        if (q >= end)
            return NULL;
        *vlen = (size_t)(q - v);
        return v;
    }
    return NULL;
}

static int str_is(const char *v, size_t vl, const char *lit)
{
    return v != NULL && vl == strlen(lit) && memcmp(v, lit, vl) == 0;
}

static void event_json(struct conn *c, const char *l, size_t n, int64_t t);

static void sse_line(struct conn *c, const char *l, size_t n, int64_t t)
{
    if (n < 5 || memcmp(l, "data:", 5) != 0)
        return; /* id:, event:, comments (heartbeats), blank lines */
    event_json(c, l + 5, n - 5, t);
}

/* One event's JSON (an SSE data line, a WebSocket text frame). */
static void event_json(struct conn *c, const char *l, size_t n, int64_t t)
{
    size_t tl;
    const char *type = json_str(l, n, "type", &tl);
    if (str_is(type, tl, "connected")) {
        if (!c->connected) {
            c->connected = 1;
            nconnected++;
            ninflight--;
        }
        return;
    }
    if (!str_is(type, tl, "call_started"))
        return;
    size_t cl, pl = strlen(opt.prefix);
    const char *caller = json_str(l, n, "caller_number", &cl);
    if (caller == NULL || cl != pl + 2 || memcmp(caller, opt.prefix, pl) != 0)
        return; /* another call of the tenant */
    if (!isdigit((unsigned char)caller[pl]) || !isdigit((unsigned char)caller[pl + 1])) {
        nunexpected++;
        return;
    }
    int k = (caller[pl] - '0') * 10 + (caller[pl + 1] - '0');
    if (k >= opt.nevents || sent_ns[k] == 0) {
        nunexpected++;
        return;
    }
    uint64_t bit = (uint64_t)1 << k;
    if (c->got & bit) {
        ndup++;
        return;
    }
    c->got |= bit;
    lat[nlat++] = t - sent_ns[k];
}

static void head_line(struct conn *c, const char *l, size_t n)
{
    if (!c->status_seen) {
        c->status_seen = 1;
        if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 ||
            memcmp(l + 8, opt.ws ? " 101" : " 200", 4) != 0) {
            char msg[128];
            snprintf(msg, sizeof(msg), "answer %.*s", (int)(n < 100 ? n : 100), l);
            conn_close(c, msg);
        }
        return;
    }
    if (n == 0) {
        c->state = C_BODY;
        return;
    }
    static const char te[] = "transfer-encoding:";
    if (n > sizeof(te) - 1 && strncasecmp(l, te, sizeof(te) - 1) == 0) {
        for (size_t i = sizeof(te) - 1; i + 7 <= n; i++)
            if (strncasecmp(l + i, "chunked", 7) == 0)
                c->chunked = 1;
    }
}

/* Adds SSE/header bytes to the line buffer; complete lines are handled. */
static void feed_lines(struct conn *c, const char *p, size_t n, int64_t t)
{
    for (size_t i = 0; i < n && c->state != C_CLOSED; i++) {
        char ch = p[i];
        if (ch != '\n') {
            if (c->llen < LINE_MAX_LEN)
                c->line[c->llen++] = ch;
            else
                c->cut = 1;
            continue;
        }
        size_t len = c->llen;
        if (len > 0 && c->line[len - 1] == '\r')
            len--;
        if (c->state == C_HEAD) {
            head_line(c, c->line, len);
        } else if (!c->cut) {
            sse_line(c, c->line, len, t);
        }
        c->llen = 0;
        c->cut = 0;
    }
}

/* Body bytes: de-chunked when the answer is chunked. */
static void feed_body(struct conn *c, const char *p, size_t n, int64_t t)
{
    if (!c->chunked) {
        feed_lines(c, p, n, t);
        return;
    }
    size_t i = 0;
    while (i < n && c->state != C_CLOSED) {
        char ch = p[i];
        switch (c->cstate) {
        case CH_SIZE:
            if (isxdigit((unsigned char)ch)) {
                int d = isdigit((unsigned char)ch) ? ch - '0' : (tolower((unsigned char)ch) - 'a' + 10);
                if (c->chunk_left > (UINT32_MAX >> 4)) {
                    conn_close(c, "bad chunk size");
                    return;
                }
                c->chunk_left = c->chunk_left * 16 + (uint32_t)d;
            } else if (ch == '\n') {
                if (c->chunk_left == 0) {
                    conn_close(c, "the stream ended (last chunk)");
                    return;
                }
                c->cstate = CH_DATA;
            } else {
                c->cstate = CH_EXT;
            }
            i++;
            break;
        case CH_EXT:
            if (ch == '\n') {
                if (c->chunk_left == 0) {
                    conn_close(c, "the stream ended (last chunk)");
                    return;
                }
                c->cstate = CH_DATA;
            }
            i++;
            break;
        case CH_DATA: {
            size_t take = n - i < c->chunk_left ? n - i : c->chunk_left;
            feed_lines(c, p + i, take, t);
            i += take;
            c->chunk_left -= (uint32_t)take;
            if (c->chunk_left == 0)
                c->cstate = CH_CRLF;
            break;
        }
        case CH_CRLF:
            if (ch == '\n')
                c->cstate = CH_SIZE;
            i++;
            break;
        }
    }
}

/*
 * WebSocket frames (-W), gathered in the line buffer: text frames are events, pings get
 * their pong (a client that does not answer is dropped), a close ends the stream.
 */
static void ws_frames(struct conn *c, const char *p, size_t n, int64_t t)
{
    for (size_t i = 0; i < n && c->state != C_CLOSED;) {
        size_t take = LINE_MAX_LEN - c->llen < n - i ? LINE_MAX_LEN - c->llen : n - i;
        memcpy(c->line + c->llen, p + i, take);
        c->llen += (uint32_t)take;
        i += take;
        for (;;) {
            const unsigned char *b = (const unsigned char *)c->line;
            if (c->llen < 2)
                break;
            size_t len = b[1] & 0x7f, off = 2;
            if (len == 126) {
                if (c->llen < 4)
                    break;
                len = (size_t)b[2] << 8 | b[3];
                off = 4;
            } else if (len == 127) {
                conn_close(c, "a frame too big for this client");
                return;
            }
            if (off + len > LINE_MAX_LEN) {
                conn_close(c, "a frame too big for this client");
                return;
            }
            if (c->llen < off + len)
                break;
            int op = b[0] & 0x0f;
            if (op == 1) {
                event_json(c, c->line + off, len, t);
            } else if (op == 9) {
                static const unsigned char pong[6] = {0x8a, 0x80, 0, 0, 0, 0};
                if (write(c->fd, pong, sizeof(pong)) != (ssize_t)sizeof(pong)) {
                    conn_close(c, "cannot answer a ping");
                    return;
                }
            } else if (op == 8) {
                conn_close(c, "closed by the server (close frame)");
                return;
            }
            if (c->state == C_CLOSED)
                return;
            memmove(c->line, c->line + off + len, c->llen - off - len);
            c->llen -= (uint32_t)(off + len);
        }
    }
}

static void feed(struct conn *c, const char *p, size_t n, int64_t t)
{
    size_t i = 0;
    if (c->state == C_HEAD) {
        /* Header lines one at a time, until the blank line switches to the body. */
        while (i < n && c->state == C_HEAD) {
            const char *nl = memchr(p + i, '\n', n - i);
            size_t take = nl ? (size_t)(nl - (p + i)) + 1 : n - i;
            feed_lines(c, p + i, take, t);
            i += take;
        }
    }
    if (i < n && c->state == C_BODY && opt.ws)
        ws_frames(c, p + i, n - i, t);
    else if (i < n && c->state == C_BODY)
        feed_body(c, p + i, n - i, t);
}

static int set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, fl);
}

/* 1: connect started; 0: the listener's backlog is full, try again later; -1: error. */
static int conn_open(struct conn *c, uint32_t idx)
{
    int fd = socket(sse_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        note_error("socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sse_addr, sse_addr_len) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close_fd(fd);
        if (e == EAGAIN)
            return 0; /* unix socket: backlog full */
        note_error("connect: %s", strerror(e));
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = idx};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        note_error("epoll_ctl ADD: %s", strerror(errno));
        close_fd(fd);
        return -1;
    }
    c->fd = fd;
    c->state = C_CONNECTING;
    ninflight++;
    return 1;
}

static void conn_writable(struct conn *c, uint32_t idx)
{
    int err = 0;
    socklen_t el = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
        err = errno;
    if (err != 0) {
        conn_close(c, strerror(err));
        return;
    }
    ssize_t w = write(c->fd, sse_request, sse_request_len);
    if (w != (ssize_t)sse_request_len) {
        conn_close(c, w < 0 ? strerror(errno) : "short write of the request");
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = idx};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
        conn_close(c, "epoll_ctl MOD failed");
        return;
    }
    c->state = C_HEAD;
}

static char rbuf[65536];

static void conn_readable(struct conn *c)
{
    ssize_t r = read(c->fd, rbuf, sizeof(rbuf));
    int64_t t = now_ns();
    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR)
            conn_close(c, strerror(errno));
        return;
    }
    if (r == 0) {
        conn_close(c, "closed by the server");
        return;
    }
    feed(c, rbuf, (size_t)r, t);
}

/* ---- calls (POST /api/calls through nginx) ------------------------------------------ */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Connects (blocking), notes the time, writes the request; the answer is read by the loop. */
static void post_call(int k)
{
    struct post *p = &posts[k];
    p->fd = -1;
    p->done = 1;
    char body[256], req[4096];
    int bn = snprintf(body, sizeof(body),
                      "{\"caller_number\":\"%s%02d\",\"called_number\":\"%s\","
                      "\"current_flow\":\"sse-bench\"}",
                      opt.prefix, k, CALLED_NUMBER);
    int rn = snprintf(req, sizeof(req),
                      "POST /api/calls HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: application/json\r\nContent-Length: %d\r\n"
                      "Connection: close\r\n\r\n%s",
                      opt.host, opt.port, opt.token, bn, body);
    if (bn < 0 || (size_t)bn >= sizeof(body) || rn < 0 || (size_t)rn >= sizeof(req)) {
        npost_errors++;
        note_error("POST request too long");
        return;
    }
    int fd = socket(post_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        npost_errors++;
        note_error("POST socket: %s", strerror(errno));
        return;
    }
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        connect(fd, (struct sockaddr *)&post_addr, post_addr_len) != 0) {
        npost_errors++;
        note_error("POST connect: %s", strerror(errno));
        close_fd(fd);
        return;
    }
    sent_ns[k] = now_ns();
    if (write_all(fd, req, (size_t)rn) != 0) {
        npost_errors++;
        note_error("POST write: %s", strerror(errno));
        close_fd(fd);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)opt.nclients + (uint32_t)k};
    if (set_nonblock(fd, 1) != 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        npost_errors++;
        note_error("POST epoll: %s", strerror(errno));
        close_fd(fd);
        return;
    }
    p->fd = fd;
    p->done = 0;
    p->len = 0;
}

static void post_finish(struct post *p)
{
    p->buf[p->len] = '\0';
    p->ok = p->len >= 12 && memcmp(p->buf, "HTTP/1.", 7) == 0 && memcmp(p->buf + 8, " 201", 4) == 0;
    if (!p->ok) {
        npost_errors++;
        char *eol = strpbrk(p->buf, "\r\n");
        note_error("POST /api/calls answered %.*s", eol ? (int)(eol - p->buf) : 80, p->buf);
    }
    if (epoll_ctl(epfd, EPOLL_CTL_DEL, p->fd, NULL) != 0)
        perror("sse-bench: epoll_ctl DEL");
    close_fd(p->fd);
    p->fd = -1;
    p->done = 1;
}

static void post_readable(struct post *p)
{
    size_t room = sizeof(p->buf) - 1 - p->len;
    char sink[4096];
    ssize_t r = room > 0 ? read(p->fd, p->buf + p->len, room) : read(p->fd, sink, sizeof(sink));
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return;
        post_finish(p);
        return;
    }
    if (r == 0) {
        post_finish(p);
        return;
    }
    if (room > 0)
        p->len += (size_t)r;
}

static void dispatch(const struct epoll_event *evs, int n)
{
    for (int i = 0; i < n; i++) {
        uint32_t id = evs[i].data.u32;
        if (id >= (uint32_t)opt.nclients) {
            struct post *p = &posts[id - (uint32_t)opt.nclients];
            if (!p->done)
                post_readable(p);
            continue;
        }
        struct conn *c = &conns[id];
        if (c->state == C_CONNECTING)
            conn_writable(c, id);
        else if (c->state == C_HEAD || c->state == C_BODY)
            conn_readable(c);
    }
}

/* ---- setup ------------------------------------------------------------------------- */

static double rss_mb(void)
{
    if (opt.pid <= 0)
        return -1;
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", opt.pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    double mb = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        long kb;
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) {
            mb = kb / 1024.0;
            break;
        }
    }
    if (fclose(f) != 0)
        perror("sse-bench: fclose");
    return mb;
}

static int raise_nofile(rlim_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        perror("sse-bench: getrlimit");
        return -1;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            perror("sse-bench: setrlimit");
            return -1;
        }
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        fprintf(stderr, "sse-bench: %llu clients need %llu fds; the hard limit is %llu\n",
                (unsigned long long)opt.nclients, (unsigned long long)need,
                (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

static char *url_escape(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *w = out;
    if (out == NULL)
        return NULL;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            *w++ = (char)ch;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            *w++ = '%';
            *w++ = hex[ch >> 4];
            *w++ = hex[ch & 15];
        }
    }
    *w = '\0';
    return out;
}

static int int_arg(const char *s, int min, int max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: SSE_BENCH_TOKEN=<jwt> sse-bench -p PORT [-n CLIENTS] [-m EVENTS] [-i MS]\n"
            "         [-u EVENT_SOCKET] [-P EVENT_WORKER_PID] [-f INFLIGHT] [-w WAIT_S]\n"
            "         [-c CONNECT_TIMEOUT_S] [-s PATH] [-W]\n"
            "  -W: WebSocket (default path /ws, callcenter frames) instead of SSE;\n"
            "  streams go through nginx on 127.0.0.1:PORT, or to EVENT_SOCKET with -u;\n"
            "  calls are always created through nginx. EVENTS at most %d.\n",
            MAX_EVENTS);
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(double p)
{
    if (nlat == 0)
        return -1;
    size_t r = (size_t)(p * (double)nlat + 0.999999999);
    if (r < 1)
        r = 1;
    if (r > nlat)
        r = nlat;
    return (double)lat[r - 1] / 1e6;
}

int main(int argc, char **argv)
{
    opt.nclients = 1000;
    opt.nevents = 20;
    opt.interval_ms = 200;
    opt.inflight_max = 256;
    opt.wait_s = 15;
    opt.connect_timeout_s = 120;
    opt.host = "127.0.0.1";
    opt.path = "/api/calls/events";
    int c;
    while ((c = getopt(argc, argv, "n:m:i:p:u:P:f:w:c:s:Wh")) != -1) {
        int v = 0, bad = 0;
        switch (c) {
        case 'n': bad = int_arg(optarg, 1, 1000000, &opt.nclients); break;
        case 'm': bad = int_arg(optarg, 1, MAX_EVENTS, &opt.nevents); break;
        case 'i': bad = int_arg(optarg, 1, 60000, &opt.interval_ms); break;
        case 'p': bad = int_arg(optarg, 1, 65535, &opt.port); break;
        case 'u': opt.unix_path = optarg; break;
        case 'P': bad = int_arg(optarg, 1, 1 << 30, &v); opt.pid = v; break;
        case 'f': bad = int_arg(optarg, 1, 100000, &opt.inflight_max); break;
        case 'w': bad = int_arg(optarg, 1, 3600, &opt.wait_s); break;
        case 'c': bad = int_arg(optarg, 1, 3600, &opt.connect_timeout_s); break;
        case 's': opt.path = optarg; break;
        case 'W':
            opt.ws = 1;
            if (strcmp(opt.path, "/api/calls/events") == 0)
                opt.path = "/ws";
            break;
        default: usage(); return 3;
        }
        if (bad) {
            fprintf(stderr, "sse-bench: bad value for -%c: %s\n", c, optarg);
            return 3;
        }
    }
    opt.token = getenv("SSE_BENCH_TOKEN");
    if (optind != argc || opt.port == 0 || opt.token == NULL || *opt.token == '\0') {
        usage();
        return 3;
    }
    if (raise_nofile((rlim_t)opt.nclients + MAX_EVENTS + FD_MARGIN) != 0)
        return 3;
    /* Unique to this run: +1999, 6 digits from the clock and pid, then the event index. */
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        perror("sse-bench: clock_gettime");
        return 3;
    }
    snprintf(opt.prefix, sizeof(opt.prefix), "+1999%06ld",
             ((long)ts.tv_sec * 7919 + ts.tv_nsec / 1000 + (long)getpid()) % 1000000);

    struct sockaddr_in *in = (struct sockaddr_in *)&post_addr;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &in->sin_addr) != 1) {
        fprintf(stderr, "sse-bench: bad address %s\n", opt.host);
        return 3;
    }
    post_addr_len = sizeof(*in);
    if (opt.unix_path != NULL) {
        struct sockaddr_un *un = (struct sockaddr_un *)&sse_addr;
        un->sun_family = AF_UNIX;
        if (strlen(opt.unix_path) >= sizeof(un->sun_path)) {
            fprintf(stderr, "sse-bench: socket path too long: %s\n", opt.unix_path);
            return 3;
        }
        memcpy(un->sun_path, opt.unix_path, strlen(opt.unix_path) + 1);
        sse_addr_len = sizeof(*un);
    } else {
        memcpy(&sse_addr, &post_addr, sizeof(post_addr));
        sse_addr_len = post_addr_len;
    }
    char *tok = url_escape(opt.token);
    if (tok == NULL) {
        fprintf(stderr, "sse-bench: out of memory\n");
        return 3;
    }
    size_t rq = strlen(opt.path) + strlen(tok) + 256;
    sse_request = malloc(rq);
    if (sse_request == NULL) {
        fprintf(stderr, "sse-bench: out of memory\n");
        return 3;
    }
    int rn = snprintf(sse_request, rq,
                      "GET %s?access_token=%s HTTP/1.1\r\nHost: %s:%d\r\n%s",
                      opt.path, tok, opt.unix_path ? "localhost" : opt.host, opt.port,
                      opt.ws ? "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: callcenter\r\n\r\n"
                             : "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
    free(tok);
    if (rn < 0 || (size_t)rn >= rq) {
        fprintf(stderr, "sse-bench: request too long\n");
        return 3;
    }
    sse_request_len = (size_t)rn;

    conns = calloc((size_t)opt.nclients, sizeof(*conns));
    lat = calloc((size_t)opt.nclients * (size_t)opt.nevents, sizeof(*lat));
    char *lines = malloc((size_t)opt.nclients * LINE_MAX_LEN);
    if (conns == NULL || lat == NULL || lines == NULL) {
        fprintf(stderr, "sse-bench: out of memory\n");
        return 3;
    }
    for (int i = 0; i < opt.nclients; i++) {
        conns[i].fd = -1;
        conns[i].line = lines + (size_t)i * LINE_MAX_LEN;
    }
    for (int k = 0; k < MAX_EVENTS; k++) {
        posts[k].fd = -1;
        posts[k].done = 1;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        perror("sse-bench: epoll_create1");
        return 3;
    }
    enum { NEV = 1024 };
    static struct epoll_event evs[NEV];

    /* Phase 1: open every stream, at most inflight_max waiting for `connected`. */
    double rss_base = rss_mb();
    int64_t t0 = now_ns();
    int64_t deadline = t0 + (int64_t)opt.connect_timeout_s * 1000000000;
    int next = 0;
    while (nconnected + nfailed < opt.nclients) {
        while (next < opt.nclients && ninflight < opt.inflight_max) {
            int rc = conn_open(&conns[next], (uint32_t)next);
            if (rc == 0)
                break; /* backlog full: after the next wait */
            if (rc < 0) {
                nfailed++;
                conns[next].state = C_CLOSED;
            }
            next++;
        }
        if (now_ns() > deadline) {
            note_error("not all streams connected within %d s", opt.connect_timeout_s);
            break;
        }
        int n = epoll_wait(epfd, evs, NEV, 100);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("sse-bench: epoll_wait");
            return 3;
        }
        dispatch(evs, n);
    }
    double connect_s = (double)(now_ns() - t0) / 1e9;
    long connected_at_start = nconnected;
    double rss = rss_mb();

    /* Phase 2: create the calls, collect the deliveries. */
    if (nconnected == opt.nclients) {
        int k = 0;
        int64_t next_post = now_ns(), last_post = 0;
        size_t expected = (size_t)opt.nclients * (size_t)opt.nevents;
        for (;;) {
            int64_t t = now_ns();
            if (k < opt.nevents && t >= next_post) {
                post_call(k);
                last_post = now_ns();
                k++;
                next_post += (int64_t)opt.interval_ms * 1000000;
            }
            int posts_open = 0;
            for (int j = 0; j < k; j++)
                posts_open += !posts[j].done;
            if (k == opt.nevents && !posts_open &&
                (nlat == expected || nconnected - ndropped == 0))
                break;
            if (k == opt.nevents && t > last_post + (int64_t)opt.wait_s * 1000000000)
                break;
            int timeout = 50;
            if (k < opt.nevents) {
                int64_t ms = (next_post - t) / 1000000;
                timeout = ms < 0 ? 0 : ms < 50 ? (int)ms : 50;
            }
            int n = epoll_wait(epfd, evs, NEV, timeout);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                perror("sse-bench: epoll_wait");
                return 3;
            }
            dispatch(evs, n);
        }
        for (int j = 0; j < k; j++) {
            if (!posts[j].done) {
                npost_errors++;
                note_error("POST /api/calls got no answer");
            }
        }
    }

    qsort(lat, nlat, sizeof(*lat), compare_i64);
    size_t expected = (size_t)opt.nclients * (size_t)opt.nevents;
    size_t missed = expected - nlat;
    printf("%s via=%s clients=%d connected=%ld events=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
           "missed=%zu dup=%ld unexpected=%ld dropped=%ld post_errors=%ld connect_s=%.2f "
           "rss_base_mb=%.1f rss_mb=%.1f\n",
           opt.ws ? "ws" : "sse", opt.unix_path ? "unix" : "nginx", opt.nclients, connected_at_start, opt.nevents,
           pct_ms(0.50), pct_ms(0.99), nlat ? (double)lat[nlat - 1] / 1e6 : -1.0, missed, ndup,
           nunexpected, ndropped, npost_errors, connect_s, rss_base, rss);
    if (fflush(stdout) != 0) {
        perror("sse-bench: stdout");
        return 3;
    }
    if (first_error[0] != '\0')
        fprintf(stderr, "sse-bench: first error: %s (failed to open %ld, dropped %ld)\n",
                first_error, nfailed, ndropped);
    for (int i = 0; i < opt.nclients; i++)
        if (conns[i].fd >= 0)
            close_fd(conns[i].fd);
    close_fd(epfd);
    free(lines);
    free(lat);
    free(conns);
    free(sse_request);
    if (connected_at_start < opt.nclients)
        return 2;
    return missed == 0 && npost_errors == 0 && ndup == 0 ? 0 : 1;
}
