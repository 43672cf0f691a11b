"""The agent's desk in headless Chromium (issue 12): an agent signs in to it, goes
available from the page, sees a call offered with its countdown, accepts it, holds and
hangs up; the queue's call is then ended, as the API says."""
import time

import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def test_agent_accepts_an_offered_call_from_the_desk(ctx):
    admin, _ = sb.tenant(ctx)
    q = sb.cc_data(ctx.post("/api/queues", {"name": "Desk " + sb.uid(), "timeout": 120},
                            token=admin), 201)
    email, pw = "agent-%s@example.test" % sb.uid(), "pw-" + sb.uid() + sb.uid()
    r = ctx.post("/api/users", {"email": email, "password": pw, "role": "agent"}, token=admin)
    check(r.status == 201, "agent: %r" % r)
    uid = r.json["user"]["id"]
    r = ctx.post("/api/queues/%s/members" % q["id"], {"user_id": uid}, token=admin)
    check(r.status == 201, "member: %r" % r)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "agent.html")
        until(d, "the live stream", lambda: d.find_element(By.ID, "live-state")
              .get_attribute("data-state") == "live")
        Select(d.find_element(By.ID, "state-select")).select_by_value("available")
        d.find_element(By.ID, "state-apply").click()
        until(d, "the state shown", lambda: d.find_element(By.ID, "my-state").text == "Available")
        r = ctx.post("/api/queues/%s/calls" % q["id"], {"caller_number": "+15550143210"},
                     token=admin)
        check(r.status == 201, "enter a call: %r" % r)
        qc = r.json["data"]["id"] if "data" in r.json else r.json["queue_call"]["id"]
        until(d, "the offer", lambda: d.find_element(By.ID, "offer").is_displayed() and
              d.find_element(By.ID, "offer-caller").text == "+15550143210")
        first = d.find_element(By.ID, "offer-countdown").text
        check(first.endswith(" s") and 0 < int(first[:-2]) <= 120, "countdown: %r" % first)
        time.sleep(1.2)
        check(int(d.find_element(By.ID, "offer-countdown").text[:-2]) < int(first[:-2]),
              "the countdown does not move: %r" % first)
        d.find_element(By.ID, "offer-accept").click()
        until(d, "the call on the desk", lambda: d.find_element(By.ID, "call").is_displayed())
        check(d.find_element(By.ID, "no-offer").is_displayed(), "the offer is still shown")
        d.find_element(By.ID, "call-hold").click()
        until(d, "on hold", lambda: d.find_element(By.ID, "call-status").text == "on hold")
        d.find_element(By.ID, "call-hangup").click()
        until(d, "the call gone", lambda: d.find_element(By.ID, "no-call").is_displayed())
        got = ctx.get("/api/queue-calls/" + qc, token=admin)
        check(got.status == 200, "queue call: %r" % got)
        body = got.json.get("data") or got.json.get("queue_call")
        check(body["status"] == "ended" and body["agent_id"] == uid, "ended by the agent: %r"
              % body)
        check(d.find_element(By.ID, "page-alert").get_attribute("hidden") is not None,
              "an error is shown: %r" % d.find_element(By.ID, "page-alert").text)
    finally:
        d.quit()


def test_agent_desk_lists_my_calls_tickets_and_chats(ctx):
    """My work: the agent's own last calls, open tickets assigned to them and live chats
    (a colleague's are not shown); a ticket assigned while the desk is open appears."""
    session, _ = ctx.new_tenant()
    admin, tid = session["token"], session["user"]["tenant_id"]
    email, pw = "agent-%s@example.test" % sb.uid(), "pw-" + sb.uid() + sb.uid()
    r = ctx.post("/api/users", {"email": email, "password": pw, "role": "agent"}, token=admin)
    check(r.status == 201, "agent: %r" % r)
    me = r.json["user"]["id"]
    mine, theirs = "+1555%07d" % (int(sb.uid()[:6], 16) % 10**7), "+15550000001"
    for caller, user in ((mine, me), (theirs, session["user"]["id"])):
        sb.sql(ctx, "INSERT INTO cdrs (id, tenant_id, direction, caller_number, called_number, user_id,"
                    " start_time, duration, disposition) VALUES ('cdr_%s','%s','inbound','%s',"
                    "'+15550009999','%s',NOW(),75,'answered')" % (sb.uid(), tid, caller, user))
    t1 = sb.cc_data(ctx.post("/api/tickets", {"subject": "Mine to fix", "assigned_to": me}, token=admin), 201)
    sb.cc_data(ctx.post("/api/tickets", {"subject": "Not mine"}, token=admin), 201)
    sb.sql(ctx, "INSERT INTO chat_sessions (id, tenant_id, user_id, visitor_id, visitor_name, status,"
                " started_at, accepted_at) VALUES ('chat_%s','%s','%s','v-1','Vera Visitor','active',"
                " NOW(), NOW())" % (sb.uid(), tid, me))
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "agent.html")
        text = lambda i: d.find_element(By.ID, i).text
        until(d, "my call", lambda: mine in text("my-calls-table") and "1:15" in text("my-calls-table"))
        check(theirs not in text("my-calls-table"), "a colleague's call on my desk")
        until(d, "my ticket", lambda: "Mine to fix" in text("my-tickets-table"))
        check("Not mine" not in text("my-tickets-table") and ("#%s" % t1["number"]) in text("my-tickets-table"),
              "tickets: %r" % text("my-tickets-table"))
        until(d, "my chat", lambda: "Vera Visitor" in text("my-chats-table"))
        until(d, "the live stream", lambda: d.find_element(By.ID, "live-state").get_attribute("data-state") == "live")
        sb.cc_data(ctx.post("/api/tickets", {"subject": "Assigned just now", "assigned_to": me}, token=admin), 201)
        until(d, "the new ticket without a reload", lambda: "Assigned just now" in text("my-tickets-table"))
    finally:
        d.quit()
