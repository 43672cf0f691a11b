"""IVR content items (issue 11, calldocker family): CRUD in the calldocker dialect, the
text/audio pair, audio locations (https or a relative path only) and language tags refused
with a 422 naming the field, a duplicate name 409, roles, tenant isolation, and an item a
flow version's graph names refused on delete (409)."""
import json

import sb
from sb import check, expect_error

ITEM_FIELDS = {"id", "tenant_id", "name", "type", "text", "audio_url", "language", "voice",
               "created_by", "created_at", "updated_at"}
BASE = "/api/ivr/content"


def _data(r, status=200):
    """The data of a calldocker success: {"success":true,"message"?,"data":…}."""
    check(r.status == status, "expected %d, got %r" % (status, r))
    j = r.json
    check(isinstance(j, dict) and j.get("success") is True and "data" in j,
          "not a calldocker success: %r" % r)
    check("content" not in j and "meta" not in j, "another dialect's keys: %r" % r)
    return j["data"]


def _item(ctx, token, **extra):
    body = {"name": "Prompt " + sb.uid(), "text": "Welcome to Acme"}
    body.update(extra)
    return _data(ctx.post(BASE, body, token=token), 201)


def _refused(r, field):
    expect_error(r, 422, "validation_failed")
    check(field in sb.fields(r), "fields.%s: %r" % (field, r))
    check(isinstance(r.json.get("message"), str) and r.json["message"],
          "calldocker reads message: %r" % r)


def _flow_version(ctx, tid, graph):
    """A flow of the tenant with one version whose graph is given (the flows' own routes
    are another module's): the flow id."""
    fid = "flow_" + sb.uid()
    sb.sql(ctx, "INSERT INTO ivr_flows (id, tenant_id, name, latest_version) VALUES"
           " ('%s', '%s', 'F %s', 1)" % (fid, tid, fid))
    sb.sql(ctx, "INSERT INTO ivr_flow_versions (id, tenant_id, flow_id, version, graph) VALUES"
           " ('ifv_%s', '%s', '%s', 1, '%s')" % (sb.uid(), tid, fid, json.dumps(graph)))
    return fid


def test_ivr_content_create_contract(ctx):
    token, tid = sb.tenant(ctx)
    t = _item(ctx, token)
    check(set(t) == ITEM_FIELDS, "fields: %r" % sorted(t))
    check(t["id"].startswith("ivc_") and t["tenant_id"] == tid, "id/tenant: %r" % t)
    check(t["type"] == "text" and t["text"] == "Welcome to Acme" and t["language"] == "en-US"
          and t["audio_url"] is None and t["voice"] is None, "defaults: %r" % t)
    check(isinstance(t["created_by"], str) and t["created_by"].startswith("usr_"),
          "created_by: %r" % t)
    a = _item(ctx, token, type="audio", text=None, audio_url="https://cdn.example.com/hi.mp3",
              language="fr-FR", voice="alice")
    check(a["type"] == "audio" and a["audio_url"] == "https://cdn.example.com/hi.mp3"
          and a["language"] == "fr-FR" and a["voice"] == "alice" and a["text"] is None,
          "audio item: %r" % a)
    rel = _item(ctx, token, type="audio", audio_url="prompts/main-menu.wav")
    check(rel["audio_url"] == "prompts/main-menu.wav", "relative path: %r" % rel)
    g = _data(ctx.get(BASE + "/" + t["id"], token=token))
    check(g == t, "GET: %r vs %r" % (g, t))


def test_ivr_content_validation(ctx):
    token, _ = sb.tenant(ctx)
    cases = (({"text": "x"}, "name"),
             ({"name": "  ", "text": "x"}, "name"),
             ({"name": "a", "type": "video", "text": "x"}, "type"),
             ({"name": "a"}, "text"),
             ({"name": "a", "type": "audio"}, "audio_url"),
             ({"name": "a", "type": "audio", "audio_url": "http://cdn.example.com/a.mp3"},
              "audio_url"),
             ({"name": "a", "type": "audio", "audio_url": "ftp://h/a.mp3"}, "audio_url"),
             ({"name": "a", "type": "audio", "audio_url": "javascript:alert(1)"}, "audio_url"),
             ({"name": "a", "type": "audio", "audio_url": "../../etc/passwd"}, "audio_url"),
             ({"name": "a", "type": "audio", "audio_url": "//evil.example/a.mp3"}, "audio_url"),
             ({"name": "a", "text": "x", "language": "english"}, "language"),
             ({"name": "a", "text": "x", "language": "en_US"}, "language"),
             ({"name": "a", "text": "x", "voice": "v" * 65}, "voice"),
             ({"name": "a", "text": 7}, "text"))
    for body, field in cases:
        _refused(ctx.post(BASE, body, token=token), field)
    r = ctx.get(BASE, token=token)
    check(_data(r) == [] and r.json["pagination"]["total"] == 0, "refused items stored: %r" % r)
    # PUT checks the item as it will be: a text item turned audio needs its audio_url.
    t = _item(ctx, token)
    _refused(ctx.put(BASE + "/" + t["id"], {"type": "audio"}, token=token), "audio_url")
    _refused(ctx.put(BASE + "/" + t["id"], {"text": None}, token=token), "text")
    _refused(ctx.put(BASE + "/" + t["id"], {"language": "x"}, token=token), "language")
    u = _data(ctx.put(BASE + "/" + t["id"], {"type": "audio", "audio_url": "https://h/a.wav"},
                      token=token))
    check(u["type"] == "audio" and u["audio_url"] == "https://h/a.wav" and u["name"] == t["name"],
          "PUT to audio: %r" % u)
    r = ctx.post(BASE, raw="{not json", token=token)
    expect_error(r, 400)


def test_ivr_content_list_update_delete(ctx):
    token, _ = sb.tenant(ctx)
    names = ["Alpha " + sb.uid(), "Bravo " + sb.uid(), "Charlie " + sb.uid()]
    made = [_item(ctx, token, name=names[0]),
            _item(ctx, token, name=names[1], type="audio", audio_url="a.wav"),
            _item(ctx, token, name=names[2], language="de-DE")]
    r = ctx.get(BASE, token=token)
    check([x["name"] for x in _data(r)] == names, "by name: %r" % r)
    check(r.json["pagination"] == {"page": 1, "limit": 25, "total": 3, "pages": 1},
          "pagination: %r" % r.json.get("pagination"))
    r = ctx.get(BASE + "?limit=2&page=2&sortBy=name&sortOrder=desc", token=token)
    check([x["name"] for x in _data(r)] == [names[0]], "page 2 desc: %r" % r)
    check(r.json["pagination"] == {"page": 2, "limit": 2, "total": 3, "pages": 2},
          "pagination 2: %r" % r.json.get("pagination"))
    check([x["id"] for x in _data(ctx.get(BASE + "?type=audio", token=token))] == [made[1]["id"]],
          "type filter")
    check([x["id"] for x in _data(ctx.get(BASE + "?language=de-DE", token=token))]
          == [made[2]["id"]], "language filter")
    _refused(ctx.get(BASE + "?sortBy=nope", token=token), "sort")
    # Partial update keeps what was not sent.
    u = _data(ctx.put(BASE + "/" + made[0]["id"], {"voice": "Polly.Joanna"}, token=token))
    check(u["voice"] == "Polly.Joanna" and u["text"] == made[0]["text"]
          and u["name"] == made[0]["name"], "PUT: %r" % u)
    # Duplicate name.
    r = ctx.post(BASE, {"name": names[1], "text": "x"}, token=token)
    expect_error(r, 409, "conflict")
    r = ctx.put(BASE + "/" + made[0]["id"], {"name": names[1]}, token=token)
    expect_error(r, 409, "conflict")
    # Delete.
    r = ctx.delete(BASE + "/" + made[0]["id"], token=token)
    check(r.status == 200 and r.json.get("success") is True and r.json.get("message"),
          "delete: %r" % r)
    expect_error(ctx.get(BASE + "/" + made[0]["id"], token=token), 404, "not_found")
    expect_error(ctx.delete(BASE + "/" + made[0]["id"], token=token), 404, "not_found")
    check(ctx.get(BASE, token=token).json["pagination"]["total"] == 2, "after delete")


def test_ivr_content_roles_and_tenants(ctx):
    token, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    t = _item(ctx, token)
    expect_error(ctx.get(BASE), 401)
    expect_error(ctx.post(BASE, {"name": "x", "text": "y"}), 401)
    agent = sb.user(ctx, token, "agent")["token"]
    manager = sb.user(ctx, token, "manager")["token"]
    expect_error(ctx.get(BASE, token=agent), 403)
    expect_error(ctx.get(BASE + "/" + t["id"], token=agent), 403)
    check(len(_data(ctx.get(BASE, token=manager))) == 1, "manager reads")
    check(_data(ctx.get(BASE + "/" + t["id"], token=manager))["id"] == t["id"], "manager GET")
    expect_error(ctx.post(BASE, {"name": "x", "text": "y"}, token=manager), 403)
    expect_error(ctx.put(BASE + "/" + t["id"], {"text": "y"}, token=manager), 403)
    expect_error(ctx.delete(BASE + "/" + t["id"], token=manager), 403)
    # Another tenant sees nothing of it.
    expect_error(ctx.get(BASE + "/" + t["id"], token=other), 404, "not_found")
    expect_error(ctx.put(BASE + "/" + t["id"], {"text": "y"}, token=other), 404, "not_found")
    expect_error(ctx.delete(BASE + "/" + t["id"], token=other), 404, "not_found")
    check(_data(ctx.get(BASE, token=other)) == [], "other tenant's list")
    # The same name is free in another tenant.
    _item(ctx, other, name=t["name"])
    check(_data(ctx.get(BASE + "/" + t["id"], token=token))["text"] == t["text"], "unchanged")


def test_ivr_content_in_use(ctx):
    token, tid = sb.tenant(ctx)
    other, other_tid = sb.tenant(ctx)
    used, free, foreign = _item(ctx, token), _item(ctx, token), _item(ctx, token)
    fid = _flow_version(ctx, tid, {"start": "m", "nodes": [
        {"id": "w", "type": "say", "text": "Hi", "next": "m"},
        {"id": "m", "type": "menu", "prompt": {"content_id": used["id"]}, "options": {"1": "b"}},
        {"id": "b", "type": "hangup"}]})
    # Another tenant's graph naming an item does not hold it.
    _flow_version(ctx, other_tid, {"start": "s", "nodes": [
        {"id": "s", "type": "say", "content_id": foreign["id"]}]})
    # A look-alike id (the '_' of the id as another character) is not the item.
    _flow_version(ctx, tid, {"start": "s", "nodes": [
        {"id": "s", "type": "say", "content_id": free["id"].replace("_", "X", 1)}]})
    r = ctx.delete(BASE + "/" + used["id"], token=token)
    expect_error(r, 409, "conflict")
    check("flow" in r.json["message"], "message names the flow: %r" % r)
    check(_data(ctx.get(BASE + "/" + used["id"], token=token))["id"] == used["id"], "still there")
    check(ctx.delete(BASE + "/" + free["id"], token=token).status == 200, "unused item deletes")
    check(ctx.delete(BASE + "/" + foreign["id"], token=token).status == 200,
          "an item only another tenant's graph names deletes")
    # Once no version names it, it goes.
    sb.sql(ctx, "DELETE FROM ivr_flows WHERE id = '%s'" % fid)
    check(ctx.delete(BASE + "/" + used["id"], token=token).status == 200, "deletes after")
