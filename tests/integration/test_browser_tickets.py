"""The tickets pages in headless Chromium (issue 12): a ticket created through the API is
found in the list (filtered, searched), opened on its page by an agent, answered with a
public reply and an internal note (the note marked as one), assigned to a colleague and
moved through the status machine; each change checked through the API."""
import browser
import sb
from browser import until
from sb import check, cc_data

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def _row(d, tid):
    found = d.find_elements(By.CSS_SELECTOR, '#rows tr[data-id="%s"]' % tid)
    return found[0] if found else None


def _cells(d, tid):
    return [td.text for td in _row(d, tid).find_elements(By.TAG_NAME, "td")]


def _messages(d):
    return [(li.find_element(By.CSS_SELECTOR, ".ticket-text").text, li.get_attribute("data-internal"))
            for li in d.find_elements(By.CSS_SELECTOR, "#ticket-messages li[data-id]")]


def _choose(d, select_id, value):
    """Picks value in the select (its options may be redrawn by a live reload meanwhile)."""
    def pick():
        Select(d.find_element(By.ID, select_id)).select_by_value(value)
        return d.find_element(By.ID, select_id).get_attribute("value") == value
    until(d, "%s chosen in %s" % (value, select_id), pick)


def _facts(d):
    dts = [x.text for x in d.find_elements(By.CSS_SELECTOR, "#ticket-facts dt")]
    dds = [x.text for x in d.find_elements(By.CSS_SELECTOR, "#ticket-facts dd")]
    return dict(zip(dts, dds))


def test_ticket_replied_noted_assigned_and_moved_from_its_page(ctx):
    admin, _ = sb.tenant(ctx)
    email, pw = "tickets-%s@example.test" % sb.uid(), "pw-" + sb.uid() + sb.uid()
    r = ctx.post("/api/users", {"email": email, "password": pw, "role": "agent"}, token=admin)
    check(r.status == 201, "agent: %r" % r)
    r = ctx.post("/api/users", {"email": "colleague-%s@example.test" % sb.uid(), "password": pw,
                                "role": "agent", "first_name": "Carla", "last_name": "Colleague"},
                 token=admin)
    check(r.status == 201, "colleague: %r" % r)
    colleague = r.json["user"]["id"]
    word = "Printer" + sb.uid()[:6]
    t = cc_data(ctx.post("/api/v1/tickets", {
        "subject": "%s is on fire" % word, "description": "Smoke on the third floor.",
        "priority": "high", "requester_name": "Bob Builder", "requester_email": "bob@example.test"},
        token=admin), 201)
    other = cc_data(ctx.post("/api/v1/tickets", {"subject": "Something else", "priority": "low"},
                             token=admin), 201)
    tid = t["id"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "agent.html")
        browser.go(d, ctx, "tickets.html")
        until(d, "the ticket's row", lambda: _row(d, tid) and _row(d, other["id"]))
        cells = _cells(d, tid)
        check(cells[0] == "#%d" % t["number"] and cells[2:5] == ["Open", "High", "—"]
              and cells[5] == "Bob Builder", "row: %r" % cells)
        # Filters: a priority hides it, a search finds it (and only it).
        Select(d.find_element(By.ID, "filter-priority")).select_by_value("low")
        until(d, "filtered by priority", lambda: _row(d, tid) is None and _row(d, other["id"]))
        check("priority=low" in d.current_url, "the filter in the address: %s" % d.current_url)
        Select(d.find_element(By.ID, "filter-priority")).select_by_value("")
        d.find_element(By.ID, "filter-q").send_keys(word)
        d.find_element(By.ID, "filter-apply").click()
        until(d, "searched", lambda: _row(d, tid) and _row(d, other["id"]) is None)

        # Its page.
        _row(d, tid).find_element(By.TAG_NAME, "a").click()
        until(d, "the ticket's page", lambda: d.find_element(By.ID, "ticket").is_displayed()
              and d.find_element(By.ID, "ticket-title").text == "#%d · %s is on fire" % (t["number"], word))
        check(d.find_element(By.ID, "ticket-description").text == "Smoke on the third floor.", "description")
        until(d, "no message yet", lambda: "No reply or note yet" in d.find_element(By.ID, "ticket-messages").text)

        # A public reply, then an internal note.
        d.find_element(By.ID, "compose-body").send_keys("We are on it, Bob.")
        check(d.find_element(By.ID, "compose-submit").text == "Send reply", "the reply button")
        d.find_element(By.ID, "compose-submit").click()
        until(d, "the reply", lambda: _messages(d) == [("We are on it, Bob.", "false")])
        d.find_element(By.CSS_SELECTOR, 'label[for="kind-note"]').click()
        until(d, "the note mode", lambda: d.find_element(By.ID, "compose-submit").text == "Add internal note"
              and "compose--note" in d.find_element(By.ID, "compose").get_attribute("class"))
        d.find_element(By.ID, "compose-body").send_keys("Facilities called; they come at 3.")
        d.find_element(By.ID, "compose-submit").click()
        until(d, "the note", lambda: _messages(d) == [("We are on it, Bob.", "false"),
                                                      ("Facilities called; they come at 3.", "true")])
        note = d.find_elements(By.CSS_SELECTOR, "#ticket-messages li[data-id]")[1]
        check("ticket-msg--internal" in note.get_attribute("class") and "Internal note" in note.text,
              "the note is not marked: %r" % note.text)
        msgs = cc_data(ctx.get("/api/v1/tickets/%s/messages" % tid, token=admin))
        check([(m["body"], m["is_internal"]) for m in msgs] == [
            ("We are on it, Bob.", False), ("Facilities called; they come at 3.", True)], "stored: %r" % msgs)
        public = cc_data(ctx.get("/api/v1/tickets/%s/messages?is_internal=false" % tid, token=admin))
        check([m["body"] for m in public] == ["We are on it, Bob."], "public: %r" % public)
        check(cc_data(ctx.get("/api/v1/tickets/" + tid, token=admin))["first_response_at"],
              "the reply is the first response")

        # Assigned to the colleague.
        _choose(d, "ticket-assignee", colleague)
        d.find_element(By.ID, "assign-apply").click()
        until(d, "the assignee shown", lambda: _facts(d).get("Assignee") == "Carla Colleague")
        check(cc_data(ctx.get("/api/v1/tickets/" + tid, token=admin))["assigned_to"] == colleague,
              "assigned in the API")

        # Status: in progress, then resolved; the machine then offers closing or reopening.
        _choose(d, "ticket-status", "in_progress")
        d.find_element(By.ID, "status-apply").click()
        until(d, "in progress", lambda: _facts(d).get("Status", "").startswith("In progress"))
        check(cc_data(ctx.get("/api/v1/tickets/" + tid, token=admin))["status"] == "in_progress",
              "in progress in the API")
        _choose(d, "ticket-status", "resolved")
        d.find_element(By.ID, "status-apply").click()
        until(d, "resolved", lambda: _facts(d).get("Status", "").startswith("Resolved"))
        got = cc_data(ctx.get("/api/v1/tickets/" + tid, token=admin))
        check(got["status"] == "resolved" and got["resolved_at"], "resolved in the API: %r" % got)
        offered = [o.get_attribute("value") for o in
                   d.find_elements(By.CSS_SELECTOR, "#ticket-status option")]
        check(offered == ["resolved", "closed", "open"], "moves offered: %r" % offered)
        check(d.find_element(By.ID, "page-alert").get_attribute("hidden") is not None,
              "an error is shown: %r" % d.find_element(By.ID, "page-alert").text)

        # Back to the list as it was left (searched), the row up to date.
        d.find_element(By.ID, "back").click()
        until(d, "the list again", lambda: _row(d, tid) and _row(d, other["id"]) is None
              and _cells(d, tid)[2:5] == ["Resolved", "High", "Carla Colleague"])
        check(d.find_element(By.ID, "filter-q").get_attribute("value") == word, "the search kept")
    finally:
        d.quit()


def test_ticket_created_from_the_list(ctx):
    """The new-ticket dialog: a refused e-mail shown under its field (the API's 422), then
    the ticket created, its page opened, and the API holding what was typed."""
    session, pw = ctx.new_tenant()
    token = session["token"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "tickets.html")
        until(d, "the empty list", lambda: "No tickets yet" in d.find_element(By.ID, "rows").text)
        d.find_element(By.ID, "new-ticket").click()
        subject = "Refund " + sb.uid()
        d.find_element(By.ID, "new-subject").send_keys(subject)
        d.find_element(By.ID, "new-description").send_keys("Charged twice in May.")
        Select(d.find_element(By.ID, "new-priority")).select_by_value("urgent")
        d.find_element(By.ID, "new-requester_email").send_keys("not-an-address")
        d.find_element(By.ID, "new-save").click()
        err = until(d, "the e-mail's error", lambda: d.find_element(By.ID, "new-requester_email-error")
                    .get_attribute("hidden") is None and d.find_element(By.ID, "new-requester_email-error"))
        check("valid email" in err.text, "error text: %r" % err.text)
        check(cc_data(ctx.get("/api/v1/tickets", token=token)) == [], "created anyway")
        box = d.find_element(By.ID, "new-requester_email")
        box.clear()
        box.send_keys("payer@example.test")
        d.find_element(By.ID, "new-save").click()
        until(d, "the new ticket's page", lambda: "/ticket.html?id=" in d.current_url
              and d.find_element(By.ID, "ticket-title").text == "#1 · " + subject)
        tid = d.current_url.split("id=", 1)[1]
        t = cc_data(ctx.get("/api/v1/tickets/" + tid, token=token))
        check(t["subject"] == subject and t["priority"] == "urgent" and t["status"] == "open"
              and t["requester_email"] == "payer@example.test"
              and t["description"] == "Charged twice in May.", "stored: %r" % t)
    finally:
        d.quit()
