"""The departments page in headless Chromium (issue 12), on the declared page layer: a
department created through the form (business hours as JSON, refused in the page when it
does not parse), a color another client set kept on edit, a delete confirmed."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def test_department_created_edited_deleted_through_the_form(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "departments.html")
        name = "Billing " + sb.uid()
        until(d, "the list", lambda: "Loading" not in d.find_element(By.ID, "rows").text)
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "name", name)
        browser.fill(d, "phone_number", "+15550100")
        Select(d.find_element(By.ID, "f-color")).select_by_value("green")
        browser.fill(d, "business_hours", '{"mon": [')
        d.find_element(By.ID, "item-save").click()
        err = until(d, "the JSON error", lambda: d.find_element(By.ID, "f-business_hours-error")
                    .get_attribute("hidden") is None and d.find_element(By.ID, "f-business_hours-error"))
        check("JSON" in err.text, "error: %r" % err.text)
        browser.fill(d, "business_hours", '{"mon": [{"open": "09:00", "close": "17:00"}]}')
        d.find_element(By.ID, "item-save").click()
        row = until(d, "the new row", lambda: browser.row(d, name))
        did = row.get_attribute("data-id")
        dept = ctx.get("/api/departments/" + did, token=token).json["department"]
        check(dept["color"] == "green" and dept["phone_number"] == "+15550100", "saved: %r" % dept)
        # A color the page does not list, set by another client, survives an edit.
        r = ctx.put("/api/departments/" + did, {"color": "teal"}, token=token)
        check(r.status == 200, "teal: %r" % r)
        d.refresh()
        until(d, "the row", lambda: browser.row(d, name)).find_element(By.CSS_SELECTOR, "[data-edit]").click()
        until(d, "the edit form", lambda: d.find_element(By.ID, "f-name").get_attribute("value") == name)
        check(Select(d.find_element(By.ID, "f-color")).first_selected_option.get_attribute("value")
              == "teal", "custom color not kept in the form")
        browser.fill(d, "description", "Invoices and refunds")
        d.find_element(By.ID, "item-save").click()
        until(d, "the edited row", lambda: browser.row(d, name) and
              browser.row(d, name).find_elements(By.TAG_NAME, "td")[2].text == "Invoices and refunds")
        dept = ctx.get("/api/departments/" + did, token=token).json["department"]
        check(dept["color"] == "teal", "the custom color was replaced: %r" % dept)
        browser.row(d, name).find_element(By.CSS_SELECTOR, "[data-delete]").click()
        d.find_element(By.ID, "delete-confirm").click()
        until(d, "the row gone", lambda: browser.row(d, name) is None)
    finally:
        d.quit()
