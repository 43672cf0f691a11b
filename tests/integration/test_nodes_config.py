"""Several memcached servers and several database nodes (issue 13). `memcached_servers`
(src/core/cache.c): the pool, restarted with the stack's memcached and a second one, spreads
cached keys over both by consistent hashing; the second killed, every answer stays right and
its keys are cached on the first; started again, it takes keys back. `db_nodes`
(src/core/nodes.c): a pool whose first node does not answer uses the next. Destructive:
each restarts the pool with a changed configuration and puts it back."""
import os
import signal
import socket
import subprocess
import time

import sb
from sb import check


def _stats(path):
    """memcached's `stats` over its unix socket: {name: int}; None when it does not answer."""
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(path)
        s.sendall(b"stats\r\n")
        data = b""
        while not data.endswith(b"END\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
    except OSError:
        return None
    out = {}
    for line in data.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "STAT" and parts[2].isdigit():
            out[parts[1]] = int(parts[2])
    return out


def _start_memcached(path):
    if os.path.exists(path):
        os.unlink(path)
    args = ["memcached", "-s", path, "-a", "0600", "-m", "16"]
    if os.geteuid() == 0:
        args += ["-u", "root"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    check(sb.wait(lambda: _stats(path) is not None, 10), "the second memcached did not start")
    return p


def _pool_pid(ctx):
    try:
        return ctx.pidfile("pool.pid")
    except (OSError, ValueError):
        return None  # between two masters


def _restart_pool(ctx):
    old = sb.wait(lambda: _pool_pid(ctx), 30, 0.1)
    check(old, "no pool master")
    os.kill(old, signal.SIGKILL)
    new = sb.wait(lambda: (lambda p: p if p and p != old else None)(_pool_pid(ctx)), 30, 0.1)
    check(new, "the pool was not restarted")
    check(sb.wait(lambda: ctx.get("/health").status == 200, 30, 0.1), "the pool does not answer")


class _PoolConfig:
    """The pool restarted with extra configuration lines; put back (and restarted) after."""

    def __init__(self, ctx, lines):
        self.ctx, self.lines = ctx, lines
        self.path = os.path.join(ctx.var, "switchboard.conf")

    def __enter__(self):
        with open(self.path) as f:
            self.original = f.read()
        with open(self.path, "a") as f:
            f.write("".join(line + "\n" for line in self.lines))
        _restart_pool(self.ctx)
        return self

    def __exit__(self, *exc):
        with open(self.path, "w") as f:
            f.write(self.original)
        _restart_pool(self.ctx)
        return False


def _read_all(ctx, tenants):
    """Each tenant's departments, twice (the second read is the cached one): all right."""
    for token, names in tenants:
        for _ in range(2):
            r = ctx.get("/api/departments", token=token)
            got = sorted(d["name"] for d in (r.json or {}).get("departments", []))
            check(r.status == 200 and got == names, "departments %r, want %r: %r" % (got, names, r))


def test_memcached_pool_spreads_and_survives_a_server(ctx):
    first = os.path.join(ctx.var, "run", "memcached.sock")
    second = os.path.join(ctx.var, "run", "memcached-2.sock")
    mc2 = _start_memcached(second)
    try:
        with _PoolConfig(ctx, ["memcached_servers = %s,%s" % (first, second)]):
            tenants = []
            for _ in range(12):
                token, _ = sb.tenant(ctx)
                name = "Pool " + sb.uid()
                sb.dept(ctx, token, name)
                tenants.append((token, [name]))
            _read_all(ctx, tenants)
            s1, s2 = _stats(first), _stats(second)
            check(s1["curr_items"] > 0 and s2["curr_items"] > 0,
                  "keys on both servers: %d and %d" % (s1["curr_items"], s2["curr_items"]))

            # the second one dies: answers stay right, its keys are cached on the first
            mc2.kill()
            mc2.wait()
            hits = _stats(first)["get_hits"]
            for _ in range(3):
                _read_all(ctx, tenants)
            check(_stats(first)["get_hits"] - hits >= len(tenants),
                  "the first server did not serve the second one's keys: %d hits"
                  % (_stats(first)["get_hits"] - hits))
            # a write is seen at once whatever server holds the list
            token, names = tenants[0]
            extra = "Pool " + sb.uid()
            sb.dept(ctx, token, extra)
            tenants[0] = (token, sorted(names + [extra]))
            _read_all(ctx, tenants[:1])

            # back again: after its retry delay it takes keys again
            mc2 = _start_memcached(second)

            def back():
                _read_all(ctx, tenants)
                return _stats(second)["curr_items"] > 0
            check(sb.wait(back, 15, 0.5), "the second server took no keys back")
    finally:
        mc2.kill()
        mc2.wait()
        if os.path.exists(second):
            os.unlink(second)


test_memcached_pool_spreads_and_survives_a_server.destructive = True


def test_db_nodes_first_does_not_answer(ctx):
    real = os.path.join(ctx.var, "run", "mysqld.sock")
    gone = os.path.join(ctx.var, "run", "no-such-node.sock")
    with _PoolConfig(ctx, ["db_nodes = %s, %s" % (gone, real)]):
        token, _ = sb.tenant(ctx)
        name = "Node " + sb.uid()
        sb.dept(ctx, token, name)
        _read_all(ctx, [(token, [name])])
        check(ctx.get("/api/health").json["database"]["status"] == "ok", "the health check's database")


test_db_nodes_first_does_not_answer.destructive = True
