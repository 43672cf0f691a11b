"""The dashboard in a real browser (issue 12): headless Chromium from Debian driven by
Selenium against the test stack. Sign in, land on the wallboard, see the tenant's queue,
the stream go live, and a call entering the queue show within moments, without a reload.
A failure saves a screenshot under the test's temp directory and prints its path."""
import os
import tempfile
import time

import sb
from sb import check

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def _browser():
    o = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800"):
        o.add_argument(arg)
    o.binary_location = "/usr/bin/chromium"
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(30)
    return d


def _until(driver, what, fn, timeout=15):
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
                  % (what, timeout, shot, driver.current_url, _console(driver)))
        time.sleep(0.05)


def _console(driver):
    try:
        return [e["message"] for e in driver.get_log("browser")][-5:]
    except Exception:  # noqa: BLE001
        return []


def _cell(driver, queue_id, col):
    row = driver.find_element(By.CSS_SELECTOR, '#queue-rows tr[data-id="%s"]' % queue_id)
    return row.find_elements(By.TAG_NAME, "td")[col].text


def test_wallboard_signs_in_and_updates_live(ctx):
    session, pw = ctx.new_tenant()
    token, email = session["token"], session["user"]["email"]
    q = sb.cc_data(ctx.post("/api/queues", {"name": "Sales " + sb.uid()}, token=token), 201)
    d = _browser()
    try:
        d.get(ctx.base + "/index.html")
        d.find_element(By.ID, "email").send_keys(email)
        d.find_element(By.ID, "password").send_keys(pw)
        d.find_element(By.ID, "login-submit").click()
        _until(d, "the wallboard after sign-in", lambda: d.current_url.endswith("/wallboard.html"))
        _until(d, "the queue's row", lambda: _cell(d, q["id"], 0) == q["name"])
        check(_cell(d, q["id"], 1) == "0", "waiting before: %r" % _cell(d, q["id"], 1))
        _until(d, "the live stream", lambda: d.find_element(By.ID, "live-state")
               .get_attribute("data-state") == "live")
        _until(d, "the chart", lambda: d.execute_script(
            "return typeof Chart === 'function' && !!Chart.getChart('volume-chart')"))
        check(d.find_element(By.ID, "page-alert").get_attribute("hidden") is not None,
              "an error is shown: %r" % d.find_element(By.ID, "page-alert").text)
        began = time.monotonic()
        r = ctx.post("/api/queues/%s/calls" % q["id"], {"caller_number": "+15550142000"},
                     token=token)
        check(r.status == 201, "enter a call: %r" % r)
        _until(d, "the call waiting on the wallboard", lambda: _cell(d, q["id"], 1) == "1")
        print("       (a call in the queue shown %.0f ms after its POST; no reload)"
              % ((time.monotonic() - began) * 1000))
        check(d.find_element(By.ID, "t-waiting").text == "1", "tile: %r"
              % d.find_element(By.ID, "t-waiting").text)
    finally:
        d.quit()
