# shellcheck shell=bash
# Shared helpers for scripts/deps.sh and scripts/stack.sh. Source it; it defines
# functions only and does not change shell options.

# Messages go to stderr so that the scripts' stdout stays clean (URLs, status lines).
sb_prog=${sb_prog:-$(basename "$0")}

sb_say()  { printf '%s\n' "$*"; }
sb_info() { printf '%s: %s\n' "$sb_prog" "$*" >&2; }
sb_warn() { printf '%s: warning: %s\n' "$sb_prog" "$*" >&2; }
sb_die()  { printf '%s: error: %s\n' "$sb_prog" "$*" >&2; exit 1; }

# sb_tail FILE [LINES]: show the end of a log file, indented, on stderr.
sb_tail() {
    local f=$1 n=${2:-20}
    if [ -s "$f" ]; then
        printf -- '--- last %s lines of %s ---\n' "$n" "$f" >&2
        tail -n "$n" "$f" | sed 's/^/    /' >&2 || true
    else
        printf -- '--- %s: empty or missing ---\n' "$f" >&2
    fi
}

# sb_rand_alnum N: N random characters from [A-Za-z0-9] with at least one upper-case
# letter, one lower-case letter and one digit. Reads /dev/urandom through od (no early
# pipe close, so it is safe under `set -o pipefail`).
sb_rand_alnum() {
    local n=$1 alphabet=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789
    local out b
    while :; do
        out=
        while [ "${#out}" -lt "$n" ]; do
            for b in $(od -An -N64 -tu1 /dev/urandom); do
                [ "$b" -ge 248 ] && continue          # 248 = 4 * 62: keep it unbiased
                out+=${alphabet:$((b % 62)):1}
                [ "${#out}" -ge "$n" ] && break
            done
        done
        case $out in *[A-Z]*) ;; *) continue ;; esac
        case $out in *[a-z]*) ;; *) continue ;; esac
        case $out in *[0-9]*) ;; *) continue ;; esac
        printf '%s' "$out"
        return 0
    done
}

# sb_rand_hex NBYTES: 2*NBYTES lower-case hex characters (openssl when present, else od).
sb_rand_hex() {
    local nbytes=$1 hex
    if command -v openssl >/dev/null 2>&1; then
        hex=$(openssl rand -hex "$nbytes")
    else
        hex=$(od -An -v -tx1 -N"$nbytes" /dev/urandom | tr -d ' \n')
    fi
    [ "${#hex}" -eq $((nbytes * 2)) ] || return 1
    printf '%s' "$hex"
}

# sb_conf_get FILE KEY: value of `key = value` in a config file (last one wins).
sb_conf_get() {
    [ -r "$1" ] || return 0
    sed -n -e 's/[[:space:]]*#.*$//' \
        -e "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | sed 's/[[:space:]]*$//' | tail -n 1
}

# sb_read_pid FILE: the pid stored in FILE, or nothing.
sb_read_pid() {
    local pid=
    if [ -r "$1" ]; then read -r pid <"$1" 2>/dev/null || true; fi
    case $pid in ''|*[!0-9]*) return 0 ;; esac
    printf '%s' "$pid"
}

# sb_pid_alive PID [WORD...]: true when PID is a live (non-zombie) process whose command
# line contains every WORD (guards against a recycled pid).
sb_pid_alive() {
    local pid=$1 state cmd w
    shift
    case $pid in ''|*[!0-9]*) return 1 ;; esac
    [ -r "/proc/$pid/stat" ] || return 1
    state=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    case $state in Z|X|x|'') return 1 ;; esac
    [ $# -eq 0 ] && return 0
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    for w in "$@"; do
        case $cmd in *"$w"*) ;; *) return 1 ;; esac
    done
    return 0
}

# sb_app_alive PID NAME: like sb_pid_alive PID NAME, but also accepts a process whose
# executable is named NAME* (a program may rewrite its command line, e.g. a title).
sb_app_alive() {
    local exe
    sb_pid_alive "$1" || return 1
    sb_pid_alive "$1" "$2" && return 0
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    case ${exe##*/} in "$2"*) return 0 ;; esac
    return 1
}

# sb_pgrp_alive PGID: true while some non-zombie process is in process group PGID.
sb_pgrp_alive() {
    local live
    live=$(ps -e -o pgid=,pid=,stat= | awk -v g="$1" '$1 == g && $3 !~ /^Z/ { print $2 }')
    [ -n "$live" ]
}

# sb_wait_gone SECONDS PID [WORD...]: wait until the process is gone; false on timeout.
sb_wait_gone() {
    local secs=$1 pid=$2 i
    shift 2
    for ((i = 0; i < secs * 10; i++)); do
        sb_pid_alive "$pid" "$@" || return 0
        sleep 0.1
    done
    ! sb_pid_alive "$pid" "$@"
}

# sb_wait_pgrp_gone SECONDS PGID: wait until the process group is empty.
sb_wait_pgrp_gone() {
    local secs=$1 pgid=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        sb_pgrp_alive "$pgid" || return 0
        sleep 0.1
    done
    ! sb_pgrp_alive "$pgid"
}
