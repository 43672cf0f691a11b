#!/usr/bin/env bash
# Checks the Debian packages Switchboard needs to build, run and test; installs the
# missing ones when run as root, otherwise prints the apt-get command and exits 1.
# Silent (exit 0) when everything is installed.
#
# Installing mariadb-server, nginx or memcached normally starts their system-wide
# services. The stack runs private instances instead, so services are kept from
# starting during the install (a temporary /usr/sbin/policy-rc.d that denies them, when
# none exists) and any daemon that still appears is stopped again.
set -Eeuo pipefail

SCRIPT_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
sb_prog=deps.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"
on_err() {
    [ "$BASH_SUBSHELL" -gt 0 ] || sb_info "error: failed at line $2 (exit status $1)"
    exit "$1"
}
trap 'on_err $? $LINENO' ERR

PACKAGES=(
    build-essential pkg-config
    libfcgi-dev libjson-c-dev libmariadb-dev libjwt-dev libmemcached-dev libargon2-dev libssl-dev
    libcurl4-openssl-dev libwslay-dev libsndfile1-dev libre-dev
    sip-tester
    nginx-light spawn-fcgi mariadb-server memcached
    galera-4 rsync iproute2
    curl wrk python3 python3-jsonschema python3-websockets
    libjs-chart.js
)
# More for one target only (make fuzz: clang libclang-rt-14-dev).
PACKAGES+=("$@")
# Daemons whose system-wide instances must not be left running by an install:
# "process name:service name".
DAEMONS=(mariadbd:mariadb nginx:nginx memcached:memcached)

command -v dpkg-query >/dev/null 2>&1 || sb_die "dpkg-query not found: this script supports Debian/Ubuntu only"

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for p in "${PACKAGES[@]}"; do
    if installed "$p"; then continue; fi
    # Any other nginx flavour has the modules the stack needs (fastcgi, proxy, limit_req).
    if [ "$p" = nginx-light ]; then
        for alt in nginx nginx-core nginx-full nginx-extras; do
            if installed "$alt"; then continue 2; fi
        done
    fi
    missing+=("$p")
done

[ "${#missing[@]}" -gt 0 ] || exit 0

install_cmd="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    sb_info "missing Debian packages: ${missing[*]}"
    sb_info "install them as root with:"
    printf '    apt-get update && %s\n' "$install_cmd" >&2
    exit 1
fi

# system_daemon_pids NAME: pids of NAME that look like a system-wide instance, not a
# private one started by scripts/stack.sh (those run with --no-defaults, -p, or -s).
system_daemon_pids() {
    local pid cmd
    for pid in $(pgrep -x "$1" || true); do
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
        case $cmd in *--no-defaults*|*" -p "*|*" -s "*|*"worker process"*) continue ;; esac
        printf '%s\n' "$pid"
    done | sort -n
}

sb_info "installing: ${missing[*]}"
declare -A before=()
for d in "${DAEMONS[@]}"; do before[$d]=$(system_daemon_pids "${d%%:*}"); done

made_policy=0
cleanup() {
    if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, written by switchboard scripts/deps.sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
fi

apt-get update || sb_die "apt-get update failed"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
    sb_die "apt-get install failed: ${missing[*]}"

# Stop whatever system-wide daemon the install managed to start anyway.
for d in "${DAEMONS[@]}"; do
    name=${d%%:*} service=${d#*:}
    new=$(comm -13 <(printf '%s\n' "${before[$d]}") <(system_daemon_pids "$name") | sed '/^$/d')
    [ -n "$new" ] || continue
    sb_warn "the install started the system-wide $service service; stopping it (the stack runs its own $name)"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl stop "$service" >/dev/null 2>&1 || true
    elif command -v service >/dev/null 2>&1; then
        service "$service" stop >/dev/null 2>&1 || true
    fi
    for pid in $new; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        if kill -0 "$pid" 2>/dev/null; then
            sb_warn "stopping leftover $name (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
done

still=()
for p in "${missing[@]}"; do installed "$p" || still+=("$p"); done
[ "${#still[@]}" -eq 0 ] || sb_die "still missing after the install: ${still[*]}"
sb_info "all packages installed"
