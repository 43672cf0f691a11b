#!/usr/bin/env bash
# make fuzz: each target named for FUZZ_SECONDS (default 60) under libFuzzer, starting from
# its committed corpus (tests/fuzz/corpus/<target>) and regressions; new inputs go to
# var/fuzz/<target>/corpus, findings to var/fuzz/<target>/ (crash-…, leak-…, timeout-…).
# A finding, once understood and fixed, is copied to tests/fuzz/regressions/<target>/ so
# that make test replays it. Prints one line per target: executions, exec/s, coverage,
# findings.
set -u -o pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${SB_FUZZ_BIN:-$repo/build-fuzz/bin}
secs=${FUZZ_SECONDS:-60}
out=${SB_VAR:-$repo/var}/fuzz
status=0
printf '%-10s %12s %9s %8s %8s %s\n' target execs "exec/s" cov ft findings
for t in "$@"; do
    dir=$out/$t
    mkdir -p "$dir/corpus"
    regressions=$repo/tests/fuzz/regressions/$t
    [ -d "$regressions" ] || regressions=
    before=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$bin/fuzz-$t" -max_total_time="$secs" -print_final_stats=1 -max_len=65536 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$dir/" -fork=0 \
        "$dir/corpus" "$repo/tests/fuzz/corpus/$t" $regressions > "$dir/log" 2>&1
    after=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    execs=$(grep -m1 '^stat::number_of_executed_units' "$dir/log" | awk '{print $2}')
    rate=$(grep -m1 '^stat::average_exec_per_sec' "$dir/log" | awk '{print $2}')
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$dir/log" | tail -n1)
    findings=$((after - before))
    [ "$findings" -eq 0 ] || status=1
    printf '%-10s %12s %9s %8s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" \
        "$(echo "$cov" | awk '{print $2}')" "$(echo "$cov" | awk '{print $4}')" \
        "$findings$([ "$findings" -eq 0 ] || echo " (see $dir)")"
done
exit $status
