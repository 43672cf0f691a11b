"""The OpenAPI description (issue 7): GET /api/openapi.json is a valid OpenAPI 3.1 document
(the official schema, tests/schemas/), names exactly the routes of the table (each /api/
route once more under /api/v1), is the text `switchboard-admin openapi` prints, and the
answers the stack really sends match the schemas it gives for them."""
import copy
import json
import os
import subprocess

import sb
from sb import check

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _validator(schema):
    """A JSON Schema 2020-12 validator (python3-jsonschema; scripts/deps.sh installs it)."""
    try:
        from jsonschema import Draft202012Validator
    except ImportError as e:
        raise AssertionError("python3-jsonschema is missing: %s" % e) from e
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _document(ctx):
    r = ctx.get("/api/openapi.json")
    check(r.status == 200, "openapi.json: %r" % r)
    check(r.headers.get("content-type", "").startswith("application/json"),
          "content type: %r" % r.headers)
    check(isinstance(r.json, dict), "not a JSON object: %r" % r)
    return r


def _oas_validator(ctx):
    with open(os.path.join(ctx.repo, "tests", "schemas", "openapi-3.1.schema.json")) as f:
        schema = json.load(f)
    return _validator(schema)


def _errors(validator, doc):
    return ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:200])
            for e in validator.iter_errors(doc)]


def _admin(ctx, *args):
    p = subprocess.run([os.path.join(ctx.bin, "switchboard-admin")] + list(args),
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "switchboard-admin %s: %s" % (" ".join(args), p.stderr))
    return p.stdout


def test_openapi_is_a_valid_openapi_31_document(ctx):
    r = _document(ctx)
    doc = r.json
    check(doc["openapi"] == "3.1.0", "openapi: %r" % doc.get("openapi"))
    errors = _errors(_oas_validator(ctx), doc)
    check(not errors, "invalid OpenAPI 3.1: %s" % errors[:5])
    # /api/v1 folds onto the same route; the body is sent as is, not wrapped in a dialect.
    v1 = ctx.get("/api/v1/openapi.json")
    check(v1.status == 200 and v1.body == r.body, "/api/v1/openapi.json differs: %r" % v1)


def test_openapi_validation_refuses_broken_documents(ctx):
    """The validator really checks (the schema's $ref and $dynamicRef resolve): each
    breakage of the served document must fail."""
    full = _document(ctx).json
    validator = _oas_validator(ctx)
    # One path item of the served document keeps each run short; valid as it is.
    doc = dict(full, paths={"/api/users/{id}": full["paths"]["/api/users/{id}"]})
    check(not _errors(validator, doc), "the one-path document does not validate")
    op = doc["paths"]["/api/users/{id}"]["get"]

    def no_info(d):
        del d["info"]

    def bad_version(d):
        d["openapi"] = "3.0.3"

    def bad_path_key(d):
        d["paths"]["api/nowhere"] = {}

    def bad_parameter_place(d):
        d["paths"]["/api/users/{id}"]["parameters"][0]["in"] = "body"

    def optional_path_parameter(d):
        d["paths"]["/api/users/{id}"]["parameters"][0]["required"] = False

    def schema_not_a_schema(d):  # reached through $dynamicRef "#meta"
        d["paths"]["/api/users/{id}"]["parameters"][0]["schema"] = 5

    def response_without_description(d):
        del d["paths"]["/api/users/{id}"]["get"]["responses"]["200"]["description"]

    def unknown_operation_member(d):
        d["paths"]["/api/users/{id}"]["get"]["operation_id"] = "x"

    def bad_security_scheme(d):
        d["components"]["securitySchemes"]["bearerAuth"]["type"] = "token"

    check("200" in op["responses"], "GET /api/users/{id} has no 200: %r" % op)
    for breaks in (no_info, bad_version, bad_path_key, bad_parameter_place,
                   optional_path_parameter, schema_not_a_schema, response_without_description,
                   unknown_operation_member, bad_security_scheme):
        broken = copy.deepcopy(doc)
        breaks(broken)
        check(_errors(validator, broken), "%s: the broken document validated" % breaks.__name__)


def _operations(doc):
    ops = {}
    for path, item in doc["paths"].items():
        for key, op in item.items():
            check(key in METHODS or key == "parameters", "%s: unexpected member %s" % (path, key))
            if key in METHODS:
                ops[(key.upper(), path)] = op
    return ops


def _template(pattern):
    return "/".join("{%s}" % s[1:] if s.startswith(":") else s for s in pattern.split("/"))


def test_openapi_names_exactly_the_route_table(ctx):
    doc = _document(ctx).json
    table = [line.split(" ", 1) for line in _admin(ctx, "routes").splitlines() if line]
    check(len(table) >= 50, "switchboard-admin routes printed %d routes" % len(table))
    expected = set()
    for method, pattern in table:
        expected.add((method, _template(pattern)))
        # path_fold_v1: every /api/ route is served under /api/v1 too.
        if pattern.startswith("/api/"):
            expected.add((method, "/api/v1/" + _template(pattern)[len("/api/"):]))
    got = _operations(doc)
    check(set(got) == expected,
          "missing %s; not in the table %s" % (sorted(expected - set(got)),
                                               sorted(set(got) - expected)))
    ids = [op["operationId"] for op in got.values()]
    check(len(ids) == len(set(ids)), "operationIds repeat")
    for (method, path), op in got.items():
        names = [p["name"] for p in doc["paths"][path].get("parameters", [])]
        check(names == [s[1:-1] for s in path.split("/") if s.startswith("{")],
              "%s: path parameters %r" % (path, names))
        v1 = path.startswith("/api/v1/")
        text = json.dumps(op["responses"])
        if not v1 or "/noop" in path or "/openapi.json" in path:
            continue
        check("Callcenter" in text and "Transfer" not in text,
              "%s %s under /api/v1 is not the callcenter dialect" % (method, path))


def test_openapi_refs_resolve(ctx):
    doc = _document(ctx).json
    schemas = doc["components"]["schemas"]

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "$ref":
                    check(x.startswith("#/components/schemas/") and
                          x.rsplit("/", 1)[1] in schemas, "dangling $ref %s" % x)
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(doc)


def test_openapi_is_what_the_admin_tool_prints(ctx):
    """make writes $(BUILD)/openapi.json with `switchboard-admin openapi`: the same text."""
    served = _document(ctx).text
    check(_admin(ctx, "openapi") == served + "\n", "switchboard-admin openapi differs")


def _pointer(*parts):
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _conforms(doc, method, path, r, sent=None):
    """r's body matches the schema the document gives for (method, path, r.status), and
    the body sent matches its request schema."""
    op = doc["paths"][path][method.lower()]
    status = str(r.status) if str(r.status) in op["responses"] else "default"
    check(status in op["responses"], "%s %s: %d is not documented" % (method, path, r.status))
    # The document as the root, so its "#/components/…" references resolve.
    schema = dict(doc)
    schema["$ref"] = _pointer("paths", path, method.lower(), "responses", status, "content",
                              "application/json", "schema")
    errors = [e.message[:200] for e in _validator(schema).iter_errors(r.json)]
    check(not errors, "%s %s %d: %s in %r" % (method, path, r.status, errors[:3], r))
    if sent is not None:
        schema["$ref"] = _pointer("paths", path, method.lower(), "requestBody", "content",
                                  "application/json", "schema")
        errors = [e.message[:200] for e in _validator(schema).iter_errors(sent)]
        check(not errors, "%s %s: the request schema refuses %r: %s" % (method, path, sent,
                                                                       errors[:3]))


def test_openapi_schemas_match_real_answers(ctx):
    doc = _document(ctx).json
    token, _ = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")["token"]
    body = {"name": "OA " + sb.uid(), "phone_number": "+1-555-SALES-01",
            "business_hours": {"mon": "9-5"}}
    r = ctx.post("/api/departments", body, token=token)
    _conforms(doc, "POST", "/api/departments", r)
    d = r.json["department"]
    body = {"name": "OA " + sb.uid(), "phone_number": "+15551230000"}
    _conforms(doc, "POST", "/api/departments", ctx.post("/api/departments", body, token=token),
              sent=body)
    cases = [
        ("GET", "/api/departments", "/api/departments", token, None),
        ("GET", "/api/departments/" + d["id"], "/api/departments/{id}", token, None),
        ("GET", "/api/departments/dept_nope", "/api/departments/{id}", token, None),
        ("POST", "/api/departments", "/api/departments", token, {"name": ""}),
        ("POST", "/api/departments", "/api/departments", agent, {"name": "x"}),
        ("GET", "/api/users?role=agent&page=1&limit=5", "/api/users", token, None),
        ("GET", "/api/users?role=nobody", "/api/users", token, None),
        ("GET", "/api/calls/logs", "/api/calls/logs", token, None),
        ("GET", "/api/departments/%s/agents" % d["id"], "/api/departments/{id}/agents", token,
         None),
        ("GET", "/api/auth/me", "/api/auth/me", token, None),
        ("GET", "/api/health", "/api/health", None, None),
        ("GET", "/api/v1/departments?page_size=1", "/api/v1/departments", token, None),
        ("GET", "/api/v1/departments/" + d["id"], "/api/v1/departments/{id}", token, None),
        ("GET", "/api/v1/departments/dept_nope", "/api/v1/departments/{id}", token, None),
        ("POST", "/api/v1/departments", "/api/v1/departments", token, {}),
        ("GET", "/api/v1/users", "/api/v1/users", token, None),
        ("GET", "/api/v1/auth/me", "/api/v1/auth/me", token, None),
        ("GET", "/api/v1/health", "/api/v1/health", None, None),
        ("GET", "/api/users", "/api/users", None, None),
        ("GET", "/api/v1/users", "/api/v1/users", None, None),
    ]
    for method, url, path, tok, sent in cases:
        r = ctx.request(method, url, body=sent, token=tok)
        _conforms(doc, method, path, r)
    # Shared paths: login answers every family's members at once; its errors are shared.
    session, pw = ctx.new_tenant()
    email = session["user"]["email"]
    login = {"email": email, "password": pw}
    _conforms(doc, "POST", "/api/auth/login", ctx.post("/api/auth/login", login), sent=login)
    _conforms(doc, "POST", "/api/auth/login",
              ctx.post("/api/auth/login", {"email": email, "password": "wrong-password"}))
    _conforms(doc, "POST", "/api/auth/login", ctx.post("/api/auth/login", {}))
    _conforms(doc, "POST", "/api/v1/auth/login", ctx.post("/api/v1/auth/login", login),
              sent=login)
    _conforms(doc, "GET", "/api/noop", ctx.get("/api/noop"))
