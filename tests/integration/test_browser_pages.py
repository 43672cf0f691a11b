"""Every dashboard page in headless Chromium (issue 12): signed in as an admin of a tenant
with data, each page of the menu loads with its heading, shows no error and logs none to the
console; at a tablet's width (768 x 1024) no page scrolls sideways (wide tables scroll in
their own box); a super_admin's platform pages too."""
import json

import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By


def _menu(d):
    return [a.get_attribute("href").rsplit("/", 1)[1] for a in d.find_elements(By.CSS_SELECTOR, "#main-nav a")]


def _errors(d):
    out = []
    for e in d.get_log("browser"):
        # a refused request is the page's own business (it shows the message); favicon aside
        if e["level"] == "SEVERE" and "favicon.ico" not in e["message"] and "Failed to load resource" not in e["message"]:
            out.append(e["message"])
    return out


def _visit_all(d, ctx, pages, width):
    d.set_window_size(width, 1024 if width < 1000 else 800)
    for page in pages:
        browser.go(d, ctx, page)
        until(d, "%s's heading" % page, lambda: d.find_element(By.CSS_SELECTOR, "main h1").text)
        until(d, "%s loaded" % page, lambda: not d.find_elements(By.CSS_SELECTOR, "#rows[aria-busy], .table__placeholder td")
              or all(td.text != "Loading…" for td in d.find_elements(By.CSS_SELECTOR, ".table__placeholder td")))
        alerts = [a.text for a in d.find_elements(By.CSS_SELECTOR, "#page-alert") if a.is_displayed() and a.text]
        check(not alerts, "%s at %d px shows an error: %r" % (page, width, alerts))
        errs = _errors(d)
        check(not errs, "%s at %d px logs errors: %r" % (page, width, errs))
        over = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        check(over <= 0, "%s at %d px scrolls sideways by %d px" % (page, width, over))


def test_every_page_loads_on_a_desktop_and_a_tablet(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    q = sb.cc_data(ctx.post("/api/queues", {"name": "Sales " + sb.uid()}, token=token), 201)
    sb.dept(ctx, token)
    sb.cc_data(ctx.post("/api/contacts", {"first_name": "Ada", "phone": "+15550101010"}, token=token), 201)
    ctx.post("/api/calls", {"caller_number": "+15550101010", "queue_id": q["id"]}, token=token)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        pages = _menu(d)
        check(len(pages) >= 15, "the admin's menu: %r" % pages)
        for width in (1280, 768):
            _visit_all(d, ctx, pages, width)
    finally:
        d.quit()


def test_platform_pages_load(ctx):
    sup = sb.super_admin(ctx)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, sup["user"]["email"], sup["password"], "wallboard.html")
        pages = _menu(d)
        check("tenants.html" in pages and "registrations.html" in pages, "super_admin's menu: %r" % pages)
        _visit_all(d, ctx, ["tenants.html", "registrations.html"], 768)
    finally:
        d.quit()
