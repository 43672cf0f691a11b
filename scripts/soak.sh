#!/usr/bin/env bash
# make soak: starts a private release-build stack (own temp dir and port, like bench.sh) and
# runs scripts/soak.py on it for SOAK_MINUTES (30): a mixed load through nginx at SOAK_SHARE
# (0.7) of a peak it measures first (or SOAK_RATE requests/s), RSS and open fds of every
# process each minute, errors, answers that are not JSON, p99 per route per minute, pool
# worker recycles. The samples (TSV) go to SOAK_OUT (default var/soak/<UTC time>).
#
# Environment: SOAK_MINUTES, SOAK_RATE, SOAK_SHARE, SOAK_THREADS (16), SOAK_PEAK_SECONDS
# (10), SOAK_LOGIN_EVERY (2 s), SOAK_SSE, SOAK_POLL, SOAK_WS (2 each), SOAK_PORT (default:
# a free one), SOAK_OUT.
set -eu -o pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${SB_BIN:-$repo/bin}
tmp=$(mktemp -d /tmp/sbsoak.XXXXXX)
port=${SOAK_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
out=${SOAK_OUT:-$repo/var/soak/$(date -u +%Y%m%dT%H%M%SZ)}
export SB_VAR=$tmp/var PORT=$port SB_BIN=$bin LOGIN_RATE=100000r/s LOGIN_BURST=100000
export SB_PASSWORD_MAX_FAILURES_PER_ADDRESS=1000000
# Every client of the run is the same user: lift the per-session and per-tenant caps.
export SB_EVENT_MAX_STREAMS_PER_SESSION=1000 SB_EVENT_MAX_STREAMS_PER_TENANT=1000

cleanup() {
    "$repo/scripts/stack.sh" stop >/dev/null 2>&1 || true
    # The logs are worth keeping next to the samples (the pool's recycles are counted there).
    [ -d "$SB_VAR/log" ] && mkdir -p "$out" && cp -r "$SB_VAR/log" "$out/" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

"$repo/scripts/stack.sh" start > "$tmp/start.out" 2>&1 || { cat "$tmp/start.out"; exit 1; }
python3 "$repo/scripts/soak.py" "http://127.0.0.1:$port" "$SB_VAR" "$out"
