"""Notifications (issue 9): a user's notifications are written by the change that concerns
them (here: being added to a queue by a supervisor), listed, counted, marked read one by one or
all at once, and deleted; every route is scoped to the signed-in user, so another user's or
another tenant's notification is a 404. Served under /api/v1 (callcenter dialect) and /api."""
import sb
from sb import check, expect_cc_error


def _setup(ctx):
    admin, tid = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")
    return admin, agent["user"], agent["token"]


def _add_to_queue(ctx, admin, user_id):
    q = sb.cc_data(ctx.post("/api/v1/queues", {"name": "Q " + sb.uid()}, token=admin), 201)
    sb.cc_data(ctx.post("/api/v1/queues/%s/members" % q["id"], {"user_id": user_id},
                        token=admin), 201)
    return q


def _mine(ctx, token, query=""):
    r = ctx.get("/api/v1/notifications" + query, token=token)
    data = sb.cc_data(r)
    check(isinstance(data, list), "data is a list: %r" % r)
    return data, r.json["meta"]


def test_notification_written_by_the_change(ctx):
    admin, agent, token = _setup(ctx)
    q1 = _add_to_queue(ctx, admin, agent["id"])
    q2 = _add_to_queue(ctx, admin, agent["id"])
    rows, meta = _mine(ctx, token)
    check(meta["total_count"] == 2, "two notifications: %r" % meta)
    check([n["data"]["queue_id"] for n in rows] == [q2["id"], q1["id"]], "newest first: %r" % rows)
    n = rows[0]
    check(n["type"] == "queue.member.added" and q2["name"] in n["title"], "notice: %r" % n)
    check(n["is_read"] is False and n["read_at"] is None and n["user_id"] == agent["id"], repr(n))
    # The admin who made the change hears nothing of it.
    check(_mine(ctx, admin)[1]["total_count"] == 0, "the admin has none")
    count = sb.cc_data(ctx.get("/api/v1/notifications/unread-count", token=token))
    check(count == {"count": 2}, "unread: %r" % count)


def test_mark_read_and_read_all(ctx):
    admin, agent, token = _setup(ctx)
    for _ in range(3):
        _add_to_queue(ctx, admin, agent["id"])
    rows, _ = _mine(ctx, token)
    one = sb.cc_data(ctx.post("/api/v1/notifications/%s/read" % rows[0]["id"], token=token))
    check(one["is_read"] is True and one["read_at"], "read: %r" % one)
    again = sb.cc_data(ctx.post("/api/v1/notifications/%s/read" % rows[0]["id"], token=token))
    check(again["read_at"] == one["read_at"], "read_at keeps the first time")
    unread, meta = _mine(ctx, token, "?is_read=false")
    check(meta["total_count"] == 2 and rows[0]["id"] not in [n["id"] for n in unread], repr(meta))
    res = sb.cc_data(ctx.post("/api/v1/notifications/read-all", token=token))
    check(res == {"updated": 2}, "read-all: %r" % res)
    check(sb.cc_data(ctx.get("/api/notifications/unread-count", token=token))["count"] == 0,
          "none unread")
    expect_cc_error(ctx.get("/api/v1/notifications?is_read=maybe", token=token), 422)


def test_delete_and_isolation(ctx):
    admin, agent, token = _setup(ctx)
    _add_to_queue(ctx, admin, agent["id"])
    nid = _mine(ctx, token)[0][0]["id"]
    other = sb.user(ctx, admin, "agent")["token"]
    stranger, _ = sb.tenant(ctx)
    for t in (other, stranger, admin):
        expect_cc_error(ctx.post("/api/v1/notifications/%s/read" % nid, token=t), 404)
        expect_cc_error(ctx.delete("/api/v1/notifications/%s" % nid, token=t), 404)
    check(_mine(ctx, token)[0][0]["is_read"] is False, "untouched by others")
    r = ctx.delete("/api/v1/notifications/%s" % nid, token=token)
    check(r.status == 200 and r.json["success"] is True, "deleted: %r" % r)
    expect_cc_error(ctx.delete("/api/v1/notifications/%s" % nid, token=token), 404)
    for path in ("/api/v1/notifications", "/api/v1/notifications/unread-count"):
        expect_cc_error(ctx.get(path), 401)
    expect_cc_error(ctx.post("/api/v1/notifications/read-all"), 401)
