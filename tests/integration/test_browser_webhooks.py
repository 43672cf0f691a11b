"""The webhooks page in headless Chromium (issue 12): a webhook created through the form
shows its secret once, and a delivery signed with that secret reaches a receiver; a
delivery the receiver refuses is given up, listed under the webhook's deliveries and
replayed from there; a rotated secret, read off the page, signs what follows."""
import json

import browser
import sb
from browser import until
from sb import check
from test_webhooks_out import Receiver, verify

from selenium.webdriver.common.by import By


def _deliveries_to(rx, event_type):
    return [(h, b) for h, b in rx.snapshot() if json.loads(b).get("type") == event_type]


def test_webhook_created_tested_replayed_and_rotated_from_the_page(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    rx = Receiver(default=500)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "webhooks.html")
        until(d, "the empty list", lambda: "No webhooks yet" in d.find_element(By.ID, "rows").text)
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "name", "CRM")
        browser.fill(d, "url", rx.url)
        browser.fill(d, "events", '["webhook.test"]')
        d.find_element(By.ID, "item-save").click()
        secret = until(d, "the secret shown once", lambda: d.find_element(By.ID, "webhook-secret")
                       .get_attribute("value")).strip()
        check(secret.startswith("whsec_"), "secret: %r" % secret)
        d.find_element(By.CSS_SELECTOR, "#secret-dialog .btn--icon").click()
        row = until(d, "the webhook's row", lambda: browser.row(d, "CRM"))
        hook = sb.cc_data(ctx.get("/api/webhooks/" + row.get_attribute("data-id"), token=token))
        check("secret" not in hook and hook["events"] == ["webhook.test"], "the API: %r" % hook)

        # refused until given up (the test stack gives up after seconds), then replayed
        row.find_element(By.CSS_SELECTOR, '[data-action="Send test"]').click()
        until(d, "queued", lambda: "queued" in d.find_element(By.ID, "page-note").text)
        h, body = until(d, "the first attempt", lambda: _deliveries_to(rx, "webhook.test"))[0]
        check(verify(secret, h, body), "the page's secret does not verify the delivery")
        delivery = h["x-switchboard-delivery"]
        until(d, "given up", lambda: sb.cc_data(ctx.get("/api/webhooks/failed?webhook_id=" + hook["id"],
                                                        token=token)), timeout=30)
        browser.row(d, "CRM").find_element(By.CSS_SELECTOR, '[data-action="Deliveries"]').click()
        until(d, "the given-up row", lambda: d.find_element(By.CSS_SELECTOR, '[data-replay="%s"]' % delivery))
        check("Given up 1" in d.find_element(By.ID, "delivery-stats").text,
              "stats: %r" % d.find_element(By.ID, "delivery-stats").text)
        with rx.lock:
            rx.default = 200
        n = len(rx.snapshot())
        d.find_element(By.CSS_SELECTOR, '[data-replay="%s"]' % delivery).click()
        until(d, "no longer given up", lambda: "No delivery was given up" in
              d.find_element(By.ID, "failed-deliveries").text)
        until(d, "sent again", lambda: [p for p in rx.snapshot()[n:] if p[0]["x-switchboard-delivery"] == delivery])
        d.find_element(By.CSS_SELECTOR, "#deliveries-dialog .btn--icon").click()

        # a rotated secret, read off the page, signs the next delivery
        browser.row(d, "CRM").find_element(By.CSS_SELECTOR, '[data-action="Rotate secret"]').click()
        new = until(d, "the new secret", lambda: (lambda v: v if v and v != secret else None)(
            d.find_element(By.ID, "webhook-secret").get_attribute("value")))
        d.find_element(By.CSS_SELECTOR, "#secret-dialog .btn--icon").click()
        n = len(rx.snapshot())
        browser.row(d, "CRM").find_element(By.CSS_SELECTOR, '[data-action="Send test"]').click()
        h, body = until(d, "the next delivery", lambda: [p for p in rx.snapshot()[n:]])[0]
        check(verify(new, h, body) and not verify(secret, h, body), "the rotated secret does not sign it")
    finally:
        d.quit()
        rx.close()
