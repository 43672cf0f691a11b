#!/usr/bin/env bash
# make bench: starts a private stack (own temp dir and port), seeds a tenant with 20
# departments, and drives wrk through nginx at the hot routes and at the pool's no-op
# route (the ceiling). Prints requests/s, p50 and p99 and each route's share of the ceiling.
# Then bin/sse-bench (tests/bench/sse_bench.c) holds 1,000 and 10,000 SSE streams on
# /api/calls/events through nginx, creates calls and measures POST-written → event-read
# latency over every (stream, call) pair; then the same with WebSocket clients on /ws
# (sse-bench -W: callcenter frames, pings answered); a second table shows both.
#
# Environment: BENCH_DURATION (10s), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
# BENCH_CALLS (1000000 seeded calls), BENCH_SSE_CLIENTS ("1000 10000"; empty: skip),
# BENCH_SSE_EVENTS (20 calls per run), BENCH_SSE_INTERVAL_MS (200), BENCH_WS_CLIENTS
# ("1000 10000"; empty: skip), BENCH_OUTBOUND_CALLS (3000 start/update/end cycles),
# BENCH_OUTBOUND_THREADS (8), BENCH_IVR_CALLS (2000 calls through the IVR voice webhook),
# BENCH_IVR_THREADS (8).
set -eu -o pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${SB_BIN:-$repo/bin}
duration=${BENCH_DURATION:-10s}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
tmp=$(mktemp -d /tmp/sbbench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export SB_VAR=$tmp/var PORT=$port SB_BIN=$bin LOGIN_RATE=100000r/s LOGIN_BURST=100000
export SB_PASSWORD_MAX_FAILURES_PER_ADDRESS=1000000
# Webhook deliveries go to bench_engage.py's receiver on loopback.
export SB_WEBHOOK_ALLOW_LOOPBACK=true
# One token opens every SSE stream of the run: lift the per-session and per-tenant caps.
export SB_EVENT_MAX_STREAMS_PER_SESSION=20000 SB_EVENT_MAX_STREAMS_PER_TENANT=20000

cleanup() {
    "$repo/scripts/stack.sh" stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "bench: wrk is missing (make deps)" >&2; exit 1; }
sse_clients=${BENCH_SSE_CLIENTS-1000 10000}
ws_clients=${BENCH_WS_CLIENTS-1000 10000}
sse_events=${BENCH_SSE_EVENTS:-20}
sse_interval=${BENCH_SSE_INTERVAL_MS:-200}
[ -z "$sse_clients$ws_clients" ] || [ -x "$bin/sse-bench" ] ||
    { echo "bench: $bin/sse-bench is missing (make $bin/sse-bench)" >&2; exit 1; }
"$repo/scripts/stack.sh" start > "$tmp/start.out" 2>&1 || { cat "$tmp/start.out"; exit 1; }
base=http://127.0.0.1:$port

eval "$(python3 - "$base" "$tmp" <<'PY'
import json, sys, urllib.request, uuid
base, tmp = sys.argv[1], sys.argv[2]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
email, pw = "bench-%s@example.test" % uuid.uuid4().hex[:8], "bench-" + uuid.uuid4().hex
s = call("POST", "/api/auth/register", {"tenant_name": "Bench " + uuid.uuid4().hex[:8],
                                         "email": email, "password": pw})
tok = s["token"]
ids = []
for i in range(20):
    d = call("POST", "/api/departments", {"name": "Department %02d" % i,
                                          "phone_number": "+1555000%04d" % i,
                                          "description": "Seeded for the benchmark"}, tok)
    ids.append(d["department"]["id"])
call("GET", "/api/departments", token=tok)  # warm the cache
with open(tmp + "/login.lua", "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            'wrk.body = %s\n' % json.dumps(json.dumps({"email": email, "password": pw})))
with open(tmp + "/login.json", "w") as f:
    f.write(json.dumps({"email": email, "password": pw}))
print("TOKEN=%s DEPT=%s" % (tok, ids[7]))

# Calls: a department with agents, 200 live calls for /api/calls/active and transfers.
tdept = call("POST", "/api/departments", {"name": "Transfers", "phone_number": "+15559990000"},
             tok)["department"]["id"]
for i in range(5):
    call("POST", "/api/agents", {"name": "Agent %d" % i, "phone_number": "+1555999%04d" % i,
                                 "department_id": tdept, "status": "available", "priority": 1 + i % 3,
                                 "max_concurrent_calls": 100}, tok)
live = [call("POST", "/api/calls", {"caller_number": "+1444000%04d" % i,
                                    "called_number": "+15559990000", "status": "active",
                                    "current_flow": "bench"}, tok)["call"]["id"]
        for i in range(200)]
with open(tmp + "/transfer.lua", "w") as f:
    f.write("local ids = {%s}\nlocal i = 0\n" % ",".join('"%s"' % c for c in live))
    f.write('request = function()\n  i = i %% #ids + 1\n'
            '  return wrk.format("POST", nil, {["Content-Type"] = "application/json",'
            ' ["Authorization"] = "Bearer %s"}, \'{"call_id":"\' .. ids[i] .. \'",'
            '"target_department":"%s"}\')\nend\n' % (tok, tdept))
print("TENANT=%s" % s["user"]["tenant_id"])
PY
)"

# A million finished calls, 2 s apart going back from now (about 23 days), in one statement.
ncalls=${BENCH_CALLS:-1000000}
sql() { mariadb --no-defaults -uroot --socket="$SB_VAR/run/mysqld.sock" -N -B switchboard -e "$1"; }
echo "seeding $ncalls calls…"
t0=$(date +%s)
sql "SET SESSION unique_checks = 0; INSERT INTO calls (id, tenant_id, call_sid, caller_number,
     called_number, direction, status, total_duration, ai_minutes, transfer_minutes,
     start_time, end_time)
     SELECT CONCAT('call_bench', LPAD(seq, 10, '0')), '$TENANT', NULL,
            CONCAT('+1444', LPAD(seq MOD 10000000, 7, '0')), '+15559990000', 'inbound',
            ELT(1 + seq MOD 5, 'completed', 'completed', 'missed', 'abandoned', 'completed'),
            30 + seq MOD 600, ROUND((30 + seq MOD 600) / 60, 2), 0,
            NOW(3) - INTERVAL (seq * 2) SECOND, NOW(3) - INTERVAL (seq * 2) SECOND + INTERVAL 30 SECOND
     FROM seq_1_to_$ncalls; ANALYZE TABLE calls;" > /dev/null
echo "seeded in $(( $(date +%s) - t0 )) s"
deep_offset=$(( ncalls * 9 / 10 ))
deep=$(sql "SELECT DATE_FORMAT(start_time, '%Y-%m-%d %H:%i:%s.%f'), id FROM calls
            WHERE tenant_id = '$TENANT' ORDER BY start_time DESC, id DESC LIMIT 1 OFFSET $deep_offset")
# The cursor is base64url("<start_time>|<id>") of the row before the page.
cursor=$(printf '%s|%s' "$(echo "$deep" | cut -f1)" "$(echo "$deep" | cut -f2)" | base64 -w0 | tr '+/' '-_' | tr -d '=')

results=$tmp/results
: > "$results"
drain() { # waits until the pool answers promptly again (requests wrk gave up on still run)
    local i
    for i in $(seq 1 60); do
        curl -fsS -o /dev/null --max-time 0.5 "$base/health" && return 0
        sleep 0.5
    done
}

run() { # name, then wrk arguments
    local name=$1
    shift
    drain
    wrk -t"$threads" -c"$conns" -d"$duration" --latency "$@" > "$tmp/wrk.out" 2>&1 || {
        cat "$tmp/wrk.out"; exit 1; }
    python3 - "$name" "$tmp/wrk.out" >> "$results" <<'PY'
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
def lat(p):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, text, re.M)
    if not m:
        return float("nan")
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errs = re.search(r"Socket errors:.*", text)
print("%s\t%.0f\t%.2f\t%.2f\t%s\t%s" % (name, rps, lat(50), lat(99),
      non2xx.group(1) if non2xx else "0", errs.group(0) if errs else ""))
PY
}

auth=(-H "Authorization: Bearer $TOKEN")
run "GET /api/noop (pool ceiling)" "$base/api/noop"
run "GET /api/departments (cached, 20)" "${auth[@]}" "$base/api/departments"
run "GET /api/departments/:id" "${auth[@]}" "$base/api/departments/$DEPT"
run "POST /api/auth/login (argon2id)" -s "$tmp/login.lua" "$base/api/auth/login"
run "GET /api/calls/active (200 live)" "${auth[@]}" "$base/api/calls/active"
run "GET /api/calls/logs (first page)" "${auth[@]}" "$base/api/calls/logs?date_range=90days"
run "GET /api/calls/logs (cursor at 90%)" "${auth[@]}" "$base/api/calls/logs?date_range=90days&after=$cursor"
run "POST /api/calls/transfer" -s "$tmp/transfer.lua" "$base/api/calls/transfer"
# Call recordings (issue 10): the pool checks the caller, nginx serves the range of a 1 MB
# WAV (X-Accel-Redirect); the upload itself goes through nginx's temp file.
python3 - "$tmp/rec.wav" <<'PY'
import math, struct, sys, wave
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 3))) for i in range(512000)))
PY
REC_CALL=$(curl -fsS "${auth[@]}" -H "Content-Type: application/json" \
    --data '{"caller_number":"+15550001111","called_number":"+15550002222"}' "$base/api/calls" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["call"]["id"])')
curl -fsS -o /dev/null -X PUT "${auth[@]}" -H "Content-Type: audio/wav" \
    --data-binary @"$tmp/rec.wav" "$base/api/calls/$REC_CALL/recording" ||
    { echo "bench: recording upload failed" >&2; exit 1; }
run "GET /api/calls/:id/recording (64 KB)" "${auth[@]}" -H "Range: bytes=0-65535" \
    "$base/api/calls/$REC_CALL/recording"
run "GET …/recording (64 KB at 512 KB)" "${auth[@]}" -H "Range: bytes=524288-589823" \
    "$base/api/calls/$REC_CALL/recording"
# Last: requests wrk gave up on keep workers busy after it stops.
run "GET /api/calls/logs (page 400, offset)" "${auth[@]}" "$base/api/calls/logs?date_range=90days&page=400"

# The contact-center core (issue 8): distribution at depth, then KPIs, the CDR list and its
# CSV export over BENCH_CDRS (1,000,000) CDRs, with a fresh token (seeding takes minutes).
drain
fresh_token() {
    curl -fsS -X POST -H "Content-Type: application/json" --data-binary @"$tmp/login.json" \
        "$base/api/auth/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
TOKEN=$(fresh_token)
python3 "$repo/scripts/bench_cc.py" "$base" "$SB_VAR" "$TOKEN" "$TENANT" "${BENCH_CDRS:-1000000}" \
    "$tmp/cc.env" | tee "$tmp/cc.out" || exit 1
. "$tmp/cc.env"
TOKEN=$(fresh_token)
auth=(-H "Authorization: Bearer $TOKEN")
since=$(date -u -d '30 days ago' +%F)
cat > "$tmp/enter.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"caller_number":"+15550001234"}'
LUA
run "GET /api/cdr/stats (last hour, 1M CDRs)" "${auth[@]}" "$base/api/cdr/stats?last=60m"
run "GET /api/cdr/stats (last hour, 1k CDRs)" -H "Authorization: Bearer $SMALL_TOKEN" \
    "$base/api/cdr/stats?last=60m"
run "GET /api/cdr/stats (30 days, 1M CDRs)" "${auth[@]}" "$base/api/cdr/stats?start=$since"
run "GET /api/cdr/call-volume (30 days, 1M)" "${auth[@]}" "$base/api/cdr/call-volume?start=$since"
run "GET /api/cdr (first page, 1M CDRs)" "${auth[@]}" "$base/api/cdr"
cdr_deep=$(sql "SELECT DATE_FORMAT(start_time, '%Y-%m-%d %H:%i:%s'), id FROM cdrs
               WHERE tenant_id = '$TENANT' ORDER BY start_time DESC, id DESC LIMIT 1 OFFSET $(( ${BENCH_CDRS:-1000000} * 9 / 10 ))")
cdr_cursor=$(printf '%s|%s' "$(echo "$cdr_deep" | cut -f1)" "$(echo "$cdr_deep" | cut -f2)" | base64 -w0 | tr '+/' '-_' | tr -d '=')
run "GET /api/cdr (cursor at 90%)" "${auth[@]}" "$base/api/cdr?after=$cdr_cursor"
run "GET /api/queues/:id/live (1,000 in line)" "${auth[@]}" "$base/api/queues/$QUEUE/live"
run "GET /api/cdr (page 2000, offset)" "${auth[@]}" "$base/api/cdr?page=2000"
# Last: a saturated queue lock leaves requests wrk gave up on running after it stops.
run "POST /api/queues/:id/calls (in line)" "${auth[@]}" -s "$tmp/enter.lua" \
    "$base/api/queues/$QUEUE/calls"

# Engagement (issue 9): an agent's chat messages through nginx (each one a row, an event to
# the visitor's socket and the staff, and a session touch), then webhook deliveries per
# second to a receiver of bench_engage.py's own on loopback.
drain
TOKEN=$(fresh_token)
python3 "$repo/scripts/bench_engage.py" "$base" "$TOKEN" prepare "$tmp/engage.env"
. "$tmp/engage.env"
cat > "$tmp/chat.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"session_id":"$CHAT_SESSION","body":"Hello from the benchmark"}'
LUA
run "POST /api/chat/messages" -H "Authorization: Bearer $TOKEN" -s "$tmp/chat.lua" \
    "$base/api/chat/messages"
drain
python3 "$repo/scripts/bench_engage.py" "$base" "$(fresh_token)" webhooks \
    "${BENCH_WEBHOOK_EVENTS:-2000}" > "$tmp/engage.out" || exit 1

# Outbound calls (issue 10): start → update → end cycles through nginx, each step a
# transaction (the end writes the CDR, the lead and the analytics aggregates).
drain
python3 "$repo/scripts/bench_outbound.py" "$base" "$(fresh_token)" \
    "${BENCH_OUTBOUND_CALLS:-3000}" "${BENCH_OUTBOUND_THREADS:-8}" > "$tmp/outbound.out" || exit 1

# IVR (issue 11): inbound calls through Twilio's signed voice webhook, each a call, a menu
# key and a gather whose branch routes the caller into a queue: IVR steps per second.
drain
python3 "$repo/scripts/bench_ivr.py" "$base" "$SB_VAR" "$(fresh_token)" \
    "${BENCH_IVR_CALLS:-2000}" "${BENCH_IVR_THREADS:-8}" > "$tmp/ivr.out" || exit 1

drain
# Live events: N SSE streams, then calls created through the API. A fresh token: the
# registration's may be close to its 15 minutes after a long seeding, and a stream ends
# when its token expires.
sse_results=$tmp/sse-results
: > "$sse_results"
sse_failed=0
# live_run KIND N [sse-bench options]: one run (KIND sse or ws) through nginx, or on the
# worker's unix socket when nginx could not hold N clients.
live_run() {
    local kind=$1 n=$2 rc=0
    shift 2
    echo "$kind: $n clients…"
    "$bin/sse-bench" "$@" -p "$port" -n "$n" -m "$sse_events" -i "$sse_interval" \
        -P "$events_pid" > "$tmp/sse.out" 2> "$tmp/sse.err" || rc=$?
    cat "$tmp/sse.out"
    if [ "$rc" = 2 ]; then
        # Not every client could connect through nginx (a limit: ports, fds, nginx's
        # worker_connections): measure the event worker on its own unix socket instead.
        local why
        why=$(tail -n1 "$tmp/sse.err")
        echo "$kind: $n clients through nginx failed ($why); again on the unix socket"
        printf 'note\t%s %s clients through nginx failed (%s): measured on %s instead\n' \
            "$n" "$kind" "$why" "$SB_VAR/run/events.sock" >> "$sse_results"
        rc=0
        "$bin/sse-bench" "$@" -p "$port" -n "$n" -m "$sse_events" -i "$sse_interval" \
            -P "$events_pid" -u "$SB_VAR/run/events.sock" \
            > "$tmp/sse.out" 2> "$tmp/sse.err" || rc=$?
        cat "$tmp/sse.out"
    fi
    if [ "$rc" != 0 ]; then
        cat "$tmp/sse.err" >&2
        sse_failed=1
    fi
    grep -E '^(sse|ws) ' "$tmp/sse.out" >> "$sse_results" || true
}
if [ -n "$sse_clients$ws_clients" ]; then
    SSE_BENCH_TOKEN=$(curl -fsS -X POST -H "Content-Type: application/json" \
        --data-binary @"$tmp/login.json" "$base/api/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    export SSE_BENCH_TOKEN
    events_pid=$(cat "$SB_VAR/run/events.pid")
    for n in $sse_clients; do
        live_run sse "$n"
    done
    for n in $ws_clients; do
        live_run ws "$n" -W
    done
fi

echo
echo "wrk -t$threads -c$conns -d$duration through nginx; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
python3 - "$results" "$ncalls" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
ceiling = float(rows[0][1]) or 1.0
print("%-36s %10s %9s %9s %8s %s" % ("route", "req/s", "p50 ms", "p99 ms", "ceiling", "non-2xx"))
print("(%s calls in the tenant)" % sys.argv[2] if len(sys.argv) > 2 else "")
for name, rps, p50, p99, non2xx, errs in rows:
    print("%-36s %10.0f %9.2f %9.2f %7.0f%% %s %s" % (name, float(rps), float(p50), float(p99),
          100 * float(rps) / ceiling, non2xx, errs))
PY

echo
cat "$tmp/cc.out"
echo
cat "$tmp/engage.out"
cat "$tmp/outbound.out"
cat "$tmp/ivr.out"
[ -s "$sse_results" ] || exit 0
echo
echo "live events: $sse_events calls (POST /api/calls through nginx) ${sse_interval} ms apart to N SSE streams of"
echo "/api/calls/events or N WebSocket clients of /ws; latency = request written → call_started read"
echo "by the client, over every (client, call) pair"
python3 - "$sse_results" <<'PY'
import sys
print("%4s %8s %6s %10s %9s %9s %9s %7s %12s %12s" % ("kind", "clients", "via", "connect s", "p50 ms", "p99 ms",
      "max ms", "missed", "worker RSS", "RSS/stream"))
notes = []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("note\t"):
        notes.append(line[5:])
        continue
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    n = int(f["clients"])
    rss, base = float(f["rss_mb"]), float(f["rss_base_mb"])
    extra = "" if f["connected"] == f["clients"] else " (only %s connected)" % f["connected"]
    for k in ("dup", "unexpected", "dropped", "post_errors"):
        if f[k] != "0":
            extra += " %s=%s" % (k, f[k])
    print("%4s %8d %6s %10s %9s %9s %9s %7s %9.1f MB %9.2f KB%s" % (line.split()[0], n, f["via"], f["connect_s"],
          f["p50_ms"], f["p99_ms"], f["max_ms"], f["missed"], rss,
          max(rss - base, 0) * 1024 / n, extra))
for n in notes:
    print("note: " + n)
PY
if [ "$sse_failed" != 0 ]; then
    echo "bench: a live-event run failed (see above): missed deliveries or errors" >&2
    exit 1
fi
