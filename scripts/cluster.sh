#!/usr/bin/env bash
# Switchboard on several hosts, made on this machine with network namespaces (issue 13):
# three MariaDB Galera nodes, two memcached servers and three app hosts (each the stack of
# scripts/stack.sh: nginx, worker pool, event worker, clock, hooks), on a bridge with
# private addresses that exist inside the namespaces only, and one front nginx
# (scripts/front.sh) on 127.0.0.1:$PORT in this namespace. The front reaches each app
# host's nginx through a unix socket (namespaces do not separate files); the app hosts
# reach the database and memcached over the bridge. Files every host needs (keys, the
# demo login, recordings) are in one shared folder, as NFS would give real hosts.
#
# Usage: scripts/cluster.sh up|down|status
#        scripts/cluster.sh db-kill N | db-start N | db-cut N | db-join N
#        scripts/cluster.sh app-kill N | app-start N | mc-kill N | mc-start N | sql N SQL
# Environment:
#   CLUSTER_VAR  its state folder (default <repo>/var/cluster)
#   CLUSTER_ID   prefix of its namespaces and links (default sb; at most 4 characters)
#   CLUSTER_NET  the first three octets of its addresses (default 10.77.0)
#   PORT         the front's port on 127.0.0.1 (default 8090)
#   SB_BIN       the binaries (default <repo>/bin); SB_WORKERS (4) per app host
# Needs root (namespaces), galera-4, mariadb-server, rsync (the joiners' first copy).
set -Eeuo pipefail
umask 077
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(dirname "$(dirname "$SCRIPT")")
sb_prog=cluster.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/scripts/lib.sh"

CV=${CLUSTER_VAR:-$REPO/var/cluster}
ID=${CLUSTER_ID:-sb}
NET=${CLUSTER_NET:-10.77.0}
PORT=${PORT:-8090}
SB_BIN=${SB_BIN:-$REPO/bin}
BR=${ID}-br
SHARED=$CV/shared
GALERA=/usr/lib/galera/libgalera_smm.so
DB_NODES=(1 2 3) MC_NODES=(1 2) APP_NODES=(1 2 3)

ns() { printf '%s-%s' "$ID" "$1"; }           # ns db1 -> sb-db1
ip_of() {                                      # ip_of db1 -> 10.77.0.11
    case $1 in db*) printf '%s.1%s' "$NET" "${1#db}" ;; mc*) printf '%s.2%s' "$NET" "${1#mc}" ;;
        app*) printf '%s.3%s' "$NET" "${1#app}" ;; esac
}
in_ns() { local h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }

# ------------------------------------------------------------------------ network --

net_host_up() {          # HOST: its namespace, a veth on the bridge, its address
    local h=$1 n; n=$(ns "$h")
    ip netns list | grep -qw "$n" || ip netns add "$n"
    if ! ip link show "v$n" >/dev/null 2>&1; then
        ip link add "v$n" type veth peer name eth0 netns "$n"
        ip link set "v$n" master "$BR" up
    fi
    in_ns "$h" ip link set lo up
    in_ns "$h" ip addr replace "$(ip_of "$h")/24" dev eth0
    in_ns "$h" ip link set eth0 up
}

net_up() {
    ip link show "$BR" >/dev/null 2>&1 || ip link add "$BR" type bridge
    ip link set "$BR" up
    local h
    for h in "${DB_NODES[@]/#/db}" "${MC_NODES[@]/#/mc}" "${APP_NODES[@]/#/app}"; do
        net_host_up "$h"
    done
}

net_down() {
    local n
    for n in $(ip netns list | awk '{print $1}' | grep "^$ID-" || true); do
        ip link del "v$n" 2>/dev/null || true
        ip netns del "$n" 2>/dev/null || true
    done
    ip link del "$BR" 2>/dev/null || true
}

# ------------------------------------------------------------------------ galera --

db_cnf() {               # N: the node's configuration file
    local n=$1 d=$CV/db$1 peers
    peers="$NET.11,$NET.12,$NET.13"
    mkdir -p "$d/data" "$d/tmp"
    # As mysql, not root: the joiner's rsync daemon (SST) runs as the server's user, and
    # as root rsync would drop to nobody.
    chown -R mysql:mysql "$d"
    cat >"$d/my.cnf" <<EOF
[mysqld]
user = mysql
datadir = $d/data
tmpdir = $d/tmp
socket = $d/mysqld.sock
pid-file = $d/mysqld.pid
log-error = $d/mysqld.log
bind-address = $(ip_of "db$n")
port = 3306
skip-name-resolve
max-connections = 400
innodb-buffer-pool-size = 128M
character-set-server = utf8mb4
collation-server = utf8mb4_uca1400_as_ci
binlog-format = ROW
default-storage-engine = InnoDB
innodb-autoinc-lock-mode = 2
innodb-flush-log-at-trx-commit = 2
# The migrations create triggers; with the binary log on, only trusted creators may.
log-bin-trust-function-creators = 1
wsrep-on = ON
wsrep-provider = $GALERA
wsrep-cluster-name = switchboard
wsrep-cluster-address = gcomm://$peers
wsrep-node-address = $(ip_of "db$n")
wsrep-node-name = db$n
wsrep-sst-method = rsync
wsrep-slave-threads = 2
wsrep-provider-options = "gcache.size=256M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;pc.weight=1"
EOF
}

db_sock() { printf '%s/db%s/mysqld.sock' "$CV" "$1"; }
db_q() {                 # N SQL: as root on the node's socket
    mariadb --no-defaults --socket="$(db_sock "$1")" -uroot --batch --skip-column-names \
        --connect-timeout=2 -e "$2"
}
db_status() { db_q "$1" "SHOW STATUS LIKE '$2'" 2>/dev/null | awk '{print $2}'; }
db_pid() { local p; p=$(cat "$CV/db$1/mysqld.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null && printf '%s' "$p"; }

db_wait_synced() {       # N SECONDS
    local n=$1 t=$(( SECONDS + $2 ))
    until [ "$(db_status "$n" wsrep_local_state_comment)" = Synced ] &&
        [ "$(db_status "$n" wsrep_ready)" = ON ]; do
        [ "$SECONDS" -lt "$t" ] || { sb_tail "$CV/db$n/mysqld.log" 30; sb_die "db$n not synced within $2 s"; }
        sleep 0.3
    done
}

db_start() {             # N [new]: start the node (a new cluster with "new")
    local n=$1 args=()
    db_pid "$n" >/dev/null && return 0
    db_cnf "$n"
    if [ ! -d "$CV/db$n/data/mysql" ]; then
        mariadb-install-db --defaults-file="$CV/db$n/my.cnf" --user=mysql --auth-root-authentication-method=socket \
            --skip-test-db >"$CV/db$n/install.log" 2>&1 || { sb_tail "$CV/db$n/install.log"; sb_die "db$n: install failed"; }
    fi
    if [ "${2:-}" = new ]; then
        args+=(--wsrep-new-cluster)
        # A cluster made again from this node's data (after `down`): it may bootstrap.
        sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$CV/db$n/data/grastate.dat" 2>/dev/null || true
    fi
    in_ns "db$n" setsid mariadbd --defaults-file="$CV/db$n/my.cnf" "${args[@]}" </dev/null >>"$CV/db$n/mysqld.out" 2>&1 &
    db_wait_synced "$n" 180
}

db_setup() {             # the database and the application's account, once, on node 1
    local pw; pw=$(cat "$SHARED/db.password")
    db_q 1 "CREATE DATABASE IF NOT EXISTS switchboard CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'switchboard'@'$NET.%' IDENTIFIED BY '$pw';
ALTER USER 'switchboard'@'$NET.%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON switchboard.* TO 'switchboard'@'$NET.%';"
}

db_stop() {              # N
    local p; p=$(db_pid "$1") || return 0
    kill -TERM "$p" 2>/dev/null || true
    sb_wait_gone 60 "$p" || kill -KILL "$p" 2>/dev/null || true
}

# The node loses its link to the others (they keep quorum, it does not) and gets it back.
db_cut() { in_ns "db$1" ip link set eth0 down; }
db_join() { in_ns "db$1" ip link set eth0 up; }

# ---------------------------------------------------------------------- memcached --

mc_start() {
    local n=$1 p
    p=$(cat "$CV/mc$n.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null && return 0
    in_ns "mc$n" setsid memcached -u root -l "$(ip_of "mc$n")" -p 11211 -m 64 </dev/null >>"$CV/mc$n.log" 2>&1 &
    printf '%s\n' "$!" >"$CV/mc$n.pid"
}

mc_kill() { local p; p=$(cat "$CV/mc$1.pid" 2>/dev/null) && kill -KILL "$p" 2>/dev/null || true; }

# ---------------------------------------------------------------------- app hosts --

app_env() {              # N: the environment of stack.sh for app host N
    local n=$1 i k nodes="" mcs="" peers=""
    # Each host prefers "its" database node, then the others in turn.
    for k in 0 1 2; do
        i=$(( (n - 1 + k) % 3 + 1 ))
        nodes+="${nodes:+,}$(ip_of "db$i"):3306"
    done
    for i in "${MC_NODES[@]}"; do mcs+="${mcs:+,}$(ip_of "mc$i"):11211"; done
    for i in "${APP_NODES[@]}"; do
        [ "$i" = "$n" ] || peers+="${peers:+,}$(ip_of "app$i"):7070"
    done
    printf '%s\n' SB_VAR="$CV/app$n" PORT=8080 SB_BIN="$SB_BIN" SB_DB_NODES="$nodes" \
        SB_MEMCACHED_SERVERS="$mcs" SB_SHARED="$SHARED" SB_JOIN="$([ "$n" = 1 ] && echo 0 || echo 1)" \
        SB_NGINX_SOCKET="$CV/app$n/run/http.sock" SB_DB_CAUSAL_READS=true \
        SB_EVENT_WAKE_LISTEN="$(ip_of "app$n"):7070" SB_EVENT_WAKE_PEERS="$peers" \
        SB_WORKERS="${SB_WORKERS:-4}" SB_PUBLIC_BASE_URL="http://127.0.0.1:$PORT" \
        LOGIN_RATE="${LOGIN_RATE:-10r/s}" LOGIN_BURST="${LOGIN_BURST:-20}" \
        REGISTER_RATE="${REGISTER_RATE:-6r/m}" REGISTER_BURST="${REGISTER_BURST:-5}"
}

app_stack() {            # N start|stop|status
    local n=$1 e=()
    mapfile -t e < <(app_env "$n")
    in_ns "app$n" env "${e[@]}" "$REPO/scripts/stack.sh" "$2"
}

app_start() {
    app_stack "$1" start >"$CV/app$1.start.log" 2>&1 || { cat "$CV/app$1.start.log" >&2; sb_die "app$1 did not start"; }
    # The front's workers (user nobody) connect to it.
    chmod 666 "$CV/app$1/run/http.sock"
}

app_kill() {             # N: every process of the host at once (a host that dies)
    local p
    for p in $(ip netns pids "$(ns "app$1")" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.2
    rm -f "$CV/app$1/run/http.sock"   # nginx had no time to remove it
}

# ---------------------------------------------------------------------------- up --

front_env() {
    local u="" n
    for n in "${APP_NODES[@]}"; do u+="${u:+ }unix:$CV/app$n/run/http.sock"; done
    printf '%s\n' FRONT_VAR="$CV/front" PORT="$PORT" UPSTREAMS="$u" \
        LOGIN_RATE="${LOGIN_RATE:-10r/s}" LOGIN_BURST="${LOGIN_BURST:-20}" \
        REGISTER_RATE="${REGISTER_RATE:-6r/m}" REGISTER_BURST="${REGISTER_BURST:-5}"
}

front() { local e=(); mapfile -t e < <(front_env); env "${e[@]}" "$REPO/scripts/front.sh" "$1"; }

shared_setup() {
    mkdir -p "$SHARED/recordings"
    chmod 711 "$CV" "$SHARED"
    [ -s "$SHARED/db.password" ] || (printf '%s' "$(sb_rand_alnum 32)" >"$SHARED/db.password")
    [ -s "$SHARED/jwt.key" ] || (printf '%s' "$(sb_rand_hex 32)" >"$SHARED/jwt.key")
    [ -s "$SHARED/metrics.token" ] || (printf '%s' "$(sb_rand_hex 32)" >"$SHARED/metrics.token")
    chmod 600 "$SHARED/db.password" "$SHARED/jwt.key" "$SHARED/metrics.token"
}

cmd_up() {
    [ "$(id -u)" = 0 ] || sb_die "the cluster's namespaces need root"
    [ -r "$GALERA" ] || sb_die "$GALERA is missing (package galera-4)"
    local n
    mkdir -p "$CV"
    case $CV in /tmp/?*) chmod o+x "$(dirname "$CV")" 2>/dev/null || true ;; esac
    shared_setup
    sb_say "Network: bridge $BR, namespaces $ID-db1..3, $ID-mc1..2, $ID-app1..3 on $NET.0/24"
    net_up
    sb_say "Galera: db1 starts the cluster, db2 and db3 join (a full copy by rsync the first time)"
    db_start 1 new
    for n in 2 3; do db_start "$n"; done
    db_setup
    for n in "${MC_NODES[@]}"; do mc_start "$n"; done
    for n in "${APP_NODES[@]}"; do
        sb_say "App host $n ($(ip_of "app$n"))…"
        app_start "$n"
    done
    front start >"$CV/front.start.log" 2>&1 || { cat "$CV/front.start.log" >&2; sb_die "the front did not start"; }
    sb_say ""
    sb_say "Switchboard cluster is running: 3 Galera nodes, 2 memcached, 3 app hosts."
    sb_say "  Dashboard:  http://127.0.0.1:$PORT/"
    sb_say "  Login:      $(sed -n 's/^email=//p' "$SHARED/demo-login") / $(sed -n 's/^password=//p' "$SHARED/demo-login")"
    sb_say "  Stop:       make cluster-stop"
}

cmd_down() {
    local n
    [ -d "$CV" ] || { net_down; return 0; }
    front stop || true
    for n in "${APP_NODES[@]}"; do app_stack "$n" stop >/dev/null 2>&1 || app_kill "$n"; done
    for n in "${MC_NODES[@]}"; do mc_kill "$n"; done
    for n in 3 2 1; do db_stop "$n"; done
    net_down
    sb_say "Cluster stopped; no namespace left (state stays in $CV)."
}

cmd_status() {
    local n down=0 p
    for n in "${DB_NODES[@]}"; do
        if db_pid "$n" >/dev/null; then
            printf 'db%s   %s  %s, cluster size %s, %s\n' "$n" "$(ip_of "db$n")" \
                "$(db_status "$n" wsrep_local_state_comment)" "$(db_status "$n" wsrep_cluster_size)" \
                "$(db_status "$n" wsrep_cluster_status)"
        else printf 'db%s   %s  down\n' "$n" "$(ip_of "db$n")"; down=1; fi
    done
    for n in "${MC_NODES[@]}"; do
        if p=$(cat "$CV/mc$n.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null; then
            printf 'mc%s   %s  running (pid %s)\n' "$n" "$(ip_of "mc$n")" "$p"
        else printf 'mc%s   %s  down\n' "$n" "$(ip_of "mc$n")"; down=1; fi
    done
    for n in "${APP_NODES[@]}"; do
        if app_stack "$n" status >/dev/null 2>&1; then printf 'app%s  %s  running\n' "$n" "$(ip_of "app$n")"
        else printf 'app%s  %s  down\n' "$n" "$(ip_of "app$n")"; down=1; fi
    done
    if p=$(cat "$CV/front/run/front.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null; then
        printf 'front 127.0.0.1:%s running (pid %s)\n' "$PORT" "$p"
    else printf 'front 127.0.0.1:%s down\n' "$PORT"; down=1; fi
    [ "$down" = 0 ] || return 3
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
db-kill) p=$(db_pid "$2") && kill -KILL "$p" ;;
db-start) db_start "$2" ;;
db-cut) db_cut "$2" ;;
db-join) db_join "$2" ;;
app-kill) app_kill "$2" ;;
app-start) app_start "$2" ;;
mc-kill) mc_kill "$2" ;;
mc-start) mc_start "$2" ;;
front-reload) kill -HUP "$(cat "$CV/front/run/front.pid")" ;;
sql) db_q "$2" "$3" ;;
*) echo "usage: $0 up|down|status|db-kill N|db-start N|db-cut N|db-join N|app-kill N|app-start N|mc-kill N|mc-start N|front-reload|sql N SQL" >&2; exit 2 ;;
esac
