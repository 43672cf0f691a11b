"""The campaigns page in headless Chromium (issue 12): a campaign created through the form
(hours refused by the API shown under their field, then fixed), edited, started, paused and
stopped with its buttons; each step checked through the API. Also: a campaign's progress
(its leads still to call, counted through /api/leads), the state of the schedule it follows
as /api/schedules/:id/status answers it, the API's refusal to delete a campaign with leads
shown as its message, and an agent who reads but is offered no button."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def _data(r, status=200):
    check(r.status == status, "expected %d: %r" % (status, r))
    return r.json["data"]


def _row(d, name):
    for tr in d.find_elements(By.CSS_SELECTOR, "#rows tr[data-id]"):
        if tr.find_element(By.TAG_NAME, "strong").text == name:
            return tr
    return None


def _status(d, name):
    tr = _row(d, name)
    return tr and tr.find_element(By.CSS_SELECTOR, "[data-status]").get_attribute("data-status")


def _type(d, id_, value):
    f = d.find_element(By.ID, id_)
    f.clear()
    f.send_keys(str(value))


def _time(d, id_, hhmm):
    """A time input, typed as a user types it (its segments: 12-hour with AM/PM, else 24-hour)."""
    h, m = (int(x) for x in hhmm.split(":"))
    f = d.find_element(By.ID, id_)
    f.send_keys("%02d%02d%s" % (h % 12 or 12, m, "AM" if h < 12 else "PM"))
    if f.get_attribute("value") != hhmm:  # a 24-hour locale
        f.send_keys("%02d%02d" % (h, m))
    check(f.get_attribute("value") == hhmm, "typed %s, the field has %r" % (hhmm, f.get_attribute("value")))


def test_campaign_created_edited_started_paused(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    # A schedule open on no day: a campaign that follows it is never dialled.
    sched = sb.cc_data(ctx.post("/api/schedules", {"name": "Office " + sb.uid(), "timezone": "Europe/Paris",
                                                   "hours": {}}, token=token), 201)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "campaigns.html")
        until(d, "the empty list", lambda: "No campaigns yet" in d.find_element(By.ID, "rows").text)
        name = "Spring " + sb.uid()
        d.find_element(By.ID, "new-campaign").click()
        until(d, "the form", lambda: d.find_element(By.ID, "campaign-dialog").is_displayed())
        _type(d, "c-name", name)
        _type(d, "c-description", "Spring promotion")
        _time(d, "c-start", "18:00")
        _time(d, "c-end", "10:30")  # before the start: the API's 400 names callingHoursEnd
        d.find_element(By.ID, "c-day-fri").click()  # off
        d.find_element(By.ID, "c-day-sat").click()  # on
        _type(d, "c-zone", "Europe/Paris")
        Select(d.find_element(By.ID, "c-schedule")).select_by_value(sched["id"])
        _type(d, "c-attempts", 5)
        _type(d, "c-retry", 30)
        d.find_element(By.ID, "campaign-save").click()
        err = until(d, "the hours' error", lambda: d.find_element(By.ID, "c-end-error").get_attribute("hidden") is None
                    and d.find_element(By.ID, "c-end-error"))
        check("after" in err.text, "error text: %r" % err.text)
        check(_data(ctx.get("/api/campaigns", token=token)) == [], "saved despite the error")
        _time(d, "c-start", "08:30")
        d.find_element(By.ID, "campaign-save").click()
        until(d, "the new row", lambda: _row(d, name))
        cid = _row(d, name).get_attribute("data-id")
        c = _data(ctx.get("/api/campaigns/" + cid, token=token))
        check(c["name"] == name and c["description"] == "Spring promotion" and c["status"] == "draft"
              and c["callingHoursStart"] == "08:30" and c["callingHoursEnd"] == "10:30"
              and c["callingDays"] == ["mon", "tue", "wed", "thu", "sat"] and c["timeZone"] == "Europe/Paris"
              and c["scheduleId"] == sched["id"] and c["maxAttempts"] == 5 and c["retryDelayMinutes"] == 30,
              "saved: %r" % c)
        # The schedule's state, as the API says it is now.
        check(sb.cc_data(ctx.get("/api/schedules/%s/status" % sched["id"], token=token))["open"] is False,
              "the schedule is open")
        until(d, "the schedule's state", lambda: d.find_element(
            By.CSS_SELECTOR, '[data-schedule-state="%s"]' % sched["id"]).text == "Closed now")
        # Edit.
        _row(d, name).find_element(By.CSS_SELECTOR, "[data-edit]").click()
        until(d, "the edit form", lambda: d.find_element(By.ID, "c-name").get_attribute("value") == name)
        check(d.find_element(By.ID, "c-start").get_attribute("value") == "08:30", "start not filled")
        _type(d, "c-attempts", 7)
        d.find_element(By.ID, "campaign-save").click()
        until(d, "the edited row", lambda: "7 max" in _row(d, name).text)
        c = _data(ctx.get("/api/campaigns/" + cid, token=token))
        check(c["maxAttempts"] == 7 and c["callingDays"] == ["mon", "tue", "wed", "thu", "sat"]
              and c["scheduleId"] == sched["id"], "edited: %r" % c)
        # Start, pause, stop. Started while its schedule is closed, the page says its calls
        # are refused, and the dialer does refuse them (409).
        for action, status in (("active", "active"), ("paused", "paused"), ("active", "active"),
                               ("completed", "completed")):
            _row(d, name).find_element(By.CSS_SELECTOR, '[data-action="%s"]' % action).click()
            until(d, "status %s" % status, lambda: _status(d, name) == status)
            got = _data(ctx.get("/api/campaigns/" + cid, token=token))["status"]
            check(got == status, "the API says %r after %s" % (got, action))
            if action == "active":
                until(d, "the closed note", lambda: "calls are refused" in d.find_element(By.ID, "page-notice").text)
        check("stopped" in d.find_element(By.ID, "page-notice").text, "no notice")
        check(not _row(d, name).find_elements(By.CSS_SELECTOR, '[data-action="completed"]'),
              "Stop offered on a completed campaign")
        lead = _data(ctx.post("/api/leads", {"phoneNumber": "+15571234567", "campaignId": cid}, token=token), 201)
        _data(ctx.put("/api/campaigns/" + cid, {"status": "active", "callingDays": [
            "mon", "tue", "wed", "thu", "fri", "sat", "sun"], "callingHoursStart": "00:00",
            "callingHoursEnd": "24:00"}, token=token))
        r = ctx.post("/api/calls/start", {"phoneNumber": "+15571234567", "leadId": lead["id"]}, token=token)
        sb.expect_cold_error(r, 409)
        check("schedule" in r.json["message"] and "closed" in r.json["message"], "409: %r" % r.json)
        _data(ctx.put("/api/campaigns/" + cid, {"status": "completed"}, token=token))
        d.refresh()
        until(d, "completed again", lambda: _status(d, name) == "completed")
    finally:
        d.quit()


def test_campaign_progress_refusal_and_roles(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    c = _data(ctx.post("/api/campaigns", {"name": "Autumn " + sb.uid()}, token=token), 201)
    other = _data(ctx.post("/api/campaigns", {"name": "Winter " + sb.uid(), "status": "paused"}, token=token), 201)
    for i, status in enumerate(("new", "callback", "converted", "not_interested", "new")):
        _data(ctx.post("/api/leads", {"phoneNumber": "+1557%07d" % (1000 + i), "campaignId": c["id"],
                                      "status": status}, token=token), 201)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "campaigns.html")
        prog = until(d, "the progress", lambda: d.find_element(
            By.CSS_SELECTOR, '[data-progress="%s"] [data-done]' % c["id"]))
        check(prog.get_attribute("data-done") == "2" and prog.get_attribute("data-to-call") == "3",
              "progress: %r" % prog.text)
        check(d.find_element(By.CSS_SELECTOR, '[data-progress="%s"] progress' % c["id"])
              .get_attribute("value") == "2", "bar")
        check("No leads yet" in d.find_element(By.CSS_SELECTOR, '[data-progress="%s"]' % other["id"]).text,
              "empty campaign's progress")
        # Filtered by status: the paused one alone.
        Select(d.find_element(By.ID, "filter-status")).select_by_value("paused")
        until(d, "filtered", lambda: len(d.find_elements(By.CSS_SELECTOR, "#rows tr[data-id]")) == 1
              and _row(d, other["name"]))
        Select(d.find_element(By.ID, "filter-status")).select_by_value("")
        until(d, "unfiltered", lambda: _row(d, c["name"]))
        # The API refuses to delete a campaign with leads: its message is shown.
        _row(d, c["name"]).find_element(By.CSS_SELECTOR, "[data-delete]").click()
        d.find_element(By.ID, "delete-confirm").click()
        alert = until(d, "the refusal", lambda: d.find_element(By.ID, "page-alert").is_displayed()
                      and d.find_element(By.ID, "page-alert"))
        check("has leads" in alert.text, "alert: %r" % alert.text)
        _data(ctx.get("/api/campaigns/" + c["id"], token=token))
        # Without leads it goes.
        _row(d, other["name"]).find_element(By.CSS_SELECTOR, "[data-delete]").click()
        d.find_element(By.ID, "delete-confirm").click()
        until(d, "the row gone", lambda: _row(d, other["name"]) is None)
        sb.expect_cold_error(ctx.get("/api/campaigns/" + other["id"], token=token), 404)
    finally:
        d.quit()
    # An agent reads the list, and is offered no button that writes.
    agent_email = "agent-%s@example.test" % sb.uid()
    r = ctx.post("/api/users", {"email": agent_email, "password": pw, "role": "agent"}, token=token)
    check(r.status == 201, "agent: %r" % r)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, agent_email, pw, "agent.html")
        check(d.find_elements(By.CSS_SELECTOR, '#main-nav a[href="campaigns.html"]'), "nav")
        browser.go(d, ctx, "campaigns.html")
        until(d, "the agent's list", lambda: _row(d, c["name"]))
        check(not d.find_element(By.ID, "new-campaign").is_displayed(), "New offered to an agent")
        check(not _row(d, c["name"]).find_elements(By.TAG_NAME, "button"), "buttons offered to an agent")
    finally:
        d.quit()
