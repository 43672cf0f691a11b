"""The schedules page in headless Chromium (issue 12), declared: a schedule created through
the form with the weekly hours it proposes, a zone the system does not know refused under
its field (the API's 422); the week edited day by day (a day closed, a day opened, a second
range, a range to midnight), holidays as dates; the API then answers what was saved."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By


def _set_time(d, css, value):
    d.execute_script("const i = document.querySelector(arguments[0]); i.value = arguments[1];"
                     " i.dispatchEvent(new Event('input', {bubbles: true}));", css, value)


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
        browser.fill(d, "holidays", "2026-12-25, 2027-01-01")
        d.find_element(By.ID, "wh-fri").click()  # closed on Fridays
        d.find_element(By.ID, "wh-sat").click()  # open on Saturdays, 10:00 to midnight
        _set_time(d, "#wh-sat-ranges .week__range:last-child [data-open]", "10:00")
        _set_time(d, "#wh-sat-ranges .week__range:last-child [data-close]", "00:00")
        d.find_element(By.CSS_SELECTOR, '[aria-label="Add Monday hours"]').click()
        _set_time(d, "#wh-mon-ranges .week__range:last-child [data-open]", "18:00")
        _set_time(d, "#wh-mon-ranges .week__range:last-child [data-close]", "20:30")
        d.find_element(By.ID, "item-save").click()
        until(d, "two holidays", lambda: browser.row(d, name) and
              browser.row(d, name).find_elements(By.TAG_NAME, "td")[3].text == "2")
        s = sb.cc_data(ctx.get("/api/v1/schedules/" + sid, token=token))
        check(s["timezone"] == "Europe/Paris" and s["holidays"] == ["2026-12-25", "2027-01-01"]
              and s["hours"]["mon"] == [{"open": "09:00", "close": "17:00"}, {"open": "18:00", "close": "20:30"}]
              and "fri" not in s["hours"] and s["hours"]["sat"] == [{"open": "10:00", "close": "00:00"}],
              "saved: %r" % s)
        check(browser.row(d, name).find_elements(By.TAG_NAME, "td")[2].text == "mon, tue, wed, thu, sat",
              "open days: %r" % browser.row(d, name).text)
        # opened again, the form shows the week as saved; always open sends null
        browser.click_in_row(d, name, "[data-edit]")
        until(d, "Monday's two ranges", lambda: len(d.find_elements(By.CSS_SELECTOR, "#wh-mon-ranges .week__range")) == 2)
        check(not d.find_element(By.ID, "wh-fri").is_selected(), "Friday shown open")
        d.find_element(By.ID, "f-hours-always").click()
        d.find_element(By.ID, "item-save").click()
        until(d, "always open", lambda: sb.cc_data(ctx.get("/api/v1/schedules/" + sid, token=token))["hours"] is None)
    finally:
        d.quit()
