"""Resilience: a killed worker, memcached down, MariaDB restarted, a SIGHUP roll, and every
supervised component killed with SIGKILL.

Every test here but test_0 (temporary files) is destructive (it stops or kills parts of
the stack), so the runner runs them last, in the order of this file; each one leaves the
stack whole again. The stack supervises each component (scripts/stack.sh `_supervise`): a test that
wants a component to stay down pauses its supervisor (SIGSTOP) and resumes it after.
"""
import concurrent.futures
import os
import signal
import subprocess
import threading
import time

import sb
from sb import check, expect_error


# -- private helpers ------------------------------------------------------------------

def _run(ctx, name):
    return os.path.join(ctx.var, "run", name)


def _alive(pid):
    """A live, non-zombie process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X", "x")


def _children(pid):
    """Pids of the live (non-zombie) children of pid."""
    out = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X", "x"):
            out.add(int(d))
    return out


def _syscall_nr(pid):
    """The system call the process is blocked in ("running" when in user space)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return f.read().split()[0]
    except (OSError, IndexError):
        return None


def _pool_log_mark(ctx):
    try:
        return os.path.getsize(os.path.join(ctx.var, "log", "pool.log"))
    except OSError:
        return 0


def _pool_log_since(ctx, mark):
    with open(os.path.join(ctx.var, "log", "pool.log"), "rb") as f:
        f.seek(mark)
        return f.read().decode("utf-8", "replace")


def _no_worker_died(ctx, mark, what):
    """No worker crashed (signal) or failed (non-zero exit) since mark."""
    dead = [line for line in _pool_log_since(ctx, mark).splitlines()
            if "killed by signal" in line or "exited with status" in line]
    check(not dead, "workers died during %s:\n%s" % (what, "\n".join(dead[:5])))


def _conf_workers(ctx):
    with open(os.path.join(ctx.var, "switchboard.conf")) as f:
        for line in f:
            line = line.split("#", 1)[0]
            if "=" in line:
                k, v = line.split("=", 1)
                if k.strip() == "workers":
                    return int(v.strip())
    raise AssertionError("no workers = in switchboard.conf")


_wait = sb.wait


def _tenant(ctx):
    s, _ = ctx.new_tenant()
    return s["token"]


def _create(ctx, token, name=None):
    r = ctx.post("/api/departments", {"name": name or "Dept " + sb.uid(),
                                      "phone_number": "+15551234567"}, token=token)
    check(r.status == 201, "create department: %r" % r)
    return r.json["department"]


def _list_names(ctx, token):
    r = ctx.get("/api/departments", token=token)
    check(r.status == 200, "list departments: %r" % r)
    return sorted(d["name"] for d in r.json["departments"])


def _envelope(r, status, code):
    expect_error(r, status, code)
    check(r.headers.get("x-request-id") == r.json["request_id"], "X-Request-Id: %r" % r.headers)


def _safe(fn):
    """Runs a request; an exception (connection reset…) becomes a result to count."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - a failed request of any kind
        return e


def _fmt(results):
    counts = {}
    for r in results:
        k = r.status if hasattr(r, "status") else type(r).__name__
        counts[k] = counts.get(k, 0) + 1
    return counts


# -- 1. a worker killed with SIGKILL --------------------------------------------------

def test_1_worker_sigkill_is_contained(ctx):
    token = _tenant(ctx)
    dept = _create(ctx, token)
    master = ctx.pidfile("pool.pid")
    n = _conf_workers(ctx)
    before = _children(master)
    check(len(before) == n, "pool has %d workers before the test, want %d" % (len(before), n))
    done = [0]
    lock = threading.Lock()
    go_kill = threading.Event()

    def worker(_):
        out = []
        for _ in range(50):
            r = _safe(lambda: ctx.get("/api/departments", token=token, timeout=30))
            out.append(r)
            with lock:
                done[0] += 1
                if done[0] >= 60:
                    go_kill.set()
        return out

    # Idle workers all sit in accept(): whatever system call they show now means idle.
    idle = {_syscall_nr(p) for p in before}
    mark = _pool_log_mark(ctx)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        futs = [ex.submit(worker, i) for i in range(8)]
        check(go_kill.wait(60), "the request stream did not start")
        # Prefer a worker that is serving a request right now.
        victim = None
        deadline = time.time() + 5
        while victim is None and time.time() < deadline and done[0] < 380:
            for p in sorted(_children(master)):
                if _syscall_nr(p) not in idle:
                    victim = p
                    break
        victim = victim or sorted(_children(master))[0]
        os.kill(victim, signal.SIGKILL)
        killed_at = done[0]
        results = [r for f in futs for r in f.result()]
    check(len(results) == 400, "results: %d" % len(results))
    check(killed_at < 400, "the worker was killed after the stream ended")
    bad = [r for r in results if not (hasattr(r, "status") and r.status == 200)]
    check(len(bad) <= 2, "%d of 400 requests failed after one worker was killed: %r"
          % (len(bad), _fmt(results)))
    for r in bad:
        check(hasattr(r, "status"), "a request failed without an HTTP answer: %r" % r)
        _envelope(r, 502, "bad_gateway")
    for r in results:
        if hasattr(r, "status") and r.status == 200:
            check([d["id"] for d in r.json["departments"]] == [dept["id"]], "wrong list: %r" % r)
    # The master replaces it within 5 s and stays the same process.
    now = _wait(lambda: (lambda c: c if len(c) == n and victim not in c else None)(
        _children(master)), 5)
    check(now, "5 s after the kill the pool has %r workers (want %d, without %d)"
          % (sorted(_children(master)), n, victim))
    check(ctx.pidfile("pool.pid") == master and _alive(master), "the pool master changed")
    check(not _alive(victim), "the killed worker is still alive")
    dead = [line for line in _pool_log_since(ctx, mark).splitlines()
            if "killed by signal" in line or "exited with status" in line]
    check(len(dead) == 1 and "worker %d killed by signal 9" % victim in dead[0],
          "pool.log should report exactly the one killed worker: %r" % dead)
    # And it serves.
    for _ in range(2 * n):
        r = ctx.get("/api/departments/" + dept["id"], token=token)
        check(r.status == 200, "after the respawn: %r" % r)


# -- 2. memcached stopped ------------------------------------------------------------

def _hold(ctx, name):
    """Pauses the component's supervisor (SIGSTOP): what the test stops stays down (the
    supervisor restarts it once resumed). Returns the supervisor's pid for _release."""
    sup = ctx.pidfile(name + "-supervisor.pid")
    check(_alive(sup), "the %s supervisor (pid %d) is not running" % (name, sup))
    os.kill(sup, signal.SIGSTOP)
    return sup


def _release(sup):
    os.kill(sup, signal.SIGCONT)


def _pid_or_none(ctx, name):
    try:
        return ctx.pidfile(name)
    except (OSError, ValueError):
        return None


def _memcached_back(ctx, old_pid):
    """Until its supervisor has restarted memcached: a new live pid and the socket."""
    sock = _run(ctx, "memcached.sock")
    ok = _wait(lambda: (lambda p: p is not None and p != old_pid and _alive(p))(
        _pid_or_none(ctx, "memcached.pid")) and os.path.exists(sock), 10, 0.1)
    check(ok, "memcached did not create its socket and pid file within 10 s")


def test_2_memcached_down_every_answer_is_right(ctx):
    token = _tenant(ctx)
    tag = sb.uid()
    a = _create(ctx, token, "a-" + tag)
    for _ in range(6):
        check(_list_names(ctx, token) == ["a-" + tag], "primed list")
    pid = ctx.pidfile("memcached.pid")
    mark = _pool_log_mark(ctx)
    cache_errors = sb.metric(sb.metrics(ctx), "switchboard_cache_errors_total")
    sup = _hold(ctx, "memcached")      # memcached stays down until the checks are done
    try:
        os.kill(pid, signal.SIGKILL)
        check(_wait(lambda: not _alive(pid), 10), "memcached did not die")
        # Reads and writes while the cache is gone: every answer right, none a 5xx.
        for _ in range(6):
            check(_list_names(ctx, token) == ["a-" + tag], "list without memcached")
        b = _create(ctx, token, "b-" + tag)
        for _ in range(6):
            check(_list_names(ctx, token) == ["a-" + tag, "b-" + tag], "create not listed")
        r = ctx.put("/api/departments/" + a["id"], {"name": "c-" + tag}, token=token)
        check(r.status == 200 and r.json["department"]["name"] == "c-" + tag, "PUT: %r" % r)
        for _ in range(6):
            check(_list_names(ctx, token) == ["b-" + tag, "c-" + tag], "rename not listed")
        r = ctx.delete("/api/departments/" + b["id"], token=token)
        check(r.status == 200, "DELETE: %r" % r)
        for _ in range(6):
            check(_list_names(ctx, token) == ["c-" + tag], "delete not listed")
        r = ctx.get("/api/departments/" + a["id"], token=token)
        check(r.status == 200 and r.json["department"]["name"] == "c-" + tag, "GET: %r" % r)
        check(ctx.get("/api/auth/profile", token=token).status == 200, "profile")
        # Health: degraded, but 200, database fine.
        h = ctx.get("/api/health")
        check(h.status == 200, "health without memcached must stay 200: %r" % h)
        check(h.json.get("success") is True and h.json.get("status") == "degraded",
              "health status: %r" % h)
        check(h.json["checks"]["memcached"]["ok"] is False, "memcached check: %r" % h)
        check(h.json["checks"]["database"]["ok"] is True, "database check: %r" % h)
        # /metrics counted the requests that found the cache down (health's at least).
        now = sb.metric(sb.metrics(ctx), "switchboard_cache_errors_total")
        check(now >= cache_errors + 1, "cache errors %r, before the outage %r"
              % (now, cache_errors))
    finally:
        _release(sup)
        _memcached_back(ctx, pid)
    # Back: health ok again within a few seconds (dead servers are retried after 1 s),
    # and the list is right and follows writes again.
    ok = _wait(lambda: ctx.get("/api/health").json.get("status") == "ok", 10, 0.25)
    check(ok, "health not ok 10 s after memcached came back: %r" % ctx.get("/api/health"))
    for _ in range(6):
        check(_list_names(ctx, token) == ["c-" + tag], "list after memcached came back")
    d = _create(ctx, token, "d-" + tag)
    for _ in range(6):
        check(_list_names(ctx, token) == ["c-" + tag, "d-" + tag], "write after the restart")
    check(ctx.delete("/api/departments/" + d["id"], token=token).status == 200, "delete d")
    for _ in range(6):
        check(_list_names(ctx, token) == ["c-" + tag], "delete after the restart")
    _no_worker_died(ctx, mark, "the memcached outage")


def test_2b_memcached_paused_during_a_write(ctx):
    """memcached stalls (SIGSTOP) while a department is written, then resumes with the old
    list still cached: the list must still show the write (no stale cache)."""
    token = _tenant(ctx)
    tag = sb.uid()
    a = _create(ctx, token, "a-" + tag)
    for _ in range(6):
        check(_list_names(ctx, token) == ["a-" + tag], "primed list")
    pid = ctx.pidfile("memcached.pid")
    os.kill(pid, signal.SIGSTOP)
    try:
        b = _create(ctx, token, "b-" + tag)
        r = ctx.put("/api/departments/" + a["id"], {"name": "c-" + tag}, token=token)
        check(r.status == 200, "PUT while memcached is paused: %r" % r)
    finally:
        os.kill(pid, signal.SIGCONT)
    time.sleep(1.5)  # past libmemcached's retry timeout: the cache is used again
    for _ in range(8):
        names = _list_names(ctx, token)
        check(names == ["b-" + tag, "c-" + tag],
              "stale list after memcached resumed: %r, want %r" % (names, ["b-" + tag, "c-" + tag]))
    check(ctx.delete("/api/departments/" + b["id"], token=token).status == 200, "delete")
    for _ in range(6):
        check(_list_names(ctx, token) == ["c-" + tag], "delete after resume")


# -- 3. MariaDB restarted ------------------------------------------------------------

def _mariadb_ping(ctx):
    user = "root" if os.geteuid() == 0 else None
    args = ["mariadb-admin", "--no-defaults", "--socket=" + _run(ctx, "mysqld.sock"),
            "--connect-timeout=2", "ping"]
    if user:
        args.insert(2, "-u" + user)
    return subprocess.call(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def _resume_mariadb(ctx, sup):
    """Resumes the paused supervisor, which starts mariadbd again with the stack's command
    line, and waits until it answers."""
    _release(sup)
    check(_wait(lambda: _mariadb_ping(ctx), 60, 0.2), "mariadbd did not answer within 60 s")


def test_3_mariadb_restart_503_then_recovery(ctx):
    token = _tenant(ctx)
    dept = _create(ctx, token)
    master = ctx.pidfile("pool.pid")
    workers_before = _children(master)
    pid = ctx.pidfile("mariadb.pid")
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0") if a]
    check(argv and "mariadbd" in os.path.basename(argv[0]) and
          any(a.startswith("--datadir=") for a in argv), "mariadbd command line: %r" % argv)
    body = {"name": "During outage " + sb.uid(), "phone_number": "+15551234567"}
    mark = _pool_log_mark(ctx)
    db_errors = sb.metric(sb.metrics(ctx), "switchboard_db_errors_total", kind="unavailable")
    sup = _hold(ctx, "mariadb")        # MariaDB stays down until the checks are done
    try:
        os.kill(pid, signal.SIGTERM)
        check(_wait(lambda: not _alive(pid), 60, 0.1), "mariadbd did not stop within 60 s")
        # Every request that needs the database: 503 service_unavailable, JSON.
        for _ in range(2 * len(workers_before)):
            _envelope(ctx.get("/api/departments/" + dept["id"], token=token),
                      503, "service_unavailable")
            _envelope(ctx.post("/api/departments", dict(body), token=token),
                      503, "service_unavailable")
            _envelope(ctx.get("/api/auth/profile", token=token), 503, "service_unavailable")
        _envelope(ctx.post("/api/auth/login", {"email": "x-%s@example.test" % sb.uid(),
                                               "password": "whatever-pw"}),
                  503, "service_unavailable")
        h = ctx.get("/api/health")
        _envelope(h, 503, "service_unavailable")
        check(h.json.get("checks", {}).get("database", {}).get("ok") is False,
              "health during the outage: %r" % h)
        r = ctx.get("/health")
        check(r.status == 200, "liveness during a database outage: %r" % r)
        # /metrics needs no database, and counted every 503 above (6 per worker, 2 more).
        now = sb.metric(sb.metrics(ctx), "switchboard_db_errors_total", kind="unavailable")
        want = db_errors + 6 * len(workers_before) + 2
        check(now >= want, "db errors (unavailable) %r, want at least %r" % (now, want))
    finally:
        _resume_mariadb(ctx, sup)
    # Within 10 s the same requests succeed, with the same pool.
    t0 = time.time()
    ok = _wait(lambda: ctx.get("/api/departments/" + dept["id"], token=token).status == 200,
               10, 0.2)
    check(ok, "GET /api/departments/:id still fails 10 s after MariaDB came back: %r"
          % ctx.get("/api/departments/" + dept["id"], token=token))
    for _ in range(2 * len(workers_before)):
        r = ctx.get("/api/departments/" + dept["id"], token=token)
        check(r.status == 200 and r.json["department"] == dept, "GET after restart: %r" % r)
        r = ctx.get("/api/auth/profile", token=token)
        check(r.status == 200, "profile after restart: %r" % r)
    r = ctx.post("/api/departments", body, token=token)
    check(r.status == 201, "POST after restart: %r" % r)
    check(r.json["department"]["name"] == body["name"], "POST after restart: %r" % r)
    h = ctx.get("/api/health")
    check(h.status == 200 and h.json["checks"]["database"]["ok"] is True, "health: %r" % h)
    check(time.time() - t0 < 15, "recovery took %.1f s" % (time.time() - t0))
    check(ctx.pidfile("pool.pid") == master and _alive(master), "the pool was restarted")
    check(_alive(ctx.pidfile("mariadb.pid")), "mariadb.pid does not name the new mariadbd")
    _no_worker_died(ctx, mark, "the MariaDB restart")


def _mixed_stream(ctx, token, dept_id, i, stop, started):
    """Reads, creates and updates until stop; returns every answer (or exception)."""
    out = []
    while not stop.is_set():
        if i % 3 == 0:
            fn = lambda: ctx.post("/api/departments", {"name": "Load " + sb.uid(),  # noqa: E731
                                                       "phone_number": "+15551234567"},
                                  token=token)
        elif i % 3 == 1:
            fn = lambda: ctx.get("/api/departments/" + dept_id, token=token)  # noqa: E731
        else:
            fn = lambda: ctx.put("/api/departments/" + dept_id,  # noqa: E731
                                 {"description": sb.uid()}, token=token)
        out.append(_safe(fn))
        started.set()
    return out


def test_3b_mariadb_restart_under_load(ctx):
    """Requests running while MariaDB stops and starts: each answer is a success or a JSON
    503 — never a 500, a 502 or a dropped connection — and no worker dies."""
    token = _tenant(ctx)
    dept = _create(ctx, token)
    master = ctx.pidfile("pool.pid")
    pid = ctx.pidfile("mariadb.pid")
    mark = _pool_log_mark(ctx)
    stop, started = threading.Event(), threading.Event()
    sup = _hold(ctx, "mariadb")        # MariaDB starts again when the test says so
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as ex:
            futs = [ex.submit(_mixed_stream, ctx, token, dept["id"], i, stop, started)
                    for i in range(6)]
            check(started.wait(30), "the request stream did not start")
            time.sleep(0.5)
            os.kill(pid, signal.SIGTERM)
            check(_wait(lambda: not _alive(pid), 60, 0.05), "mariadbd did not stop")
            time.sleep(1)
            _resume_mariadb(ctx, sup)
            time.sleep(3)
            stop.set()
            results = [r for f in futs for r in f.result()]
    finally:
        stop.set()
        _resume_mariadb(ctx, sup)
    counts = _fmt(results)
    check(counts.get(503, 0) > 0, "no request met the outage: %r" % counts)
    for r in results:
        check(hasattr(r, "status"), "a request got no HTTP answer: %r (%r)" % (r, counts))
        if r.status == 503:
            _envelope(r, 503, "service_unavailable")
        else:
            check(r.status in (200, 201), "unexpected answer during the restart: %r (%r)"
                  % (r, counts))
    # The last answers of every stream are successes again.
    r = ctx.get("/api/departments/" + dept["id"], token=token)
    check(r.status == 200, "after the restart: %r" % r)
    check(ctx.pidfile("pool.pid") == master and _alive(master), "the pool was restarted")
    _no_worker_died(ctx, mark, "the MariaDB restart under load")


# -- 4. graceful SIGHUP roll ---------------------------------------------------------

def test_4_sighup_rolls_workers_without_failures(ctx):
    token = _tenant(ctx)
    dept = _create(ctx, token)
    master = ctx.pidfile("pool.pid")
    n = _conf_workers(ctx)
    old = _children(master)
    check(len(old) == n, "workers before the roll: %r, want %d" % (sorted(old), n))
    stop = threading.Event()
    started = threading.Event()

    def stream(i):
        # Half the threads create users: argon2 keeps a worker busy for tens of ms, so
        # requests are in flight when the old workers are told to go.
        out = []
        while not stop.is_set():
            if i % 2:
                out.append(_safe(lambda: ctx.get("/api/departments/" + dept["id"], token=token)))
            else:
                out.append(_safe(lambda: ctx.post("/api/users", {
                    "email": "roll-%s@example.test" % sb.uid(), "password": "a-good-password"},
                    token=token)))
            started.set()
        return out

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        futs = [ex.submit(stream, i) for i in range(8)]
        check(started.wait(30), "the request stream did not start")
        time.sleep(1)
        mark = _pool_log_mark(ctx)
        os.kill(master, signal.SIGHUP)
        time.sleep(3)
        stop.set()
        results = [r for f in futs for r in f.result()]
    check(len(results) > 50, "too few requests to mean anything: %d" % len(results))
    bad = [r for r in results if not (hasattr(r, "status") and r.status in (200, 201))]
    check(not bad, "%d of %d requests failed during the SIGHUP roll: %r, first %r"
          % (len(bad), len(results), _fmt(results), bad[:3]))
    check(ctx.pidfile("pool.pid") == master and _alive(master), "the pool master changed")
    new = _wait(lambda: (lambda c: c if len(c) == n and not (c & old) else None)(
        _children(master)), 5)
    check(new, "5 s after SIGHUP: workers %r (old %r), want %d new ones"
          % (sorted(_children(master)), sorted(old), n))
    for _ in range(2 * n):
        check(ctx.get("/api/departments/" + dept["id"], token=token).status == 200, "after")
    _no_worker_died(ctx, mark, "the SIGHUP roll")


def test_4b_repeated_sighup(ctx):
    """Three SIGHUPs in quick succession (a roll during a roll) under load: no request
    fails and the pool settles at exactly N fresh workers."""
    token = _tenant(ctx)
    dept = _create(ctx, token)
    master = ctx.pidfile("pool.pid")
    n = _conf_workers(ctx)
    old = _children(master)
    mark = _pool_log_mark(ctx)
    stop, started = threading.Event(), threading.Event()
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as ex:
        futs = [ex.submit(_mixed_stream, ctx, token, dept["id"], i, stop, started)
                for i in range(6)]
        check(started.wait(30), "the request stream did not start")
        time.sleep(0.5)
        for _ in range(3):
            os.kill(master, signal.SIGHUP)
            time.sleep(0.05)
        time.sleep(3)
        stop.set()
        results = [r for f in futs for r in f.result()]
    bad = [r for r in results if not (hasattr(r, "status") and r.status in (200, 201))]
    check(not bad, "%d of %d requests failed during repeated SIGHUPs: %r, first %r"
          % (len(bad), len(results), _fmt(results), bad[:3]))
    check(ctx.pidfile("pool.pid") == master and _alive(master), "the pool master changed")
    new = _wait(lambda: (lambda c: c if len(c) == n and not (c & old) else None)(
        _children(master)), 5)
    check(new, "5 s after the SIGHUPs: workers %r (old %r), want %d new ones"
          % (sorted(_children(master)), sorted(old), n))
    _no_worker_died(ctx, mark, "repeated SIGHUPs")


# -- 0. temporary files stay under var/ ----------------------------------------------

_LOGS = {"mariadb": "mariadb.log", "memcached": "memcached.log", "pool": "pool.log",
         "events": "events.log", "nginx": "nginx-error.log", "clock": "clock.log"}


def _environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        return dict(e.split(b"=", 1) for e in f.read().split(b"\0") if b"=" in e)


def test_0_temporary_files_under_var(ctx):
    """MariaDB's tmpdir (its temporary tables) and every component's TMPDIR are under
    var/, never the shared /tmp."""
    tmp = os.path.join(ctx.var, "tmp")
    got = sb.sql(ctx, "SELECT @@tmpdir").strip().rstrip("/")
    check(got == os.path.join(tmp, "mariadb"), "MariaDB tmpdir %r, want %s/mariadb" % (got, tmp))
    check(os.stat(got).st_mode & 0o777 == 0o700, "%s is not mode 700" % got)
    for name in ("mariadb", "memcached", "pool", "events"):  # (nginx: own temp paths in var/)
        env = _environ(ctx.pidfile(name + ".pid"))
        check(env.get(b"TMPDIR") == tmp.encode(), "%s: TMPDIR=%r, want %s"
              % (name, env.get(b"TMPDIR"), tmp))


# -- 5. any component killed with SIGKILL comes back ----------------------------------

def _restarts(ctx, name):
    with open(_run(ctx, name + ".restarts")) as f:
        return int(f.read().strip())


def _log_size(ctx, name):
    return os.path.getsize(os.path.join(ctx.var, "log", _LOGS[name]))


def _log_since(ctx, name, mark):
    with open(os.path.join(ctx.var, "log", _LOGS[name]), "rb") as f:
        f.seek(mark)
        return f.read().decode("utf-8", "replace")


def _group(pgid):
    """Pids of the live (non-zombie) processes in process group pgid."""
    out = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X", "x"):
            out.add(int(d))
    return out


def _status(ctx):
    """`scripts/stack.sh status` for this stack: (exit status, {component: line})."""
    env = dict(os.environ, SB_VAR=ctx.var)
    p = subprocess.run([os.path.join(ctx.repo, "scripts", "stack.sh"), "status"], env=env,
                       capture_output=True, text=True, timeout=60)
    lines = {}
    for line in p.stdout.splitlines():
        if line.split():
            lines[line.split()[0]] = line
    return p.returncode, lines


def _answers_normally(ctx, token, dept_id):
    """/api/health is ok (database, memcached and event worker), and a read and a write
    through the pool succeed."""
    try:
        h = ctx.get("/api/health", timeout=5)
        if h.status != 200 or (h.json or {}).get("status") != "ok":
            return False
        if ctx.get("/api/departments/" + dept_id, token=token, timeout=5).status != 200:
            return False
        r = ctx.post("/api/departments", {"name": "Back " + sb.uid(),
                                          "phone_number": "+15551234567"}, token=token, timeout=5)
        return r.status == 201
    except OSError:
        return False


def _read_write_stream(ctx, token, i, stop, started):
    """Lists and creates departments until stop; every answer (or exception)."""
    out = []
    while not stop.is_set():
        if i % 2:
            r = _safe(lambda: ctx.get("/api/departments", token=token, timeout=10))
        else:
            r = _safe(lambda: ctx.post("/api/departments", {
                "name": "Kill " + sb.uid(), "phone_number": "+15551234567"},
                token=token, timeout=10))
        out.append(r)
        started.set()
        if not (hasattr(r, "status") and r.status in (200, 201)):
            time.sleep(0.05)  # the stack is not answering yet: do not spin
    return out


def _kill_9(ctx, name):
    """kill -9 of the component while requests run. Within 30 s its supervisor has started
    a new one (restart counted, logged and shown by `stack.sh status`) and the stack
    answers normally again. Returns (old pid, new pid)."""
    token = _tenant(ctx)
    dept = _create(ctx, token)
    pid = ctx.pidfile(name + ".pid")
    sup = ctx.pidfile(name + "-supervisor.pid")
    check(_alive(pid) and _alive(sup), "%s (pid %d) or its supervisor (pid %d) is not running"
          % (name, pid, sup))
    before = _restarts(ctx, name)
    mark = _log_size(ctx, name)
    stop, started = threading.Event(), threading.Event()
    new = None
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        futs = [ex.submit(_read_write_stream, ctx, token, i, stop, started) for i in range(4)]
        try:
            check(started.wait(30), "the request stream did not start")
            time.sleep(0.5)
            os.kill(pid, signal.SIGKILL)
            deadline = time.time() + 30
            check(_wait(lambda: not _alive(pid), 10), "%s (pid %d) did not die" % (name, pid))
            new = _wait(lambda: (lambda p: p if p is not None and p != pid and _alive(p) else None)(
                _pid_or_none(ctx, name + ".pid")), deadline - time.time(), 0.1)
            check(new, "no new %s within 30 s of kill -9; its log:\n%s"
                  % (name, _log_since(ctx, name, mark)[-2000:]))
            ok = _wait(lambda: _answers_normally(ctx, token, dept["id"]),
                       max(deadline - time.time(), 1), 0.2)
            check(ok, "the stack does not answer normally 30 s after kill -9 of %s: %r"
                  % (name, ctx.get("/api/health")))
            time.sleep(1)  # the streams go on against the recovered stack
        finally:
            stop.set()
        streams = [f.result() for f in futs]
    for out in streams:
        check(out, "a stream sent nothing")
        check(hasattr(out[-1], "status") and out[-1].status in (200, 201),
              "a stream's last answer, after the recovery: %r (all: %r)" % (out[-1], _fmt(out)))
    check(ctx.pidfile(name + "-supervisor.pid") == sup and _alive(sup),
          "the %s supervisor changed" % name)
    check(_restarts(ctx, name) == before + 1, "%s.restarts: %d, want %d"
          % (name, _restarts(ctx, name), before + 1))
    log = _log_since(ctx, name, mark)
    for want in ("(pid %d) was killed by signal 9" % pid,
                 "restart %d: started" % (before + 1), "(pid %d)" % new):
        check(want in log, "%s's log does not say %r:\n%s" % (name, want, log[-2000:]))
    rc, lines = _status(ctx)
    check(rc == 0, "stack.sh status exits %d: %r" % (rc, lines))
    want = "running (pid %d, supervisor pid %d, restarts %d, last " % (new, sup, before + 1)
    check(want in lines.get(name, ""), "status line %r, want %r" % (lines.get(name), want))
    return pid, new


def test_5_mariadb_sigkill_restarted(ctx):
    token = _tenant(ctx)
    kept = _create(ctx, token)
    master = ctx.pidfile("pool.pid")
    mark = _pool_log_mark(ctx)
    _kill_9(ctx, "mariadb")
    # InnoDB recovered what was committed; the same pool reconnected.
    r = ctx.get("/api/departments/" + kept["id"], token=token)
    check(r.status == 200 and r.json["department"] == kept, "after recovery: %r" % r)
    check(ctx.pidfile("pool.pid") == master and _alive(master), "the pool was restarted")
    _no_worker_died(ctx, mark, "the MariaDB restart")


def test_5b_memcached_sigkill_restarted(ctx):
    _kill_9(ctx, "memcached")
    check(os.path.exists(_run(ctx, "memcached.sock")), "no memcached socket")


def test_5c_event_worker_sigkill_restarted(ctx):
    _kill_9(ctx, "events")
    r = ctx.get("/api/events/health")
    check(r.status == 200, "event worker health: %r" % r)


def test_5d_pool_master_sigkill_restarted(ctx):
    """The killed master's workers go too (SIGTERM from the kernel, then the supervisor):
    none is left holding the old socket, and the new master has its full pool."""
    n = _conf_workers(ctx)
    old_workers = _children(ctx.pidfile("pool.pid"))
    check(len(old_workers) == n, "workers before: %r, want %d" % (sorted(old_workers), n))
    old, new = _kill_9(ctx, "pool")
    check(not _group(old), "processes of the killed master's group still run: %r" % _group(old))
    check(not any(_alive(p) for p in old_workers), "old workers still run: %r"
          % [p for p in old_workers if _alive(p)])
    got = _wait(lambda: (lambda c: c if len(c) == n else None)(_children(new)), 5)
    check(got, "the new master has workers %r, want %d" % (sorted(_children(new)), n))


def test_5e_nginx_sigkill_restarted(ctx):
    old, _ = _kill_9(ctx, "nginx")
    check(not _group(old), "the killed nginx master's workers still run: %r" % _group(old))


def test_5f_clock_sigkill_restarted_and_moves_on(ctx):
    """The clock keeps nothing in memory: killed with an offer pending, its successor still
    expires that offer and offers the call to the next agent."""
    import test_distribution as td
    admin, _ = sb.tenant(ctx)
    q = td._queue(ctx, admin, timeout=3, retry=0)
    a = td._agent(ctx, admin, [q["id"]])
    b = td._agent(ctx, admin, [q["id"]])
    td._enter(ctx, admin, q["id"])
    check(td._offers(ctx, a), "offered to the first member")
    _kill_9(ctx, "clock")
    check(sb.wait(lambda: td._offers(ctx, b), 10),
          "the restarted clock expired the offer and moved on")


for _fn in (test_1_worker_sigkill_is_contained, test_2_memcached_down_every_answer_is_right,
            test_2b_memcached_paused_during_a_write, test_3_mariadb_restart_503_then_recovery,
            test_3b_mariadb_restart_under_load, test_4_sighup_rolls_workers_without_failures,
            test_4b_repeated_sighup, test_5_mariadb_sigkill_restarted,
            test_5b_memcached_sigkill_restarted, test_5c_event_worker_sigkill_restarted,
            test_5d_pool_master_sigkill_restarted, test_5e_nginx_sigkill_restarted,
            test_5f_clock_sigkill_restarted_and_moves_on):
    _fn.destructive = True
del _fn
