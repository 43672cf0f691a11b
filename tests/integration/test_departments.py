"""Departments: the seed 000 contract (create, list, get, update, delete, isolation, cache)."""
import concurrent.futures
import re
import uuid

import sb
from sb import check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
DEPT_FIELDS = {"id", "tenant_id", "name", "phone_number", "description", "color", "is_active",
               "business_hours", "created_at", "updated_at"}


# -- private helpers ------------------------------------------------------------------

def _create(ctx, token, name=None, phone="+15551230000", **extra):
    body = {"name": name if name is not None else "Dept " + sb.uid(), "phone_number": phone}
    body.update(extra)
    r = ctx.post("/api/departments", body, token=token)
    check(r.status == 201, "create department %r: %r" % (body, r))
    return r.json["department"]


def _list(ctx, token, query=""):
    r = ctx.get("/api/departments" + query, token=token)
    check(r.status == 200, "list departments: %r" % r)
    return r.json


def _names(listing):
    return [d["name"] for d in listing["departments"]]


def _insert_agent(ctx, tenant_id, dept_id, status):
    aid = "agent_" + uuid.uuid4().hex[:20]
    sb.sql(ctx, "INSERT INTO agents (id, tenant_id, department_id, name, phone_number, status) "
              "VALUES ('%s', '%s', '%s', 'Agent %s', '+15550001111', '%s')"
              % (aid, tenant_id, dept_id, aid, status))
    return aid


# -- create ---------------------------------------------------------------------------

def test_department_create_contract(ctx):
    token, tid = sb.tenant(ctx)
    hours = {"mon": [{"open": "09:00", "close": "17:00"}], "sat": [], "tz": "Europe/Paris",
             "nested": {"a": [1, 2.5, True, None]}}
    name = "Sales " + sb.uid()
    r = ctx.post("/api/departments", {"name": name, "phone_number": "+1-555-SALES-01",
                                      "description": "Inbound sales", "business_hours": hours},
                 token=token)
    check(r.status == 201, "create: %r" % r)
    check(r.json.get("success") is True, "success: %r" % r)
    d = r.json.get("department")
    check(isinstance(d, dict), "no department object: %r" % r)
    check(set(d) == DEPT_FIELDS, "department fields: %r" % sorted(d))
    check(d["id"].startswith("dept_") and len(d["id"]) > 5, "id: %r" % d["id"])
    check(d["tenant_id"] == tid, "tenant_id: %r != %r" % (d["tenant_id"], tid))
    check(d["name"] == name, "name: %r" % d["name"])
    check(d["phone_number"] == "+15557253701", "phone normalised: %r" % d["phone_number"])
    check(d["description"] == "Inbound sales", "description: %r" % d["description"])
    check(d["color"] == "default", "color default: %r" % d["color"])
    check(d["is_active"] is True, "is_active: %r" % d["is_active"])
    check(d["business_hours"] == hours, "business_hours round-trip: %r" % d["business_hours"])
    check(isinstance(d["created_at"], str) and RFC3339.match(d["created_at"]),
          "created_at: %r" % d["created_at"])
    check(isinstance(d["updated_at"], str) and RFC3339.match(d["updated_at"]),
          "updated_at: %r" % d["updated_at"])
    # Optional fields: color given, description and business_hours absent → null.
    d2 = _create(ctx, token, phone="+44 (20) 7946.0958", color="blue")
    check(d2["color"] == "blue", "color: %r" % d2["color"])
    check(d2["phone_number"] == "+442079460958", "phone with ( ) . and spaces: %r" % d2)
    check(d2["description"] is None and d2["business_hours"] is None, "absent optionals: %r" % d2)
    check(d2["id"] != d["id"], "two departments, one id")


def test_department_phone_normalisation(ctx):
    token, _ = sb.tenant(ctx)
    cases = {"+1-555-SALES-01": "+15557253701", "+1 555 123 4567": "+15551234567",
             "+1.800.flowers": "+18003569377", "+49 30 123456": "+4930123456",
             "+123456789012345": "+123456789012345", "+12345678": "+12345678"}
    for raw, want in cases.items():
        d = _create(ctx, token, phone=raw)
        check(d["phone_number"] == want, "%r → %r, want %r" % (raw, d["phone_number"], want))
    for bad in ("5551234567", "15551234567", "+1234567", "+1234567890123456", "+1 555 12#4567",
                "+0123456789", "", "   ", "+", "++15551234567", "+1555123456€"):
        r = ctx.post("/api/departments", {"name": "Bad phone " + sb.uid(), "phone_number": bad},
                     token=token)
        expect_error(r, 422, "validation_failed")
        check("phone_number" in r.json.get("fields", {}), "fields.phone_number for %r: %r"
              % (bad, r))
    r = ctx.post("/api/departments", {"name": "Num phone " + sb.uid(), "phone_number": 15551234567},
                 token=token)
    expect_error(r, 422, "validation_failed")
    check("phone_number" in r.json.get("fields", {}), "a number is no phone: %r" % r)


def test_department_create_validation(ctx):
    token, _ = sb.tenant(ctx)
    r = ctx.post("/api/departments", {"phone_number": "+15551234567"}, token=token)
    expect_error(r, 422, "validation_failed")
    check(set(r.json.get("fields", {})) == {"name"}, "fields.name only: %r" % r)
    r = ctx.post("/api/departments", {"name": "No phone " + sb.uid()}, token=token)
    expect_error(r, 422, "validation_failed")
    check(set(r.json.get("fields", {})) == {"phone_number"}, "fields.phone_number only: %r" % r)
    r = ctx.post("/api/departments", {}, token=token)
    expect_error(r, 422, "validation_failed")
    check({"name", "phone_number"} <= set(r.json.get("fields", {})), "both fields: %r" % r)
    bad_bodies = [
        ({"name": "", "phone_number": "+15551234567"}, "name"),
        ({"name": "   ", "phone_number": "+15551234567"}, "name"),
        ({"name": None, "phone_number": "+15551234567"}, "name"),
        ({"name": 42, "phone_number": "+15551234567"}, "name"),
        ({"name": "x" * 256, "phone_number": "+15551234567"}, "name"),
        ({"name": "Color " + sb.uid(), "phone_number": "+15551234567", "color": "c" * 21}, "color"),
        ({"name": "Color " + sb.uid(), "phone_number": "+15551234567", "color": ""}, "color"),
        ({"name": "Hours " + sb.uid(), "phone_number": "+15551234567", "business_hours": "9-5"},
         "business_hours"),
        ({"name": "Hours " + sb.uid(), "phone_number": "+15551234567", "business_hours": [1, 2]},
         "business_hours"),
        ({"name": "Desc " + sb.uid(), "phone_number": "+15551234567", "description": 5},
         "description"),
    ]
    for body, field in bad_bodies:
        r = ctx.post("/api/departments", body, token=token)
        expect_error(r, 422, "validation_failed")
        check(field in r.json.get("fields", {}), "fields.%s for %r: %r" % (field, body, r))
    # Nothing of the refused bodies was stored.
    check(_list(ctx, token)["total"] == 0, "a refused create was stored")
    # Limits that are allowed: 255 characters (also multi-byte), color of 20.
    d = _create(ctx, token, name="名" * 255, color="c" * 20)
    check(d["name"] == "名" * 255 and d["color"] == "c" * 20, "limits: %r" % d)


def test_department_description_size_contract(ctx):
    """docs: description at most 16,000 characters (characters, not bytes)."""
    token, _ = sb.tenant(ctx)
    for desc in ("d" * 16000, "\U0001f4de" * 16000, "é" * 16000):
        r = ctx.post("/api/departments", {"name": "Long desc " + sb.uid(),
                                          "phone_number": "+15551234567", "description": desc},
                     token=token)
        check(r.status == 201, "a description of 16000 characters (%d bytes) is refused: %r"
              % (len(desc.encode()), r))
        check(r.json["department"]["description"] == desc, "long description not round-tripped")
        g = ctx.get("/api/departments/" + r.json["department"]["id"], token=token)
        check(g.json["department"]["description"] == desc, "GET of a long description")
    last = r.json["department"]["id"]
    for desc in ("d" * 16001, "\U0001f4de" * 16001):
        r = ctx.post("/api/departments", {"name": "Too long " + sb.uid(),
                                          "phone_number": "+15551234567", "description": desc},
                     token=token)
        expect_error(r, 422, "validation_failed")
        check("description" in r.json.get("fields", {}), "fields.description: %r" % r)
        r = ctx.put("/api/departments/" + last, {"description": desc}, token=token)
        expect_error(r, 422, "validation_failed")
        check("description" in r.json.get("fields", {}), "PUT fields.description: %r" % r)
    check(_list(ctx, token)["total"] == 3, "a too-long description was stored")


def test_department_deleted_get_and_restore(ctx):
    """docs: GET /:id still returns a deleted department with is_active false, and PUT
    is_active true restores it (409 if its name was reused meanwhile)."""
    token, _ = sb.tenant(ctx)
    d = _create(ctx, token, description="phoenix")
    check(ctx.delete("/api/departments/" + d["id"], token=token).status == 200, "delete")
    g = ctx.get("/api/departments/" + d["id"], token=token)
    check(g.status == 200 and g.json["department"]["is_active"] is False and
          g.json["department"]["name"] == d["name"], "GET of a deleted department: %r" % g)
    r = ctx.put("/api/departments/" + d["id"], {"is_active": True}, token=token)
    check(r.status == 200 and r.json["department"]["is_active"] is True, "restore: %r" % r)
    check(r.json["department"]["description"] == "phoenix", "restore lost data: %r" % r)
    check([x["id"] for x in _list(ctx, token)["departments"]] == [d["id"]], "restored not listed")
    # Deleted again, its name reused: restoring it is a conflict, and it stays deleted.
    check(ctx.delete("/api/departments/" + d["id"], token=token).status == 200, "delete 2")
    reuse = _create(ctx, token, name=d["name"])
    r = ctx.put("/api/departments/" + d["id"], {"is_active": True}, token=token)
    expect_error(r, 409, "conflict")
    g = ctx.get("/api/departments/" + d["id"], token=token)
    check(g.json["department"]["is_active"] is False, "a 409 restore applied: %r" % g)
    check([x["id"] for x in _list(ctx, token)["departments"]] == [reuse["id"]], "list: %r"
          % _list(ctx, token))


def test_department_duplicate_name(ctx):
    token, _ = sb.tenant(ctx)
    d = _create(ctx, token)
    r = ctx.post("/api/departments", {"name": d["name"], "phone_number": "+15559990000"},
                 token=token)
    expect_error(r, 409, "conflict")
    check(_list(ctx, token)["total"] == 1, "the duplicate was stored")
    # Names are unique per tenant only.
    token_b, _ = sb.tenant(ctx)
    d_b = _create(ctx, token_b, name=d["name"])
    check(d_b["name"] == d["name"] and d_b["id"] != d["id"], "other tenant, same name: %r" % d_b)


def test_department_concurrent_duplicate_create(ctx):
    """8 simultaneous creates with one name: exactly one 201, seven 409 (no 500/503)."""
    token, _ = sb.tenant(ctx)
    name = "Race " + sb.uid()
    body = {"name": name, "phone_number": "+15551234567"}
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(lambda _: ctx.post("/api/departments", body, token=token),
                              range(8)))
    created = [r for r in results if r.status == 201]
    check(len(created) == 1, "%d creates succeeded: %r" % (len(created), results))
    for r in results:
        if r.status != 201:
            expect_error(r, 409, "conflict")
    lst = _list(ctx, token)
    check(_names(lst) == [name] and lst["total"] == 1, "list after the race: %r" % lst)


def test_department_names_differing_in_emoji_are_distinct(ctx):
    """"Team 🍎" and "Team 🍌" are two names: the second is no duplicate of the first.
    (Under utf8mb4_unicode_ci every character outside the BMP weighs the same, so a
    unique key on that collation calls them equal.)"""
    token, _ = sb.tenant(ctx)
    tag = sb.uid()
    pairs = [("Team \U0001f34e " + tag, "Team \U0001f34c " + tag),       # 🍎 / 🍌
             ("\U0001f4de Support " + tag, "\U0001f3a7 Support " + tag),  # 📞 / 🎧
             ("\U00020000 " + tag, "\U00020001 " + tag)]                  # CJK Ext. B
    made = []
    for first, second in pairs:
        a = _create(ctx, token, name=first)
        r = ctx.post("/api/departments", {"name": second, "phone_number": "+15551234567"},
                     token=token)
        check(r.status == 201, "%r refused as a duplicate of %r: %r" % (second, first, r))
        check(r.json["department"]["name"] == second and a["name"] == first, "names changed")
        made += [first, second]
    lst = _list(ctx, token)
    check(sorted(_names(lst)) == sorted(made), "list: %r" % _names(lst))
    # The true duplicate is still refused.
    r = ctx.post("/api/departments", {"name": pairs[0][0], "phone_number": "+15551234567"},
                 token=token)
    expect_error(r, 409, "conflict")


def test_department_nul_rejected(ctx):
    token, _ = sb.tenant(ctx)
    for field in ("name", "description", "color"):
        body = {"name": "Nul " + sb.uid(), "phone_number": "+15551234567"}
        body[field] = "a\u0000b"
        r = ctx.post("/api/departments", body, token=token)
        expect_error(r, 422, "validation_failed")
        check(field in r.json.get("fields", {}), "fields.%s for NUL: %r" % (field, r))
    d = _create(ctx, token)
    r = ctx.put("/api/departments/" + d["id"], {"name": "x\u0000"}, token=token)
    expect_error(r, 422, "validation_failed")
    check("name" in r.json.get("fields", {}), "fields.name for NUL on PUT: %r" % r)
    # Raw JSON with an escaped NUL inside a string (not via Python's encoder).
    r = ctx.request("POST", "/api/departments", token=token,
                    raw=b'{"name": "raw\\u0000nul", "phone_number": "+15551234567"}')
    expect_error(r, 422, "validation_failed")
    check("name" in r.json.get("fields", {}), "fields.name for a raw \\u0000: %r" % r)
    check(_list(ctx, token)["total"] == 1, "a NUL department was stored")


def test_department_strings_round_trip(ctx):
    token, _ = sb.tenant(ctx)
    texts = [
        "O'Brien \"Sales\" `tick`",
        "back\\slash \\n not a newline \\\\ double",
        "100% _sale_ %% __ \\% \\_",
        "Emoji 📞☎️🎧 👩🏽‍💻",
        "客服部 サポート 고객센터",
        "خدمة العملاء שירות לקוחות",
        "'; DROP TABLE departments; --",
        "\" OR 1=1; --",
        "Robert'); DELETE FROM tenants WHERE ('1'='1",
        "<script>alert(1)</script> &amp; &lt;",
        "tab\there\nnewline\r\ncrlf \u2028 \u00e9\u0301",
        "{\"json\": [\"in\", \"a\", \"string\"]}",
    ]
    made = {}
    for i, t in enumerate(texts):
        name = "%s #%d %s" % (t, i, sb.uid())
        r = ctx.post("/api/departments", {"name": name, "phone_number": "+15551230000",
                                          "description": t}, token=token)
        check(r.status == 201, "create with %r: %r" % (t, r))
        d = r.json["department"]
        check(d["name"] == name, "name changed: %r → %r" % (name, d["name"]))
        check(d["description"] == t, "description changed: %r → %r" % (t, d["description"]))
        g = ctx.get("/api/departments/" + d["id"], token=token)
        check(g.status == 200, "GET %r: %r" % (t, g))
        check(g.json["department"]["name"] == name and g.json["department"]["description"] == t,
              "GET changed %r: %r" % (t, g.json["department"]))
        made[d["id"]] = (name, t)
    listing = _list(ctx, token)
    check(listing["total"] == len(texts), "total %r, want %d" % (listing["total"], len(texts)))
    for d in listing["departments"]:
        name, t = made[d["id"]]
        check(d["name"] == name and d["description"] == t, "list changed %r: %r" % (t, d))
    # Update with the same kinds of text, and the SQL-looking name again.
    some_id = next(iter(made))
    new_name = "'; UPDATE departments SET name='pwned'; -- " + sb.uid()
    r = ctx.put("/api/departments/" + some_id, {"name": new_name, "description": "\\'\"%_"},
                token=token)
    check(r.status == 200 and r.json["department"]["name"] == new_name and
          r.json["department"]["description"] == "\\'\"%_", "PUT with quotes: %r" % r)
    check(all(d["name"] != "pwned" for d in _list(ctx, token)["departments"]), "SQL injection")


# -- list -----------------------------------------------------------------------------

def test_department_list_contract(ctx):
    token, _ = sb.tenant(ctx)
    empty = _list(ctx, token)
    check(empty.get("success") is True and empty.get("departments") == [], "empty list: %r" % empty)
    check(empty.get("total") == 0, "empty total: %r" % empty)
    check(empty.get("pagination") == {"page": 1, "limit": 100, "total": 0, "total_pages": 0},
          "empty pagination: %r" % empty.get("pagination"))
    tag = sb.uid()
    for n in ("charlie", "alpha", "Bravo", "delta"):
        _create(ctx, token, name="%s %s" % (n, tag))
    gone = _create(ctx, token, name="echo " + tag)
    off = _create(ctx, token, name="foxtrot " + tag)
    check(ctx.delete("/api/departments/" + gone["id"], token=token).status == 200, "delete")
    r = ctx.put("/api/departments/" + off["id"], {"is_active": False}, token=token)
    check(r.status == 200 and r.json["department"]["is_active"] is False, "deactivate: %r" % r)
    lst = _list(ctx, token)
    want = ["alpha " + tag, "Bravo " + tag, "charlie " + tag, "delta " + tag]
    check(_names(lst) == want, "active departments ordered by name: %r" % _names(lst))
    check(lst["total"] == 4, "total: %r" % lst["total"])
    check(lst["pagination"] == {"page": 1, "limit": 100, "total": 4, "total_pages": 1},
          "pagination: %r" % lst["pagination"])
    check(all(set(d) == DEPT_FIELDS and d["is_active"] is True for d in lst["departments"]),
          "list items: %r" % lst["departments"])
    # Pages.
    p1 = _list(ctx, token, "?limit=3")
    check(_names(p1) == want[:3], "page 1 of 3: %r" % _names(p1))
    check(p1["total"] == 4 and p1["pagination"] == {"page": 1, "limit": 3, "total": 4,
                                                    "total_pages": 2}, "p1: %r" % p1)
    p2 = _list(ctx, token, "?limit=3&page=2")
    check(_names(p2) == want[3:], "page 2 of 3: %r" % _names(p2))
    check(p2["pagination"] == {"page": 2, "limit": 3, "total": 4, "total_pages": 2}, "p2: %r" % p2)
    p3 = _list(ctx, token, "?limit=3&page=3")
    check(p3["departments"] == [] and p3["total"] == 4, "past the end: %r" % p3)
    check(_names(_list(ctx, token, "?limit=500")) == want, "limit=500")
    for q in ("?limit=0", "?limit=501", "?limit=-1", "?page=0"):
        r = ctx.get("/api/departments" + q, token=token)
        expect_error(r, 422, "validation_failed")
        field = "page" if "page" in q else "limit"
        check(field in r.json.get("fields", {}), "fields.%s for %s: %r" % (field, q, r))


def test_department_get(ctx):
    token, _ = sb.tenant(ctx)
    d = _create(ctx, token, description="get me", business_hours={"mon": []})
    r = ctx.get("/api/departments/" + d["id"], token=token)
    check(r.status == 200 and r.json.get("success") is True, "GET: %r" % r)
    check(r.json["department"] == d, "GET differs from create: %r vs %r" % (r.json, d))
    r = ctx.get("/api/v1/departments/" + d["id"], token=token)
    check(sb.cc_data(r) == sb.cc_form(d, ("business_hours",)), "v1 GET: %r" % r)
    expect_error(ctx.get("/api/departments/dept_doesnotexist", token=token), 404, "not_found")
    expect_error(ctx.get("/api/departments/%27%20OR%201%3D1%20--", token=token), 404, "not_found")


# -- update ---------------------------------------------------------------------------

def test_department_update_partial(ctx):
    token, _ = sb.tenant(ctx)
    hours = {"fri": [{"open": "10:00", "close": "12:00"}]}
    d = _create(ctx, token, phone="+1-555-SALES-01", description="old", color="red",
                business_hours=hours)
    r = ctx.put("/api/departments/" + d["id"], {"description": "new description"}, token=token)
    check(r.status == 200 and r.json.get("success") is True, "PUT: %r" % r)
    u = r.json["department"]
    check(u["description"] == "new description", "description: %r" % u)
    for k in ("id", "tenant_id", "name", "phone_number", "color", "is_active", "business_hours",
              "created_at"):
        check(u[k] == d[k], "%s changed by a PUT that did not send it: %r → %r" % (k, d[k], u[k]))
    check(RFC3339.match(u["updated_at"]) and u["updated_at"] >= d["updated_at"], "updated_at")
    # Each field on its own.
    r = ctx.put("/api/departments/" + d["id"], {"phone_number": "+44 20 7946 0958"}, token=token)
    check(r.status == 200 and r.json["department"]["phone_number"] == "+442079460958" and
          r.json["department"]["description"] == "new description", "phone PUT: %r" % r)
    r = ctx.put("/api/departments/" + d["id"], {"business_hours": {"sun": []}}, token=token)
    check(r.status == 200 and r.json["department"]["business_hours"] == {"sun": []} and
          r.json["department"]["color"] == "red", "hours PUT: %r" % r)
    new_name = "Renamed " + sb.uid()
    r = ctx.put("/api/departments/" + d["id"], {"name": new_name}, token=token)
    check(r.status == 200 and r.json["department"]["name"] == new_name, "name PUT: %r" % r)
    check(r.json["department"]["phone_number"] == "+442079460958", "phone lost by name PUT")
    # null clears description and business_hours; name null is refused.
    r = ctx.put("/api/departments/" + d["id"], {"description": None}, token=token)
    check(r.status == 200 and r.json["department"]["description"] is None and
          r.json["department"]["business_hours"] == {"sun": []}, "null desc: %r" % r)
    r = ctx.put("/api/departments/" + d["id"], {"business_hours": None}, token=token)
    check(r.status == 200 and r.json["department"]["business_hours"] is None and
          r.json["department"]["name"] == new_name, "null business_hours: %r" % r)
    for body in ({"color": ""}, {"color": None}, {"phone_number": None}):
        r = ctx.put("/api/departments/" + d["id"], body, token=token)
        expect_error(r, 422, "validation_failed")
        check(set(body) <= set(r.json.get("fields", {})), "PUT %r: %r" % (body, r))
    r = ctx.put("/api/departments/" + d["id"], {"name": None}, token=token)
    expect_error(r, 422, "validation_failed")
    check("name" in r.json.get("fields", {}), "fields.name: %r" % r)
    # Invalid values → 422 and nothing changes.
    r = ctx.put("/api/departments/" + d["id"], {"phone_number": "12345", "name": "Never " + sb.uid()},
                token=token)
    expect_error(r, 422, "validation_failed")
    check("phone_number" in r.json.get("fields", {}), "fields.phone_number: %r" % r)
    r = ctx.put("/api/departments/" + d["id"], {"is_active": "yes"}, token=token)
    expect_error(r, 422, "validation_failed")
    check("is_active" in r.json.get("fields", {}), "fields.is_active: %r" % r)
    g = ctx.get("/api/departments/" + d["id"], token=token).json["department"]
    check(g["name"] == new_name and g["phone_number"] == "+442079460958", "a 422 changed: %r" % g)
    # Same name as itself: fine. Another existing name: 409.
    r = ctx.put("/api/departments/" + d["id"], {"name": new_name}, token=token)
    check(r.status == 200, "PUT own name: %r" % r)
    other = _create(ctx, token)
    r = ctx.put("/api/departments/" + d["id"], {"name": other["name"]}, token=token)
    expect_error(r, 409, "conflict")
    g = ctx.get("/api/departments/" + d["id"], token=token).json["department"]
    check(g["name"] == new_name, "a 409 changed the name: %r" % g)
    # Unknown id, non-object bodies.
    expect_error(ctx.put("/api/departments/dept_nope", {"description": "x"}, token=token),
                 404, "not_found")
    expect_error(ctx.request("PUT", "/api/departments/" + d["id"], raw=b"[1]", token=token),
                 400, "invalid_json")


# -- delete ---------------------------------------------------------------------------

def test_department_delete(ctx):
    token, _ = sb.tenant(ctx)
    d = _create(ctx, token, description="to delete")
    keep = _create(ctx, token)
    r = ctx.delete("/api/departments/" + d["id"], token=token)
    check(r.status == 200, "DELETE: %r" % r)
    check(r.json.get("success") is True, "success: %r" % r)
    check(r.json.get("message") == "Department deleted successfully", "message: %r" % r)
    dd = r.json.get("department")
    check(isinstance(dd, dict) and dd.get("id") == d["id"] and dd.get("is_active") is False,
          "deleted department in the answer: %r" % r)
    lst = _list(ctx, token)
    check([x["id"] for x in lst["departments"]] == [keep["id"]] and lst["total"] == 1,
          "the deleted department is listed: %r" % lst)
    # Deleting again: no such active department.
    expect_error(ctx.delete("/api/departments/" + d["id"], token=token), 404, "not_found")
    expect_error(ctx.delete("/api/departments/dept_nope", token=token), 404, "not_found")
    # Its name can be reused.
    again = _create(ctx, token, name=d["name"])
    check(again["id"] != d["id"] and again["name"] == d["name"], "reuse: %r" % again)
    lst = _list(ctx, token)
    check(sorted(x["id"] for x in lst["departments"]) == sorted([keep["id"], again["id"]]),
          "after reuse: %r" % lst)
    # The second one, deleted too, frees the name again (two deleted rows with one name).
    check(ctx.delete("/api/departments/" + again["id"], token=token).status == 200, "delete 2")
    third = _create(ctx, token, name=d["name"])
    check(third["name"] == d["name"], "second reuse")


def test_department_delete_refused_while_agents_active(ctx):
    token, tid = sb.tenant(ctx)
    d = _create(ctx, token)
    aid = _insert_agent(ctx, tid, d["id"], "available")
    r = ctx.delete("/api/departments/" + d["id"], token=token)
    expect_error(r, 409, "conflict")
    check(d["id"] in [x["id"] for x in _list(ctx, token)["departments"]], "refused but gone")
    sb.sql(ctx, "UPDATE agents SET status = 'busy' WHERE id = '%s'" % aid)
    expect_error(ctx.delete("/api/departments/" + d["id"], token=token), 409, "conflict")
    sb.sql(ctx, "UPDATE agents SET status = 'offline' WHERE id = '%s'" % aid)
    # An available agent of another department (and another tenant) does not block.
    other = _create(ctx, token)
    _insert_agent(ctx, tid, other["id"], "available")
    r = ctx.delete("/api/departments/" + d["id"], token=token)
    check(r.status == 200, "DELETE with only offline agents: %r" % r)
    check(d["id"] not in [x["id"] for x in _list(ctx, token)["departments"]], "still listed")


def test_department_tenant_isolation(ctx):
    ta, tid_a = sb.tenant(ctx)
    tb, _ = sb.tenant(ctx)
    d = _create(ctx, ta, description="A's secret")
    p = "/api/departments/" + d["id"]
    expect_error(ctx.get(p, token=tb), 404, "not_found")
    expect_error(ctx.put(p, {"name": "hijacked " + sb.uid(), "description": "x"}, token=tb),
                 404, "not_found")
    expect_error(ctx.put(p, {"is_active": False}, token=tb), 404, "not_found")
    expect_error(ctx.delete(p, token=tb), 404, "not_found")
    lb = _list(ctx, tb)
    check(d["id"] not in [x["id"] for x in lb["departments"]] and lb["total"] == 0,
          "B sees A's department: %r" % lb)
    # A's department is untouched.
    g = ctx.get(p, token=ta)
    check(g.status == 200 and g.json["department"] == d, "A's department changed: %r" % g)
    # B's own department with the same name does not disturb A's list.
    _create(ctx, tb, name=d["name"])
    la = _list(ctx, ta)
    check([x["id"] for x in la["departments"]] == [d["id"]], "A's list: %r" % la)
    check(all(x["tenant_id"] == tid_a for x in la["departments"]), "tenant_id in A's list")


def test_department_roles(ctx):
    admin, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    manager = sb.user(ctx, admin, "manager")["token"]
    d = _create(ctx, admin)
    p = "/api/departments/" + d["id"]
    # Agents read, never write.
    check(ctx.get("/api/departments", token=agent).status == 200, "agent list")
    check(ctx.get(p, token=agent).status == 200, "agent GET")
    expect_error(ctx.post("/api/departments", {"name": "Agent " + sb.uid(),
                                               "phone_number": "+15551234567"}, token=agent),
                 403, "forbidden")
    expect_error(ctx.put(p, {"description": "agent was here"}, token=agent), 403, "forbidden")
    expect_error(ctx.delete(p, token=agent), 403, "forbidden")
    check(ctx.get(p, token=admin).json["department"]["description"] == d["description"],
          "a 403 PUT changed the department")
    # Managers write.
    m = _create(ctx, manager)
    r = ctx.put("/api/departments/" + m["id"], {"description": "by manager"}, token=manager)
    check(r.status == 200 and r.json["department"]["description"] == "by manager", "mgr PUT")
    check(ctx.delete("/api/departments/" + m["id"], token=manager).status == 200, "mgr DELETE")


def test_department_list_cache_follows_writes(ctx):
    token, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    tag = sb.uid()
    # Prime the cache of both tenants (several times: several workers).
    for _ in range(4):
        _list(ctx, token)
        _list(ctx, other)
    d = _create(ctx, token, name="b-cache " + tag)
    for _ in range(4):
        check("b-cache " + tag in _names(_list(ctx, token)), "create not in the list at once")
        check(_list(ctx, other)["total"] == 0, "another tenant's cached list shows it")
    r = ctx.put("/api/departments/" + d["id"], {"name": "a-cache " + tag}, token=token)
    check(r.status == 200, "rename: %r" % r)
    for _ in range(4):
        names = _names(_list(ctx, token))
        check(names == ["a-cache " + tag], "rename not in the list at once: %r" % names)
    r = ctx.put("/api/departments/" + d["id"], {"description": "cached?"}, token=token)
    for _ in range(4):
        check(_list(ctx, token)["departments"][0]["description"] == "cached?",
              "description update not in the list at once")
    r = ctx.put("/api/departments/" + d["id"], {"is_active": False}, token=token)
    check(r.status == 200, "deactivate: %r" % r)
    for _ in range(4):
        check(_list(ctx, token)["total"] == 0, "deactivated but listed")
    r = ctx.put("/api/departments/" + d["id"], {"is_active": True}, token=token)
    check(r.status == 200, "reactivate: %r" % r)
    for _ in range(4):
        check(_names(_list(ctx, token)) == ["a-cache " + tag], "reactivated but not listed")
    check(ctx.delete("/api/departments/" + d["id"], token=token).status == 200, "delete")
    for _ in range(4):
        lst = _list(ctx, token)
        check(lst["total"] == 0 and lst["departments"] == [], "deleted but listed: %r" % lst)
    # Many quick writes, each read back at once.
    ids = []
    for i in range(10):
        ids.append(_create(ctx, token, name="q%02d %s" % (i, tag))["id"])
        check(_list(ctx, token)["total"] == i + 1, "create %d not counted at once" % i)
    for i, did in enumerate(ids):
        check(ctx.delete("/api/departments/" + did, token=token).status == 200, "delete %d" % i)
        check(_list(ctx, token)["total"] == 9 - i, "delete %d not counted at once" % i)
