"""The do-not-call page in headless Chromium (issue 12): a number the API refuses shown
under its field, a number added (and again: the API's 409 shown), checked, found by a
search, and removed after a confirmation; each step checked through the API. An agent adds
a number but is offered no removal (the API's rule)."""
import random

import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By

_rng = random.SystemRandom()


def _data(r, status=200):
    check(r.status == status, "expected %d: %r" % (status, r))
    return r.json["data"]


def _type(d, id_, value):
    f = d.find_element(By.ID, id_)
    f.clear()
    f.send_keys(value)


def _row(d, number):
    rows = d.find_elements(By.CSS_SELECTOR, '#rows tr[data-number="%s"]' % number)
    return rows[0] if rows else None


def test_dnc_number_added_checked_removed(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    digits = "%07d" % _rng.randrange(10 ** 7)
    number = "+1559" + digits
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "dnc.html")
        until(d, "the empty list", lambda: "No numbers on the list" in d.find_element(By.ID, "rows").text)
        _type(d, "dnc-phone", "12-3")
        d.find_element(By.ID, "dnc-add").click()
        err = until(d, "the phone's error", lambda: d.find_element(By.ID, "dnc-phone-error").get_attribute("hidden") is None
                    and d.find_element(By.ID, "dnc-phone-error"))
        check("Invalid phone number format" in err.text, "error: %r" % err.text)
        check(_data(ctx.get("/api/dnc", token=token)) == [], "added despite the error")
        _type(d, "dnc-phone", "+1 (559) %s-%s" % (digits[:3], digits[3:]))
        _type(d, "dnc-reason", "Asked not to be called")
        d.find_element(By.ID, "dnc-add").click()
        until(d, "the new row", lambda: _row(d, number))
        check("Asked not to be called" in _row(d, number).text and "Never" in _row(d, number).text,
              "row: %r" % _row(d, number).text)
        entries = _data(ctx.get("/api/dnc", token=token))
        check(len(entries) == 1 and entries[0]["phoneNumber"] == number and entries[0]["reason"] == "Asked not to be called"
              and entries[0]["active"] is True and entries[0]["expiresAt"] is None, "the API: %r" % entries)
        # The same number again: the API's 409, as its message.
        _type(d, "dnc-phone", number)
        d.find_element(By.ID, "dnc-add").click()
        alert = until(d, "the 409", lambda: d.find_element(By.ID, "dnc-alert").is_displayed() and d.find_element(By.ID, "dnc-alert"))
        check("already on the do-not-call list" in alert.text, "alert: %r" % alert.text)
        # Check, and search by digits.
        _type(d, "check-phone", number)
        d.find_element(By.ID, "check-submit").click()
        until(d, "blocked", lambda: d.find_element(By.ID, "check-result").get_attribute("data-blocked") == "true")
        _type(d, "filter-search", digits[-5:])
        d.find_element(By.ID, "filter-search").submit()
        until(d, "found", lambda: _row(d, number))
        _type(d, "filter-search", "0000000000")
        d.find_element(By.ID, "filter-search").submit()
        until(d, "no match", lambda: "No entry matches" in d.find_element(By.ID, "rows").text)
        _type(d, "filter-search", "")
        d.find_element(By.ID, "filter-search").submit()
        # Remove, confirmed.
        until(d, "the row again", lambda: _row(d, number)).find_element(By.CSS_SELECTOR, "[data-remove]").click()
        until(d, "the confirmation", lambda: d.find_element(By.ID, "remove-dialog").is_displayed())
        d.find_element(By.ID, "remove-confirm").click()
        until(d, "the row gone", lambda: _row(d, number) is None and "No numbers on the list" in d.find_element(By.ID, "rows").text)
        check(_data(ctx.get("/api/dnc", token=token)) == [], "still listed")
        c = _data(ctx.get("/api/dnc/check?phoneNumber=" + number.replace("+", "%2B"), token=token))
        check(c["blocked"] is False, "still blocked: %r" % c)
    finally:
        d.quit()


def test_dnc_agent_adds_but_does_not_remove(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    email = "agent-%s@example.test" % sb.uid()
    check(ctx.post("/api/users", {"email": email, "password": pw, "role": "agent"}, token=token).status == 201, "agent")
    number = "+1559%07d" % _rng.randrange(10 ** 7)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "agent.html")
        browser.go(d, ctx, "dnc.html")
        until(d, "the empty list", lambda: "No numbers on the list" in d.find_element(By.ID, "rows").text)
        _type(d, "dnc-phone", number)
        d.find_element(By.ID, "dnc-add").click()
        until(d, "the new row", lambda: _row(d, number))
        check(not _row(d, number).find_elements(By.CSS_SELECTOR, "[data-remove]"), "removal offered to an agent")
        check([e["phoneNumber"] for e in _data(ctx.get("/api/dnc", token=token))] == [number], "the API's list")
    finally:
        d.quit()
