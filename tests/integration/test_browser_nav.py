"""The dashboard's menu in headless Chromium (issue 12): pages in groups that open as
disclosure menus (aria-expanded, Escape closes and gives the focus back), the current
page's group marked, and only the pages the role may open: an agent has no staff pages."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def _links(d):
    return sorted(a.get_attribute("href").rsplit("/", 1)[1]
                  for a in d.find_elements(By.CSS_SELECTOR, "#main-nav a"))


def test_menu_groups_keyboard_and_roles(ctx):
    session, pw = ctx.new_tenant()
    _, email, apw = browser.new_user(ctx, session["token"])
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        toggle = d.find_element(By.CSS_SELECTOR, '.navgroup__toggle[aria-controls="nav-routing"]')
        menu = d.find_element(By.ID, "nav-routing")
        check(not menu.is_displayed() and toggle.get_attribute("aria-expanded") == "false", "closed at first")
        toggle.click()
        until(d, "the menu open", lambda: menu.is_displayed() and toggle.get_attribute("aria-expanded") == "true")
        menu.find_element(By.CSS_SELECTOR, "a").send_keys(Keys.ESCAPE)
        until(d, "closed by Escape", lambda: not menu.is_displayed())
        check(d.switch_to.active_element == toggle, "the focus is not back on the group's button")
        toggle.click()
        menu.find_element(By.CSS_SELECTOR, 'a[href="queues.html"]').click()
        until(d, "the queues page", lambda: d.current_url.endswith("/queues.html"))
        check(d.find_element(By.CSS_SELECTOR, '.navgroup__toggle[aria-controls="nav-routing"]')
              .get_attribute("data-current") is not None, "the current group is not marked")
        admin_links = _links(d)
        check({"users.html", "audit.html", "webhooks.html", "queues.html"} <= set(admin_links), "admin: %r" % admin_links)
        d.find_element(By.ID, "signout").click()
        until(d, "signed out", lambda: "index.html" in d.current_url or d.current_url.endswith("/"))
        browser.sign_in(d, ctx, email, apw, "agent.html")
        agent_links = _links(d)
        check(not {"users.html", "audit.html", "webhooks.html", "queues.html", "wallboard.html"} & set(agent_links)
              and "agent.html" in agent_links, "agent: %r" % agent_links)
    finally:
        d.quit()
