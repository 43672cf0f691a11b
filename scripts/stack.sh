#!/usr/bin/env bash
# Switchboard local stack: a private MariaDB, memcached, the FastCGI worker pool (under
# spawn-fcgi), the event worker and nginx, each in the foreground under its own
# supervisor (a restart loop with backoff, like systemd's Restart= in production). Every
# piece of state, temporary files included, lives under $SB_VAR; nginx is the only TCP
# listener (127.0.0.1:$PORT), everything else talks over unix sockets in $SB_VAR/run.
#
# Usage: scripts/stack.sh start|stop|status
#
# Environment:
#   SB_VAR       state directory (default: <repo>/var)
#   SB_BIN       directory holding switchboard-pool, -events, -admin (default: <repo>/bin)
#   PORT         nginx port on 127.0.0.1 (default: 8080)
#   LOGIN_RATE   login rate limit per client address, nginx syntax (default: 10r/s)
#   LOGIN_BURST  login burst (default: 20)
#   REGISTER_RATE, REGISTER_BURST  the same for POST /api/auth/register (6r/m, 5)
#   SB_WORKERS, SB_LOG_LEVEL, SB_MAX_REQUESTS, SB_MAX_BODY_BYTES, SB_RECORDING_MAX_BYTES, SB_ACCESS_TOKEN_TTL,
#   SB_REFRESH_TOKEN_TTL, SB_CACHE_TTL, SB_SHUTDOWN_GRACE, SB_REGISTER_ENABLED
#                override the defaults written to $SB_VAR/switchboard.conf. The binaries
#                are started without any SB_* variable, so the file is authoritative.
#
# An app host of several (scripts/cluster.sh) runs no database and no memcached of its own:
#   SB_DB_NODES           the database nodes (host:port,…): no MariaDB is started here
#   SB_MEMCACHED_SERVERS  the memcached servers (host:port,…): no memcached is started here
#   SB_SHARED             a directory every host shares: jwt.key, metrics.token, db.password,
#                         demo-login and recordings/ live there instead of under SB_VAR
#   SB_JOIN=1             another host applied the migrations and made the demo login
#   SB_NGINX_SOCKET       nginx also listens on this unix socket (for a front nginx)
#   SB_REAL_IP_FROM       addresses of fronts reaching nginx over TCP, whose X-Real-IP it
#                         believes (the unix socket's always is)
#   SB_DB_CAUSAL_READS    db_causal_reads (true on a Galera cluster)
#   SB_EVENT_WAKE_LISTEN, SB_EVENT_WAKE_PEERS  event_wake_listen / event_wake_peers: the
#                         event workers of the hosts poke each other over UDP
#
# Exit status: 0 on success; 1 on failure; `status` exits 3 when a component is down.
set -Eeuo pipefail
umask 077

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(dirname "$SCRIPT")
REPO=$(dirname "$SCRIPT_DIR")
sb_prog=stack.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"

STEP=setup
on_err() {
    local rc=$1 line=$2
    # In a command substitution the parent reports the failure.
    [ "$BASH_SUBSHELL" -eq 0 ] || exit "$rc"
    printf '%s: error: step "%s" failed (exit status %s, line %s)\n' "$sb_prog" "$STEP" "$rc" "$line" >&2
    exit "$rc"
}
trap 'on_err $? $LINENO' ERR

# ---------------------------------------------------------------------------- paths --

SB_VAR=${SB_VAR:-$REPO/var}
case $SB_VAR in /*) ;; *) SB_VAR=$PWD/$SB_VAR ;; esac
while [ "${SB_VAR%/}" != "$SB_VAR" ] && [ "$SB_VAR" != / ]; do SB_VAR=${SB_VAR%/}; done
SB_BIN=${SB_BIN:-$REPO/bin}
case $SB_BIN in /*) ;; *) SB_BIN=$PWD/$SB_BIN ;; esac
PORT=${PORT:-8080}
SB_DB_NODES=${SB_DB_NODES:-}
SB_MEMCACHED_SERVERS=${SB_MEMCACHED_SERVERS:-}
SB_SHARED=${SB_SHARED:-}
SB_JOIN=${SB_JOIN:-0}
SB_NGINX_SOCKET=${SB_NGINX_SOCKET:-}
SHARED=${SB_SHARED:-$SB_VAR}

RUN=$SB_VAR/run
LOG=$SB_VAR/log
DB_DIR=$SB_VAR/db
NGX=$SB_VAR/nginx
CONF=$SB_VAR/switchboard.conf
DB_PASSWORD_FILE=$SHARED/db.password
JWT_KEY=$SHARED/jwt.key
METRICS_TOKEN=$SHARED/metrics.token
DEMO=$SHARED/demo-login
RECORDINGS_DIR=$SHARED/recordings
STATIC_DIR=$REPO/static
SQL_DIR=$REPO/sql
TEMPLATE=$REPO/nginx/nginx.conf.in
MIME_TYPES=${MIME_TYPES:-/etc/nginx/mime.types}

MYSQL_SOCK=$RUN/mysqld.sock
MC_SOCK=$RUN/memcached.sock
POOL_SOCK=$RUN/pool.sock
EVENT_SOCK=$RUN/events.sock
EVENT_WAKE_SOCK=$RUN/events-wake.sock

MARIADB_PID=$RUN/mariadb.pid
# Temporary files: every component's stay under SB_VAR (TMPDIR for all of them), none in
# the shared /tmp, where a cleaner may remove a file still in use.
TMP_DIR=$SB_VAR/tmp
MARIADB_TMP=$TMP_DIR/mariadb

FRESH_DB=0
DEMO_EMAIL=admin@demo.switchboard.test
DEMO_TENANT="Demo Contact Center"

if [ "$(id -u)" -eq 0 ]; then IS_ROOT=1; else IS_ROOT=0; fi
# MariaDB account authenticated by unix_socket for administration.
if [ "$IS_ROOT" = 1 ]; then DB_ADMIN=root; else DB_ADMIN=$(id -un); fi

# The binaries get no SB_* variable (config_load() would let SB_<KEY> override the file).
SB_ENV_UNSET=()
for _v in $(compgen -e); do
    case $_v in SB_*) SB_ENV_UNSET+=(-u "$_v") ;; esac
done
unset _v

# ---------------------------------------------------------------------- components --
# Each long-running component runs in the foreground under its own supervisor (see
# "supervision" below). $RUN/NAME.pid holds the component's own pid,
# $RUN/NAME-supervisor.pid its supervisor's, $RUN/NAME.restarts how often the supervisor
# restarted it (its mtime is the time of the last restart).

COMPONENTS=(pool events clock hooks nginx)
[ -n "$SB_MEMCACHED_SERVERS" ] || COMPONENTS=(memcached "${COMPONENTS[@]}")
[ -n "$SB_DB_NODES" ] || COMPONENTS=(mariadb "${COMPONENTS[@]}")

# comp_policy NAME: sets C_LABEL and C_THE (for messages), C_LOG (its log, which its
# supervisor writes too), C_SIG (the graceful stop signal) and C_WAIT (seconds a graceful
# stop may take before SIGKILL).
comp_policy() {
    local grace
    C_THE=''
    case $1 in
        mariadb) C_LABEL=MariaDB C_LOG=$LOG/mariadb.log C_SIG=TERM C_WAIT=60 ;;
        memcached) C_LABEL=memcached C_LOG=$LOG/memcached.log C_SIG=TERM C_WAIT=10 ;;
        pool)
            grace=$(sb_conf_get "$CONF" shutdown_grace)
            case $grace in ''|*[!0-9]*) grace=10 ;; esac
            C_LABEL="worker pool" C_THE="the worker pool" C_LOG=$LOG/pool.log C_SIG=TERM
            C_WAIT=$((grace + 5))
            ;;
        events) C_LABEL="event worker" C_THE="the event worker" C_LOG=$LOG/events.log C_SIG=TERM C_WAIT=10 ;;
        clock) C_LABEL="clock" C_THE="the clock" C_LOG=$LOG/clock.log C_SIG=TERM C_WAIT=10 ;;
        # hooks: a graceful stop finishes the deliveries in flight (at most a webhook's
        # timeout, 60 s).
        hooks) C_LABEL="webhook deliverer" C_THE="the webhook deliverer" C_LOG=$LOG/hooks.log C_SIG=TERM C_WAIT=65 ;;
        nginx) C_LABEL=nginx C_LOG=$LOG/nginx-error.log C_SIG=QUIT C_WAIT=20 ;;
        *) sb_die "unknown component '$1'" ;;
    esac
    C_THE=${C_THE:-$C_LABEL}
}

# comp_pid NAME: prints the component's pid and succeeds when it is up.
comp_pid() {
    local p
    p=$(sb_read_pid "$RUN/$1.pid")
    case $1 in
        mariadb) sb_pid_alive "$p" mariadbd "$SB_VAR/" ;;
        memcached) sb_pid_alive "$p" memcached "$SB_VAR/" ;;
        pool|events|clock|hooks) sb_app_alive "$p" switchboard ;;
        nginx) sb_pid_alive "$p" nginx "$SB_VAR/" ;;
        *) false ;;
    esac || return 1
    printf '%s' "$p"
}

# sup_pid NAME: prints the pid of the component's supervisor and succeeds when it runs.
sup_pid() {
    local p
    p=$(sb_read_pid "$RUN/$1-supervisor.pid")
    if sb_pid_alive "$p" "_supervise $1 $SB_VAR --" ||
        { [ "$1" = events ] && sb_pid_alive "$p" _events-supervisor "$SB_VAR/"; }; then
        printf '%s' "$p"    # (_events-supervisor: the event worker's loop of older versions)
        return 0
    fi
    return 1
}

# exe_is PID NAME: the process runs the program NAME (it has exec'd, not just forked).
exe_is() {
    local exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    case ${exe##*/} in "$2"*) return 0 ;; esac
    return 1
}

# restart_count NAME: how often the supervisor restarted the component.
restart_count() {
    local n=''
    if [ -r "$RUN/$1.restarts" ]; then read -r n <"$RUN/$1.restarts" || true; fi
    case $n in ''|*[!0-9]*) n=0 ;; esac
    printf '%s' "$n"
}

write_restarts() {       # NAME COUNT
    printf '%s\n' "$2" >"$RUN/$1.restarts.tmp" && mv -f "$RUN/$1.restarts.tmp" "$RUN/$1.restarts"
}

all_running() {
    local n
    for n in "${COMPONENTS[@]}"; do
        sup_pid "$n" >/dev/null && comp_pid "$n" >/dev/null || return 1
    done
}

base_url() {
    local u; u=$(sb_conf_get "$CONF" public_base_url)
    printf '%s' "${u:-http://127.0.0.1:$PORT}"
}

# ------------------------------------------------------------------------- helpers --

lock_var() {
    mkdir -p "$RUN"
    exec 9>>"$RUN/.stack.lock"
    flock -w 120 9 || sb_die "another 'stack.sh start/stop' holds $RUN/.stack.lock (waited 120 s)"
}

need_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || sb_die "'$c' not found; run scripts/deps.sh"
    done
}

check_path_chars() {     # NAME PATH: nginx.conf, sed and socket URLs need plain paths
    case $2 in
        *[!A-Za-z0-9._/+,~=-]*)
            sb_die "$1 '$2' contains characters that are not allowed (whitespace, quotes, ':', '\$', ';' …); use a plain path" ;;
    esac
}

check_socket_len() {
    local s
    for s in "$@"; do
        [ "${#s}" -le 107 ] ||
            sb_die "unix socket path '$s' is ${#s} bytes, the limit is 107; use a shorter SB_VAR"
    done
}

check_int() {            # NAME VALUE MIN
    case $2 in ''|*[!0-9]*) sb_die "$1 must be an integer (got '$2')" ;; esac
    [ "$2" -ge "$3" ] || sb_die "$1 must be at least $3 (got '$2')"
}

# as_worker_user CMD...: run a check as the user nginx's workers run as.
as_worker_user() {
    if [ "$IS_ROOT" = 1 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
    else
        "$@"
    fi
}

write_secret() {         # FILE CONTENT: atomically, mode 600, no trailing newline
    local tmp="$1.tmp.$$"
    (umask 077 && printf '%s' "$2" >"$tmp")
    chmod 600 "$tmp"
    mv -f "$tmp" "$1"
}

check_port_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        sb_die "port $PORT on 127.0.0.1 is already in use (another stack? set PORT=…)"
    fi
}

sed_repl() {             # escape a value for the replacement part of s|…|…|
    printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'
}

# --------------------------------------------------------------------------- start --

load_settings() {
    LOGIN_RATE=${LOGIN_RATE:-10r/s}
    LOGIN_BURST=${LOGIN_BURST:-20}
    REGISTER_RATE=${REGISTER_RATE:-6r/m}
    REGISTER_BURST=${REGISTER_BURST:-5}
    CFG_LOG_LEVEL=${SB_LOG_LEVEL:-info}
    CFG_WORKERS=${SB_WORKERS:-$((2 * $(nproc)))}
    CFG_MAX_REQUESTS=${SB_MAX_REQUESTS:-1000000}
    CFG_MAX_BODY_BYTES=${SB_MAX_BODY_BYTES:-1048576}
    CFG_RECORDING_MAX_BYTES=${SB_RECORDING_MAX_BYTES:-104857600}
    CFG_ACCESS_TOKEN_TTL=${SB_ACCESS_TOKEN_TTL:-900}
    CFG_REFRESH_TOKEN_TTL=${SB_REFRESH_TOKEN_TTL:-2592000}
    CFG_CACHE_TTL=${SB_CACHE_TTL:-300}
    CFG_SHUTDOWN_GRACE=${SB_SHUTDOWN_GRACE:-10}
    CFG_REGISTER_ENABLED=${SB_REGISTER_ENABLED:-true}
    # Outgoing webhooks (switchboard-hooks and the API's URL check).
    CFG_WEBHOOK_ALLOW_PRIVATE=${SB_WEBHOOK_ALLOW_PRIVATE:-false}
    CFG_WEBHOOK_ALLOW_LOOPBACK=${SB_WEBHOOK_ALLOW_LOOPBACK:-false}
    CFG_WEBHOOK_RETRY_BASE_MS=${SB_WEBHOOK_RETRY_BASE_MS:-5000}
    CFG_WEBHOOK_RETRY_MAX_DELAY_MS=${SB_WEBHOOK_RETRY_MAX_DELAY_MS:-3600000}
    CFG_JOB_LEASE_MS=${SB_JOB_LEASE_MS:-10000}
    CFG_WEBHOOK_GIVE_UP_SECONDS=${SB_WEBHOOK_GIVE_UP_SECONDS:-86400}
    CFG_WEBHOOK_DISABLE_AFTER=${SB_WEBHOOK_DISABLE_AFTER:-5}
    CFG_WEBHOOK_CONNECT_TIMEOUT_MS=${SB_WEBHOOK_CONNECT_TIMEOUT_MS:-5000}
    CFG_WEBHOOK_RETENTION_DAYS=${SB_WEBHOOK_RETENTION_DAYS:-30}
    CFG_TWILIO_API_BASE=${SB_TWILIO_API_BASE:-https://api.twilio.com}
    CFG_EVENT_RETENTION_HOURS=${SB_EVENT_RETENTION_HOURS:-72}
    CFG_EVENT_HEARTBEAT_SECONDS=${SB_EVENT_HEARTBEAT_SECONDS:-15}
    CFG_EVENT_METRICS_SECONDS=${SB_EVENT_METRICS_SECONDS:-10}
    CFG_EVENT_MAX_STREAMS_PER_SESSION=${SB_EVENT_MAX_STREAMS_PER_SESSION:-32}
    CFG_EVENT_MAX_STREAMS_PER_TENANT=${SB_EVENT_MAX_STREAMS_PER_TENANT:-10000}
    CFG_PASSWORD_MAX_FAILURES=${SB_PASSWORD_MAX_FAILURES:-5}
    CFG_PASSWORD_MAX_FAILURES_PER_ADDRESS=${SB_PASSWORD_MAX_FAILURES_PER_ADDRESS:-100}
    CFG_PASSWORD_LOCKOUT_SECONDS=${SB_PASSWORD_LOCKOUT_SECONDS:-900}
    CFG_REGISTER_MAX_PER_ADDRESS_PER_DAY=${SB_REGISTER_MAX_PER_ADDRESS_PER_DAY:-10}
    CFG_CORS_ALLOW_ORIGINS=${SB_CORS_ALLOW_ORIGINS:-*}
    CFG_PUBLIC_BASE_URL=${SB_PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}

    check_int PORT "$PORT" 1
    [ "$PORT" -le 65535 ] || sb_die "PORT must be at most 65535 (got '$PORT')"
    case $LOGIN_RATE in
        [0-9]*r/s|[0-9]*r/m) check_int "LOGIN_RATE (number part)" "${LOGIN_RATE%r/*}" 1 ;;
        *) sb_die "LOGIN_RATE must look like 10r/s or 600r/m (got '$LOGIN_RATE')" ;;
    esac
    check_int LOGIN_BURST "$LOGIN_BURST" 0
    case $REGISTER_RATE in
        [0-9]*r/s|[0-9]*r/m) check_int "REGISTER_RATE (number part)" "${REGISTER_RATE%r/*}" 1 ;;
        *) sb_die "REGISTER_RATE must look like 6r/m or 1r/s (got '$REGISTER_RATE')" ;;
    esac
    check_int REGISTER_BURST "$REGISTER_BURST" 0
    case $CFG_LOG_LEVEL in debug|info|warn|warning|error) ;;
        *) sb_die "SB_LOG_LEVEL must be debug, info, warn or error (got '$CFG_LOG_LEVEL')" ;;
    esac
    check_int SB_WORKERS "$CFG_WORKERS" 1
    check_int SB_MAX_REQUESTS "$CFG_MAX_REQUESTS" 1
    check_int SB_MAX_BODY_BYTES "$CFG_MAX_BODY_BYTES" 1024
    check_int SB_RECORDING_MAX_BYTES "$CFG_RECORDING_MAX_BYTES" 1024
    check_int SB_ACCESS_TOKEN_TTL "$CFG_ACCESS_TOKEN_TTL" 1
    check_int SB_REFRESH_TOKEN_TTL "$CFG_REFRESH_TOKEN_TTL" 1
    check_int SB_CACHE_TTL "$CFG_CACHE_TTL" 0
    check_int SB_SHUTDOWN_GRACE "$CFG_SHUTDOWN_GRACE" 0
    case $CFG_REGISTER_ENABLED in true|false) ;;
        *) sb_die "SB_REGISTER_ENABLED must be true or false (got '$CFG_REGISTER_ENABLED')" ;;
    esac
}

preflight() {
    STEP="preflight checks"
    local b
    need_cmd mariadbd mariadb-install-db mariadb mariadb-admin memcached spawn-fcgi nginx \
        curl flock setsid od
    [ "$IS_ROOT" = 0 ] || need_cmd setpriv
    for b in switchboard-pool switchboard-events switchboard-admin switchboard-clock switchboard-hooks; do
        [ -x "$SB_BIN/$b" ] || sb_die "$SB_BIN/$b is missing or not executable; build it first (make)"
    done
    [ -r "$TEMPLATE" ] || sb_die "nginx template $TEMPLATE is missing"
    [ -r "$MIME_TYPES" ] || sb_die "$MIME_TYPES is missing (package nginx-common); set MIME_TYPES"
    [ -d "$SQL_DIR" ] || sb_die "migrations directory $SQL_DIR is missing"
    check_path_chars SB_VAR "$SB_VAR"
    check_path_chars "repository path" "$REPO"
    check_path_chars SB_BIN "$SB_BIN"
    check_socket_len "$MYSQL_SOCK" "$MC_SOCK" "$POOL_SOCK" "$EVENT_SOCK"
}

# A private temp dir from `mktemp -d` (mode 700) holding SB_VAR, as scripts/test.sh and
# scripts/bench.sh make, would keep nginx's workers (nobody) from the sockets. Parents of
# SB_VAR inside /tmp that root owns get search permission for others (o+x: files can be
# reached by name, nothing becomes listable). Any other blocking parent is reported.
open_temp_parents() {
    local d=$SB_VAR mode
    while d=$(dirname "$d") && [ "$d" != / ]; do
        case $d in /tmp/?*) ;; *) continue ;; esac
        [ "$(stat -c %u "$d")" = 0 ] || continue
        mode=$(stat -c %A "$d")
        case $mode in d????????[xt]) continue ;; esac
        chmod o+x "$d"
        sb_say "note: made $d searchable by others (o+x) so nginx's workers (user nobody) can reach $RUN"
    done
}

make_dirs() {
    STEP="create $SB_VAR"
    mkdir -p "$SB_VAR" 2>/dev/null || sb_die "cannot create the state directory SB_VAR=$SB_VAR"
    mkdir -p "$RUN" "$LOG" "$NGX/tmp" "$MARIADB_TMP" "$RECORDINGS_DIR"
    # Keep every generated file out of git, wherever SB_VAR is.
    [ -e "$SB_VAR/.gitignore" ] || printf '*\n' >"$SB_VAR/.gitignore"
    chmod 700 "$LOG" "$TMP_DIR" "$MARIADB_TMP"
    if [ "$IS_ROOT" = 1 ]; then
        # nginx's workers run as nobody: they must traverse to the sockets and temp dirs
        # (search permission only; nothing here becomes listable or readable).
        chmod 711 "$SB_VAR" "$RUN" "$NGX" "$NGX/tmp"
        # Call recordings: nginx's workers serve the files (X-Accel-Redirect), by name only.
        chmod 711 "$RECORDINGS_DIR"
        open_temp_parents
        as_worker_user test -x "$RUN" ||
            sb_die "nginx's workers (user nobody) cannot reach $RUN: a parent directory of SB_VAR is not searchable by others (chmod o+x it, or use an SB_VAR under /tmp)"
        if ! as_worker_user test -r "$STATIC_DIR/index.html"; then
            sb_warn "user nobody cannot read $STATIC_DIR/index.html: the dashboard will not load"
        fi
    else
        chmod 700 "$SB_VAR" "$RUN"
    fi
}

# supervise NAME COMMAND…: start COMMAND under a new supervisor (`stack.sh _supervise`),
# detached, its output on the component's log (comp_policy NAME set).
supervise() {
    local name=$1 sup
    shift
    rm -f "$RUN/$name.pid" "$RUN/$name-supervisor.pid"
    write_restarts "$name" 0
    env SB_VAR="$SB_VAR" setsid "$BASH" "$SCRIPT" _supervise "$name" "$SB_VAR" -- "$@" \
        </dev/null >>"$C_LOG" 2>&1 9>&- &
    sup=$!
    disown "$sup" 2>/dev/null || true
    printf '%s\n' "$sup" >"$RUN/$name-supervisor.pid"
}

# wait_ready NAME CHECK SECONDS: until the command CHECK succeeds. Fails when the
# component exits during startup (its supervisor is then stopped: no restart loop is
# left behind), when its supervisor dies, or after SECONDS.
wait_ready() {
    local name=$1 ready=$2 secs=$3 sup restarts first='' p deadline
    STEP="$C_LABEL: wait until it is ready"
    sup=$(sb_read_pid "$RUN/$name-supervisor.pid")
    restarts=$(restart_count "$name")
    deadline=$((SECONDS + secs))
    until "$ready"; do
        if ! sb_pid_alive "$sup"; then    # (its command line may not be set yet)
            sb_tail "$C_LOG" 30
            sb_die "the supervisor of $C_THE exited (log: $C_LOG)"
        fi
        p=$(sb_read_pid "$RUN/$name.pid")
        [ -n "$first" ] || first=$p
        if [ "$(restart_count "$name")" != "$restarts" ] ||
            { [ -n "$first" ] && { [ "$p" != "$first" ] || ! sb_pid_alive "$first"; }; }; then
            kill -TERM "$sup" 2>/dev/null || true
            sb_wait_gone $((C_WAIT + 20)) "$sup" || true
            sb_tail "$C_LOG" 30
            sb_die "$C_LABEL exited during startup; stopped its supervisor (log: $C_LOG)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            sb_tail "$C_LOG" 30
            sb_die "$C_LABEL was not ready within $secs s (pid ${first:-none}; log: $C_LOG)"
        fi
        sleep 0.1
    done
}

# start_component NAME CHECK SECONDS COMMAND…: run COMMAND under a supervisor unless one
# runs already, then wait_ready. A component running without a supervisor (its
# supervisor was killed, or an older stack.sh started it) is stopped and restarted
# under one.
start_component() {
    local name=$1 ready=$2 secs=$3 sup pid
    shift 3
    comp_policy "$name"
    STEP="$C_LABEL"
    if sup=$(sup_pid "$name"); then
        sb_say "$C_LABEL already running (supervisor pid $sup)"
    else
        if pid=$(comp_pid "$name"); then
            sb_say "$C_LABEL runs without a supervisor (pid $pid); restarting it under one…"
            terminate "$pid" || sb_die "$C_LABEL (pid $pid) does not stop"
        fi
        sb_say "Starting $C_THE…"
        supervise "$name" "$@"
    fi
    wait_ready "$name" "$ready" "$secs"
}

mariadb_ready() {
    mariadb-admin --no-defaults --socket="$MYSQL_SOCK" -u"$DB_ADMIN" --connect-timeout=2 \
        ping >/dev/null 2>&1
}

start_mariadb() {
    local args
    comp_policy mariadb
    if [ ! -d "$DB_DIR/mysql" ] && ! sup_pid mariadb >/dev/null; then
        STEP="MariaDB: initialise the datadir (mariadb-install-db)"
        sb_say "Initialising the MariaDB datadir $DB_DIR (first run)…"
        mkdir -p "$DB_DIR"
        args=(--no-defaults --datadir="$DB_DIR" --tmpdir="$MARIADB_TMP"
            --auth-root-authentication-method=socket --skip-test-db)
        if [ "$IS_ROOT" = 1 ]; then args+=(--user=root); else args+=(--auth-root-socket-user="$DB_ADMIN"); fi
        if ! mariadb-install-db "${args[@]}" >>"$LOG/mariadb-install.log" 2>&1; then
            sb_tail "$LOG/mariadb-install.log"
            sb_die "mariadb-install-db failed (log: $LOG/mariadb-install.log)"
        fi
        FRESH_DB=1
    fi
    args=(--no-defaults)
    [ "$IS_ROOT" = 1 ] && args+=(--user=root)
    args+=(--datadir="$DB_DIR" --socket="$MYSQL_SOCK" --skip-networking
        --pid-file="$MARIADB_PID" --log-error="$LOG/mariadb.log" --tmpdir="$MARIADB_TMP"
        --innodb-buffer-pool-size=256M --max-connections=500
        --character-set-server=utf8mb4 --collation-server=utf8mb4_uca1400_as_ci
        --skip-name-resolve)
    # 60 s: InnoDB crash recovery after a kill can take a while.
    start_component mariadb mariadb_ready 60 mariadbd "${args[@]}"
}

setup_database() {
    local pw
    STEP="MariaDB: database and application user"
    if [ ! -s "$DB_PASSWORD_FILE" ]; then
        write_secret "$DB_PASSWORD_FILE" "$(sb_rand_alnum 32)"
    fi
    chmod 600 "$DB_PASSWORD_FILE"
    pw=$(cat "$DB_PASSWORD_FILE")
    case $pw in ''|*[!A-Za-z0-9]*) sb_die "$DB_PASSWORD_FILE must hold letters and digits only" ;; esac
    # Idempotent: also repairs an interrupted first run. The password goes through stdin.
    if ! mariadb --no-defaults --socket="$MYSQL_SOCK" -u"$DB_ADMIN" --batch >/dev/null 2>"$LOG/mariadb-setup.err" <<SQL
CREATE DATABASE IF NOT EXISTS switchboard CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'switchboard'@'localhost' IDENTIFIED BY '$pw';
ALTER USER 'switchboard'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON switchboard.* TO 'switchboard'@'localhost';
FLUSH PRIVILEGES;
SQL
    then
        sb_tail "$LOG/mariadb-setup.err"
        sb_die "could not create the database/user as MariaDB user '$DB_ADMIN'"
    fi
    rm -f "$LOG/mariadb-setup.err"
}

setup_jwt_key() {
    local size
    STEP="JWT key"
    if [ -e "$JWT_KEY" ]; then
        size=$(wc -c <"$JWT_KEY")
        [ "$size" -ge 32 ] ||
            sb_die "$JWT_KEY holds only $size bytes (at least 32 needed); remove it to generate a new key (all issued tokens become invalid)"
    else
        write_secret "$JWT_KEY" "$(sb_rand_hex 32)"
    fi
    chmod 600 "$JWT_KEY"
}

# The bearer token that opens /metrics to clients other than loopback (a scraper elsewhere).
setup_metrics_token() {
    STEP="metrics token"
    [ -s "$METRICS_TOKEN" ] || write_secret "$METRICS_TOKEN" "$(sb_rand_hex 32)"
    chmod 600 "$METRICS_TOKEN"
}

write_config() {
    local tmp="$CONF.tmp.$$" db_key=db_socket db_val=$MYSQL_SOCK mc_key=memcached_socket mc_val=$MC_SOCK
    [ -z "$SB_DB_NODES" ] || db_key=db_nodes db_val=$SB_DB_NODES
    [ -z "$SB_MEMCACHED_SERVERS" ] || mc_key=memcached_servers mc_val=$SB_MEMCACHED_SERVERS
    STEP="write $CONF"
    {
        printf '# Written by scripts/stack.sh on %s; rewritten at every start.\n' "$(date -u +%FT%TZ)"
        printf '%s = %s\n' \
            "$db_key" "$db_val" \
            db_name switchboard \
            db_user switchboard \
            db_password_file "$DB_PASSWORD_FILE" \
            "$mc_key" "$mc_val" \
            event_socket "$EVENT_SOCK" \
            event_wake_socket "$EVENT_WAKE_SOCK" \
            event_wake_listen "${SB_EVENT_WAKE_LISTEN:-}" \
            event_wake_peers "${SB_EVENT_WAKE_PEERS:-}" \
            clock_wake_socket "$RUN/clock-wake.sock" \
            event_retention_hours "$CFG_EVENT_RETENTION_HOURS" \
            event_heartbeat_seconds "$CFG_EVENT_HEARTBEAT_SECONDS" \
            event_metrics_seconds "$CFG_EVENT_METRICS_SECONDS" \
            event_max_streams_per_session "$CFG_EVENT_MAX_STREAMS_PER_SESSION" \
            event_max_streams_per_tenant "$CFG_EVENT_MAX_STREAMS_PER_TENANT" \
            password_max_failures "$CFG_PASSWORD_MAX_FAILURES" \
            password_max_failures_per_address "$CFG_PASSWORD_MAX_FAILURES_PER_ADDRESS" \
            password_lockout_seconds "$CFG_PASSWORD_LOCKOUT_SECONDS" \
            register_max_per_address_per_day "$CFG_REGISTER_MAX_PER_ADDRESS_PER_DAY" \
            cors_allow_origins "$CFG_CORS_ALLOW_ORIGINS" \
            jwt_key_file "$JWT_KEY" \
            metrics_token_file "$METRICS_TOKEN" \
            public_base_url "$CFG_PUBLIC_BASE_URL" \
            log_level "$CFG_LOG_LEVEL" \
            workers "$CFG_WORKERS" \
            max_requests "$CFG_MAX_REQUESTS" \
            max_body_bytes "$CFG_MAX_BODY_BYTES" \
            recordings_dir "$RECORDINGS_DIR" \
            db_causal_reads "${SB_DB_CAUSAL_READS:-false}" \
            recording_max_bytes "$CFG_RECORDING_MAX_BYTES" \
            access_token_ttl "$CFG_ACCESS_TOKEN_TTL" \
            refresh_token_ttl "$CFG_REFRESH_TOKEN_TTL" \
            cache_ttl "$CFG_CACHE_TTL" \
            shutdown_grace "$CFG_SHUTDOWN_GRACE" \
            register_enabled "$CFG_REGISTER_ENABLED" \
            webhook_allow_private "$CFG_WEBHOOK_ALLOW_PRIVATE" \
            webhook_allow_loopback "$CFG_WEBHOOK_ALLOW_LOOPBACK" \
            webhook_retry_base_ms "$CFG_WEBHOOK_RETRY_BASE_MS" \
            webhook_retry_max_delay_ms "$CFG_WEBHOOK_RETRY_MAX_DELAY_MS" \
            webhook_give_up_seconds "$CFG_WEBHOOK_GIVE_UP_SECONDS" \
            webhook_disable_after "$CFG_WEBHOOK_DISABLE_AFTER" \
            webhook_connect_timeout_ms "$CFG_WEBHOOK_CONNECT_TIMEOUT_MS" \
            webhook_retention_days "$CFG_WEBHOOK_RETENTION_DAYS" \
            job_lease_ms "$CFG_JOB_LEASE_MS" \
            twilio_api_base "$CFG_TWILIO_API_BASE"
    } >"$tmp"
    chmod 600 "$tmp"
    mv -f "$tmp" "$CONF"
}

memcached_ready() {
    local p
    p=$(comp_pid memcached) && exe_is "$p" memcached && [ -S "$MC_SOCK" ]
}

start_memcached() {
    local args
    comp_policy memcached
    sup_pid memcached >/dev/null || comp_pid memcached >/dev/null || rm -f "$MC_SOCK"
    # In the foreground (no -d): the supervisor watches it.
    args=(-s "$MC_SOCK" -a 0600 -m 64)
    [ "$IS_ROOT" = 1 ] && args+=(-u root)
    start_component memcached memcached_ready 10 memcached "${args[@]}"
}

run_migrations() {
    local out
    STEP="database migrations (switchboard-admin migrate)"
    sb_say "Applying migrations from $SQL_DIR…"
    if ! out=$(env "${SB_ENV_UNSET[@]}" "$SB_BIN/switchboard-admin" -c "$CONF" migrate --dir "$SQL_DIR" 2>&1 </dev/null); then
        [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    /' >&2
        sb_die "switchboard-admin migrate failed"
    fi
    [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    /'
}

create_demo() {
    local tenant_file=$SB_VAR/demo-login.tenant tid pw uid err=$LOG/admin.err
    STEP="demo tenant and admin user"
    if [ "$FRESH_DB" = 1 ] && [ -e "$DEMO" ]; then
        sb_warn "the database is new but $DEMO exists: creating a new demo login"
        rm -f "$DEMO" "$tenant_file"
    fi
    [ -s "$DEMO" ] && return 0
    sb_say "Creating the demo tenant and its admin user (first run)…"
    if [ -s "$tenant_file" ]; then
        tid=$(cat "$tenant_file")      # left by an interrupted first run
    else
        STEP="demo: switchboard-admin create-tenant"
        if ! tid=$(env "${SB_ENV_UNSET[@]}" "$SB_BIN/switchboard-admin" -c "$CONF" \
            create-tenant --name "$DEMO_TENANT" </dev/null 2>"$err"); then
            sb_tail "$err"
            sb_die "switchboard-admin create-tenant failed"
        fi
        tid=$(printf '%s' "$tid" | tr -d '[:space:]')
        [ -n "$tid" ] || sb_die "switchboard-admin create-tenant printed no tenant id"
        write_secret "$tenant_file" "$tid"
    fi
    STEP="demo: switchboard-admin create-user"
    pw=$(sb_rand_alnum 24)
    if ! uid=$(printf '%s' "$pw" | env "${SB_ENV_UNSET[@]}" "$SB_BIN/switchboard-admin" -c "$CONF" \
        create-user --tenant "$tid" --email "$DEMO_EMAIL" --role admin --password-stdin 2>"$err"); then
        # An interrupted first run may have created the user already.
        uid=''
        STEP="demo: switchboard-admin reset-password"
        if ! printf '%s' "$pw" | env "${SB_ENV_UNSET[@]}" "$SB_BIN/switchboard-admin" -c "$CONF" \
            reset-password --tenant "$tid" --email "$DEMO_EMAIL" --password-stdin >/dev/null 2>>"$err"; then
            sb_tail "$err"
            sb_die "switchboard-admin create-user (and reset-password) failed for $DEMO_EMAIL"
        fi
    fi
    sb_say "  tenant $tid, user ${uid:-(existing, password reset)}"
    (umask 077 && printf 'email=%s\npassword=%s\ntenant_id=%s\n' "$DEMO_EMAIL" "$pw" "$tid" >"$DEMO.tmp.$$")
    chmod 600 "$DEMO.tmp.$$"
    mv -f "$DEMO.tmp.$$" "$DEMO"
    rm -f "$tenant_file" "$err"
}

pool_ready() {
    local p
    [ -S "$POOL_SOCK" ] && p=$(comp_pid pool) && exe_is "$p" switchboard-pool
}

start_pool() {
    local args
    comp_policy pool
    sup_pid pool >/dev/null || comp_pid pool >/dev/null || rm -f "$POOL_SOCK"
    # -n: spawn-fcgi creates the socket, puts it on fd 0 and execs the pool in the same
    # process. (Without -n its forked child gets stderr on /dev/null and the log is lost.)
    # A socket left by a killed pool is replaced: spawn-fcgi removes it when no one
    # accepts on it any more (and its supervisor first makes sure the old workers are
    # gone). The master leads its own process group (the supervisor's setsid).
    args=(-n -s "$POOL_SOCK" -M 0600)
    [ "$IS_ROOT" = 1 ] && args+=(-U nobody -G nogroup)
    start_component pool pool_ready 10 spawn-fcgi "${args[@]}" -- \
        "$SB_BIN/switchboard-pool" -c "$CONF"
}

events_ready() {
    [ -S "$EVENT_SOCK" ] && comp_pid events >/dev/null &&
        curl -fsS -o /dev/null --max-time 2 --unix-socket "$EVENT_SOCK" \
            http://localhost/api/events/health 2>/dev/null
}

start_events() {
    comp_policy events
    start_component events events_ready 15 "$SB_BIN/switchboard-events" -c "$CONF"
}

clock_ready() {
    local p
    p=$(comp_pid clock) && exe_is "$p" switchboard-clock
}

start_clock() {
    comp_policy clock
    start_component clock clock_ready 10 "$SB_BIN/switchboard-clock" -c "$CONF"
}

hooks_ready() {
    local p
    p=$(comp_pid hooks) && exe_is "$p" switchboard-hooks
}

start_hooks() {
    comp_policy hooks
    start_component hooks hooks_ready 10 "$SB_BIN/switchboard-hooks" -c "$CONF"
}

render_cors() { # FILE: the body of nginx's Origin map, from cors_allow_origins
    local origin
    {
        if [ "$CFG_CORS_ALLOW_ORIGINS" = "*" ]; then
            printf 'default "*";\n'
        else
            printf 'default "";\n'
            for origin in $CFG_CORS_ALLOW_ORIGINS; do
                case $origin in
                    http://*|https://*) ;;
                    *) sb_die "cors_allow_origins: '$origin' is not an http(s) origin" ;;
                esac
                case $origin in *[\"\;\ ]*) sb_die "cors_allow_origins: bad origin '$origin'" ;; esac
                printf '"%s" "%s";\n' "$origin" "$origin"
            done
        fi
    } >"$1"
}

render_nginx() {
    local out=$NGX/nginx.conf tmp
    STEP="nginx: render $TEMPLATE"
    tmp="$out.tmp.$$"
    sed -e "s|@PORT@|$(sed_repl "$PORT")|g" \
        -e "s|@STATIC_DIR@|$(sed_repl "$STATIC_DIR")|g" \
        -e "s|@POOL_SOCK@|$(sed_repl "$POOL_SOCK")|g" \
        -e "s|@EVENT_SOCK@|$(sed_repl "$EVENT_SOCK")|g" \
        -e "s|@RUN_DIR@|$(sed_repl "$RUN")|g" \
        -e "s|@LOG_DIR@|$(sed_repl "$LOG")|g" \
        -e "s|@TEMP_DIR@|$(sed_repl "$NGX/tmp")|g" \
        -e "s|@MIME_TYPES@|$(sed_repl "$MIME_TYPES")|g" \
        -e "s|@LOGIN_RATE@|$(sed_repl "$LOGIN_RATE")|g" \
        -e "s|@LOGIN_BURST@|$(sed_repl "$LOGIN_BURST")|g" \
        -e "s|@REGISTER_RATE@|$(sed_repl "$REGISTER_RATE")|g" \
        -e "s|@REGISTER_BURST@|$(sed_repl "$REGISTER_BURST")|g" \
        -e "s|@MAX_BODY@|$(sed_repl "$CFG_MAX_BODY_BYTES")|g" \
        -e "s|@RECORDING_MAX_BODY@|$(sed_repl "$CFG_RECORDING_MAX_BYTES")|g" \
        -e "s|@RECORDINGS_DIR@|$(sed_repl "$RECORDINGS_DIR")|g" \
        -e "s|@EXTRA_LISTEN@|$(sed_repl "${SB_NGINX_SOCKET:+listen unix:$SB_NGINX_SOCKET;}")|g" \
        -e "s|@REAL_IP_FROM@|$(sed_repl "$(for a in ${SB_REAL_IP_FROM:-}; do printf 'set_real_ip_from %s; ' "$a"; done)")|g" \
        -e "s|@NGX_DIR@|$(sed_repl "$NGX")|g" \
        "$TEMPLATE" >"$tmp"
    render_cors "$NGX/cors.conf"
    if grep -v '^[[:space:]]*#' "$tmp" | grep -q '@[A-Z_][A-Z_]*@'; then
        grep -n '@[A-Z_][A-Z_]*@' "$tmp" | grep -v '^[0-9]*:[[:space:]]*#' | sed 's/^/    /' >&2 || true
        rm -f "$tmp"
        sb_die "$TEMPLATE has a placeholder stack.sh does not know"
    fi
    mv -f "$tmp" "$out"
}

nginx_ready() {
    local p
    p=$(comp_pid nginx) && exe_is "$p" nginx && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

start_nginx() {
    local out
    comp_policy nginx
    if ! sup_pid nginx >/dev/null; then
        render_nginx
        STEP="nginx: configuration test (nginx -t)"
        if ! out=$(nginx -t -q -p "$NGX" -c "$NGX/nginx.conf" -e "$LOG/nginx-error.log" 2>&1); then
            printf '%s\n' "$out" | sed 's/^/    /' >&2
            sb_die "nginx -t rejected $NGX/nginx.conf"
        fi
        STEP="nginx: check port $PORT"
        comp_pid nginx >/dev/null || check_port_free
    fi
    # daemon off: the master stays in the foreground, under its supervisor.
    start_component nginx nginx_ready 10 \
        nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$LOG/nginx-error.log" -g 'daemon off;'
}

wait_health() {
    local url=$1 deadline
    STEP="health check (GET ${url}health)"
    deadline=$((SECONDS + 30))
    while [ "$SECONDS" -lt "$deadline" ]; do
        curl -fsS -o /dev/null --max-time 2 "${url}health" 2>/dev/null && return 0
        sleep 0.2
    done
    curl -sS --max-time 2 "${url}health" >&2 || true
    sb_tail "$LOG/nginx-error.log"
    sb_tail "$LOG/pool.log"
    sb_tail "$LOG/events.log"
    sb_die "GET ${url}health did not succeed within 30 s"
}

start_failed() {
    local n
    [ "$1" -ne 0 ] || return 0
    for n in "${COMPONENTS[@]}"; do
        if sup_pid "$n" >/dev/null || comp_pid "$n" >/dev/null; then
            printf '%s: start failed; the components that did start are still running. Stop them with:\n    SB_VAR=%s %s stop\n' \
                "$sb_prog" "$SB_VAR" "$SCRIPT" >&2
            return 0
        fi
    done
}

cmd_start() {
    local url email='' password='' line
    load_settings
    preflight
    if all_running; then
        sb_say "Switchboard is already running at $(base_url)"
        return 0
    fi
    make_dirs
    lock_var
    if all_running; then   # another start finished while we waited for the lock
        sb_say "Switchboard is already running at $(base_url)"
        return 0
    fi
    # On failure, say how to stop what did start (it is left running for inspection).
    trap 'start_failed $?' EXIT
    # Fail before starting anything when nginx would not get its port.
    sup_pid nginx >/dev/null || comp_pid nginx >/dev/null || { STEP="check port $PORT"; check_port_free; }
    export TMPDIR=$TMP_DIR
    setup_jwt_key
    setup_metrics_token
    if [ -z "$SB_DB_NODES" ]; then
        start_mariadb
        setup_database
    fi
    write_config
    [ -n "$SB_MEMCACHED_SERVERS" ] || start_memcached
    if [ "$SB_JOIN" != 1 ]; then
        run_migrations
        create_demo
    fi
    start_pool
    start_events
    start_clock
    start_hooks
    start_nginx
    url="$(base_url)/"
    # This host's own nginx (the public URL may be a front or a proxy elsewhere).
    wait_health "http://127.0.0.1:$PORT/"
    STEP="summary"
    while IFS= read -r line; do
        case $line in
            email=*) email=${line#email=} ;;
            password=*) password=${line#password=} ;;
        esac
    done <"$DEMO"
    trap - EXIT
    sb_say ""
    sb_say "Switchboard is running."
    sb_say "  Dashboard:  $url"
    sb_say "  Demo login: $email"
    sb_say "  Password:   $password"
    sb_say "  State/logs: $SB_VAR ($LOG)"
    if [ "$SB_VAR" = "$REPO/var" ]; then
        sb_say "Stop with make stop."
    else
        sb_say "Stop with make stop (for this SB_VAR: SB_VAR=$SB_VAR $SCRIPT stop)."
    fi
}

# ---------------------------------------------------------------------------- stop --

# stop_component NAME: TERM to its supervisor, which stops the component gracefully (see
# terminate) and exits; then stop whatever still runs without a supervisor.
stop_component() {
    local name=$1 sup pid said=0 limit
    comp_policy "$name"
    STEP="stop $C_THE"
    limit=$((C_WAIT + 20))
    if sup=$(sup_pid "$name"); then
        pid=$(comp_pid "$name") || pid=''
        kill -TERM "$sup" 2>/dev/null || true
        if ! sb_wait_gone "$limit" "$sup"; then
            sb_warn "$C_LABEL supervisor (pid $sup) still running $limit s after SIGTERM; killing it${pid:+ and $C_LABEL (pid $pid)}"
            kill -KILL -- "-$sup" 2>/dev/null || kill -KILL "$sup" 2>/dev/null || true
            if [ -n "$pid" ]; then
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            fi
            sb_wait_gone 5 "$sup" || true
        fi
        sb_say "$C_LABEL: stopped (${pid:+pid $pid, }supervisor pid $sup)"
        said=1
    fi
    if pid=$(comp_pid "$name"); then
        terminate "$pid" || sb_die "$C_LABEL (pid $pid) does not die"
        sb_say "$C_LABEL: stopped (pid $pid, was not supervised)"
        said=1
    fi
    [ "$said" = 1 ] || sb_say "$C_LABEL: not running"
    rm -f "$RUN/$name.pid" "$RUN/$name-supervisor.pid"
    case $name in
        memcached) rm -f "$MC_SOCK" ;;
        pool) rm -f "$POOL_SOCK" ;;
        events) rm -f "$EVENT_SOCK" ;;
    esac
}

cmd_stop() {
    local name
    if [ ! -d "$SB_VAR" ]; then
        sb_say "Nothing to stop: $SB_VAR does not exist."
        return 0
    fi
    lock_var
    for name in nginx pool events clock hooks memcached mariadb; do
        stop_component "$name"
    done
}

# -------------------------------------------------------------------------- status --

# One line per component: running (pid, supervisor pid, restarts and the time of the
# last one), restarting (its supervisor waits to start it again), running without a
# supervisor, or stopped. Exit status 3 unless every component runs supervised.
cmd_status() {
    local name pid sup n info extra down=0
    for name in "${COMPONENTS[@]}"; do
        n=$(restart_count "$name")
        info="restarts $n"
        if [ "$n" -gt 0 ]; then
            info+=", last $(date -u -r "$RUN/$name.restarts" +%FT%TZ 2>/dev/null || printf '?')"
        fi
        extra=''
        [ "$name" != nginx ] || extra=" at $(base_url)/"
        if sup=$(sup_pid "$name"); then
            if pid=$(comp_pid "$name"); then
                printf '%-10s running (pid %s, supervisor pid %s, %s)%s\n' "$name" "$pid" "$sup" "$info" "$extra"
            else
                printf '%-10s restarting (supervisor pid %s, %s)\n' "$name" "$sup" "$info"
                down=1
            fi
        elif pid=$(comp_pid "$name"); then
            printf '%-10s running without a supervisor (pid %s)%s\n' "$name" "$pid" "$extra"
            down=1
        else
            printf '%-10s stopped\n' "$name"
            down=1
        fi
    done
    [ "$down" = 0 ] || return 3
}
# --------------------------------------------------------------------- supervision --
# `stack.sh _supervise NAME SB_VAR -- COMMAND…` runs detached (setsid) with stdout and
# stderr on the component's log. It runs COMMAND in the foreground as the leader of a
# new process group (setsid), writes its pid to $RUN/NAME.pid and restarts it whenever it
# exits: after 1 s, doubling up to 30 s while it keeps dying, back to 1 s once it has run
# for 30 s. Before a restart, what is left of the old process group (the workers of a
# killed pool or nginx master) gets SIGTERM, then SIGKILL after C_WAIT s. Each exit is
# logged with its status or signal and the restart count, which $RUN/NAME.restarts keeps.
# SIGTERM (or INT, HUP) stops the component gracefully (terminate) and exits.

SUPERVISOR=''    # the component's name inside `stack.sh _supervise`

slog() { printf '%s [%s-supervisor] %s\n' "$(date -u +%FT%TZ)" "$SUPERVISOR" "$*"; }

cwarn() {        # a warning: on stderr, or a timestamped line in a supervisor's log
    if [ -n "$SUPERVISOR" ]; then slog "warning: $*"; else sb_warn "$*"; fi
}

# gone_within SECONDS PID PGID: wait until PID is gone (the whole process group when PGID
# is set; zombies count as gone); false on timeout.
gone_within() {
    if [ -n "$3" ]; then sb_wait_pgrp_gone "$1" "$3"; else sb_wait_gone "$1" "$2"; fi
}

# terminate PID [signalled]: stop a component (comp_policy set) with C_SIG (not again
# when `signalled`); C_WAIT s later SIGTERM if C_SIG is another signal, then SIGKILL to it
# and its process group. Waits for the whole group when PID leads one (the pool's and
# nginx's workers). False when it still runs 10 s after SIGKILL.
terminate() {
    local pid=$1 pgid
    pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') || pgid=''
    [ "$pgid" = "$pid" ] || pgid=''
    [ "${2:-}" = signalled ] || kill -"$C_SIG" "$pid" 2>/dev/null || true
    gone_within "$C_WAIT" "$pid" "$pgid" && return 0
    if [ "$C_SIG" != TERM ]; then
        cwarn "$C_LABEL (pid $pid) did not stop within $C_WAIT s of SIG$C_SIG; sending SIGTERM"
        kill -TERM "$pid" 2>/dev/null || true
        gone_within 5 "$pid" "$pgid" && return 0
    fi
    cwarn "$C_LABEL (pid $pid) still running after SIG$C_SIG; killing it${pgid:+ and its process group}"
    [ -z "$pgid" ] || kill -KILL -- "-$pgid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    gone_within 10 "$pid" "$pgid"
}

# reap_group PGID: SIGTERM, then SIGKILL after C_WAIT s, to what is left of a dead
# component's process group (the workers of a killed master finish their requests).
reap_group() {
    sb_pgrp_alive "$1" || return 0
    slog "processes of process group $1 are still running; sending them SIGTERM"
    kill -TERM -- "-$1" 2>/dev/null
    sb_wait_pgrp_gone "$C_WAIT" "$1" && return 0
    slog "warning: process group $1 still running $C_WAIT s after SIGTERM; killing it"
    kill -KILL -- "-$1" 2>/dev/null
    sb_wait_pgrp_gone 5 "$1" || slog "warning: process group $1 does not die"
}

exit_desc() {    # STATUS (as `wait` reports it)
    if [ "$1" -gt 128 ]; then
        printf 'was killed by signal %s (SIG%s)' "$(($1 - 128))" "$(kill -l "$1" 2>/dev/null || printf '?')"
    else
        printf 'exited with status %s' "$1"
    fi
}

# run_child COMMAND…: start it (its own session and process group, no SB_* variables),
# wait until it exits (stopping it when we are told to stop); sets CHILD_RC.
run_child() {
    env "${SB_ENV_UNSET[@]}" setsid "$@" </dev/null &
    child=$!
    [ "$stopping" = 0 ] || kill -"$C_SIG" "$child" 2>/dev/null   # the signal came during the fork
    printf '%s\n' "$child" >"$RUN/$SUPERVISOR.pid"
    if [ "$restarts" = 0 ]; then
        slog "started $C_LABEL (pid $child)"
    else
        slog "restart $restarts: started $C_LABEL (pid $child)"
    fi
    wait "$child" 2>/dev/null     # (no "Killed" notice from bash: slog says it)
    CHILD_RC=$?
    if [ "$stopping" = 1 ]; then
        # A stop request interrupted the wait: let it stop, escalating after C_WAIT s.
        if sb_pid_alive "$child"; then
            terminate "$child" signalled || slog "warning: $C_LABEL (pid $child) does not die"
        fi
        wait "$child" 2>/dev/null     # its own exit status (bash keeps it)
        CHILD_RC=$?
    fi
}

cmd_supervise() {
    local child='' stopping=0 started ran backoff=1 restarts=0 last sp
    SUPERVISOR=$1
    shift 3                                      # NAME SB_VAR --
    trap - ERR
    set +e
    comp_policy "$SUPERVISOR"
    trap 'stopping=1; [ -z "$child" ] || kill -"$C_SIG" "$child" 2>/dev/null' TERM INT HUP
    printf '%s\n' "$$" >"$RUN/$SUPERVISOR-supervisor.pid"
    write_restarts "$SUPERVISOR" 0
    while [ "$stopping" = 0 ]; do
        started=$SECONDS
        run_child "$@"
        last=$child
        child=''
        rm -f "$RUN/$SUPERVISOR.pid"
        if [ "$stopping" = 1 ]; then
            slog "$C_LABEL (pid $last) stopped: it $(exit_desc "$CHILD_RC")"
            break
        fi
        ran=$((SECONDS - started))
        [ "$ran" -lt 30 ] || backoff=1
        restarts=$((restarts + 1))
        write_restarts "$SUPERVISOR" "$restarts"
        slog "$C_LABEL (pid $last) $(exit_desc "$CHILD_RC") after $ran s; restart $restarts in $backoff s"
        reap_group "$last"
        [ "$stopping" = 0 ] || break
        sleep "$backoff" &
        sp=$!
        wait "$sp"
        kill "$sp" 2>/dev/null
        backoff=$((backoff * 2 > 30 ? 30 : backoff * 2))
    done
    rm -f "$RUN/$SUPERVISOR-supervisor.pid"
    slog "exiting"
    exit 0
}

# ---------------------------------------------------------------------------- main --

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status || exit $? ;;   # 3 = not everything runs (not an error)
    _supervise)
        if [ $# -lt 5 ] || [ "$3" != "$SB_VAR" ] || [ "$4" != -- ]; then sb_die "internal command"; fi
        shift
        cmd_supervise "$@"
        ;;
    *) printf 'usage: %s start|stop|status\n' "$0" >&2; exit 2 ;;
esac
