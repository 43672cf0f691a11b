#!/usr/bin/env bash
# The front nginx (issue 13): one listener on 127.0.0.1:$PORT in front of several app
# hosts (nginx/front.conf.in). `make cluster` starts it before the app hosts it names;
# tests start one in front of the test stack.
#
# Usage: scripts/front.sh start|stop|render (render: write $FRONT_VAR/nginx.conf only, for
#        the switchboard-front systemd unit)
# Environment:
#   FRONT_VAR   its state folder (config, pid, logs, temp files); required
#   PORT        its port on 127.0.0.1; required for start
#   UPSTREAMS   the app hosts, "host:port host:port …"; required for start
#   FRONT_MAX_FAILS (1), FRONT_FAIL_TIMEOUT (10s): a host that failed this many times is
#               left alone for that long (nginx's passive health check)
#   FRONT_LISTEN (127.0.0.1:$PORT): where it listens (nginx's listen syntax)
#   FRONT_MAX_BODY (128m): the largest body it passes (each app host has its own limits)
#   LOGIN_RATE (10r/s), LOGIN_BURST (20), REGISTER_RATE (6r/m), REGISTER_BURST (5): the
#               cluster-wide sign-in and sign-up limits per client address
set -Eeuo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
: "${FRONT_VAR:?FRONT_VAR is required}"
RUN=$FRONT_VAR/run LOG=$FRONT_VAR/log CONF=$FRONT_VAR/nginx.conf

repl() { printf '%s' "$1" | sed -e 's/[|&\\]/\\&/g'; }

render() {
    : "${PORT:?PORT is required}" "${UPSTREAMS:?UPSTREAMS is required}"
    mkdir -p "$RUN" "$LOG" "$FRONT_VAR/tmp"
    local servers="" u
    for u in $UPSTREAMS; do
        servers+="        server $u max_fails=${FRONT_MAX_FAILS:-1} fail_timeout=${FRONT_FAIL_TIMEOUT:-10s};\\n"
    done
    sed -e "s|@PORT@|$(repl "$PORT")|g" -e "s|@RUN_DIR@|$(repl "$RUN")|g" \
        -e "s|@LISTEN@|$(repl "${FRONT_LISTEN:-127.0.0.1:$PORT}")|g" \
        -e "s|@LOG_DIR@|$(repl "$LOG")|g" -e "s|@TEMP_DIR@|$(repl "$FRONT_VAR/tmp")|g" \
        -e "s|@MAX_BODY@|$(repl "${FRONT_MAX_BODY:-128m}")|g" \
        -e "s|@LOGIN_RATE@|$(repl "${LOGIN_RATE:-10r/s}")|g" -e "s|@LOGIN_BURST@|$(repl "${LOGIN_BURST:-20}")|g" \
        -e "s|@REGISTER_RATE@|$(repl "${REGISTER_RATE:-6r/m}")|g" -e "s|@REGISTER_BURST@|$(repl "${REGISTER_BURST:-5}")|g" \
        -e "s|^@UPSTREAMS@\$|$servers|" "$REPO/nginx/front.conf.in" > "$CONF.tmp"
    if grep -v '^[[:space:]]*#' "$CONF.tmp" | grep -q '@[A-Z_][A-Z_]*@'; then
        echo "front.sh: a placeholder is left in $CONF.tmp" >&2
        exit 1
    fi
    mv -f "$CONF.tmp" "$CONF"
    nginx -t -q -p "$FRONT_VAR" -c "$CONF" -e "$LOG/front-error.log"
}

start() {
    render
    nginx -p "$FRONT_VAR" -c "$CONF" -e "$LOG/front-error.log"
    echo "front: http://127.0.0.1:$PORT/ -> $UPSTREAMS"
}

stop() {
    local pid
    pid=$(cat "$RUN/front.pid" 2>/dev/null) || return 0
    kill -QUIT "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

case ${1:-} in
start) start ;;
render) render ;;
stop) stop ;;
*) echo "usage: $0 start|stop|render" >&2; exit 2 ;;
esac
