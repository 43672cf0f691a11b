"""Surveys (issue 9): CRUD with validated questions; a signed response link per call or chat;
the customer's public questions and one answer (a forged or altered token refused, a second
answer 409); responses; CSAT and NPS per queue, agent and overall computed exactly from known
answers; roles, 401/403/404/422 and other tenants."""
import base64
import hashlib
import hmac

import sb
from sb import check, expect_cc_error, cc_data

V1 = "/api/v1/surveys"
QUESTIONS = [
    {"id": "sat", "label": "How satisfied were you?", "type": "rating", "required": True},
    {"id": "rec", "label": "Would you recommend us?", "type": "nps", "required": True},
    {"id": "solved", "label": "Was it solved?", "type": "yes_no"},
    {"id": "why", "label": "Anything else?", "type": "text"},
]


def _survey(ctx, token, **extra):
    body = {"name": "CSAT " + sb.uid(), "questions": QUESTIONS}
    body.update(extra)
    return cc_data(ctx.post(V1, body, token=token), 201)


def _queue(ctx, tid, name):
    qid = "queue_" + sb.uid()
    sb.sql(ctx, "INSERT INTO queues (id, tenant_id, name) VALUES ('%s','%s','%s')"
           % (qid, tid, name))
    return qid


def _cdr(ctx, tid, user_id=None, queue_id=None):
    cid = "cdr_" + sb.uid()
    sb.sql(ctx, "INSERT INTO cdrs (id, tenant_id, direction, caller_number, called_number,"
                " user_id, queue_id, start_time, duration, disposition) VALUES ('%s','%s',"
                "'inbound','+15550009999','+15550001000',%s,%s,NOW(),60,'answered')"
           % (cid, tid, "'%s'" % user_id if user_id else "NULL",
              "'%s'" % queue_id if queue_id else "NULL"))
    return cid


def _chat(ctx, tid, user_id=None):
    sid = "chat_" + sb.uid()
    sb.sql(ctx, "INSERT INTO chat_sessions (id, tenant_id, user_id, visitor_id, status) VALUES"
                " ('%s','%s',%s,'v-%s','closed')"
           % (sid, tid, "'%s'" % user_id if user_id else "NULL", sid))
    return sid


def _link(ctx, token, survey_id, status=201, **body):
    return cc_data(ctx.post(V1 + "/%s/links" % survey_id, body, token=token), status)


def _answer(ctx, link, answers, comment=None, status=201):
    body = {"answers": answers}
    if comment is not None:
        body["comment"] = comment
    r = ctx.post(link["path"], body)
    return cc_data(r, status) if status < 300 else r


def test_survey_crud_roles_and_validation(ctx):
    admin, tid = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    manager = sb.user(ctx, admin, "manager")["token"]
    s = _survey(ctx, manager, description="After calls")
    check(s["id"].startswith("survey_") and s["tenant_id"] == tid and s["channel"] == "web"
          and s["is_active"] is True, "survey: %r" % s)
    want = [dict(q, required=q.get("required", False)) for q in QUESTIONS]
    check(s["questions"] == want, "questions as stored: %r" % s["questions"])
    check(cc_data(ctx.get(V1 + "/" + s["id"], token=agent)) == s, "agent reads")
    check([x["id"] for x in cc_data(ctx.get(V1, token=agent))] == [s["id"]], "list")
    u = cc_data(ctx.put(V1 + "/" + s["id"], {"name": "Renamed " + sb.uid(),
                                             "questions": QUESTIONS[:1]}, token=admin))
    check(len(u["questions"]) == 1 and u["description"] == "After calls", "PUT: %r" % u)
    u2 = cc_data(ctx.put(V1 + "/" + s["id"], {"is_active": False}, token=admin))
    check(u2["questions"] == u["questions"] and u2["is_active"] is False, "partial PUT keeps")
    # Roles: agents read only.
    expect_cc_error(ctx.post(V1, {"name": "x", "questions": QUESTIONS}, token=agent), 403)
    expect_cc_error(ctx.put(V1 + "/" + s["id"], {"name": "y"}, token=agent), 403)
    expect_cc_error(ctx.delete(V1 + "/" + s["id"], token=agent), 403)
    expect_cc_error(ctx.get(V1 + "/stats", token=agent), 403)
    expect_cc_error(ctx.get(V1 + "/" + s["id"] + "/responses", token=agent), 403)
    for m, p in (("GET", V1), ("POST", V1), ("GET", V1 + "/" + s["id"]),
                 ("PUT", V1 + "/" + s["id"]), ("DELETE", V1 + "/" + s["id"]),
                 ("POST", V1 + "/" + s["id"] + "/links"), ("GET", V1 + "/stats"),
                 ("GET", V1 + "/" + s["id"] + "/responses")):
        expect_cc_error(ctx.request(m, p, body={} if m in ("POST", "PUT") else None), 401)
    # Other tenants: 404.
    expect_cc_error(ctx.get(V1 + "/" + s["id"], token=other), 404)
    expect_cc_error(ctx.put(V1 + "/" + s["id"], {"name": "z"}, token=other), 404)
    expect_cc_error(ctx.delete(V1 + "/" + s["id"], token=other), 404)
    expect_cc_error(ctx.get(V1 + "/" + s["id"] + "/responses", token=other), 404)
    expect_cc_error(ctx.post(V1 + "/" + s["id"] + "/links", {"cdr_id": "cdr_x"}, token=other),
                    404)
    # 422 naming the member.
    bad_q = [
        ({"name": "n"}, "questions"),
        ({"name": "n", "questions": []}, "questions"),
        ({"name": "n", "questions": {"id": "a"}}, "questions"),
        ({"name": "n", "questions": [{"id": "a", "label": "L", "type": "stars"}]},
         "questions[0].type"),
        ({"name": "n", "questions": [QUESTIONS[0], {"id": "b", "type": "nps"}]},
         "questions[1].label"),
        ({"name": "n", "questions": [QUESTIONS[0], QUESTIONS[0]]}, "questions[1].id"),
        ({"name": "n", "questions": [{"id": "a b", "label": "L", "type": "text"}]},
         "questions[0].id"),
        ({"name": "n", "questions": [dict(QUESTIONS[0], required="yes")]},
         "questions[0].required"),
        ({"questions": QUESTIONS}, "name"),
        ({"name": "n", "questions": QUESTIONS, "channel": "fax"}, "channel"),
    ]
    for body, field in bad_q:
        r = ctx.post(V1, body, token=admin)
        expect_cc_error(r, 422)
        check(field in r.json["error"]["details"], "%s for %r: %r" % (field, body, r))
    r = ctx.put(V1 + "/" + s["id"], {"questions": [{"id": "q"}]}, token=admin)
    expect_cc_error(r, 422)
    check("questions[0].label" in r.json["error"]["details"], "PUT questions: %r" % r)
    dup = ctx.post(V1, {"name": u2["name"], "questions": QUESTIONS}, token=admin)
    expect_cc_error(dup, 409)
    check(ctx.delete(V1 + "/" + s["id"], token=manager).status == 200, "delete")
    expect_cc_error(ctx.get(V1 + "/" + s["id"], token=admin), 404)


def test_survey_link_answer_once_and_forgery(ctx):
    s_, _ = ctx.new_tenant()
    admin, tid, admin_id = s_["token"], s_["user"]["tenant_id"], s_["user"]["id"]
    agent_s = sb.user(ctx, admin, "agent")
    agent, agent_id = agent_s["token"], agent_s["user"]["id"]
    s = _survey(ctx, admin)
    cdr = _cdr(ctx, tid, user_id=agent_id)
    mine_not = _cdr(ctx, tid, user_id=admin_id)
    link = _link(ctx, agent, s["id"], cdr_id=cdr)
    check(link["subject_type"] == "call" and link["subject_id"] == cdr
          and link["status"] == "partial" and link["path"].endswith(link["token"])
          and link["url"].endswith(link["path"]), "link: %r" % link)
    again = _link(ctx, agent, s["id"], status=200, cdr_id=cdr)
    check(again["token"] == link["token"] and again["response_id"] == link["response_id"],
          "the same link again")
    # An agent links only calls they took; 422 for a call not theirs or not there.
    for body, field in (({"cdr_id": mine_not}, "cdr_id"), ({"cdr_id": "cdr_nope"}, "cdr_id"),
                        ({}, "cdr_id"), ({"cdr_id": cdr, "chat_session_id": "x"}, "cdr_id"),
                        ({"chat_session_id": "chat_nope"}, "chat_session_id")):
        r = ctx.post(V1 + "/%s/links" % s["id"], body, token=agent)
        expect_cc_error(r, 422)
        check(field in r.json["error"]["details"], "%s: %r" % (field, r))
    expect_cc_error(ctx.post(V1 + "/survey_nope/links", {"cdr_id": cdr}, token=agent), 404)
    # The public side: no token needed, under /api too.
    pub = cc_data(ctx.get(link["path"]))
    check(pub["survey"]["id"] == s["id"] and pub["survey"]["questions"] == s["questions"]
          and pub["completed"] is False and pub["subject_type"] == "call", "public: %r" % pub)
    check(cc_data(ctx.get("/api/surveys/public/" + link["token"]))["survey"]["id"] == s["id"],
          "/api path")
    # Forged and altered tokens.
    payload_b64, mac_b64 = link["token"].split(".")
    pad = "=" * (-len(payload_b64) % 4)
    payload = base64.urlsafe_b64decode(payload_b64 + pad)
    forged_payload = payload.replace(cdr.encode(), mine_not.encode())
    b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
    wrong_key = hmac.new(b"not the server key", forged_payload, hashlib.sha256).digest()
    flipped = link["token"][:-2] + ("A" if link["token"][-2] != "A" else "B") + link["token"][-1]
    for tok in (b64(forged_payload) + "." + mac_b64, b64(forged_payload) + "." + b64(wrong_key),
                flipped, payload_b64, "x.y", "garbage", payload_b64 + "." + mac_b64[:-4]):
        expect_cc_error(ctx.get(V1 + "/public/" + tok), 404)
        expect_cc_error(ctx.post(V1 + "/public/" + tok, {"answers": {"sat": 5, "rec": 10}}), 404)
    # Answers are checked against the questions.
    for answers, field in (({"rec": 9}, "answers.sat"), ({"sat": 6, "rec": 9}, "answers.sat"),
                           ({"sat": 0, "rec": 9}, "answers.sat"),
                           ({"sat": 4, "rec": 11}, "answers.rec"),
                           ({"sat": 4, "rec": "9"}, "answers.rec"),
                           ({"sat": 4.5, "rec": 9}, "answers.sat"),
                           ({"sat": 4, "rec": 9, "solved": "yes"}, "answers.solved"),
                           ({"sat": 4, "rec": 9, "why": 3}, "answers.why"),
                           ({"sat": 4, "rec": 9, "nope": 1}, "answers.nope")):
        r = _answer(ctx, link, answers, status=422)
        expect_cc_error(r, 422)
        check(field in r.json["error"]["details"], "%s for %r: %r" % (field, answers, r))
    expect_cc_error(ctx.post(link["path"], {"answers": [5, 9]}), 422)
    expect_cc_error(ctx.post(link["path"], {}), 422)
    done = _answer(ctx, link, {"sat": 5, "rec": 9, "solved": True, "why": "quick"}, "thanks")
    check(done == {"response_id": link["response_id"], "status": "completed"}, "answer: %r" % done)
    expect_cc_error(_answer(ctx, link, {"sat": 1, "rec": 0}, status=409), 409)
    ev = sb.sql(ctx, "SELECT payload FROM call_events WHERE tenant_id = '%s'"
                     " AND type = 'survey.completed'" % tid).strip().split("\n")
    check(len(ev) == 1 and '"csat":5' in ev[0] and link["response_id"] in ev[0],
          "one survey.completed event: %r" % ev)
    check(cc_data(ctx.get(link["path"]))["completed"] is True, "completed shows")
    check(_link(ctx, agent, s["id"], status=200, cdr_id=cdr)["status"] == "completed",
          "link status after the answer")
    # The response as stored.
    resp = cc_data(ctx.get(V1 + "/%s/responses" % s["id"], token=admin))
    check(len(resp) == 1, "one response: %r" % resp)
    x = resp[0]
    check(x["id"] == link["response_id"] and x["cdr_id"] == cdr and x["agent_id"] == agent_id
          and x["answers"] == {"sat": 5, "rec": 9, "solved": True, "why": "quick"}
          and x["csat"] == 5 and x["nps"] == 9 and x["score"] == 5 and x["comment"] == "thanks"
          and x["status"] == "completed" and x["answered_at"], "response: %r" % x)
    # A chat link, and an inactive survey takes no new links.
    chat = _chat(ctx, tid, user_id=agent_id)
    cl = _link(ctx, agent, s["id"], chat_session_id=chat)
    check(cl["subject_type"] == "chat" and cl["token"] != link["token"], "chat link: %r" % cl)
    check(cc_data(ctx.get(cl["path"]))["subject_type"] == "chat", "chat public")
    cc_data(ctx.put(V1 + "/" + s["id"], {"is_active": False}, token=admin))
    expect_cc_error(ctx.post(V1 + "/%s/links" % s["id"], {"cdr_id": mine_not}, token=admin), 409)
    expect_cc_error(ctx.get(cl["path"]), 404)
    # Another tenant's survey link stays theirs: a token names its tenant, and is signed.
    other, _ = sb.tenant(ctx)
    expect_cc_error(ctx.get(V1 + "/%s/responses" % s["id"], token=other), 404)
    filt = cc_data(ctx.get(V1 + "/%s/responses?status=partial" % s["id"], token=admin))
    check([y["chat_session_id"] for y in filt] == [chat], "status filter: %r" % filt)
    expect_cc_error(ctx.get(V1 + "/%s/responses?status=nope" % s["id"], token=admin), 422)


def test_survey_stats_exact(ctx):
    s_, _ = ctx.new_tenant()
    admin, tid = s_["token"], s_["user"]["tenant_id"]
    a1 = sb.user(ctx, admin, "agent")["user"]["id"]
    a2 = sb.user(ctx, admin, "agent")["user"]["id"]
    q1, q2 = _queue(ctx, tid, "support " + sb.uid()), _queue(ctx, tid, "sales " + sb.uid())
    s = _survey(ctx, admin)
    # (queue, agent, rating, nps)
    plan = [(q1, a1, 5, 10), (q1, a1, 4, 9), (q1, a2, 3, 7), (q1, a2, 1, 0),
            (q2, a1, 5, 6), (q2, a2, 2, 8), (None, a2, 4, 10)]
    for q, a, sat, rec in plan:
        link = _link(ctx, admin, s["id"], cdr_id=_cdr(ctx, tid, user_id=a, queue_id=q))
        _answer(ctx, link, {"sat": sat, "rec": rec})
    # Sent but not answered: no part of the stats.
    _link(ctx, admin, s["id"], cdr_id=_cdr(ctx, tid, user_id=a1, queue_id=q1))

    def figures(rows):
        sats = [r[2] for r in rows]
        recs = [r[3] for r in rows]
        ok = sum(1 for x in sats if x >= 4)
        pro = sum(1 for x in recs if x >= 9)
        det = sum(1 for x in recs if x <= 6)
        return {"responses": len(rows), "csat_responses": len(sats), "csat_satisfied": ok,
                "csat": round(100.0 * ok / len(sats), 2), "nps_responses": len(recs),
                "promoters": pro, "detractors": det, "passives": len(recs) - pro - det,
                "nps": round(100.0 * (pro - det) / len(recs), 2)}

    def strip(d, key=None):
        return {k: v for k, v in d.items() if k not in ("window", "queues", "agents", key)}

    st = cc_data(ctx.get(V1 + "/stats", token=admin))
    check(strip(st) == figures(plan), "overall: %r vs %r" % (strip(st), figures(plan)))
    check(st["csat"] == 57.14 and st["nps"] == 14.29, "by hand: 4/7, (3-2)/7: %r" % st)
    queues = {x["queue_id"]: strip(x, "queue_id") for x in st["queues"]}
    check(queues == {q1: figures(plan[:4]), q2: figures(plan[4:6])}, "queues: %r" % queues)
    agents = {x["agent_id"]: strip(x, "agent_id") for x in st["agents"]}
    check(agents == {a1: figures([p for p in plan if p[1] == a1]),
                     a2: figures([p for p in plan if p[1] == a2])}, "agents: %r" % agents)
    check(queues[q1]["nps"] == 25.0 and queues[q1]["csat"] == 50.0, "q1 by hand: %r" % queues[q1])
    f = cc_data(ctx.get(V1 + "/stats?queue_id=" + q2, token=admin))
    check(strip(f) == figures(plan[4:6]), "queue filter: %r" % f)
    f = cc_data(ctx.get(V1 + "/stats?agent_id=" + a2, token=admin))
    check(strip(f) == figures([p for p in plan if p[1] == a2]), "agent filter: %r" % f)
    f = cc_data(ctx.get(V1 + "/stats?to=2000-01-01", token=admin))
    check(f["responses"] == 0 and f["csat"] == 0 and f["nps"] == 0 and f["queues"] == [],
          "empty period: %r" % f)
    check(cc_data(ctx.get(V1 + "/stats?from=2000-01-01", token=admin))["responses"] == 7,
          "from only")
    for q, field in (("?from=nope", "from"), ("?from=2026-12-02&to=2026-12-01", "to"),
                     ("?queue_id=" + "x" * 65, "queue_id")):
        r = ctx.get(V1 + "/stats" + q, token=admin)
        expect_cc_error(r, 422)
        check(field in r.json["error"]["details"], "%s: %r" % (field, r))
    other, _ = sb.tenant(ctx)
    check(cc_data(ctx.get(V1 + "/stats", token=other))["responses"] == 0, "other tenant: none")


def test_survey_links_at_once_make_one_response(ctx):
    import threading
    s_, _ = ctx.new_tenant()
    admin, tid = s_["token"], s_["user"]["tenant_id"]
    s = _survey(ctx, admin)
    cdr = _cdr(ctx, tid)
    out = []

    def go():
        out.append(ctx.post(V1 + "/%s/links" % s["id"], {"cdr_id": cdr}, token=admin))

    ts = [threading.Thread(target=go) for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(sorted(r.status for r in out) == [200] * 5 + [201], "statuses: %r" % out)
    check(len({r.json["data"]["token"] for r in out}) == 1, "one token: %r" % out)
    n = sb.sql(ctx, "SELECT COUNT(*) FROM survey_responses WHERE tenant_id = '%s'" % tid)
    check(n.strip() == "1", "one response row: %r" % n)
