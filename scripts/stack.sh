#!/usr/bin/env bash
# Switchboard local stack: a private MariaDB, memcached, the FastCGI worker pool (under
# spawn-fcgi), the event worker (under a restart loop) and nginx. Every piece of state
# lives under $SB_VAR; nginx is the only TCP listener (127.0.0.1:$PORT), everything else
# talks over unix sockets in $SB_VAR/run.
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
#   SB_WORKERS, SB_LOG_LEVEL, SB_MAX_REQUESTS, SB_MAX_BODY_BYTES, SB_ACCESS_TOKEN_TTL,
#   SB_REFRESH_TOKEN_TTL, SB_CACHE_TTL, SB_SHUTDOWN_GRACE, SB_REGISTER_ENABLED
#                override the defaults written to $SB_VAR/switchboard.conf. The binaries
#                are started without any SB_* variable, so the file is authoritative.
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

RUN=$SB_VAR/run
LOG=$SB_VAR/log
DB_DIR=$SB_VAR/db
NGX=$SB_VAR/nginx
CONF=$SB_VAR/switchboard.conf
DB_PASSWORD_FILE=$SB_VAR/db.password
JWT_KEY=$SB_VAR/jwt.key
DEMO=$SB_VAR/demo-login
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
MC_PID=$RUN/memcached.pid
POOL_PID=$RUN/pool.pid
SUP_PID=$RUN/events-supervisor.pid
EVENTS_PID=$RUN/events.pid
NGINX_PID=$RUN/nginx.pid

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

# ------------------------------------------------------------------------ liveness --
# Each prints the pid and succeeds when the component is up.

mariadb_pid() {
    local p; p=$(sb_read_pid "$MARIADB_PID")
    sb_pid_alive "$p" mariadbd "$SB_VAR/" && printf '%s' "$p"
}
memcached_pid() {
    local p; p=$(sb_read_pid "$MC_PID")
    sb_pid_alive "$p" memcached "$SB_VAR/" && printf '%s' "$p"
}
pool_pid() {
    local p; p=$(sb_read_pid "$POOL_PID")
    sb_app_alive "$p" switchboard && printf '%s' "$p"
}
supervisor_pid() {
    local p; p=$(sb_read_pid "$SUP_PID")
    sb_pid_alive "$p" _events-supervisor "$SB_VAR/" && printf '%s' "$p"
}
events_pid() {
    local p; p=$(sb_read_pid "$EVENTS_PID")
    sb_app_alive "$p" switchboard && printf '%s' "$p"
}
nginx_pid() {
    local p; p=$(sb_read_pid "$NGINX_PID")
    sb_pid_alive "$p" nginx "$SB_VAR/" && printf '%s' "$p"
}

all_running() {
    mariadb_pid >/dev/null && memcached_pid >/dev/null && pool_pid >/dev/null &&
        supervisor_pid >/dev/null && events_pid >/dev/null && nginx_pid >/dev/null
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
    CFG_MAX_REQUESTS=${SB_MAX_REQUESTS:-10000}
    CFG_MAX_BODY_BYTES=${SB_MAX_BODY_BYTES:-1048576}
    CFG_ACCESS_TOKEN_TTL=${SB_ACCESS_TOKEN_TTL:-900}
    CFG_REFRESH_TOKEN_TTL=${SB_REFRESH_TOKEN_TTL:-2592000}
    CFG_CACHE_TTL=${SB_CACHE_TTL:-300}
    CFG_SHUTDOWN_GRACE=${SB_SHUTDOWN_GRACE:-10}
    CFG_REGISTER_ENABLED=${SB_REGISTER_ENABLED:-true}
    CFG_EVENT_RETENTION_HOURS=${SB_EVENT_RETENTION_HOURS:-72}
    CFG_EVENT_HEARTBEAT_SECONDS=${SB_EVENT_HEARTBEAT_SECONDS:-15}
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
    for b in switchboard-pool switchboard-events switchboard-admin; do
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
    mkdir -p "$RUN" "$LOG" "$NGX/tmp"
    # Keep every generated file out of git, wherever SB_VAR is.
    [ -e "$SB_VAR/.gitignore" ] || printf '*\n' >"$SB_VAR/.gitignore"
    chmod 700 "$LOG"
    if [ "$IS_ROOT" = 1 ]; then
        # nginx's workers run as nobody: they must traverse to the sockets and temp dirs
        # (search permission only; nothing here becomes listable or readable).
        chmod 711 "$SB_VAR" "$RUN" "$NGX" "$NGX/tmp"
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

start_mariadb() {
    local pid args deadline
    STEP="MariaDB"
    if pid=$(mariadb_pid); then
        sb_say "MariaDB already running (pid $pid)"
        return 0
    fi
    if [ ! -d "$DB_DIR/mysql" ]; then
        STEP="MariaDB: initialise the datadir (mariadb-install-db)"
        sb_say "Initialising the MariaDB datadir $DB_DIR (first run)…"
        mkdir -p "$DB_DIR"
        args=(--no-defaults --datadir="$DB_DIR" --auth-root-authentication-method=socket --skip-test-db)
        if [ "$IS_ROOT" = 1 ]; then args+=(--user=root); else args+=(--auth-root-socket-user="$DB_ADMIN"); fi
        if ! mariadb-install-db "${args[@]}" >>"$LOG/mariadb-install.log" 2>&1; then
            sb_tail "$LOG/mariadb-install.log"
            sb_die "mariadb-install-db failed (log: $LOG/mariadb-install.log)"
        fi
        FRESH_DB=1
    fi
    STEP="MariaDB: start mariadbd"
    sb_say "Starting MariaDB…"
    rm -f "$MARIADB_PID"
    args=(--no-defaults)
    [ "$IS_ROOT" = 1 ] && args+=(--user=root)
    args+=(--datadir="$DB_DIR" --socket="$MYSQL_SOCK" --skip-networking
        --pid-file="$MARIADB_PID" --log-error="$LOG/mariadb.log"
        --innodb-buffer-pool-size=256M --max-connections=500
        --character-set-server=utf8mb4 --collation-server=utf8mb4_uca1400_as_ci
        --skip-name-resolve)
    setsid mariadbd "${args[@]}" </dev/null >>"$LOG/mariadb.log" 2>&1 9>&- &
    pid=$!
    disown "$pid" 2>/dev/null || true
    STEP="MariaDB: wait for mariadb-admin ping"
    deadline=$((SECONDS + 60))
    until mariadb-admin --no-defaults --socket="$MYSQL_SOCK" -u"$DB_ADMIN" --connect-timeout=2 \
        ping >/dev/null 2>&1; do
        if ! sb_pid_alive "$pid"; then
            sb_tail "$LOG/mariadb.log" 30
            sb_die "mariadbd exited during startup (log: $LOG/mariadb.log)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            sb_tail "$LOG/mariadb.log" 30
            sb_die "MariaDB did not answer mariadb-admin ping within 60 s (pid $pid still running; log: $LOG/mariadb.log)"
        fi
        sleep 0.1
    done
    [ -s "$MARIADB_PID" ] || printf '%s\n' "$pid" >"$MARIADB_PID"
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

write_config() {
    local tmp="$CONF.tmp.$$"
    STEP="write $CONF"
    {
        printf '# Written by scripts/stack.sh on %s; rewritten at every start.\n' "$(date -u +%FT%TZ)"
        printf '%s = %s\n' \
            db_socket "$MYSQL_SOCK" \
            db_name switchboard \
            db_user switchboard \
            db_password_file "$DB_PASSWORD_FILE" \
            memcached_socket "$MC_SOCK" \
            event_socket "$EVENT_SOCK" \
            event_wake_socket "$EVENT_WAKE_SOCK" \
            event_retention_hours "$CFG_EVENT_RETENTION_HOURS" \
            event_heartbeat_seconds "$CFG_EVENT_HEARTBEAT_SECONDS" \
            event_max_streams_per_session "$CFG_EVENT_MAX_STREAMS_PER_SESSION" \
            event_max_streams_per_tenant "$CFG_EVENT_MAX_STREAMS_PER_TENANT" \
            password_max_failures "$CFG_PASSWORD_MAX_FAILURES" \
            password_max_failures_per_address "$CFG_PASSWORD_MAX_FAILURES_PER_ADDRESS" \
            password_lockout_seconds "$CFG_PASSWORD_LOCKOUT_SECONDS" \
            register_max_per_address_per_day "$CFG_REGISTER_MAX_PER_ADDRESS_PER_DAY" \
            cors_allow_origins "$CFG_CORS_ALLOW_ORIGINS" \
            jwt_key_file "$JWT_KEY" \
            public_base_url "$CFG_PUBLIC_BASE_URL" \
            log_level "$CFG_LOG_LEVEL" \
            workers "$CFG_WORKERS" \
            max_requests "$CFG_MAX_REQUESTS" \
            max_body_bytes "$CFG_MAX_BODY_BYTES" \
            access_token_ttl "$CFG_ACCESS_TOKEN_TTL" \
            refresh_token_ttl "$CFG_REFRESH_TOKEN_TTL" \
            cache_ttl "$CFG_CACHE_TTL" \
            shutdown_grace "$CFG_SHUTDOWN_GRACE" \
            register_enabled "$CFG_REGISTER_ENABLED"
    } >"$tmp"
    chmod 600 "$tmp"
    mv -f "$tmp" "$CONF"
}

start_memcached() {
    local pid i args
    STEP="memcached"
    if pid=$(memcached_pid); then
        sb_say "memcached already running (pid $pid)"
        return 0
    fi
    sb_say "Starting memcached…"
    rm -f "$MC_PID" "$MC_SOCK"
    args=(-s "$MC_SOCK" -a 0600 -m 64 -d -P "$MC_PID")
    [ "$IS_ROOT" = 1 ] && args+=(-u root)
    if ! memcached "${args[@]}" </dev/null >>"$LOG/memcached.log" 2>&1 9>&-; then
        sb_tail "$LOG/memcached.log"
        sb_die "memcached failed to start (log: $LOG/memcached.log)"
    fi
    for ((i = 0; i < 100; i++)); do
        if pid=$(memcached_pid) && [ -S "$MC_SOCK" ]; then return 0; fi
        sleep 0.1
    done
    sb_tail "$LOG/memcached.log"
    sb_die "memcached did not create $MC_SOCK within 10 s"
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

start_pool() {
    local pid i args
    STEP="worker pool (spawn-fcgi switchboard-pool)"
    if pid=$(pool_pid); then
        sb_say "worker pool already running (pid $pid)"
        return 0
    fi
    sb_say "Starting the worker pool…"
    rm -f "$POOL_PID"
    # -n: spawn-fcgi creates the socket, puts it on fd 0 and execs the pool in the same
    # process. (Without -n its forked child gets stderr on /dev/null and the log is lost.)
    args=(-n -s "$POOL_SOCK" -M 0600)
    [ "$IS_ROOT" = 1 ] && args+=(-U nobody -G nogroup)
    # setsid: the pool master leads its own process group (stop can signal the group).
    env "${SB_ENV_UNSET[@]}" setsid spawn-fcgi "${args[@]}" -- "$SB_BIN/switchboard-pool" -c "$CONF" \
        </dev/null >>"$LOG/pool.log" 2>&1 9>&- &
    pid=$!
    disown "$pid" 2>/dev/null || true
    printf '%s\n' "$pid" >"$POOL_PID"
    for ((i = 0; i < 100; i++)); do
        if ! sb_pid_alive "$pid"; then
            sb_tail "$LOG/pool.log"
            sb_die "the worker pool exited during startup (log: $LOG/pool.log)"
        fi
        if [ -S "$POOL_SOCK" ] && sb_app_alive "$pid" switchboard-pool; then return 0; fi
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    rm -f "$POOL_PID"
    sb_tail "$LOG/pool.log"
    sb_die "the worker pool did not come up within 10 s (log: $LOG/pool.log)"
}

start_events() {
    local sup wpid deadline
    STEP="event worker"
    if sup=$(supervisor_pid); then
        sb_say "event worker supervisor already running (pid $sup)"
        return 0
    fi
    if wpid=$(events_pid); then
        # Orphaned by a killed supervisor: replace it with a supervised one.
        kill -TERM "$wpid" 2>/dev/null || true
        sb_wait_gone 10 "$wpid" || kill -KILL "$wpid" 2>/dev/null || true
    fi
    sb_say "Starting the event worker…"
    rm -f "$SUP_PID" "$EVENTS_PID"
    setsid "$BASH" "$SCRIPT" _events-supervisor "$CONF" "$SB_BIN" \
        </dev/null >>"$LOG/events.log" 2>&1 9>&- &
    sup=$!
    printf '%s\n' "$sup" >"$SUP_PID"
    disown "$sup" 2>/dev/null || true
    STEP="event worker: wait for GET /api/events/health on $EVENT_SOCK"
    deadline=$((SECONDS + 15))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if [ -S "$EVENT_SOCK" ] && events_pid >/dev/null &&
            curl -fsS -o /dev/null --max-time 2 --unix-socket "$EVENT_SOCK" \
                http://localhost/api/events/health 2>/dev/null; then
            return 0
        fi
        if ! sb_pid_alive "$sup"; then    # (its command line may not be set yet)
            sb_tail "$LOG/events.log"
            sb_die "the event worker supervisor exited (log: $LOG/events.log)"
        fi
        sleep 0.1
    done
    sb_tail "$LOG/events.log"
    sb_die "the event worker did not answer GET /api/events/health within 15 s (log: $LOG/events.log)"
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

start_nginx() {
    local pid i out
    STEP="nginx"
    if pid=$(nginx_pid); then
        sb_say "nginx already running (pid $pid)"
        return 0
    fi
    render_nginx
    STEP="nginx: configuration test (nginx -t)"
    if ! out=$(nginx -t -q -p "$NGX" -c "$NGX/nginx.conf" -e "$LOG/nginx-error.log" 2>&1); then
        printf '%s\n' "$out" | sed 's/^/    /' >&2
        sb_die "nginx -t rejected $NGX/nginx.conf"
    fi
    STEP="nginx: start"
    check_port_free
    sb_say "Starting nginx on 127.0.0.1:$PORT…"
    rm -f "$NGINX_PID"
    # shellcheck disable=SC2094 # nginx appends to its own log; so do we
    if ! nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$LOG/nginx-error.log" \
        </dev/null >>"$LOG/nginx-error.log" 2>&1 9>&-; then
        sb_tail "$LOG/nginx-error.log"
        sb_die "nginx failed to start (log: $LOG/nginx-error.log)"
    fi
    for ((i = 0; i < 100; i++)); do
        nginx_pid >/dev/null && return 0
        sleep 0.1
    done
    sb_tail "$LOG/nginx-error.log"
    sb_die "nginx did not write $NGINX_PID within 10 s"
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
    [ "$1" -ne 0 ] || return 0
    if mariadb_pid >/dev/null || memcached_pid >/dev/null || pool_pid >/dev/null ||
        supervisor_pid >/dev/null || nginx_pid >/dev/null; then
        printf '%s: start failed; the components that did start are still running. Stop them with:\n    SB_VAR=%s %s stop\n' \
            "$sb_prog" "$SB_VAR" "$SCRIPT" >&2
    fi
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
    nginx_pid >/dev/null || { STEP="check port $PORT"; check_port_free; }
    setup_jwt_key
    start_mariadb
    setup_database
    write_config
    start_memcached
    run_migrations
    create_demo
    start_pool
    start_events
    start_nginx
    url="$(base_url)/"
    wait_health "$url"
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

# kill_children PID SIGNAL: signal the direct children of PID (by pid).
kill_children() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        kill "-$2" "$c" 2>/dev/null || true
    done
}

stop_nginx() {
    local pid kids k
    STEP="stop nginx"
    if ! pid=$(nginx_pid); then
        sb_say "nginx: not running"
        rm -f "$NGINX_PID"
        return 0
    fi
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
    kill -QUIT "$pid" 2>/dev/null || true
    if ! sb_wait_gone 20 "$pid"; then
        sb_warn "nginx did not finish a graceful stop in 20 s; terminating it"
        kill -TERM "$pid" 2>/dev/null || true
        if ! sb_wait_gone 5 "$pid"; then
            kill_children "$pid" KILL
            kill -KILL "$pid" 2>/dev/null || true
            sb_wait_gone 5 "$pid" || true
        fi
    fi
    for k in $kids; do
        if sb_pid_alive "$k" nginx; then kill -KILL "$k" 2>/dev/null || true; fi
    done
    rm -f "$NGINX_PID"
    sb_say "nginx: stopped (pid $pid)"
}

stop_pool() {
    local pid grace pgid
    STEP="stop the worker pool"
    grace=$(sb_conf_get "$CONF" shutdown_grace)
    case $grace in ''|*[!0-9]*) grace=10 ;; esac
    if ! pid=$(pool_pid); then
        sb_say "worker pool: not running"
        rm -f "$POOL_PID" "$POOL_SOCK"
        return 0
    fi
    pgid=$(ps -o pgid= -p "$pid" | tr -d ' ') || pgid=
    kill -TERM "$pid" 2>/dev/null || true
    if [ "$pgid" = "$pid" ]; then
        # The master leads its own group (setsid): wait for the workers too.
        if ! sb_wait_pgrp_gone $((grace + 5)) "$pgid"; then
            sb_warn "worker pool still running $((grace + 5)) s after SIGTERM; killing process group $pgid"
            kill -KILL -- "-$pgid" 2>/dev/null || true
            sb_wait_pgrp_gone 5 "$pgid" || true
        fi
    elif ! sb_wait_gone $((grace + 5)) "$pid"; then
        sb_warn "worker pool master still running $((grace + 5)) s after SIGTERM; killing it and its children"
        kill_children "$pid" KILL
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$POOL_PID" "$POOL_SOCK"
    sb_say "worker pool: stopped (pid $pid)"
}

stop_events() {
    local sup wpid said=0
    STEP="stop the event worker"
    if sup=$(supervisor_pid); then
        kill -TERM "$sup" 2>/dev/null || true
        if ! sb_wait_gone 15 "$sup"; then
            sb_warn "event worker supervisor still running 15 s after SIGTERM; killing its process group"
            kill -KILL -- "-$sup" 2>/dev/null || true
            sb_wait_gone 5 "$sup" || true
        fi
        sb_say "event worker supervisor: stopped (pid $sup)"
        said=1
    fi
    if wpid=$(events_pid); then
        kill -TERM "$wpid" 2>/dev/null || true
        if ! sb_wait_gone 10 "$wpid"; then
            kill -KILL "$wpid" 2>/dev/null || true
            sb_wait_gone 5 "$wpid" || true
        fi
        sb_say "event worker: stopped (pid $wpid)"
        said=1
    fi
    [ "$said" = 1 ] || sb_say "event worker: not running"
    rm -f "$SUP_PID" "$EVENTS_PID" "$EVENT_SOCK"
}

stop_memcached() {
    local pid
    STEP="stop memcached"
    if ! pid=$(memcached_pid); then
        sb_say "memcached: not running"
        rm -f "$MC_PID"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    if ! sb_wait_gone 10 "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        sb_wait_gone 5 "$pid" || true
    fi
    rm -f "$MC_PID" "$MC_SOCK"
    sb_say "memcached: stopped (pid $pid)"
}

stop_mariadb() {
    local pid
    STEP="stop MariaDB"
    if ! pid=$(mariadb_pid); then
        sb_say "MariaDB: not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    if ! sb_wait_gone 60 "$pid"; then
        sb_warn "mariadbd (pid $pid) still running 60 s after SIGTERM; killing it (InnoDB recovers at the next start)"
        kill -KILL "$pid" 2>/dev/null || true
        sb_wait_gone 10 "$pid" || sb_die "mariadbd (pid $pid) does not die"
    fi
    rm -f "$MARIADB_PID"
    sb_say "MariaDB: stopped (pid $pid)"
}

cmd_stop() {
    if [ ! -d "$SB_VAR" ]; then
        sb_say "Nothing to stop: $SB_VAR does not exist."
        return 0
    fi
    lock_var
    stop_nginx
    stop_pool
    stop_events
    stop_memcached
    stop_mariadb
}

# -------------------------------------------------------------------------- status --

cmd_status() {
    local pid sup down=0
    line() { printf '%-13s %s\n' "$1" "$2"; }
    if pid=$(mariadb_pid); then line mariadb "running (pid $pid)"; else line mariadb stopped; down=1; fi
    if pid=$(memcached_pid); then line memcached "running (pid $pid)"; else line memcached stopped; down=1; fi
    if pid=$(pool_pid); then line pool "running (pid $pid)"; else line pool stopped; down=1; fi
    if sup=$(supervisor_pid); then
        if pid=$(events_pid); then
            line events "running (pid $pid, supervisor pid $sup)"
        else
            line events "restarting (supervisor pid $sup)"; down=1
        fi
    elif pid=$(events_pid); then
        line events "running unsupervised (pid $pid)"; down=1
    else
        line events stopped; down=1
    fi
    if pid=$(nginx_pid); then line nginx "running (pid $pid) at $(base_url)/"; else line nginx stopped; down=1; fi
    [ "$down" = 0 ] || return 3
}

# ------------------------------------------------------------ event worker restart loop --

# Runs detached (setsid) with stdout/stderr on $SB_VAR/log/events.log. Restarts
# switchboard-events whenever it exits, with a growing pause while it keeps failing.
# SIGTERM: forward SIGTERM to the worker, wait for it, exit.
cmd_events_supervisor() {
    local conf=$1 bin=$2 child='' stopping=0 rc started ran backoff=1 sp
    SB_VAR=$(dirname "$conf")
    RUN=$SB_VAR/run
    trap - ERR
    set +e
    log() { printf '%s [events-supervisor] %s\n' "$(date -u +%FT%TZ)" "$*"; }
    trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null' TERM INT HUP
    printf '%s\n' "$$" >"$RUN/events-supervisor.pid"
    while [ "$stopping" = 0 ]; do
        started=$SECONDS
        env "${SB_ENV_UNSET[@]}" "$bin/switchboard-events" -c "$conf" </dev/null &
        child=$!
        [ "$stopping" = 0 ] || kill -TERM "$child" 2>/dev/null   # TERM came during the fork
        printf '%s\n' "$child" >"$RUN/events.pid"
        log "started switchboard-events (pid $child)"
        while :; do
            wait "$child"
            rc=$?
            sb_pid_alive "$child" || break     # else: interrupted by a trapped signal
        done
        child=
        rm -f "$RUN/events.pid"
        [ "$stopping" = 0 ] || { log "switchboard-events stopped (status $rc)"; break; }
        ran=$((SECONDS - started))
        [ "$ran" -lt 30 ] || backoff=1
        log "switchboard-events exited with status $rc after ${ran} s; restarting in ${backoff} s"
        sleep "$backoff" &
        sp=$!
        wait "$sp"
        kill "$sp" 2>/dev/null
        backoff=$((backoff * 2 > 30 ? 30 : backoff * 2))
    done
    rm -f "$RUN/events-supervisor.pid"
    log "exiting"
    exit 0
}

# ---------------------------------------------------------------------------- main --

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status || exit $? ;;   # 3 = not everything runs (not an error)
    _events-supervisor) [ $# -eq 3 ] || sb_die "internal command"; cmd_events_supervisor "$2" "$3" ;;
    *) printf 'usage: %s start|stop|status\n' "$0" >&2; exit 2 ;;
esac
