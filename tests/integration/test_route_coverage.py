"""The route coverage of the clients' contract: every route of tests/contract/routes.tsv
(a copy of ../shared/routes.tsv, checked equal when that file is beside the checkout) is
answered by a handler, not by the router's 404 or 405, and answers in JSON with the
`success` flag every family reads (or the media its route declares: CSV, audio, TwiML, a
stream). Parameters are a fresh tenant's id for `:companyId` and ids that exist nowhere
otherwise, so a handler's answer is its own 404, 403 or 422, never a write."""
import http.client
import json
import os
import re

import sb
from sb import check

ROUTER_404 = re.compile(r"^(No such route|Route .* not found)$")
# Served by the event worker (a stream or an upgrade), not by the pool.
REALTIME = re.compile(r"^/ws(/|$)|/events$")
MEDIA = ("application/json", "text/csv", "audio/", "text/xml", "application/xml",
         "text/event-stream")


def _contract(ctx):
    path = os.path.join(ctx.repo, "tests", "contract", "routes.tsv")
    with open(path) as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    shared = os.path.join(ctx.repo, "..", "shared", "routes.tsv")
    if os.path.exists(shared):
        with open(shared) as f:
            want = [line.rstrip("\n").split("\t") for line in f if line.strip()]
        check(rows == want, "tests/contract/routes.tsv differs from ../shared/routes.tsv")
    return rows



def _fill(path, tenant_id):
    def one(m):
        return tenant_id if m.group(1) in ("companyId", "tenantId") else "zz_nosuch" + m.group(1)
    return re.sub(r":(\w+)", one, path)


def _realtime_status(ctx, path, token):
    conn = http.client.HTTPConnection(ctx.host, ctx.port, timeout=5)
    try:
        conn.request("GET", path + ("&" if "?" in path else "?") + "token=" + token,
                     headers={"Accept": "text/event-stream", "Connection": "close"})
        return conn.getresponse().status
    finally:
        conn.close()


def _message(doc):
    err = doc.get("error")
    if isinstance(err, dict):
        err = err.get("message")
    return str(doc.get("message") or err or "")


def _answered(ctx, method, path, token):
    body = {} if method in ("POST", "PUT", "PATCH") else None
    r = ctx.request(method, path, body=body, token=token, timeout=15)
    problems = []
    if r.status == 405:
        problems.append("405 (no handler for the method)")
    ctype = r.headers.get("content-type", "").split(";")[0].strip()
    if not any(ctype.startswith(m) for m in MEDIA):
        problems.append("answered %r, not JSON" % ctype)
    elif ctype == "application/json":
        try:
            doc = json.loads(r.body or b"null")
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or not isinstance(doc.get("success"), bool):
            problems.append("JSON without a boolean `success`: %r" % (r.body[:120],))
        elif r.status == 404 and ROUTER_404.match(_message(doc)):
            problems.append("the router's 404")
    return r.status, problems


def _super_admin_of(ctx):
    s = sb.super_admin(ctx)
    return s["token"], s["user"]["tenant_id"]


def test_every_contract_route_has_a_handler(ctx):
    token, tid = _super_admin_of(ctx)
    rows = _contract(ctx)
    # Signing out ends the token: those go last.
    rows.sort(key=lambda row: row[2].endswith("/logout"))
    missing = []
    for family, method, pattern in rows:
        path = _fill(pattern, tid)
        if REALTIME.search(pattern):
            status = _realtime_status(ctx, path, token)
            if status in (404, 405):
                missing.append("%s %s %s: %d" % (family, method, pattern, status))
            continue
        status, problems = _answered(ctx, method, path, token)
        if problems:
            missing.append("%s %s %s: %d %s" % (family, method, pattern, status,
                                                "; ".join(problems)))
    check(not missing, "%d of %d contract routes not answered by a handler:\n  %s"
          % (len(missing), len(rows), "\n  ".join(missing)))
