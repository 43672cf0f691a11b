"""The schedules page in headless Chromium (issue 12), declared: a schedule created through
the form with the weekly hours it proposes, a zone the system does not know refused under
its field (the API's 422), holidays edited as JSON; the API then answers what was saved."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By


def test_schedule_created_and_edited_through_the_form(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "schedules.html")
        until(d, "the empty list", lambda: "No schedules yet" in d.find_element(By.ID, "rows").text)
        name = "Front desk " + sb.uid()
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "name", name)
        browser.fill(d, "timezone", "Mars/Olympus_Mons")
        d.find_element(By.ID, "item-save").click()
        until(d, "the zone's error", lambda: d.find_element(By.ID, "f-timezone-error")
              .get_attribute("hidden") is None)
        browser.fill(d, "timezone", "Europe/Paris")
        d.find_element(By.ID, "item-save").click()
        row = until(d, "the new row", lambda: browser.row(d, name))
        check(row.find_elements(By.TAG_NAME, "td")[2].text == "mon, tue, wed, thu, fri",
              "open days: %r" % row.text)
        sid = row.get_attribute("data-id")
        row.find_element(By.CSS_SELECTOR, "[data-edit]").click()
        until(d, "the edit form", lambda: d.find_element(By.ID, "f-name").get_attribute("value") == name)
        browser.fill(d, "holidays", '["2026-12-25", "2027-01-01"]')
        d.find_element(By.ID, "item-save").click()
        until(d, "two holidays", lambda: browser.row(d, name) and
              browser.row(d, name).find_elements(By.TAG_NAME, "td")[3].text == "2")
        s = sb.cc_data(ctx.get("/api/v1/schedules/" + sid, token=token))
        check(s["timezone"] == "Europe/Paris" and s["holidays"] == ["2026-12-25", "2027-01-01"]
              and s["hours"]["mon"] == [{"open": "09:00", "close": "17:00"}], "saved: %r" % s)
    finally:
        d.quit()
