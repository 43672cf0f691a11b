"""The transaction helper (txn.h) retries a write that MariaDB chose as a deadlock victim:
a real deadlock between a route's transaction and one held open by the test."""
import os
import subprocess
import threading
import time
import uuid

import sb
from sb import check


class _Session:
    """An interactive mariadb client: statements go in one by one on stdin, and
    `mark()` waits until everything sent before it has run."""

    def __init__(self, ctx):
        self.p = subprocess.Popen(
            ["mariadb", "--no-defaults", "-uroot", "--unbuffered", "-N", "-B",
             "--socket=" + os.path.join(ctx.var, "run", "mysqld.sock"), "switchboard"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def run(self, statement):
        self.p.stdin.write(statement + ";\n")
        self.p.stdin.flush()

    def mark(self, timeout=20):
        """Runs a marker query and reads output up to it; the lines before it."""
        tag = "mark-" + uuid.uuid4().hex[:8]
        self.run("SELECT '%s'" % tag)
        lines, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.p.stdout.readline()
            check(line != "", "the mariadb client ended: %r" % lines)
            if line.strip() == tag:
                return lines
            lines.append(line.strip())
        check(False, "no marker from the mariadb client within %d s: %r" % (timeout, lines))

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait(timeout=10)


def _lock_waits(ctx):
    """Transactions waiting for a lock. InnoDB's information_schema tables are a cache that
    MariaDB refreshes lazily, and under load they were seen empty while the route's UPDATE
    (by primary key: milliseconds when free) had waited 15 s in state "Updating", which is
    how MariaDB shows a row-lock wait: either is taken as the wait."""
    out = sb.sql(ctx, "SELECT (SELECT COUNT(*) FROM information_schema.innodb_lock_waits)"
                      " + (SELECT COUNT(*) FROM information_schema.innodb_trx"
                      " WHERE trx_state = 'LOCK WAIT')"
                      " + (SELECT COUNT(*) FROM information_schema.processlist"
                      " WHERE info LIKE 'UPDATE departments SET name%' AND time >= 1"
                      " AND state = 'Updating')")
    return int(out.strip() or 0)


def _deadlocks(ctx):
    out = sb.sql(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")
    return int(out.split()[1])


def test_deadlock_victim_is_retried(ctx):
    """The route's update locks department A, then waits for the test's uncommitted
    department holding the name it wants; the test, having written more rows, then asks
    for A: a deadlock whose victim is the route's lighter transaction. txn_run retries it
    from the start and, once the test rolls back, the update succeeds: 200, not 503."""
    token, tenant_id = sb.tenant(ctx)
    target = sb.dept(ctx, token)
    filler = [sb.dept(ctx, token)["id"] for _ in range(8)]
    name = "Deadlock " + sb.uid()
    before = _deadlocks(ctx)
    s = _Session(ctx)
    result = {}
    try:
        s.run("SET SESSION innodb_lock_wait_timeout = 30")
        s.run("BEGIN")
        # Heavier than the route's transaction: InnoDB rolls back the lighter one.
        s.run("UPDATE departments SET description = UUID() WHERE tenant_id = '%s' AND id IN (%s)"
              % (tenant_id, ",".join("'%s'" % i for i in filler)))
        s.run("INSERT INTO departments (id, tenant_id, name, phone_number) VALUES "
              "('dept_%s', '%s', '%s', '+15551230000')" % (uuid.uuid4().hex[:24], tenant_id, name))
        out = s.mark()
        check(not any(line.startswith("ERROR") for line in out), "setup: %r" % out)

        def update():
            try:
                result["r"] = ctx.put("/api/departments/" + target["id"], {"name": name},
                                      token=token, timeout=60)
            except Exception as e:  # noqa: BLE001 (reported by the check below)
                result["error"] = repr(e)
        t = threading.Thread(target=update)
        t.start()
        deadline = time.monotonic() + 15
        while _lock_waits(ctx) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        ok = _lock_waits(ctx) >= 1
        check(ok, "the route's update never waited for the test's lock: %r %r; processlist %r"
              % (result.get("r"), result.get("error"),
                 sb.sql(ctx, "SELECT id, command, time, state, LEFT(info, 80) FROM "
                             "information_schema.processlist WHERE command <> 'Sleep'")))
        # The cycle: the test now wants the row the route holds.
        s.run("SELECT id FROM departments WHERE id = '%s' FOR UPDATE" % target["id"])
        s.mark()
        check(_deadlocks(ctx) >= before + 1, "no deadlock was detected")
        # The route's retry waits for A again; the test gives everything up.
        s.run("ROLLBACK")
        s.mark()
        t.join(60)
        check(not t.is_alive(), "the update did not finish")
    finally:
        s.close()
    r = result.get("r")
    check(r is not None and r.status == 200 and r.json["department"]["name"] == name,
          "the deadlock victim was not retried to success: %r" % r)
    rid = r.headers.get("x-request-id")
    with open(os.path.join(ctx.var, "log", "pool.log"), errors="replace") as f:
        retried = [line for line in f if "req=%s" % rid in line and "attempt 2 of " in line]
    check(rid and retried, "pool.log does not show request %s retried" % rid)
    got = ctx.get("/api/departments/" + target["id"], token=token)
    check(got.json["department"]["name"] == name, "not written: %r" % got)
