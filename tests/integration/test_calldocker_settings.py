"""CallDocker settings: the system's (super_admin) and its status, a company's (another
company 404 unless super_admin), the user's preferences validated against the static theme
and language lists."""

import sb
from sb import check, expect_error



def test_system_settings_and_status(ctx):
    token, tid = sb.tenant(ctx)
    expect_error(ctx.get("/api/settings/system", token=token), 403)
    expect_error(ctx.get("/api/settings/system"), 401)
    sup = sb.super_admin(ctx)["token"]
    r = ctx.get("/api/settings/system", token=sup)
    check(r.status == 200 and r.json["success"] is True, "system: %r" % r)
    d = r.json["data"]
    check(d["version"] and d["limits"]["max_body_bytes"] > 0
          and isinstance(d["features"]["registration"], bool), "system fields: %r" % d)
    check(all(k not in r.text for k in ("db_password", "jwt", "_file", "socket")), "no secrets: %r" % r)
    s = ctx.get("/api/settings/system/status", token=token)
    check(s.status == 200 and s.json["data"]["status"] in ("ok", "degraded"), "status: %r" % s)
    for dep in ("database", "memcached", "event_worker"):
        c = s.json["data"]["checks"][dep]
        check(isinstance(c["ok"], bool) and c["latency_ms"] >= 0, "%s: %r" % (dep, c))
    agent = sb.user(ctx, token, "agent")
    expect_error(ctx.get("/api/settings/system/status", token=agent["token"]), 403)


def test_company_settings(ctx):
    token, tid = sb.tenant(ctx)
    other, other_tid = sb.tenant(ctx)
    sb.sql(ctx, "INSERT INTO schedules (id, tenant_id, name, timezone, hours) VALUES"
                " ('sch_%s', '%s', 'Office', 'Europe/Paris',"
                " '{\"mon\":[{\"open\":\"09:00\",\"close\":\"17:00\"}]}')" % (sb.uid(), tid))
    agent = sb.user(ctx, token, "agent")
    r = ctx.get("/api/settings/company/" + tid, token=agent["token"])
    check(r.status == 200, "company: %r" % r)
    d = r.json["data"]
    check(d["id"] == tid and d["timezone"] and d["name"], "tenant: %r" % d)
    bh = d["business_hours"]
    check(len(bh) == 1 and bh[0]["timezone"] == "Europe/Paris"
          and bh[0]["hours"]["mon"][0]["open"] == "09:00", "business hours: %r" % bh)
    expect_error(ctx.get("/api/settings/company/" + other_tid, token=token), 404)
    expect_error(ctx.get("/api/settings/company/" + tid), 401)
    sup = sb.super_admin(ctx)["token"]
    r = ctx.get("/api/settings/company/" + other_tid, token=sup)
    check(r.status == 200 and r.json["data"]["id"] == other_tid
          and r.json["data"]["business_hours"] == [], "super: %r" % r)


def test_themes_languages_and_preferences(ctx):
    token, tid = sb.tenant(ctx)
    themes = ctx.get("/api/settings/themes", token=token)
    check(themes.status == 200 and themes.json["pagination"]["total"] == len(themes.json["data"]),
          "themes: %r" % themes)
    ids = [t["id"] for t in themes.json["data"]]
    check("dark" in ids and "light" in ids, "theme ids: %r" % ids)
    langs = ctx.get("/api/settings/languages", token=token).json["data"]
    codes = [l["code"] for l in langs]
    check("en" in codes and "fr" in codes and all(l["native_name"] for l in langs), "%r" % langs)
    agent = sb.user(ctx, token, "agent")
    t = agent["token"]
    p = ctx.get("/api/settings/user/preferences", token=t)
    check(p.status == 200 and p.json["data"]["theme"] == "system"
          and p.json["data"]["language"] == "en"
          and p.json["data"]["notifications"]["email"] is True
          and p.json["data"]["user_id"] == agent["user"]["id"], "defaults: %r" % p)
    r = ctx.put("/api/settings/user/preferences",
                {"theme": "dark", "language": "fr", "timezone": "America/New_York",
                 "notifications": {"email": False, "sms": True}}, token=t)
    check(r.status == 200 and r.json["data"]["theme"] == "dark"
          and r.json["data"]["timezone"] == "America/New_York"
          and r.json["data"]["notifications"] == {"email": False, "sms": True}, "put: %r" % r)
    # Partial: only the language changes.
    r = ctx.put("/api/settings/user/preferences", {"language": "de"}, token=t)
    check(r.json["data"]["language"] == "de" and r.json["data"]["theme"] == "dark", "%r" % r)
    check(ctx.get("/api/settings/user/preferences", token=t).json["data"] == r.json["data"],
          "stored")
    # Another user's preferences are their own.
    check(ctx.get("/api/settings/user/preferences", token=token).json["data"]["theme"]
          == "system", "per user")
    for body, field in (({"theme": "neon"}, "theme"), ({"language": "xx"}, "language"),
                        ({"timezone": "Mars/Olympus"}, "timezone"),
                        ({"notifications": {"email": "yes"}}, "notifications"),
                        ({"notifications": {"pigeon": True}}, "notifications"),
                        ({"notifications": [1]}, "notifications")):
        e = ctx.put("/api/settings/user/preferences", body, token=t)
        check(e.status == 422 and field in sb.fields(e) and e.json.get("message"),
              "422 %s: %r" % (field, e))
    expect_error(ctx.put("/api/settings/user/preferences", raw="{nope", token=t), 400)
    expect_error(ctx.get("/api/settings/user/preferences"), 401)
