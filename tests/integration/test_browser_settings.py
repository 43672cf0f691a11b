"""The settings page in headless Chromium (issue 12): an admin renames the company and sets
its settings (a blank name refused under its field), sees its usage and the service's
health; everyone saves their own preferences (a zone that is not IANA refused under its
field); an agent sees no company or health panel."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def _shown(d, id_):
    return d.find_element(By.ID, id_).get_attribute("hidden") is None


def test_admin_edits_company_and_preferences(ctx):
    session, pw = ctx.new_tenant()
    token, tid = session["token"], session["user"]["tenant_id"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "settings.html")
        until(d, "the company's name", lambda: d.find_element(By.ID, "company-name").get_attribute("value"))
        check("Users" in d.find_element(By.ID, "usage").text, "usage: %r" % d.find_element(By.ID, "usage").text)
        until(d, "the health", lambda: d.find_element(By.ID, "status-overall").text in ("ok", "degraded"))
        check("database" in d.find_element(By.ID, "status-table").text, "checks")
        name = d.find_element(By.ID, "company-name")
        name.clear()
        d.find_element(By.ID, "company-save").click()
        until(d, "the name's error", lambda: _shown(d, "company-name-error"))
        name.send_keys("Renamed " + sb.uid())
        settings = d.find_element(By.ID, "company-settings")
        settings.clear()
        settings.send_keys('{"greeting": "Hello"}')
        d.find_element(By.ID, "company-save").click()
        until(d, "saved", lambda: d.find_element(By.ID, "company-saved").text == "Saved.")
        c = ctx.get("/api/companies/" + tid, token=token).json["data"]
        check(c["name"] == name.get_attribute("value") and c["settings"] == {"greeting": "Hello"}, "company: %r" % c)

        Select(d.find_element(By.ID, "prefs-theme")).select_by_value("dark")
        tz = d.find_element(By.ID, "prefs-timezone")
        tz.send_keys("Mars/Base")
        d.find_element(By.ID, "prefs-save").click()
        until(d, "the zone's error", lambda: _shown(d, "prefs-timezone-error"))
        tz.clear()
        tz.send_keys("Europe/Paris")
        d.find_element(By.ID, "notify-sms").click()
        d.find_element(By.ID, "prefs-save").click()
        until(d, "preferences saved", lambda: d.find_element(By.ID, "prefs-saved").text == "Saved.")
        p = ctx.get("/api/settings/user/preferences", token=token).json["data"]
        check(p["theme"] == "dark" and p["timezone"] == "Europe/Paris" and p["notifications"]["sms"] is True,
              "preferences: %r" % p)
    finally:
        d.quit()


def test_agent_sees_only_their_preferences(ctx):
    session, _ = ctx.new_tenant()
    _, email, pw = browser.new_user(ctx, session["token"])
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "agent.html")
        browser.go(d, ctx, "settings.html")
        until(d, "the preferences", lambda: d.find_element(By.ID, "prefs-theme").get_attribute("value"))
        check(not _shown(d, "company-panel") and not _shown(d, "status-panel") and not _shown(d, "page-alert"),
              "an agent's settings page shows more than their preferences")
    finally:
        d.quit()
