"""Headless Chromium (Debian's chromium + chromium-driver) through Selenium for the
dashboard's tests: a signed-in browser, waits that save a screenshot when they fail."""
import os
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

import sb
from sb import check


def open_browser():
    o = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800"):
        o.add_argument(arg)
    o.binary_location = "/usr/bin/chromium"
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(30)
    return d


def console(driver):
    try:
        return [e["message"] for e in driver.get_log("browser")][-5:]
    except Exception:  # noqa: BLE001 (a driver without logs)
        return []


def until(driver, what, fn, timeout=15):
    """fn()'s first true value; on timeout a screenshot under a temp dir, and the check fails
    naming it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = fn()
        except Exception:  # noqa: BLE001 (an element not there yet)
            v = None
        if v:
            return v
        if time.monotonic() > deadline:
            shot = os.path.join(tempfile.mkdtemp(prefix="sb-browser-"), "failure.png")
            driver.save_screenshot(shot)
            check(False, "%s: not within %ss; screenshot %s; page %s; console %r"
                  % (what, timeout, shot, driver.current_url, console(driver)))
        time.sleep(0.05)


def sign_in(driver, ctx, email, password, landing):
    driver.get(ctx.base + "/index.html")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    until(driver, "the %s after sign-in" % landing,
          lambda: driver.current_url.endswith("/" + landing))


def go(driver, ctx, page):
    driver.get(ctx.base + "/" + page)


def row(driver, first_cell):
    """The list page's row (resource-page.js) whose first cell reads first_cell, or None."""
    for tr in driver.find_elements(By.CSS_SELECTOR, "#rows tr[data-id]"):
        if tr.find_elements(By.TAG_NAME, "td")[0].text == first_cell:
            return tr
    return None


def fill(driver, name, value):
    """Types value into the form's field `name` (resource-page.js ids: f-<name>)."""
    f = driver.find_element(By.ID, "f-" + name)
    f.clear()
    f.send_keys(str(value))


def click_in_row(driver, first_cell, css):
    """Clicks the element css in the row whose first cell reads first_cell, retried while
    the list redraws under it (a stale or not yet interactable element)."""
    until(driver, "%s in the row %r" % (css, first_cell),
          lambda: row(driver, first_cell).find_element(By.CSS_SELECTOR, css).click() or True)


def new_user(ctx, admin_token, role="agent"):
    """A user of the admin's tenant to sign in with in the browser: (id, email, password)."""
    email, pw = "%s-%s@example.test" % (role, sb.uid()), "pw-" + sb.uid() + sb.uid()
    r = ctx.post("/api/users", {"email": email, "password": pw, "role": role}, token=admin_token)
    check(r.status == 201, "%s: %r" % (role, r))
    return r.json["user"]["id"], email, pw
