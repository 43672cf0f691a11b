"""The phone numbers page in headless Chromium (issue 12): a number created through the
form routed to a queue, a target of another tenant refused under its field (the API's
422), the route changed to an external number (written as E.164)."""
import random

import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def test_number_routed_through_the_form(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    q = sb.cc_data(ctx.post("/api/queues", {"name": "Main " + sb.uid()}, token=token), 201)
    other, _ = sb.tenant(ctx)
    theirs = sb.cc_data(ctx.post("/api/queues", {"name": "Theirs"}, token=other), 201)
    number = "+1555%07d" % random.randrange(10 ** 7)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "dids.html")
        until(d, "the empty list", lambda: "No numbers yet" in d.find_element(By.ID, "rows").text)
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "number", number)
        browser.fill(d, "friendly_name", "Sales line")
        Select(d.find_element(By.ID, "f-route_type")).select_by_value("queue")
        browser.fill(d, "route_target", theirs["id"])
        d.find_element(By.ID, "item-save").click()
        err = until(d, "the target's error", lambda: d.find_element(By.ID, "f-route_target-error")
                    .get_attribute("hidden") is None and d.find_element(By.ID, "f-route_target-error"))
        check(err.text.startswith("Target"), "error text: %r" % err.text)
        browser.fill(d, "route_target", q["id"])
        d.find_element(By.ID, "item-save").click()
        row = until(d, "the number's row", lambda: browser.row(d, number))
        check(row.find_elements(By.TAG_NAME, "td")[3].text == q["id"], "target shown")
        did = ctx.get("/api/dids/" + row.get_attribute("data-id"), token=token).json["did"]
        check(did["route_type"] == "queue" and did["route_target"] == q["id"] and
              did["sms_enabled"] is False, "saved: %r" % did)
        row.find_element(By.CSS_SELECTOR, "[data-edit]").click()
        until(d, "the edit form", lambda: d.find_element(By.ID, "f-number").get_attribute("value") == number)
        Select(d.find_element(By.ID, "f-route_type")).select_by_value("external")
        browser.fill(d, "route_target", "+1 (555) 010-2030")
        d.find_element(By.ID, "item-save").click()
        until(d, "the external route", lambda: browser.row(d, number) and
              browser.row(d, number).find_elements(By.TAG_NAME, "td")[3].text == "+15550102030")
    finally:
        d.quit()
