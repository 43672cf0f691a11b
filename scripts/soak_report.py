"""make soak's view of the stack (scripts/soak.py): its processes' RSS and open fds, the pool
workers' recycles in the pool's log, and the tables and TSV files of the report."""
import os
import re


# -- the stack's processes ----------------------------------------------------------------

def read_pid(var, name):
    try:
        with open(os.path.join(var, "run", name + ".pid")) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def processes(var):
    """[(role, pid)] of the stack now."""
    out = []
    for name, role in (("nginx", "nginx master"), ("pool", "pool master"),
                       ("events", "events"), ("clock", "clock"), ("hooks", "hooks"),
                       ("mariadb", "mariadbd"), ("memcached", "memcached")):
        pid = read_pid(var, name)
        if pid is None or not os.path.exists("/proc/%d" % pid):
            continue
        out.append((role, pid))
        if name in ("nginx", "pool"):
            worker_role = "nginx worker" if name == "nginx" else "pool worker"
            out.extend((worker_role, c) for c in children(pid))
    return out


def measure(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1))
        return rss, len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, AttributeError):
        return None


def pool_log_size(var):
    try:
        return os.path.getsize(os.path.join(var, "log", "pool.log"))
    except OSError:
        return 0


def recycles(var, since):
    """Lines of the pool's log since offset since: recycled by memory, died, respawned."""
    try:
        with open(os.path.join(var, "log", "pool.log"), "rb") as f:
            f.seek(since)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return 0, 0
    return (len(re.findall(r"worker: recycled after", text)),
            len(re.findall(r"master: worker \d+ (killed|exited)", text)))


# -- reports ----------------------------------------------------------------------------------

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def write_routes(path, cells):
    with open(path, "w") as f:
        f.write("minute\troute\trequests\terrors\tnot_json\tp50_ms\tp99_ms\tmax_ms\n")
        for (minute, route), (n, err, nj, lat) in sorted(cells.items()):
            f.write("%d\t%s\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\n" % (
                minute, route, n, err, nj, pct(lat, 50), pct(lat, 99), max(lat or [0])))


def route_table(cells):
    routes = sorted({r for _, r in cells})
    print("%-40s %9s %6s %8s %8s %8s %9s %9s %9s" % (
        "route", "requests", "errors", "not json", "p50 ms", "p99 ms", "p99 1st", "p99 last",
        "p99 max"))
    for route in routes:
        mins = sorted(m for m, r in cells if r == route)
        lat = [x for m in mins for x in cells[(m, route)][3]]
        p99s = [pct(cells[(m, route)][3], 99) for m in mins]
        print("%-40s %9d %6d %8d %8.2f %8.2f %9.2f %9.2f %9.2f" % (
            route, sum(cells[(m, route)][0] for m in mins),
            sum(cells[(m, route)][1] for m in mins), sum(cells[(m, route)][2] for m in mins),
            pct(lat, 50), pct(lat, 99), p99s[0], p99s[-1], max(p99s)))


def process_table(samples):
    """samples: [(minute, role, pid, rss_kb, fds)]: per role, first and last sample and max."""
    print("%-14s %5s %13s %13s %13s %8s %8s %8s" % (
        "process", "pids", "RSS first MB", "RSS last MB", "RSS max MB", "fds 1st", "fds last",
        "fds max"))
    roles = sorted({s[1] for s in samples}, key=lambda r: [x[1] for x in samples].index(r))
    last_minute = max(s[0] for s in samples)
    for role in roles:
        rows = [s for s in samples if s[1] == role]

        def total(minute, i):
            return sum(s[i] for s in rows if s[0] == minute)
        per_minute = sorted({s[0] for s in rows})
        print("%-14s %5d %13.1f %13.1f %13.1f %8d %8d %8d" % (
            role, len({s[2] for s in rows}), total(per_minute[0], 3) / 1024,
            total(last_minute, 3) / 1024, max(total(m, 3) for m in per_minute) / 1024,
            total(per_minute[0], 4), total(last_minute, 4), max(total(m, 4) for m in per_minute)))
