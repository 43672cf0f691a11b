"""Contacts (issue 9): CRUD, search by name, e-mail or phone, the contact behind a caller's
number in any notation, custom fields, the timeline of calls, tickets and chats newest first;
roles (agents read and write, managers and admins delete); 401/403/404/422; other tenants."""
import random

import sb
from sb import check, expect_cc_error, cc_data

V1 = "/api/v1/contacts"
_rng = random.SystemRandom()


def _number():
    return "+1556%07d" % _rng.randrange(10 ** 7)


def _contact(ctx, token, **body):
    body.setdefault("first_name", "Ann " + sb.uid())
    r = ctx.post(V1, body, token=token)
    return cc_data(r, 201)


def test_contact_crud_and_roles(ctx):
    admin, tid = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    manager = sb.user(ctx, admin, "manager")["token"]
    num = _number()
    c = _contact(ctx, agent, first_name="Ada", last_name="Lovelace", company="Engines Ltd",
                 email="ADA@Example.test", phone="+1 (556) %s-%s" % (num[5:8], num[8:]),
                 custom_fields={"tier": "gold", "seats": 12}, tags=["vip", "beta", "é" * 50])
    check(c["id"].startswith("contact_") and c["tenant_id"] == tid, "ids: %r" % c)
    check(c["email"] == "ada@example.test" and c["phone"] == num, "normalised: %r" % c)
    check(c["name"] == "Ada Lovelace" and c["mobile"] == "" and c["notes"] == "",
          "name and empty strings: %r" % c)
    check(c["custom_fields"] == {"tier": "gold", "seats": 12} and c["tags"] == ["vip", "beta", "é" * 50],
          "json members: %r" % c)
    g = cc_data(ctx.get(V1 + "/" + c["id"], token=agent))
    check(g == c, "GET: %r" % g)
    # Under /api too, in the same envelope (callcenter family only).
    check(cc_data(ctx.get("/api/contacts/" + c["id"], token=agent)) == c, "/api GET")
    u = cc_data(ctx.put(V1 + "/" + c["id"], {"notes": "likes tea", "custom_fields": None,
                                             "tags": ["vip"]}, token=agent))
    check(u["notes"] == "likes tea" and u["custom_fields"] is None and u["tags"] == ["vip"]
          and u["company"] == "Engines Ltd", "PUT partial: %r" % u)
    # Agents may not delete; managers and admins may.
    expect_cc_error(ctx.delete(V1 + "/" + c["id"], token=agent), 403)
    r = ctx.delete(V1 + "/" + c["id"], token=manager)
    check(r.status == 200 and r.json["success"] is True, "delete: %r" % r)
    expect_cc_error(ctx.get(V1 + "/" + c["id"], token=agent), 404)
    expect_cc_error(ctx.delete(V1 + "/" + c["id"], token=admin), 404)
    d = _contact(ctx, admin)
    check(ctx.delete(V1 + "/" + d["id"], token=admin).status == 200, "admin deletes")
    ev = sb.sql(ctx, "SELECT type FROM call_events WHERE tenant_id = '%s' AND type LIKE"
                     " 'contact.%%' AND payload LIKE '%%%s%%' ORDER BY id" % (tid, c["id"]))
    check(ev.split() == ["contact.created", "contact.updated", "contact.deleted"],
          "events: %r" % ev)


def test_contact_401_404_422_and_tenants(ctx):
    admin, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    c = _contact(ctx, admin)
    for m, p in (("GET", V1), ("POST", V1), ("GET", V1 + "/" + c["id"]),
                 ("PUT", V1 + "/" + c["id"]), ("DELETE", V1 + "/" + c["id"]),
                 ("GET", V1 + "/phone?number=%2B15551234567"),
                 ("GET", V1 + "/" + c["id"] + "/timeline")):
        expect_cc_error(ctx.request(m, p, body={} if m in ("POST", "PUT") else None), 401)
    # Another tenant's contact does not exist for them.
    expect_cc_error(ctx.get(V1 + "/" + c["id"], token=other), 404)
    expect_cc_error(ctx.put(V1 + "/" + c["id"], {"notes": "x"}, token=other), 404)
    expect_cc_error(ctx.delete(V1 + "/" + c["id"], token=other), 404)
    expect_cc_error(ctx.get(V1 + "/" + c["id"] + "/timeline", token=other), 404)
    check(cc_data(ctx.get(V1, token=other)) == [], "other tenant lists none")
    expect_cc_error(ctx.get(V1 + "/contact_nope", token=admin), 404)
    for body, field in (({}, "first_name"), ({"first_name": ""}, "first_name"),
                        ({"email": "nope"}, "email"), ({"phone": "555"}, "phone"),
                        ({"first_name": "A", "custom_fields": [1, 2]}, "custom_fields"),
                        ({"first_name": "A", "custom_fields": "x"}, "custom_fields"),
                        ({"first_name": "A", "tags": "vip"}, "tags"),
                        ({"first_name": "A", "tags": [""]}, "tags"),
                        ({"first_name": "A", "tags": ["x" * 51]}, "tags"),
                        ({"first_name": "A", "tags": [7]}, "tags"),
                        ({"first_name": "x" * 101}, "first_name")):
        r = ctx.post(V1, body, token=admin)
        expect_cc_error(r, 422)
        check(field in r.json["error"].get("details", {}), "details.%s for %r: %r"
              % (field, body, r))
    r = ctx.put(V1 + "/" + c["id"], {"mobile": "12"}, token=admin)
    expect_cc_error(r, 422)
    check("mobile" in r.json["error"]["details"], "mobile: %r" % r)


def test_contact_search_and_filters(ctx):
    admin, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    n1, n2 = "+15561234567", "+445561230000"
    a = _contact(ctx, admin, first_name="Grace", last_name="Hopper", email="grace@navy.test",
                 phone=n1, company="Navy", tags=["cobol"])
    b = _contact(ctx, admin, first_name="Alan", last_name="Turing", email="alan@bletchley.test",
                 mobile=n2, company="GCHQ")
    _contact(ctx, admin, first_name="Linus", last_name="T", email="linus@kernel.test")

    def ids(q):
        return {x["id"] for x in cc_data(ctx.get(V1 + q, token=agent))}

    check(ids("?search=hopper") == {a["id"]}, "last name")
    check(ids("?q=grace%20hopper") == {a["id"]}, "full name")
    check(ids("?search=BLETCHLEY") == {b["id"]}, "email, any case")
    check(ids("?search=(556)%20123-45") == {a["id"]}, "phone digits with separators")
    check(ids("?search=5561230000") == {b["id"]}, "mobile digits")
    check(ids("?search=55") == set(), "two digits are no number search")
    check(ids("?search=100%25") == set(), "% matches literally")
    check(ids("?email=alan@bletchley.test") == {b["id"]}, "email filter")
    check(ids("?company=Navy") == {a["id"]}, "company filter")
    check(ids("?tag=cobol") == {a["id"]}, "tag filter")
    r = ctx.get(V1 + "?sort=name&page_size=2", token=agent)
    data = cc_data(r)
    check([x["last_name"] for x in data] == ["Hopper", "T"], "sorted page: %r" % data)
    check(r.json["meta"]["total_count"] == 3 and r.json["meta"]["total_pages"] == 2,
          "meta: %r" % r.json["meta"])
    expect_cc_error(ctx.get(V1 + "?sort=nope", token=agent), 422)
    expect_cc_error(ctx.get(V1 + "?page_size=0", token=agent), 422)


def test_contact_by_phone_any_notation(ctx):
    admin, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    digits = "%07d" % _rng.randrange(10 ** 7)
    num = "+1557" + digits
    c = _contact(ctx, admin, phone=num)
    m = _contact(ctx, admin, mobile="+4420" + digits)
    for q in ("%2B1557" + digits, "+1557" + digits,  # a + sent raw arrives as a space
              "%2B1%20(557)%20" + digits[:3] + "-" + digits[3:], "001557" + digits,
              "1557" + digits, "%2B1.557." + digits):
        r = ctx.get(V1 + "/phone?number=" + q, token=agent)
        check(cc_data(r)["id"] == c["id"], "lookup %r: %r" % (q, r))
    check(cc_data(ctx.get(V1 + "/phone?number=004420" + digits, token=agent))["id"] == m["id"],
          "mobile number found")
    expect_cc_error(ctx.get(V1 + "/phone?number=%2B1558" + digits, token=agent), 404)
    expect_cc_error(ctx.get(V1 + "/phone?number=%2B1557" + digits, token=other), 404)
    for q in ("", "?number=", "?number=abc", "?number=12"):
        r = ctx.get(V1 + "/phone" + q, token=agent)
        expect_cc_error(r, 422)
        check("number" in r.json["error"]["details"], "number: %r" % r)


def _seed_history(ctx, tid, contact_id, user_id):
    """Two calls, a ticket and a chat at known times, straight into the tables (their own
    routes belong to other modules); returns the ids newest first."""
    u = sb.uid()
    ids = {"c1": "cdr_t1" + u, "c2": "cdr_t2" + u, "t1": "ticket_t" + u, "s1": "chat_t" + u}
    sb.sql(ctx, "INSERT INTO cdrs (id, tenant_id, direction, caller_number, called_number,"
                " user_id, contact_id, start_time, end_time, duration, disposition) VALUES"
                " ('%s','%s','inbound','+15550001','+15550002','%s','%s','2026-11-01 10:00:00',"
                "'2026-11-01 10:02:00',120,'answered'),"
                " ('%s','%s','outbound','+15550002','+15550001',NULL,'%s','2026-11-03 09:00:00',"
                "'2026-11-03 09:00:30',30,'no_answer')"
            % (ids["c1"], tid, user_id, contact_id, ids["c2"], tid, contact_id))
    sb.sql(ctx, "INSERT INTO tickets (id, tenant_id, subject, contact_id, created_at) VALUES"
                " ('%s','%s','Broken widget','%s','2026-11-02 12:00:00')"
            % (ids["t1"], tid, contact_id))
    sb.sql(ctx, "INSERT INTO chat_sessions (id, tenant_id, contact_id, visitor_id, visitor_name,"
                " status, started_at, ended_at) VALUES ('%s','%s','%s','v1','Visitor','closed',"
                "'2026-11-04 08:00:00','2026-11-04 08:05:00')" % (ids["s1"], tid, contact_id))
    return [ids["s1"], ids["c2"], ids["t1"], ids["c1"]]


def test_contact_timeline(ctx):
    s, _ = ctx.new_tenant()
    admin, tid, admin_id = s["token"], s["user"]["tenant_id"], s["user"]["id"]
    agent_s = sb.user(ctx, admin, "agent")
    c = _contact(ctx, admin)
    want = _seed_history(ctx, tid, c["id"], admin_id)
    r = ctx.get(V1 + "/" + c["id"] + "/timeline", token=admin)
    items = cc_data(r)
    check([x["id"] for x in items] == want, "newest first: %r" % items)
    check([x["type"] for x in items] == ["chat", "call", "ticket", "call"], "types: %r" % items)
    check(items[0]["duration"] == 300 and items[0]["status"] == "closed", "chat: %r" % items[0])
    check(items[3]["duration"] == 120 and items[3]["status"] == "answered"
          and items[3]["user_id"] == admin_id and items[3]["occurred_at"] == "2026-11-01T10:00:00Z",
          "call: %r" % items[3])
    check(items[2]["title"] == "Broken widget" and items[2]["status"] == "open", "ticket")
    check(r.json["meta"]["total_count"] == 4, "meta: %r" % r.json["meta"])
    r = ctx.get(V1 + "/" + c["id"] + "/timeline?page=2&page_size=3", token=admin)
    check([x["id"] for x in cc_data(r)] == want[3:], "page 2: %r" % r)
    r = ctx.get(V1 + "/" + c["id"] + "/timeline?type=call", token=admin)
    check([x["id"] for x in cc_data(r)] == [want[1], want[3]]
          and r.json["meta"]["total_count"] == 2, "calls only: %r" % r)
    expect_cc_error(ctx.get(V1 + "/" + c["id"] + "/timeline?type=fax", token=admin), 422)
    # An agent sees only the calls they took (none here): tickets and chats.
    r = ctx.get(V1 + "/" + c["id"] + "/timeline", token=agent_s["token"])
    check([x["type"] for x in cc_data(r)] == ["chat", "ticket"], "agent's view: %r" % r)
    # Deleting the contact keeps its calls and chats, without it.
    check(ctx.delete(V1 + "/" + c["id"], token=admin).status == 200, "delete with history")
    left = sb.sql(ctx, "SELECT COUNT(*) FROM cdrs WHERE id IN ('%s','%s') AND contact_id IS NULL"
                  % (want[1], want[3])).strip()
    check(left == "2", "calls kept: %r" % left)
    expect_cc_error(ctx.get(V1 + "/" + c["id"] + "/timeline", token=admin), 404)
