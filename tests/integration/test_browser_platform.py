"""The super_admin's pages in headless Chromium (issue 12): tenants created, edited and
suspended through the form (the status through its own route: the tenant's tokens stop at
once), their usage; company registrations approved (the company provisioned, its admin
signs in) and rejected with a reason; an admin has neither page in the menu."""
import browser
import sb
from browser import until
from sb import check
from test_registrations import _register

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def test_tenants_created_suspended_and_their_usage(ctx):
    sup = sb.super_admin(ctx)
    token = sup["token"]
    victim, _ = ctx.new_tenant()
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, sup["user"]["email"], sup["password"], "wallboard.html")
        browser.go(d, ctx, "tenants.html")
        name = "Acme " + sb.uid()
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "name", name)
        browser.fill(d, "max_agents", 25)
        d.find_element(By.ID, "item-save").click()
        d.find_element(By.ID, "filter-search").send_keys(name)
        row = until(d, "the new tenant", lambda: browser.row(d, name))
        t = ctx.get("/api/tenants/" + row.get_attribute("data-id"), token=token).json["tenant"]
        check(t["max_agents"] == 25 and t["status"] == "active", "created: %r" % t)
        browser.click_in_row(d, name, '[data-action="Usage"]')
        until(d, "its usage", lambda: "Agents" in d.find_element(By.ID, "usage-rows").text)
        d.find_element(By.CSS_SELECTOR, "#usage-dialog .btn--icon").click()

        # suspend another tenant through the form: its admin's token stops at once
        vname = ctx.get("/api/tenants/" + victim["user"]["tenant_id"], token=token).json["tenant"]["name"]
        search = d.find_element(By.ID, "filter-search")
        search.clear()
        search.send_keys(vname)
        browser.click_in_row(d, vname, "[data-edit]")
        Select(d.find_element(By.ID, "f-status")).select_by_value("suspended")
        d.find_element(By.ID, "item-save").click()
        until(d, "suspended", lambda: "Suspended" in browser.row(d, vname).text)
        check(ctx.get("/api/auth/profile", token=victim["token"]).status == 401, "a suspended tenant's token works")
    finally:
        d.quit()


def test_registrations_approved_and_rejected(ctx):
    sup = sb.super_admin(ctx)
    good, gbody = _register(ctx)
    bad, _ = _register(ctx)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, sup["user"]["email"], sup["password"], "wallboard.html")
        browser.go(d, ctx, "registrations.html")
        Select(d.find_element(By.ID, "filter-status")).select_by_value("pending")
        browser.click_in_row(d, gbody["company_name"], '[data-action="Approve"]')
        until(d, "approved", lambda: "is approved" in d.find_element(By.ID, "page-note").text)
        until(d, "gone from pending", lambda: browser.row(d, gbody["company_name"]) is None)
        check(ctx.post("/api/auth/login", {"email": gbody["email"], "password": gbody["password"]}).status == 200,
              "the approved company's admin cannot sign in")
        browser.click_in_row(d, bad["company_name"], '[data-action="Reject"]')
        d.find_element(By.ID, "reject-confirm").click()  # no reason: the form does not send
        check(d.execute_script("return document.getElementById('reject-reason').validity.valueMissing"),
              "an empty reason is not marked missing")
        check(ctx.get("/api/company-registrations/" + bad["id"], token=sup["token"]).json["data"]["status"]
              == "pending", "rejected without a reason")
        d.find_element(By.ID, "reject-reason").send_keys("Not a contact center")
        d.find_element(By.ID, "reject-confirm").click()
        until(d, "rejected", lambda: browser.row(d, bad["company_name"]) is None)
        reg = ctx.get("/api/company-registrations/" + bad["id"], token=sup["token"]).json["data"]
        check(reg["status"] == "rejected" and reg["rejection_reason"] == "Not a contact center", "rejected: %r" % reg)
    finally:
        d.quit()
