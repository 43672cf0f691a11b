"""The dashboard in a real browser (issue 12): headless Chromium from Debian driven by
Selenium against the test stack. Sign in, land on the wallboard, see the tenant's queue,
the stream go live, and a call entering the queue show within moments, without a reload.
A failure saves a screenshot under the test's temp directory and prints its path."""
import time

import browser
import sb
from browser import until as _until
from sb import check

from selenium.webdriver.common.by import By


def _cell(driver, queue_id, col):
    row = driver.find_element(By.CSS_SELECTOR, '#queue-rows tr[data-id="%s"]' % queue_id)
    return row.find_elements(By.TAG_NAME, "td")[col].text


def test_wallboard_signs_in_and_updates_live(ctx):
    session, pw = ctx.new_tenant()
    token, email = session["token"], session["user"]["email"]
    q = sb.cc_data(ctx.post("/api/queues", {"name": "Sales " + sb.uid()}, token=token), 201)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "wallboard.html")
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


def test_wallboard_reconnects_after_the_event_worker_dies(ctx):
    """The stream's worker killed: the page says "Reconnecting…", comes back live on the
    restarted worker by itself, and a call entering the queue then still shows."""
    import os
    import signal
    session, pw = ctx.new_tenant()
    token = session["token"]
    q = sb.cc_data(ctx.post("/api/queues", {"name": "Back " + sb.uid()}, token=token), 201)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        state = lambda: d.find_element(By.ID, "live-state").get_attribute("data-state")
        _until(d, "the live stream", lambda: state() == "live")
        os.kill(ctx.pidfile("events.pid"), signal.SIGKILL)
        _until(d, "the reconnecting state", lambda: state() == "reconnecting" and
               d.find_element(By.ID, "live-state").text == "Reconnecting…")
        _until(d, "live again", lambda: state() == "live", timeout=40)
        r = ctx.post("/api/queues/%s/calls" % q["id"], {"caller_number": "+15550142001"},
                     token=token)
        check(r.status == 201, "enter a call: %r" % r)
        _until(d, "the call after the reconnection", lambda: _cell(d, q["id"], 1) == "1")
    finally:
        d.quit()


test_wallboard_reconnects_after_the_event_worker_dies.destructive = True


def test_supervisor_sets_an_agents_state_from_the_wallboard(ctx):
    from selenium.webdriver.support.ui import Select
    session, pw = ctx.new_tenant()
    token = session["token"]
    agent = sb.user(ctx, token, "agent")["user"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        sel = '#agent-rows tr[data-id="%s"]' % agent["id"]
        state = lambda: d.find_element(By.CSS_SELECTOR, sel).find_elements(By.TAG_NAME, "td")[1].text
        _until(d, "the agent's row", lambda: state() == "offline")
        Select(d.find_element(By.CSS_SELECTOR, sel + " select")).select_by_value("available")
        _until(d, "the new state on the board", lambda: state() == "available")
        got = ctx.get("/api/agent-state/" + agent["id"], token=token)
        body = got.json.get("agent_state") or got.json.get("data")
        check(body["presence"] == "available", "the API: %r" % body)
    finally:
        d.quit()
