"""IVR menus and their options (issue 11, callcenter family): CRUD under /api/v1/ivr/menus
(and /api/ivr/menus) in the callcenter dialect, a menu's record carrying its options,
option targets checked in the tenant, one option per key (409), roles, tenant isolation,
and the menu as the graph document of docs/ivr.md (/graph)."""
import sb
from sb import check, expect_cc_error

MENU_FIELDS = {"id", "tenant_id", "name", "description", "greeting_type", "greeting_text",
               "greeting_audio_path", "language", "voice", "timeout", "max_retries",
               "is_active", "created_at", "updated_at", "options"}
OPTION_FIELDS = {"id", "menu_id", "digit", "label", "route_type", "route_target",
                 "created_at", "updated_at"}
V1 = "/api/v1/ivr/menus"


def _menu(ctx, token, prefix=V1, **extra):
    body = {"name": "Menu " + sb.uid(), "greeting_text": "Press 1 for sales"}
    body.update(extra)
    return sb.cc_data(ctx.post(prefix, body, token=token), 201)


def _option(ctx, token, menu_id, digit, route_type, target=None, **extra):
    body = {"digit": digit, "route_type": route_type}
    if target is not None:
        body["route_target"] = target
    body.update(extra)
    return sb.cc_data(ctx.post("%s/%s/options" % (V1, menu_id), body, token=token), 201)


def _queue(ctx, token):
    return sb.cc_data(ctx.post("/api/v1/queues", {"name": "Q " + sb.uid()}, token=token), 201)


def _refused(r, status, field=None):
    expect_cc_error(r, status)
    if field is not None:
        details = ((r.json or {}).get("error") or {}).get("details") or {}
        check(field in details, "details.%s: %r" % (field, r))


def test_ivr_menu_create_contract(ctx):
    token, tid = sb.tenant(ctx)
    m = _menu(ctx, token)
    check(set(m) == MENU_FIELDS, "menu fields: %r" % sorted(m))
    check(m["id"].startswith("ivm_") and m["tenant_id"] == tid, "id/tenant: %r" % m)
    check(m["greeting_type"] == "tts" and m["language"] == "en-US" and m["timeout"] == 5
          and m["max_retries"] == 3 and m["is_active"] is True and m["options"] == [],
          "defaults: %r" % m)
    # The Go clients' habit: a text without a value is "".
    check(m["description"] == "" and m["greeting_audio_path"] == "" and m["voice"] == "",
          "empty texts: %r" % m)
    a = _menu(ctx, token, prefix="/api/ivr/menus", greeting_type="audio",
              greeting_audio_path="https://cdn.example.com/menu.mp3", timeout=10,
              max_retries=0, language="es-419", voice="Polly.Lupe", description="Spanish")
    check(a["greeting_type"] == "audio" and a["greeting_audio_path"].endswith("menu.mp3")
          and a["timeout"] == 10 and a["max_retries"] == 0 and a["language"] == "es-419",
          "audio menu: %r" % a)
    g = sb.cc_data(ctx.get("%s/%s" % (V1, m["id"]), token=token))
    check(g == m, "GET: %r vs %r" % (g, m))
    r = ctx.get(V1, token=token)
    lst = sb.cc_data(r)
    check(isinstance(lst, list) and {x["id"] for x in lst} == {m["id"], a["id"]}, "list: %r" % r)
    check(r.json["meta"]["total_count"] == 2, "meta: %r" % r.json.get("meta"))


def test_ivr_menu_validation(ctx):
    token, _ = sb.tenant(ctx)
    for body, field in (({"greeting_text": "x"}, "name"),
                        ({"name": "a"}, "greeting_text"),
                        ({"name": "a", "greeting_type": "audio"}, "greeting_audio_path"),
                        ({"name": "a", "greeting_type": "video", "greeting_text": "x"},
                         "greeting_type"),
                        ({"name": "a", "greeting_type": "audio",
                          "greeting_audio_path": "http://h/a.mp3"}, "greeting_audio_path"),
                        ({"name": "a", "greeting_text": "x", "language": "english"}, "language"),
                        ({"name": "a", "greeting_text": "x", "timeout": 0}, "timeout"),
                        ({"name": "a", "greeting_text": "x", "timeout": 61}, "timeout"),
                        ({"name": "a", "greeting_text": "x", "max_retries": 11}, "max_retries"),
                        ({"name": "a", "greeting_text": "x", "is_active": "yes"}, "is_active")):
        _refused(ctx.post(V1, body, token=token), 422, field)
    check(sb.cc_data(ctx.get(V1, token=token)) == [], "refused menus stored")
    m = _menu(ctx, token)
    _refused(ctx.put("%s/%s" % (V1, m["id"]), {"greeting_type": "audio"}, token=token), 422,
             "greeting_audio_path")
    u = sb.cc_data(ctx.put("%s/%s" % (V1, m["id"]), {"timeout": 20, "description": "d"},
                           token=token))
    check(u["timeout"] == 20 and u["description"] == "d" and u["name"] == m["name"],
          "PUT: %r" % u)
    _refused(ctx.post(V1, {"name": m["name"], "greeting_text": "x"}, token=token), 409)
    _refused(ctx.post(V1, raw="{", token=token), 400)


def test_ivr_menu_options(ctx):
    token, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    m, sub = _menu(ctx, token), _menu(ctx, token)
    q, dept = _queue(ctx, token), sb.dept(ctx, token)
    foreign_q = _queue(ctx, other)
    o1 = _option(ctx, token, m["id"], "1", "queue", q["id"], label="Sales")
    check(set(o1) == OPTION_FIELDS, "option fields: %r" % sorted(o1))
    check(o1["id"].startswith("ivo_") and o1["menu_id"] == m["id"] and o1["digit"] == "1"
          and o1["route_type"] == "queue" and o1["route_target"] == q["id"]
          and o1["label"] == "Sales", "option: %r" % o1)
    _option(ctx, token, m["id"], "2", "department", dept["id"])
    ext = _option(ctx, token, m["id"], "3", "external", "+1 (555) 010-2030")
    check(ext["route_target"] == "+15550102030", "external normalised: %r" % ext)
    _option(ctx, token, m["id"], "4", "ivr", sub["id"])
    vm = _option(ctx, token, m["id"], "0", "voicemail")
    check(vm["route_target"] == "", "voicemail without a box: %r" % vm)
    _option(ctx, token, m["id"], "*", "repeat")
    _option(ctx, token, m["id"], "t", "repeat")
    hang = _option(ctx, token, m["id"], "i", "hangup")
    # Refusals: the field named.
    base = "%s/%s/options" % (V1, m["id"])
    for body, field in (({"route_type": "hangup"}, "digit"),
                        ({"digit": "x", "route_type": "hangup"}, "digit"),
                        ({"digit": "5"}, "route_type"),
                        ({"digit": "5", "route_type": "fax"}, "route_type"),
                        ({"digit": "5", "route_type": "queue"}, "route_target"),
                        ({"digit": "5", "route_type": "queue", "route_target": foreign_q["id"]},
                         "route_target"),
                        ({"digit": "5", "route_type": "queue", "route_target": "queue_nope"},
                         "route_target"),
                        ({"digit": "5", "route_type": "department", "route_target": q["id"]},
                         "route_target"),
                        ({"digit": "5", "route_type": "external", "route_target": "12"},
                         "route_target"),
                        ({"digit": "5", "route_type": "ivr", "route_target": "ivm_nope"},
                         "route_target"),
                        ({"digit": "5", "route_type": "hangup", "route_target": q["id"]},
                         "route_target")):
        _refused(ctx.post(base, body, token=token), 422, field)
    # One option per key.
    _refused(ctx.post(base, {"digit": "1", "route_type": "hangup"}, token=token), 409)
    _refused(ctx.put("%s/%s" % (base, hang["id"]), {"digit": "1"}, token=token), 409)
    # A key is case-sensitive: 'T' is not 't'.
    _refused(ctx.post(base, {"digit": "T", "route_type": "hangup"}, token=token), 422, "digit")
    # The menu's record carries its options, by key.
    got = sb.cc_data(ctx.get("%s/%s" % (V1, m["id"]), token=token))
    check([o["digit"] for o in got["options"]] == ["*", "0", "1", "2", "3", "4", "i", "t"],
          "options by key: %r" % got["options"])
    lst = sb.cc_data(ctx.get(base, token=token))
    check([o["id"] for o in lst] == [o["id"] for o in got["options"]], "options list: %r" % lst)
    # Changing to hangup clears the target; changing back needs one.
    u = sb.cc_data(ctx.put("%s/%s" % (base, o1["id"]), {"route_type": "hangup"}, token=token))
    check(u["route_type"] == "hangup" and u["route_target"] == "", "cleared: %r" % u)
    _refused(ctx.put("%s/%s" % (base, o1["id"]), {"route_type": "queue"}, token=token), 422,
             "route_target")
    u = sb.cc_data(ctx.put("%s/%s" % (base, o1["id"]), {"route_type": "queue",
                                                         "route_target": q["id"]}, token=token))
    check(u["route_target"] == q["id"] and u["label"] == "Sales", "back to queue: %r" % u)
    # An option is reached through its own menu only.
    _refused(ctx.put("%s/%s/options/%s" % (V1, sub["id"], o1["id"]), {"label": "x"},
                     token=token), 404)
    _refused(ctx.delete("%s/%s/options/%s" % (V1, sub["id"], o1["id"]), token=token), 404)
    r = ctx.delete("%s/%s" % (base, o1["id"]), token=token)
    check(r.status == 200 and r.json.get("success") is True, "delete: %r" % r)
    _refused(ctx.delete("%s/%s" % (base, o1["id"]), token=token), 404)
    check(len(sb.cc_data(ctx.get(base, token=token))) == 7, "after delete")
    # A menu another menu's option or a phone number routes to stays.
    _refused(ctx.delete("%s/%s" % (V1, sub["id"]), token=token), 409)
    r = ctx.post("/api/dids", {"number": "+1555%08d" % (int(sb.uid(), 16) % 10 ** 8),
                               "route_type": "ivr", "route_target": m["id"]}, token=token)
    check(r.status == 201, "DID to the menu: %r" % r)
    _refused(ctx.delete("%s/%s" % (V1, m["id"]), token=token), 409)
    check(ctx.delete("/api/dids/" + r.json["did"]["id"], token=token).status == 200, "DID gone")
    # Deleting the menu deletes its options.
    r = ctx.delete("%s/%s" % (V1, m["id"]), token=token)
    check(r.status == 200 and r.json.get("success") is True, "menu delete: %r" % r)
    _refused(ctx.get("%s/%s" % (V1, m["id"]), token=token), 404)
    _refused(ctx.get(base, token=token), 404)
    _refused(ctx.post(base, {"digit": "1", "route_type": "hangup"}, token=token), 404)
    check(sb.sql(ctx, "SELECT COUNT(*) FROM ivr_options WHERE menu_id = '%s'" % m["id"]).strip()
          == "0", "options left behind")


def test_ivr_menu_roles_and_tenants(ctx):
    token, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    m = _menu(ctx, token)
    o = _option(ctx, token, m["id"], "1", "hangup")
    one, opts = "%s/%s" % (V1, m["id"]), "%s/%s/options" % (V1, m["id"])
    _refused(ctx.get(V1), 401)
    _refused(ctx.post(V1, {"name": "x", "greeting_text": "y"}), 401)
    agent = sb.user(ctx, token, "agent")["token"]
    manager = sb.user(ctx, token, "manager")["token"]
    for path in (V1, one, opts, one + "/graph"):
        _refused(ctx.get(path, token=agent), 403)
        sb.cc_data(ctx.get(path, token=manager))
    _refused(ctx.post(V1, {"name": "x", "greeting_text": "y"}, token=manager), 403)
    _refused(ctx.put(one, {"timeout": 9}, token=manager), 403)
    _refused(ctx.delete(one, token=manager), 403)
    _refused(ctx.post(opts, {"digit": "2", "route_type": "hangup"}, token=manager), 403)
    _refused(ctx.put(opts + "/" + o["id"], {"label": "x"}, token=manager), 403)
    _refused(ctx.delete(opts + "/" + o["id"], token=manager), 403)
    # Another tenant sees nothing of the menu or its options.
    for path in (one, opts, one + "/graph"):
        _refused(ctx.get(path, token=other), 404)
    _refused(ctx.put(one, {"timeout": 9}, token=other), 404)
    _refused(ctx.delete(one, token=other), 404)
    _refused(ctx.post(opts, {"digit": "2", "route_type": "hangup"}, token=other), 404)
    _refused(ctx.put(opts + "/" + o["id"], {"label": "x"}, token=other), 404)
    _refused(ctx.delete(opts + "/" + o["id"], token=other), 404)
    check(sb.cc_data(ctx.get(V1, token=other)) == [], "other tenant's list")
    # Nor may its options point into this tenant.
    om = _menu(ctx, other)
    _refused(ctx.post("%s/%s/options" % (V1, om["id"]),
                      {"digit": "1", "route_type": "ivr", "route_target": m["id"]}, token=other),
             422, "route_target")
    check(len(sb.cc_data(ctx.get(one, token=token))["options"]) == 1, "unchanged")


def test_ivr_menu_graph(ctx):
    token, tid = sb.tenant(ctx)
    m = _menu(ctx, token, greeting_text="Sales 1, support 2", language="fr-FR", voice="alice",
              timeout=7, max_retries=2)
    q = _queue(ctx, token)
    fid = "flow_" + sb.uid()
    sb.sql(ctx, "INSERT INTO ivr_flows (id, tenant_id, name) VALUES ('%s', '%s', 'F %s')"
           % (fid, tid, fid))
    _option(ctx, token, m["id"], "1", "queue", q["id"])
    _option(ctx, token, m["id"], "2", "ivr", fid)
    _option(ctx, token, m["id"], "#", "hangup")
    _option(ctx, token, m["id"], "9", "repeat")
    _option(ctx, token, m["id"], "t", "repeat")
    _option(ctx, token, m["id"], "i", "hangup")
    g = sb.cc_data(ctx.get("%s/%s/graph" % (V1, m["id"]), token=token))
    check(g["start"] == "menu", "start: %r" % g)
    nodes = {n["id"]: n for n in g["nodes"]}
    check(set(nodes) == {"menu", "key_1", "key_2", "key_hash", "invalid"}, "nodes: %r" % g)
    menu = nodes["menu"]
    check(menu == {"id": "menu", "type": "menu",
                   "prompt": {"text": "Sales 1, support 2", "language": "fr-FR",
                              "voice": "alice"},
                   "timeout": 7, "retries": 2,
                   "options": {"1": "key_1", "2": "key_2", "#": "key_hash", "9": "menu"},
                   "no_input": "menu", "invalid": "invalid"}, "menu node: %r" % menu)
    check(nodes["key_1"] == {"id": "key_1", "type": "route", "target_type": "queue",
                             "target": q["id"]}, "queue route: %r" % nodes["key_1"])
    check(nodes["key_2"] == {"id": "key_2", "type": "route", "target_type": "flow",
                             "target": fid}, "flow route: %r" % nodes["key_2"])
    check(nodes["key_hash"] == {"id": "key_hash", "type": "hangup"}, "hangup: %r" % nodes)
    check(nodes["invalid"]["type"] == "hangup", "invalid: %r" % nodes)
    # An audio greeting is the prompt's audio_url.
    a = _menu(ctx, token, greeting_type="audio", greeting_audio_path="prompts/main.wav")
    g = sb.cc_data(ctx.get("/api/ivr/menus/%s/graph" % a["id"], token=token))
    check(g["nodes"] == [{"id": "menu", "type": "menu", "prompt": {"audio_url": "prompts/main.wav"},
                          "timeout": 5, "retries": 3, "options": {}}], "audio graph: %r" % g)
    _refused(ctx.get("%s/ivm_nope/graph" % V1, token=token), 404)
