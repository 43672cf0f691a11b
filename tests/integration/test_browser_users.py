"""The users page in headless Chromium (issue 12): a user created through the form, a
duplicate e-mail refused with the API's message, the user edited (name, and the role,
which has a route of its own); what the page shows is what the API then answers."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def test_user_created_and_edited_through_the_form(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "users.html")
        until(d, "the admin's row", lambda: browser.row(d, session["user"]["email"]))
        email = "new-%s@example.test" % sb.uid()
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "email", email)
        browser.fill(d, "first_name", "Ada")
        browser.fill(d, "last_name", "Byron")
        browser.fill(d, "password", "pw-" + sb.uid() + sb.uid())
        d.find_element(By.ID, "item-save").click()
        row = until(d, "the new user's row", lambda: browser.row(d, email))
        uid = row.get_attribute("data-id")
        check(row.find_elements(By.TAG_NAME, "td")[2].text == "Agent", "role shown")
        # The same e-mail again: the API's 409 message in the form.
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "email", email)
        browser.fill(d, "password", "pw-" + sb.uid() + sb.uid())
        d.find_element(By.ID, "item-save").click()
        alert = until(d, "the duplicate's message", lambda: d.find_element(By.ID, "item-form-alert")
                      .get_attribute("hidden") is None and d.find_element(By.ID, "item-form-alert"))
        check("already" in alert.text.lower() or "exists" in alert.text.lower(),
              "message: %r" % alert.text)
        d.find_element(By.CSS_SELECTOR, "#item-dialog [data-close]").click()
        browser.row(d, email).find_element(By.CSS_SELECTOR, "[data-edit]").click()
        until(d, "the edit form", lambda: d.find_element(By.ID, "f-email").get_attribute("value") == email)
        check(not d.find_element(By.ID, "f-password").get_attribute("required"),
              "the password is optional when editing")
        browser.fill(d, "last_name", "Lovelace")
        Select(d.find_element(By.ID, "f-role")).select_by_value("manager")
        d.find_element(By.ID, "item-save").click()
        until(d, "the edited row", lambda: browser.row(d, email) and
              browser.row(d, email).find_elements(By.TAG_NAME, "td")[2].text == "Manager")
        u = ctx.get("/api/users/" + uid, token=token).json["user"]
        check(u["last_name"] == "Lovelace" and u["role"] == "manager", "saved: %r" % u)
    finally:
        d.quit()
