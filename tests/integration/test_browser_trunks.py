"""The SIP trunk page in headless Chromium (issue 12), against test_sip.py's real SIP peer
(SIPp on loopback): a trunk configured through the form (a provider's preset, a port the
API refuses shown under its field), its password never shown on the page nor held by any
answer, an edit with the password left blank keeping it (the peer's digest check still
passes), and Test, Register and Unregister showing the peer's answer; each step checked
through the API. Without an answer (a port nobody listens on) the failure is shown as the
API words it; a manager reads the trunk and is offered no button."""
import socket

import browser
import sb
import test_sip
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def _data(r, status=200):
    check(r.status == status, "expected %d: %r" % (status, r))
    return r.json["data"]


def _type(d, id_, value):
    f = d.find_element(By.ID, id_)
    f.clear()
    f.send_keys(str(value))


def _row(d):
    rows = d.find_elements(By.CSS_SELECTOR, "#rows tr[data-id]")
    return rows[0] if rows else None


def _fact(d, name):
    return d.find_element(By.CSS_SELECTOR, '#sip-result [data-fact="%s"]' % name).text


def _run(d, action):
    """Clicks the row's action and waits for its outcome in the result panel."""
    title = {"test": "Test (SIP OPTIONS)", "register": "Registration", "unregister": "Unregistration"}[action]
    until(d, "the %s button" % action, lambda: _row(d).find_element(By.CSS_SELECTOR, '[data-action="%s"]' % action)).click()
    until(d, "the %s result" % action, lambda: d.find_element(By.ID, "sip-result").get_attribute("data-ok")
          and d.find_element(By.ID, "sip-result-title").text.startswith(title + ":"), timeout=20)
    return d.find_element(By.ID, "sip-result").get_attribute("data-ok") == "true"


def _no_password(d, ctx, token):
    check(test_sip.PASSWORD not in d.page_source, "the password is on the page")
    for path in ("/api/sip/settings", "/api/sip/status", "/api/health/sip"):
        test_sip._no_password(ctx.get(path, token=token))


def test_trunk_configured_tested_registered(ctx):
    if test_sip._skip_without_sipp():
        return
    session, pw = ctx.new_tenant()
    token = session["token"]
    presets = {p["name"]: p for p in _data(ctx.get("/api/sip/providers", token=token))}
    peer = None
    d = browser.open_browser()
    try:
        peer = test_sip.Peer("UDP")
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "trunks.html")
        until(d, "no trunk yet", lambda: "No SIP trunk is configured yet" in d.find_element(By.ID, "rows").text)
        d.find_element(By.ID, "trunk-edit").click()
        until(d, "the presets", lambda: len(d.find_elements(By.CSS_SELECTOR, "#t-preset option")) > 1)
        Select(d.find_element(By.ID, "t-preset")).select_by_value("Asterisk")
        check(d.find_element(By.ID, "t-server").get_attribute("value") == presets["Asterisk"]["server"]
              and d.find_element(By.ID, "t-port").get_attribute("value") == str(presets["Asterisk"]["port"]),
              "the preset did not fill the form")
        _type(d, "t-server", "127.0.0.1")
        _type(d, "t-port", 70000)  # the API's 400 names port
        _type(d, "t-username", test_sip.USER)
        _type(d, "t-password", test_sip.PASSWORD)
        _type(d, "t-domain", "switchboard.test")
        _type(d, "t-expires", 120)
        d.find_element(By.ID, "trunk-save").click()
        until(d, "the port's error", lambda: d.find_element(By.ID, "t-port-error").get_attribute("hidden") is None)
        sb.expect_cold_error(ctx.get("/api/sip/settings", token=token), 404)
        _type(d, "t-port", peer.port)
        d.find_element(By.ID, "trunk-save").click()
        until(d, "the trunk's row", lambda: _row(d) and str(peer.port) in _row(d).text)
        check(_row(d).find_element(By.CSS_SELECTOR, "[data-password]").get_attribute("data-password") == "set",
              "password state: %r" % _row(d).text)
        s = _data(ctx.get("/api/sip/settings", token=token))
        check(s["provider"] == "Asterisk" and s["server"] == "127.0.0.1" and s["port"] == peer.port
              and s["transport"] == "UDP" and s["username"] == test_sip.USER and s["domain"] == "switchboard.test"
              and s["registerExpires"] == 120 and s["hasPassword"] is True, "saved: %r" % s)
        _no_password(d, ctx, token)
        # An edit with the password left blank keeps it: the peer's digest check passes below.
        _row(d).find_element(By.CSS_SELECTOR, "[data-edit]").click()
        until(d, "the edit form", lambda: d.find_element(By.ID, "t-provider").get_attribute("value") == "Asterisk")
        check(d.find_element(By.ID, "t-password").get_attribute("value") == "", "the password is filled in")
        _type(d, "t-provider", "Our PBX")
        d.find_element(By.ID, "trunk-save").click()
        until(d, "the edited row", lambda: _row(d) and _row(d).find_elements(By.TAG_NAME, "td")[0].text == "Our PBX")
        check(_data(ctx.get("/api/sip/settings", token=token))["hasPassword"] is True, "password lost")
        # Test: OPTIONS answered 200 with a round trip.
        check(_run(d, "test"), "test failed: %r" % d.find_element(By.ID, "sip-result").text)
        check(_fact(d, "Status code") == "200" and _fact(d, "Round trip").endswith(" ms"),
              "test result: %r" % d.find_element(By.ID, "sip-result").text)
        st = _data(ctx.get("/api/sip/status", token=token))
        check(st["lastStatus"] == 200 and _fact(d, "Round trip") == "%d ms" % st["lastRttMs"], "status: %r" % st)
        # Register (digest with the kept password), then unregister.
        check(_run(d, "register"), "register failed: %r" % d.find_element(By.ID, "sip-result").text)
        check(_fact(d, "Registration") == "Registered" and _fact(d, "Granted for").startswith("120 s"),
              "register result: %r" % d.find_element(By.ID, "sip-result").text)
        until(d, "registered in the row", lambda: _row(d).find_element(By.CSS_SELECTOR, "[data-registration]")
              .get_attribute("data-registration") == "registered")
        check(_data(ctx.get("/api/sip/status", token=token))["registered"] is True, "the API: not registered")
        check(_run(d, "unregister"), "unregister failed: %r" % d.find_element(By.ID, "sip-result").text)
        until(d, "unregistered in the row", lambda: _row(d).find_element(By.CSS_SELECTOR, "[data-registration]")
              .get_attribute("data-registration") == "unregistered")
        check(_data(ctx.get("/api/sip/status", token=token))["registered"] is False, "the API: still registered")
        _no_password(d, ctx, token)
    finally:
        d.quit()
        if peer:
            ctx.post("/api/sip/unregister", {}, token=token)
            peer.close()


def test_trunk_without_answer_and_manager(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    port = test_sip._free_port(socket.SOCK_DGRAM)
    _data(ctx.post("/api/sip/configure", {"provider": "Nobody", "server": "127.0.0.1", "port": port,
                                          "username": "bob", "password": "pw-" + sb.uid()}, token=token))
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "trunks.html")
        until(d, "the trunk", lambda: _row(d) and "Nobody" in _row(d).text)
        check(not _run(d, "test"), "a test with no answer passed")
        st = _data(ctx.get("/api/sip/status", token=token))
        check(st["lastStatus"] is None and st["lastError"], "status: %r" % st)
        check(_fact(d, "Status code") == "No answer" and _fact(d, "Error") == "timeout: " + st["lastError"],
              "result: %r" % d.find_element(By.ID, "sip-result").text)
        until(d, "the last check in the row", lambda: st["lastError"] in _row(d).text)
    finally:
        d.quit()
    email = "manager-%s@example.test" % sb.uid()
    check(ctx.post("/api/users", {"email": email, "password": pw, "role": "manager"}, token=token).status == 201, "manager")
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "wallboard.html")
        check(d.find_elements(By.CSS_SELECTOR, '#main-nav a[href="trunks.html"]'), "nav")
        browser.go(d, ctx, "trunks.html")
        until(d, "the manager's view", lambda: _row(d) and "Nobody" in _row(d).text)
        check(not _row(d).find_elements(By.TAG_NAME, "button") and not d.find_element(By.ID, "trunk-edit").is_displayed(),
              "buttons offered to a manager")
    finally:
        d.quit()
