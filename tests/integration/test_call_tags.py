"""Call tags (callcenter family, issue 11): tag a CDR (one or many), list and remove them,
the tenant's tags with counts, the CDR list's ?tag= filter, errors and tenant isolation."""
import json
import uuid

import sb
from sb import check, expect_cc_error, cc_data


def _cdr(ctx, tid, n):
    ids = []
    for i in range(n):
        cid = "cdr_%s" % uuid.uuid4().hex[:16]
        sb.sql(ctx, "INSERT INTO cdrs (id, tenant_id, direction, caller_number, called_number,"
                    " start_time, duration, billsec, disposition) VALUES ('%s', '%s', 'inbound',"
                    " '+1555000%04d', '100', NOW() - INTERVAL %d MINUTE, 10, 5, 'answered')"
                    % (cid, tid, i, i))
        ids.append(cid)
    return ids


def test_call_tags_flow(ctx):
    admin, tid = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")
    a, b, c = _cdr(ctx, tid, 3)
    base = "/api/v1/cdr/%s/tags"
    tags = cc_data(ctx.post(base % a, {"tag": " vip "}, token=agent["token"]), 201)
    check([t["tag"] for t in tags] == ["vip"] and tags[0]["created_by"] == agent["user"]["id"],
          "one tag: %r" % tags)
    tags = cc_data(ctx.post(base % a, {"tags": ["complaint", "VIP", "billing"]}, token=admin), 201)
    check([t["tag"] for t in tags] == ["billing", "complaint", "vip"], "many, kept once: %r" % tags)
    cc_data(ctx.post(base % b, {"tag": "vip"}, token=admin), 201)
    got = cc_data(ctx.get(base % a, token=agent["token"]))
    check([t["tag"] for t in got] == ["billing", "complaint", "vip"], "list: %r" % got)
    counts = cc_data(ctx.get("/api/v1/tags", token=agent["token"]))
    check([(t["tag"], t["count"]) for t in counts] ==
          [("vip", 2), ("billing", 1), ("complaint", 1)], "counts: %r" % counts)
    # The CDR list filtered by tag (and its total after a change: not a stale count).
    r = ctx.get("/api/v1/cdr?tag=vip", token=admin)
    check(sorted(x["id"] for x in cc_data(r)) == sorted([a, b]), "filter: %r" % cc_data(r))
    check(r.json["meta"]["total_count"] == 2, "total: %r" % r.json["meta"])
    r = ctx.delete((base % b) + "/vip", token=agent["token"])
    check(r.status == 200, "remove: %r" % r)
    r = ctx.get("/api/v1/cdr?tag=vip", token=admin)
    check([x["id"] for x in cc_data(r)] == [a] and r.json["meta"]["total_count"] == 1,
          "after removal: %r" % r.json)
    expect_cc_error(ctx.delete((base % b) + "/vip", token=admin), 404)
    check(cc_data(ctx.get(base % c, token=admin)) == [], "untagged call")
    check(len(cc_data(ctx.get("/api/v1/cdr", token=admin))) == 3, "unfiltered list")


def test_call_tags_errors(ctx):
    admin, tid = sb.tenant(ctx)
    (a,) = _cdr(ctx, tid, 1)
    base = "/api/v1/cdr/%s/tags" % a
    for body, field in [({}, "tag"), ({"tag": ""}, "tag"), ({"tag": "x" * 65}, "tag"),
                        ({"tags": []}, "tags"), ({"tags": ["ok", "   "]}, "tags"),
                        ({"tags": "vip"}, "tags")]:
        r = ctx.post(base, body, token=admin)
        expect_cc_error(r, 422)
        check(field in json.dumps(r.json), "%r names %s: %r" % (body, field, r))
    r = ctx.post(base, raw="{nope", token=admin)
    expect_cc_error(r, 400)
    expect_cc_error(ctx.get(base), 401)
    expect_cc_error(ctx.post(base, {"tag": "x"}), 401)
    expect_cc_error(ctx.get("/api/v1/tags"), 401)
    expect_cc_error(ctx.get("/api/v1/cdr/cdr_nosuch/tags", token=admin), 404)
    # Another tenant: the CDR is absent, and its tags are not counted.
    cc_data(ctx.post(base, {"tag": "secret"}, token=admin), 201)
    other, _ = sb.tenant(ctx)
    expect_cc_error(ctx.get(base, token=other), 404)
    expect_cc_error(ctx.post(base, {"tag": "x"}, token=other), 404)
    expect_cc_error(ctx.delete(base + "/secret", token=other), 404)
    check(cc_data(ctx.get("/api/v1/tags", token=other)) == [], "other tenant's tags")
    check(cc_data(ctx.get("/api/v1/cdr?tag=secret", token=other)) == [], "other filter")
