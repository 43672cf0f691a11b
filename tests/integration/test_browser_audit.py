"""The audit log page in headless Chromium (issue 12): the changes made through the API are
listed newest first with who made them, filtered on the server by action and record, and a
row's details show what was sent, never a password."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By


def test_audit_log_lists_filters_and_shows_details(ctx):
    session, pw = ctx.new_tenant()
    token, email = session["token"], session["user"]["email"]
    c = sb.cc_data(ctx.post("/api/contacts", {"company": "Audited " + sb.uid()}, token=token), 201)
    sb.cc_data(ctx.put("/api/contacts/" + c["id"], {"notes": "called twice"}, token=token))
    secret_pw = "pw-" + sb.uid() + sb.uid()
    r = ctx.post("/api/users", {"email": "m-%s@example.test" % sb.uid(), "password": secret_pw,
                                "role": "manager"}, token=token)
    check(r.status == 201, "manager: %r" % r)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "wallboard.html")
        check(d.find_elements(By.CSS_SELECTOR, '#main-nav a[href="audit.html"]'), "no audit log in an admin's menu")
        browser.go(d, ctx, "audit.html")
        actions = lambda: [tr.find_elements(By.TAG_NAME, "td")[2].text
                           for tr in d.find_elements(By.CSS_SELECTOR, "#rows tr[data-id]")]
        until(d, "the entries", lambda: "contact.update" in actions() and "user.create" in actions())
        api = sb.cc_data(ctx.get("/api/audit-logs?page_size=25", token=token))
        check(actions() == [e["action"] for e in api], "page %r, API %r" % (actions(), [e["action"] for e in api]))
        d.find_element(By.ID, "filter-resource").send_keys("contact")
        until(d, "contacts only", lambda: actions() and all(a.startswith("contact.") for a in actions()))
        d.find_element(By.ID, "filter-action").send_keys("update")
        until(d, "the update alone", lambda: actions() == ["contact.update"])
        d.find_element(By.CSS_SELECTOR, '#rows [data-action="Details"]').click()
        details = until(d, "the details", lambda: d.find_element(By.ID, "audit-details").text)
        check("called twice" in details, "details: %r" % details)
        # the user's creation is recorded without the password
        d.find_element(By.CSS_SELECTOR, "#details-dialog .btn--icon").click()
        for f in ("filter-resource", "filter-action"):
            d.find_element(By.ID, f).clear()
        d.find_element(By.ID, "filter-action").send_keys("user.create")
        until(d, "the user's creation", lambda: actions() == ["user.create"])
        d.find_element(By.CSS_SELECTOR, '#rows [data-action="Details"]').click()
        details = until(d, "its details", lambda: d.find_element(By.ID, "audit-details").text)
        check(secret_pw not in details and secret_pw not in d.page_source, "a password in the audit log")
    finally:
        d.quit()
