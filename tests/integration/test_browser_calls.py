"""The calls pages in headless Chromium (issue 12): a call answered in a queue shows on the
live calls page without a reload and is transferred to another queue through the dialog;
a call of the transfer service goes to a department (a refusal shows the API's message);
the call logs filter, page through the cursor and export the same rows as CSV; a call's
page shows its events, transfers and recording, and a tag added there is on the call in the
API; a dialled call's quality chart and notes. Each time the API says what really happened."""
import csv
import io
import os
import tempfile
import wave

import browser
import sb
from browser import until
from sb import cc_data, check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def _queue(ctx, token, name):
    return cc_data(ctx.post("/api/queues", {"name": "%s %s" % (name, sb.uid()), "timeout": 120,
                                            "retry": 0, "wrapup_time": 0, "max_wait_time": 0},
                            token=token), 201)


def _queue_agent(ctx, admin, queue_id):
    s = sb.user(ctx, admin, "agent")
    r = ctx.post("/api/queues/%s/members" % queue_id, {"user_id": s["user"]["id"]}, token=admin)
    check(r.status == 201, "member: %r" % r)
    r = ctx.post("/api/agent-state/me/available", {}, token=s["token"])
    check(r.status == 200, "available: %r" % r)
    return {"id": s["user"]["id"], "token": s["token"]}


def _offers(ctx, agent):
    return cc_data(ctx.get("/api/offers", token=agent["token"]))


def _call(ctx, token, caller, status="active"):
    r = ctx.post("/api/calls", {"caller_number": caller, "called_number": "+15553334444",
                                "status": status}, token=token)
    check(r.status == 201, "call: %r" % r)
    return r.json["call"]


def _live_row(d, attr, value):
    rows = d.find_elements(By.CSS_SELECTOR, '#live-rows tr[%s="%s"]' % (attr, value))
    return rows[0] if rows else None


def _cells(tr):
    return [td.text for td in tr.find_elements(By.TAG_NAME, "td")]


def _signed_in(ctx, session, pw, page):
    d = browser.open_browser()
    browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
    browser.go(d, ctx, page)
    return d


def _alert_hidden(d, el_id):
    return d.find_element(By.ID, el_id).get_attribute("hidden") is not None


def test_live_call_transferred_to_another_queue(ctx):
    session, pw = ctx.new_tenant()
    admin = session["token"]
    sales, support = _queue(ctx, admin, "Sales"), _queue(ctx, admin, "Support")
    a = _queue_agent(ctx, admin, sales["id"])
    b = _queue_agent(ctx, admin, support["id"])
    d = _signed_in(ctx, session, pw, "calls.html")
    try:
        until(d, "the live stream", lambda: d.find_element(By.ID, "live-state")
              .get_attribute("data-state") == "live")
        until(d, "the empty list", lambda: "No calls in progress" in d.find_element(By.ID, "live-rows").text)
        qc = cc_data(ctx.post("/api/queues/%s/calls" % sales["id"], {"caller_number": "+15550142100"},
                              token=admin), 201)
        until(d, "the call ringing, live", lambda: _live_row(d, "data-qcall", qc["id"]) and
              "Ringing" in _cells(_live_row(d, "data-qcall", qc["id"]))[3])
        offer = _offers(ctx, a)[0]
        r = ctx.post("/api/offers/%s/accept" % offer["id"], {}, token=a["token"])
        check(r.status == 200, "accept: %r" % r)
        until(d, "the call answered, live", lambda: _cells(_live_row(d, "data-qcall", qc["id"]))[3] == "Answered")
        row = _live_row(d, "data-qcall", qc["id"])
        check(_cells(row)[0] == "+15550142100" and sales["name"] in _cells(row)[2], "row: %r" % _cells(row))
        row.find_element(By.CSS_SELECTOR, "[data-transfer]").click()
        until(d, "the support queue offered", lambda: [o.get_attribute("value") for o in
              d.find_elements(By.CSS_SELECTOR, "#transfer-queue option")] == [support["id"]])
        check(not d.find_element(By.ID, "transfer-queue-fields").get_attribute("hidden") and
              d.find_element(By.ID, "transfer-department-fields").get_attribute("hidden") is not None,
              "an answered queued call goes to a queue (an admin: no department for it)")
        d.find_element(By.ID, "transfer-submit").click()
        until(d, "the dialog closed", lambda: not d.find_element(By.ID, "transfer-dialog").is_displayed())
        until(d, "the first leg gone", lambda: _live_row(d, "data-qcall", qc["id"]) is None)
        # The API: this leg ended as a transfer, the caller is in Support, offered to b.
        old = cc_data(ctx.get("/api/queue-calls/" + qc["id"], token=admin))
        check(old["status"] == "ended" and old["overflow_to"] == "transfer:queue:" + support["id"],
              "the first leg: %r" % old)
        offers = sb.wait(lambda: _offers(ctx, b), 5)
        check(offers, "the support agent was not offered the call")
        nxt = cc_data(ctx.get("/api/queue-calls/" + offers[0]["queue_call_id"], token=admin))
        check(nxt["from_queue_call_id"] == qc["id"] and nxt["queue_id"] == support["id"],
              "the new leg: %r" % nxt)
        until(d, "the new leg on the page", lambda: _live_row(d, "data-qcall", nxt["id"]) and
              support["name"] in _cells(_live_row(d, "data-qcall", nxt["id"]))[2])
        check("transfer:queue:" not in d.find_element(By.ID, "page-notice").text and
              support["name"] in d.find_element(By.ID, "page-notice").text, "notice: %r"
              % d.find_element(By.ID, "page-notice").text)
        check(_alert_hidden(d, "page-alert"), "an error: %r" % d.find_element(By.ID, "page-alert").text)
    finally:
        d.quit()


def test_live_call_transferred_to_a_department_and_a_refusal_shown(ctx):
    session, pw = ctx.new_tenant()
    admin = session["token"]
    dept = sb.dept(ctx, admin, "Billing " + sb.uid())
    closing = sb.dept(ctx, admin, "Closing " + sb.uid())
    r = ctx.post("/api/agents", {"name": "Ann " + sb.uid(), "phone_number": "+15550001111",
                                 "department_id": dept["id"], "status": "available"}, token=admin)
    check(r.status == 201, "agent: %r" % r)
    agent = r.json["agent"]
    d = _signed_in(ctx, session, pw, "calls.html")
    try:
        until(d, "the live stream", lambda: d.find_element(By.ID, "live-state")
              .get_attribute("data-state") == "live")
        call = _call(ctx, admin, "+15550142200")
        until(d, "the call, live", lambda: _live_row(d, "data-call", call["id"]))
        _live_row(d, "data-call", call["id"]).find_element(By.CSS_SELECTOR, "[data-transfer]").click()
        until(d, "the departments", lambda: len(d.find_elements(By.CSS_SELECTOR, "#transfer-department option")) == 2)
        # Closed while the dialog is open: the API refuses, the dialog says why.
        r = ctx.put("/api/departments/" + closing["id"], {"is_active": False}, token=admin)
        check(r.status == 200, "deactivate: %r" % r)
        Select(d.find_element(By.ID, "transfer-department")).select_by_value(closing["id"])
        d.find_element(By.ID, "transfer-submit").click()
        refused = ctx.post("/api/calls/transfer", {"call_id": call["id"], "target_department": closing["id"],
                                                   "transfer_type": "warm"}, token=admin)
        check(refused.status == 409, "the API refuses: %r" % refused)
        until(d, "the refusal in the dialog", lambda: d.find_element(By.ID, "transfer-alert").text ==
              refused.json["error"])
        check(d.find_element(By.ID, "transfer-dialog").is_displayed(), "the dialog stays open")
        Select(d.find_element(By.ID, "transfer-department")).select_by_value(dept["id"])
        Select(d.find_element(By.ID, "transfer-type")).select_by_value("blind")
        Select(d.find_element(By.ID, "transfer-urgency")).select_by_value("high")
        d.find_element(By.ID, "transfer-reason").send_keys("billing question")
        d.find_element(By.ID, "transfer-submit").click()
        until(d, "the dialog closed", lambda: not d.find_element(By.ID, "transfer-dialog").is_displayed())
        until(d, "the agent on the row", lambda: _cells(_live_row(d, "data-call", call["id"]))[4] == agent["name"])
        ts = ctx.get("/api/calls/%s/transfers" % call["id"], token=admin).json["transfers"]
        check(len(ts) == 1 and ts[0]["department_id"] == dept["id"] and ts[0]["agent_id"] == agent["id"]
              and ts[0]["transfer_type"] == "blind" and ts[0]["urgency_level"] == "high"
              and ts[0]["transfer_reason"] == "billing question" and ts[0]["status"] == "initiated",
              "the transfer in the API: %r" % ts)
        got = ctx.get("/api/calls/" + call["id"], token=admin).json["call"]
        check(got["agent_id"] == agent["id"] and got["department_id"] == dept["id"], "new owner: %r" % got)
    finally:
        d.quit()


def _log_ids(d):
    return [tr.get_attribute("data-id") for tr in d.find_elements(By.CSS_SELECTOR, "#log-rows tr[data-id]")]


def test_call_logs_filter_cursor_pages_and_csv_export(ctx):
    session, pw = ctx.new_tenant()
    admin = session["token"]
    for i in range(24):  # 24 records: two pages of 20
        c = _call(ctx, admin, "+1555014%04d" % i)
        r = ctx.put("/api/calls/" + c["id"], {"status": "missed" if i % 8 == 0 else "completed"}, token=admin)
        check(r.status == 200, "end: %r" % r)
    api_missed = cc_data(ctx.get("/api/cdr?disposition=no_answer", token=admin))
    check(len(api_missed) == 3, "the API's missed calls: %r" % api_missed)
    first = ctx.get("/api/cdr?page_size=20", token=admin)
    second = ctx.get("/api/cdr?page_size=20&after=" + first.json["next_cursor"], token=admin)
    download = tempfile.mkdtemp(prefix="sb-csv-")
    d = _signed_in(ctx, session, pw, "calls.html#logs")
    try:
        d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": download})
        until(d, "the first page", lambda: _log_ids(d) == [x["id"] for x in cc_data(first)])
        check("24 call records" in d.find_element(By.ID, "log-summary").text, "summary: %r"
              % d.find_element(By.ID, "log-summary").text)
        d.find_element(By.ID, "log-next").click()
        until(d, "the second page, through the cursor", lambda: _log_ids(d) == [x["id"] for x in cc_data(second)])
        check(d.find_element(By.ID, "log-info").text == "Page 2 of 2" and
              not d.find_element(By.ID, "log-next").is_enabled(), "pager: %r" % d.find_element(By.ID, "log-info").text)
        d.find_element(By.ID, "log-prev").click()
        until(d, "back on the first page", lambda: _log_ids(d) == [x["id"] for x in cc_data(first)])
        Select(d.find_element(By.ID, "f-disposition")).select_by_value("no_answer")
        d.find_element(By.ID, "log-apply").click()
        until(d, "the filtered list", lambda: _log_ids(d) == [x["id"] for x in api_missed])
        check("disposition=no_answer" in d.current_url, "the filter in the address: %r" % d.current_url)
        d.find_element(By.ID, "export-csv").click()
        until(d, "the export saved", lambda: d.find_element(By.ID, "export-state").text.startswith("Saved "))
        name = d.find_element(By.ID, "export-link").get_attribute("download")
        path = os.path.join(download, name)
        until(d, "the CSV file", lambda: os.path.exists(path) and os.path.getsize(path) > 0)
        with open(path, newline="") as f:
            got = list(csv.reader(f))
        want = list(csv.reader(io.StringIO(ctx.get("/api/cdr?format=csv&disposition=no_answer", token=admin).text)))
        check(got == want and len(got) == 4, "the file's rows: %r, the API's: %r" % (got, want))
        check(sorted(r[0] for r in got[1:]) == sorted(x["id"] for x in api_missed), "ids: %r" % got)
        check(_alert_hidden(d, "log-alert"), "an error: %r" % d.find_element(By.ID, "log-alert").text)
    finally:
        d.quit()


def _wav(seconds=3, rate=8000):
    buf = io.BytesIO()
    w = wave.open(buf, "wb")
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(b"\x00\x10" * rate * seconds)
    w.close()
    return buf.getvalue()


def test_call_page_events_recording_and_tags(ctx):
    session, pw = ctx.new_tenant()
    admin = session["token"]
    dept = sb.dept(ctx, admin)
    r = ctx.post("/api/agents", {"name": "Bo " + sb.uid(), "phone_number": "+15550001111",
                                 "department_id": dept["id"], "status": "available"}, token=admin)
    check(r.status == 201, "agent: %r" % r)
    call = _call(ctx, admin, "+15550142300")
    t = ctx.post("/api/calls/transfer", {"call_id": call["id"], "target_department": dept["id"]},
                 token=admin).json["transfer"]
    r = ctx.request("PUT", "/api/calls/%s/recording" % call["id"], raw=_wav(), token=admin,
                    headers={"Content-Type": "audio/wav"})
    check(r.status == 201, "recording: %r" % r)
    check(ctx.put("/api/calls/" + call["id"], {"status": "completed"}, token=admin).status == 200, "end")
    cdr = cc_data(ctx.get("/api/cdr", token=admin))[0]
    check(cdr["metadata"]["call_id"] == call["id"], "the CDR: %r" % cdr)
    d = _signed_in(ctx, session, pw, "calls.html#logs")
    try:
        until(d, "the record in the logs", lambda: _log_ids(d) == [cdr["id"]])
        d.find_element(By.CSS_SELECTOR, '#log-rows tr[data-id="%s"] a' % cdr["id"]).click()
        until(d, "the call page", lambda: d.current_url.endswith("call.html?id=" + cdr["id"]))
        types = lambda: [li.get_attribute("data-type") for li in d.find_elements(By.CSS_SELECTOR, "#timeline li")]
        until(d, "the call's events", lambda: types()[:1] == ["call_started"] and "transfer_initiated" in types()
              and types()[-1] == "call_ended")
        check(d.find_element(By.CSS_SELECTOR, '#call-fields dd[data-field="cdr.disposition"]').text == "answered",
              "CDR fields")
        until(d, "the transfer row", lambda: d.find_elements(By.CSS_SELECTOR, '#transfer-rows tr[data-id="%s"]' % t["id"]))
        # The recording plays through the API with the token, and seeks (nginx's Range).
        audio = d.find_element(By.ID, "recording-audio")
        until(d, "the recording's metadata", lambda: d.execute_script(
            "const a = arguments[0]; return a.readyState >= 1 && Math.round(a.duration) === 3"
            " && a.seekable.length > 0 && a.seekable.end(0) > 2.9", audio), timeout=20)
        check(audio.get_attribute("data-via") == "worker", "played through the worker: %r"
              % audio.get_attribute("data-via"))
        d.execute_script("arguments[0].currentTime = 2.5", audio)
        until(d, "seeked", lambda: d.execute_script("return !arguments[0].seeking && arguments[0].currentTime >= 2.4", audio))
        # Tags through the page, checked in the API.
        for tag in ("vip", "refund"):
            d.find_element(By.ID, "tag-input").send_keys(tag)
            d.find_element(By.ID, "tag-add").click()
            until(d, "the tag %s" % tag, lambda: d.find_elements(By.CSS_SELECTOR, '#tag-list li[data-tag="%s"]' % tag))
        d.find_element(By.CSS_SELECTOR, '#tag-list [data-remove-tag="refund"]').click()
        until(d, "the tag removed", lambda: not d.find_elements(By.CSS_SELECTOR, '#tag-list li[data-tag="refund"]'))
        tags = [x["tag"] for x in cc_data(ctx.get("/api/cdr/%s/tags" % cdr["id"], token=admin))]
        check(tags == ["vip"], "the call's tags in the API: %r" % tags)
        check([x["id"] for x in cc_data(ctx.get("/api/cdr?tag=vip", token=admin))] == [cdr["id"]], "the tag filter")
        check(_alert_hidden(d, "page-alert") and _alert_hidden(d, "tag-alert"), "an error: %r"
              % d.find_element(By.ID, "page-alert").text)
        # Another tenant's call, or none: a message, not empty panels.
        other, _ = sb.tenant(ctx)
        browser.go(d, ctx, "call.html?id=" + _call(ctx, other, "+15550142301")["id"])
        until(d, "the refusal", lambda: d.find_element(By.ID, "page-alert").text ==
              "No such call in your tenant (or not one of yours).")
        check(not d.find_element(By.ID, "recording-title").is_displayed(), "the panels are hidden")
    finally:
        d.quit()


def test_dialled_call_quality_chart_and_notes(ctx):
    session, pw = ctx.new_tenant()
    admin = session["token"]
    r = ctx.post("/api/calls/start", {"phoneNumber": "+15551112222"}, token=admin)
    check(r.status == 201, "dial: %r" % r)
    cid = r.json["data"]["call"]["id"]
    for q in ({"latency": 40, "jitter": 3, "packetLoss": 0.5, "mos": 4.3},
              {"latency": 80, "jitter": 12, "packetLoss": 2, "mos": 3.6}):
        r = ctx.put("/api/calls/%s/update" % cid, {"status": "connected", "quality": q}, token=admin)
        check(r.status == 200, "quality: %r" % r)
    d = _signed_in(ctx, session, pw, "call.html?id=" + cid)
    try:
        points = "const c = window.Chart && Chart.getChart('quality-chart'); return c ? c.data.datasets[0].data.length : 0"
        until(d, "the quality chart", lambda: d.execute_script(points) == 2)
        r = ctx.put("/api/calls/%s/update" % cid, {"quality": {"latency": 60, "jitter": 7, "packetLoss": 1, "mos": 4.0}},
                    token=admin)
        check(r.status == 200, "a third report: %r" % r)
        until(d, "the third point, live", lambda: d.execute_script(points) == 3)
        mos = d.execute_script("return Chart.getChart('quality-chart').data.datasets[0].data")
        check(mos == [4.3, 3.6, 4.0], "MOS: %r" % mos)
        d.find_element(By.ID, "notes-text").send_keys("Asked for a callback on Monday")
        d.find_element(By.ID, "notes-save").click()
        until(d, "saved", lambda: d.find_element(By.ID, "notes-state").text == "Saved.")
        got = ctx.get("/api/calls/" + cid, token=admin).json["call"]
        check(got["notes"] == "Asked for a callback on Monday", "notes in the API: %r" % got)
        r = ctx.post("/api/calls/%s/end" % cid, {"outcome": "callback"}, token=admin)
        check(r.status == 200, "end: %r" % r)
        until(d, "notes read-only once ended", lambda: d.find_element(By.ID, "notes-text").get_attribute("readonly"))
    finally:
        d.quit()


def test_agent_sees_own_calls_and_transfers_only_what_they_answered(ctx):
    """An agent on the calls page: every live call, a Transfer only on the call they answered
    (to a queue: the department route is for managers); the logs are the calls they took,
    as the API answers them, and no agent filter."""
    session, _ = ctx.new_tenant()
    admin = session["token"]
    sales, support = _queue(ctx, admin, "Sales"), _queue(ctx, admin, "Support")
    email, pw = "agent-%s@example.test" % sb.uid(), "pw-" + sb.uid() + sb.uid()
    r = ctx.post("/api/users", {"email": email, "password": pw, "role": "agent"}, token=admin)
    check(r.status == 201, "agent: %r" % r)
    me = {"id": r.json["user"]["id"], "token": ctx.login(email, pw)["token"]}
    r = ctx.post("/api/queues/%s/members" % sales["id"], {"user_id": me["id"]}, token=admin)
    check(r.status == 201, "member: %r" % r)
    check(ctx.post("/api/agent-state/me/available", {}, token=me["token"]).status == 200, "available")
    mine = cc_data(ctx.post("/api/queues/%s/calls" % sales["id"], {"caller_number": "+15550142400"}, token=admin), 201)
    offer = sb.wait(lambda: _offers(ctx, me), 5)
    check(offer and ctx.post("/api/offers/%s/accept" % offer[0]["id"], {}, token=me["token"]).status == 200, "accept")
    other = cc_data(ctx.post("/api/queues/%s/calls" % support["id"], {"caller_number": "+15550142401"}, token=admin), 201)
    dept_call = _call(ctx, admin, "+15550142402")
    # The agent's first call ends (its CDR is theirs), the next is offered to them; a call of
    # nobody's ends too: the logs show the first only.
    current = cc_data(ctx.post("/api/queues/%s/calls" % sales["id"], {"caller_number": "+15550142403"}, token=admin), 201)
    r = ctx.post("/api/queue-calls/%s/hangup" % mine["id"], {}, token=me["token"])
    check(r.status == 200, "hang up: %r" % r)
    offer = sb.wait(lambda: _offers(ctx, me), 8)
    check(offer and ctx.post("/api/offers/%s/accept" % offer[0]["id"], {}, token=me["token"]).status == 200,
          "accept the next: %r" % offer)
    check(ctx.put("/api/calls/" + _call(ctx, admin, "+15550142404")["id"], {"status": "completed"},
                  token=admin).status == 200, "a call of nobody's")
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "agent.html")
        browser.go(d, ctx, "calls.html")
        until(d, "the three live calls", lambda: _live_row(d, "data-qcall", current["id"]) and
              _live_row(d, "data-qcall", other["id"]) and _live_row(d, "data-call", dept_call["id"]))
        transfer = lambda tr: tr.find_elements(By.CSS_SELECTOR, "[data-transfer]")
        check(transfer(_live_row(d, "data-qcall", current["id"])), "the agent's answered call has Transfer")
        check(not transfer(_live_row(d, "data-qcall", other["id"])) and
              not transfer(_live_row(d, "data-call", dept_call["id"])), "others have none")
        d.find_element(By.ID, "tab-logs").click()
        want = [x["id"] for x in cc_data(ctx.get("/api/cdr", token=me["token"]))]
        check(len(want) == 1, "the agent's CDRs in the API: %r" % want)
        until(d, "the agent's own records", lambda: _log_ids(d) == want)
        check(not d.find_element(By.ID, "field-user").is_displayed(), "no agent filter for an agent")
        d.find_element(By.ID, "tab-live").click()
        transfer(_live_row(d, "data-qcall", current["id"]))[0].click()
        until(d, "the queue choice", lambda: [o.get_attribute("value") for o in
              d.find_elements(By.CSS_SELECTOR, "#transfer-queue option")] == [support["id"]])
        d.find_element(By.ID, "transfer-submit").click()
        until(d, "the leg gone", lambda: _live_row(d, "data-qcall", current["id"]) is None)
        old = cc_data(ctx.get("/api/queue-calls/" + current["id"], token=admin))
        check(old["status"] == "ended" and old["overflow_to"] == "transfer:queue:" + support["id"]
              and old["agent_id"] == me["id"], "transferred by the agent: %r" % old)
        check(_alert_hidden(d, "page-alert"), "an error: %r" % d.find_element(By.ID, "page-alert").text)
    finally:
        d.quit()
