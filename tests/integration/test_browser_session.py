"""Sessions in the dashboard, in headless Chromium (issue 12): an access token the API no
longer takes is refreshed with the refresh token and the page carries on; sign-out
revokes the session on the server; a session revoked elsewhere (the user deactivated)
sends the open page to the sign-in page with a note, through the event stream."""
import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By


def test_refresh_then_sign_out_revokes(ctx):
    session, pw = ctx.new_tenant()
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        old = d.execute_script("return sessionStorage.getItem('token')")
        d.execute_script("sessionStorage.setItem('token', 'not-a-token')")  # the API answers 401
        browser.go(d, ctx, "queues.html")
        until(d, "the list after a refresh", lambda: "No queues yet" in d.find_element(By.ID, "rows").text)
        new = d.execute_script("return sessionStorage.getItem('token')")
        check(new and new not in (old, "not-a-token"), "no new access token")
        check(ctx.get("/api/auth/profile", token=new).status == 200, "the refreshed token does not work")
        d.find_element(By.ID, "signout").click()
        until(d, "the sign-in page", lambda: d.find_elements(By.ID, "login-submit"))
        check(d.execute_script("return sessionStorage.getItem('token')") is None, "the token is kept")
        until(d, "the token revoked", lambda: ctx.get("/api/auth/profile", token=new).status == 401)
    finally:
        d.quit()


def test_revoked_session_leaves_the_open_page(ctx):
    admin, _ = sb.tenant(ctx)
    uid, email, pw = browser.new_user(ctx, admin)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "agent.html")
        until(d, "the live stream", lambda: d.find_element(By.ID, "live-state").get_attribute("data-state") == "live")
        check(ctx.post("/api/users/%s/deactivate" % uid, token=admin).status == 200, "deactivate")
        until(d, "sent to sign in", lambda: "index.html" in d.current_url and "reason=expired" in d.current_url)
        until(d, "the note", lambda: d.find_element(By.ID, "login-submit"))
    finally:
        d.quit()
