"""Every write is recorded in audit_logs: who, what, which record, from which IP."""
import json
import os
import subprocess
import uuid

from sb import check


def _sql(ctx, query):
    sock = os.path.join(ctx.var, "run", "mysqld.sock")
    p = subprocess.run(["mariadb", "--no-defaults", "-uroot", "--socket=" + sock, "-N", "-B",
                        "switchboard", "-e", query], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "mariadb: %s" % p.stderr)
    return [line.split("\t") for line in p.stdout.splitlines()]


def test_department_writes_are_audited(ctx):
    session, _ = ctx.new_tenant()
    tok, uid, tid = session["token"], session["user"]["id"], session["user"]["tenant_id"]
    r = ctx.post("/api/departments", {"name": "Audit " + uuid.uuid4().hex[:6],
                                      "phone_number": "+15550001111"}, tok)
    check(r.status == 201, repr(r))
    did = r.json["department"]["id"]
    check(ctx.put("/api/departments/" + did, {"description": "x"}, tok).status == 200)
    check(ctx.delete("/api/departments/" + did, tok).status == 200)
    rows = _sql(ctx, "SELECT action, user_id, entity_type, ip_address, request_id FROM audit_logs"
                     " WHERE tenant_id = '%s' AND entity_id = '%s' ORDER BY id" % (tid, did))
    check([row[0] for row in rows] == ["department.create", "department.update",
                                       "department.delete"], "audit actions: %r" % rows)
    for action, user_id, etype, ip, rid in rows:
        check(user_id == uid and etype == "department", "who/what: %r" % rows)
        check(ip == "127.0.0.1", "ip: %r" % ip)
        check(len(rid) == 32, "request id: %r" % rid)


def test_user_create_audit_holds_no_password(ctx):
    session, _ = ctx.new_tenant()
    tok, tid = session["token"], session["user"]["tenant_id"]
    secret = "Sekret-" + uuid.uuid4().hex
    r = ctx.post("/api/users", {"email": "a-%s@example.test" % uuid.uuid4().hex[:6],
                                "password": secret, "role": "agent"}, tok)
    check(r.status == 201, repr(r))
    rows = _sql(ctx, "SELECT action, details FROM audit_logs WHERE tenant_id = '%s'"
                     " AND entity_id = '%s'" % (tid, r.json["user"]["id"]))
    check(len(rows) == 1 and rows[0][0] == "user.create", "rows: %r" % rows)
    check(secret not in rows[0][1] and "password" not in json.loads(rows[0][1]),
          "password in audit details: %r" % rows)
    logs = os.path.join(ctx.var, "log")
    for name in os.listdir(logs):
        with open(os.path.join(logs, name), errors="replace") as f:
            check(secret not in f.read(), "password found in log %s" % name)


def test_failed_write_leaves_no_audit_row(ctx):
    session, _ = ctx.new_tenant()
    tok, tid = session["token"], session["user"]["tenant_id"]
    name = "Dup " + uuid.uuid4().hex[:6]
    check(ctx.post("/api/departments", {"name": name, "phone_number": "+15550001112"},
                   tok).status == 201)
    check(ctx.post("/api/departments", {"name": name, "phone_number": "+15550001113"},
                   tok).status == 409)
    rows = _sql(ctx, "SELECT COUNT(*) FROM audit_logs WHERE tenant_id = '%s'"
                     " AND action = 'department.create'" % tid)
    check(rows == [["1"]], "the refused create was audited: %r" % rows)
