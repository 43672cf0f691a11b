#!/usr/bin/env bash
# make test: C unit tests, then a private stack (own temp dir and ports) and the
# integration tests through nginx. Ends with one line `N passed, N failed`.
set -u -o pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${SB_BIN:-$repo/bin}
tmp=$(mktemp -d /tmp/sbtest.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
passed=0
failed=0
stack_started=0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:log_path=$tmp/asan}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:log_path=$tmp/ubsan}

cleanup() {
    if [ "$stack_started" = 1 ]; then
        SB_VAR=$tmp/var PORT=$port SB_BIN=$bin "$repo/scripts/stack.sh" stop >/dev/null 2>&1 || true
    fi
    if [ -d "$tmp/cluster" ]; then
        CLUSTER_VAR=$tmp/cluster CLUSTER_ID=sbt "$repo/scripts/cluster.sh" down >/dev/null 2>&1 || true
    fi
    if [ -z "${SB_KEEP_TMP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT

count() { # adds the counts of a runner's last "N passed, N failed" line
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        echo "test.sh: $2 printed no summary line" >&2
        failed=$((failed + 1))
        return
    fi
    passed=$((passed + $(echo "$line" | awk '{print $1}')))
    failed=$((failed + $(echo "$line" | awk '{print $3}')))
}

echo "== unit tests"
(cd "$repo" && "$bin/unit-tests") 2>&1 | tee "$tmp/unit.out"
count "$tmp/unit.out" "unit tests"

# Every fuzz target over its corpus and regressions (tests/fuzz), under ASan/UBSan: a bug
# fuzzing found stays fixed. One test per target.
echo "== fuzz corpus replay"
for f in "$bin"/fuzz-*; do
    [ -x "$f" ] || continue
    t=${f##*/fuzz-}
    if out=$("$f" "$repo/tests/fuzz/corpus/$t" "$repo/tests/fuzz/regressions/$t" 2>&1) &&
        echo "$out" | grep -q '^replayed '; then
        echo "ok   fuzz-$t: $(echo "$out" | tail -n1)"
        passed=$((passed + 1))
    else
        echo "FAIL fuzz-$t"
        echo "$out" | tail -n 30
        failed=$((failed + 1))
    fi
done

echo "== starting a test stack in $tmp on port $port"
export SB_VAR=$tmp/var PORT=$port SB_BIN=$bin
export SB_WORKERS=${SB_WORKERS:-4} LOGIN_RATE=${LOGIN_RATE:-50r/s} LOGIN_BURST=${LOGIN_BURST:-100}
export REGISTER_RATE=${REGISTER_RATE:-50r/s} REGISTER_BURST=${REGISTER_BURST:-100}
# Failed password checks from one address: above what the login rate-limit tests send
# from theirs (tests/integration/test_errors.py), at the default per e-mail.
export SB_PASSWORD_MAX_FAILURES_PER_ADDRESS=${SB_PASSWORD_MAX_FAILURES_PER_ADDRESS:-400}
# Short heartbeats (streams are watched across a stopped database), and a tenant stream cap
# a test can reach.
export SB_EVENT_HEARTBEAT_SECONDS=${SB_EVENT_HEARTBEAT_SECONDS:-3}
# coldcaller's metricsUpdate every 2 s, not 10, so test_coldstats.py waits little.
export SB_EVENT_METRICS_SECONDS=${SB_EVENT_METRICS_SECONDS:-2}
export SB_EVENT_MAX_STREAMS_PER_TENANT=${SB_EVENT_MAX_STREAMS_PER_TENANT:-40}
# Webhooks: the tests' receivers listen on loopback; retries and giving up in seconds, not
# a day (tests/integration/test_webhooks_out.py).
export SB_WEBHOOK_ALLOW_LOOPBACK=${SB_WEBHOOK_ALLOW_LOOPBACK:-true}
export SB_WEBHOOK_RETRY_BASE_MS=${SB_WEBHOOK_RETRY_BASE_MS:-200}
export SB_WEBHOOK_RETRY_MAX_DELAY_MS=${SB_WEBHOOK_RETRY_MAX_DELAY_MS:-1000}
export SB_WEBHOOK_GIVE_UP_SECONDS=${SB_WEBHOOK_GIVE_UP_SECONDS:-4}
export SB_WEBHOOK_DISABLE_AFTER=${SB_WEBHOOK_DISABLE_AFTER:-2}
# A hooks process that stops hands its lease over in 2 s, not 10 (test_hooks_lease.py).
export SB_JOB_LEASE_MS=${SB_JOB_LEASE_MS:-2000}
# SMS: the provider is a fake tests/integration/test_sms.py serves on this loopback port.
sms_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export SB_TWILIO_API_BASE=${SB_TWILIO_API_BASE:-http://127.0.0.1:$sms_port}
if "$repo/scripts/stack.sh" start > "$tmp/stack-start.out" 2>&1; then
    stack_started=1
    echo "== integration tests"
    # Debian's interpreter: its python3-jsonschema and python3-websockets come from deps.sh,
    # whatever other python3 is first on PATH.
    py=/usr/bin/python3
    [ -x "$py" ] || py=python3
    "$py" "$repo/tests/integration/run.py" --base "http://127.0.0.1:$port" --var "$tmp/var" \
        --repo "$repo" 2>&1 | tee "$tmp/integration.out"
    count "$tmp/integration.out" "integration tests"
else
    stack_started=1
    cat "$tmp/stack-start.out"
    echo "test.sh: the test stack did not start" >&2
    failed=$((failed + 1))
fi

# Issue 13: the cluster smoke test (three Galera nodes, two memcached, three app hosts of
# this build in network namespaces, a front); it says so and skips where namespaces are
# not allowed.
echo "== cluster smoke test"
/usr/bin/python3 "$repo/tests/cluster/smoke.py" --repo "$repo" --var "$tmp/cluster" --bin "$bin" \
    2>&1 | tee "$tmp/cluster.out"
count "$tmp/cluster.out" "cluster smoke test"

# Sanitizer reports from any process of the stack count as failures.
for f in "$tmp"/asan* "$tmp"/ubsan*; do
    [ -e "$f" ] || continue
    echo "== sanitizer report $f"
    head -n 40 "$f"
    failed=$((failed + 1))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
