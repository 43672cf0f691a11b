"""The queues page in headless Chromium (issue 12): a queue created and edited through the
form, a refused value shown under its field (the API's 422), a delete confirmed; what the
page shows is what the API then answers."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def test_queue_created_edited_deleted_through_the_form(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "queues.html")
        until(d, "the empty list", lambda: "No queues yet" in d.find_element(By.ID, "rows").text)
        name = "Support " + sb.uid()
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "name", name)
        Select(d.find_element(By.ID, "f-strategy")).select_by_value("leastrecent")
        browser.fill(d, "timeout", 0)  # out of 1..600: the API's 422 names the field
        d.find_element(By.ID, "item-save").click()
        err = until(d, "the timeout's error", lambda: d.find_element(By.ID, "f-timeout-error")
                    .get_attribute("hidden") is None and d.find_element(By.ID, "f-timeout-error"))
        check("600" in err.text, "error text: %r" % err.text)
        browser.fill(d, "timeout", 25)
        d.find_element(By.ID, "item-save").click()
        row = until(d, "the new queue's row", lambda: browser.row(d, name))
        qid = row.get_attribute("data-id")
        q = sb.cc_data(ctx.get("/api/queues/" + qid, token=token))
        check(q["strategy"] == "leastrecent" and q["timeout"] == 25, "saved: %r" % q)
        row.find_element(By.CSS_SELECTOR, "[data-edit]").click()
        until(d, "the edit form", lambda: d.find_element(By.ID, "f-name").get_attribute("value") == name)
        browser.fill(d, "service_level", 45)
        d.find_element(By.ID, "item-save").click()
        until(d, "the edited row", lambda: browser.row(d, name) and
              browser.row(d, name).find_elements(By.TAG_NAME, "td")[4].text == "45 s")
        check(sb.cc_data(ctx.get("/api/queues/" + qid, token=token))["service_level"] == 45,
              "service level not saved")
        browser.row(d, name).find_element(By.CSS_SELECTOR, "[data-delete]").click()
        d.find_element(By.ID, "delete-confirm").click()
        until(d, "the row gone", lambda: browser.row(d, name) is None)
        sb.expect_cc_error(ctx.get("/api/queues/" + qid, token=token), 404)
    finally:
        d.quit()


def test_queue_members_added_paused_removed(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    q = sb.cc_data(ctx.post("/api/queues", {"name": "Tiers " + sb.uid()}, token=token), 201)
    agent = sb.user(ctx, token, "agent")["user"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "queues.html")
        until(d, "the queue's row", lambda: browser.row(d, q["name"])).find_element(
            By.CSS_SELECTOR, '[data-action="Members"]').click()
        until(d, "the empty members", lambda: "No members yet" in d.find_element(By.ID, "member-rows").text)
        Select(d.find_element(By.ID, "member-user")).select_by_value(agent["id"])
        tier = d.find_element(By.ID, "member-tier")
        tier.clear()
        tier.send_keys("2")
        d.find_element(By.ID, "member-add-submit").click()
        sel = '#member-rows tr[data-user="%s"]' % agent["id"]
        cells = lambda: [td.text for td in d.find_element(By.CSS_SELECTOR, sel).find_elements(By.TAG_NAME, "td")]
        until(d, "the member", lambda: cells()[1:3] == ["2", "No"])
        d.find_element(By.CSS_SELECTOR, sel + " [data-pause]").click()
        until(d, "paused", lambda: cells()[2] == "Paused")
        members = sb.cc_data(ctx.get("/api/queues/%s/members" % q["id"], token=token))
        check(len(members) == 1 and members[0]["paused"] in (True, 1) and members[0]["penalty"] == 2,
              "the API: %r" % members)
        d.find_element(By.CSS_SELECTOR, sel + " [data-remove]").click()
        until(d, "removed", lambda: "No members yet" in d.find_element(By.ID, "member-rows").text)
        check(sb.cc_data(ctx.get("/api/queues/%s/members" % q["id"], token=token)) == [],
              "still a member")
    finally:
        d.quit()


def test_queues_filtered_and_sorted_on_the_server(ctx):
    """The declared list's filters and sortable headers (resource-page.js): each change asks
    the API again, and the rows are what the API answers for the same query."""
    session, pw = ctx.new_tenant()
    token = session["token"]
    tag = sb.uid()
    for name, strategy in (("Alpha", "ringall"), ("Bravo", "leastrecent"), ("Charlie", "ringall")):
        sb.cc_data(ctx.post("/api/queues", {"name": "%s %s" % (name, tag), "strategy": strategy},
                            token=token), 201)
    d = browser.open_browser()
    names = lambda: [tr.find_elements(By.TAG_NAME, "td")[0].text
                     for tr in d.find_elements(By.CSS_SELECTOR, "#rows tr[data-id]")]
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "queues.html")
        until(d, "three queues by name", lambda: names() == ["Alpha " + tag, "Bravo " + tag, "Charlie " + tag])
        d.find_element(By.CSS_SELECTOR, '[data-sort="name"]').click()
        until(d, "descending", lambda: names() == ["Charlie " + tag, "Bravo " + tag, "Alpha " + tag])
        check(d.find_element(By.CSS_SELECTOR, '[data-sort="name"]').find_element(By.XPATH, "..")
              .get_attribute("aria-sort") == "descending", "aria-sort not set")
        Select(d.find_element(By.ID, "filter-strategy")).select_by_value("ringall")
        until(d, "ring-all queues", lambda: names() == ["Charlie " + tag, "Alpha " + tag])
        api = sb.cc_data(ctx.get("/api/queues?strategy=ringall&sort=name&order=desc", token=token))
        check([q["name"] for q in api] == names(), "page %r, API %r" % (names(), api))
        d.find_element(By.ID, "filter-search").send_keys("Bra")
        until(d, "nothing matches", lambda: "No queues match" in d.find_element(By.ID, "rows").text)
        Select(d.find_element(By.ID, "filter-strategy")).select_by_value("")
        until(d, "Bravo alone", lambda: names() == ["Bravo " + tag])
    finally:
        d.quit()
