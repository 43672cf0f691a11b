"""The surveys page in headless Chromium (issue 12): a survey created through the form (its
questions as JSON; a refused question named by the API's 422), and its results after
customers answered: CSAT and NPS as the stats route computes them, the chart drawn, each
response listed."""
import browser
import sb
from browser import until
from sb import check
from test_surveys import _answer, _cdr, _link

from selenium.webdriver.common.by import By

QUESTIONS = ('[{"id": "sat", "label": "Satisfied?", "type": "rating", "required": true},'
             ' {"id": "rec", "label": "Recommend us?", "type": "nps"}]')


def test_survey_created_and_its_results(ctx):
    session, pw = ctx.new_tenant()
    token, tid = session["token"], session["user"]["tenant_id"]
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "surveys.html")
        until(d, "the empty list", lambda: "No surveys yet" in d.find_element(By.ID, "rows").text)
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "name", "After the call")
        browser.fill(d, "questions", '[{"id": "sat", "label": "Satisfied?", "type": "stars"}]')
        d.find_element(By.ID, "item-save").click()
        err = until(d, "the question's error", lambda: d.find_element(By.ID, "f-questions-error")
                    .get_attribute("hidden") is None and d.find_element(By.ID, "f-questions-error"))
        check("type" in err.text, "error: %r" % err.text)
        browser.fill(d, "questions", QUESTIONS)
        d.find_element(By.ID, "item-save").click()
        row = until(d, "the survey's row", lambda: browser.row(d, "After the call"))
        s = sb.cc_data(ctx.get("/api/surveys/" + row.get_attribute("data-id"), token=token))
        check([q["type"] for q in s["questions"]] == ["rating", "nps"], "saved: %r" % s)

        # three customers answer: ratings 5, 4, 2 and NPS 10, 9, 3
        for sat, rec in ((5, 10), (4, 9), (2, 3)):
            link = _link(ctx, token, s["id"], cdr_id=_cdr(ctx, tid))
            _answer(ctx, link, {"sat": sat, "rec": rec}, comment="nps %d" % rec)
        stats = sb.cc_data(ctx.get("/api/surveys/stats?survey_id=" + s["id"], token=token))
        check(stats["responses"] == 3 and stats["promoters"] == 2 and stats["detractors"] == 1, "stats: %r" % stats)
        row.find_element(By.CSS_SELECTOR, '[data-action="Results"]').click()
        until(d, "the figures", lambda: d.find_element(By.ID, "results-responses").text == "3")
        check(d.find_element(By.ID, "results-csat").text == "%g%%" % stats["csat"]
              and d.find_element(By.ID, "results-nps").text == "%g" % stats["nps"],
              "page %s / %s, API %r" % (d.find_element(By.ID, "results-csat").text,
                                        d.find_element(By.ID, "results-nps").text, stats))
        check(d.execute_script("return !!(window.Chart && Chart.getChart('results-chart'))"), "no chart")
        rows = d.find_elements(By.CSS_SELECTOR, "#response-rows tbody tr")
        check(len(rows) == 3 and "nps 3" in d.find_element(By.ID, "response-rows").text, "responses: %r"
              % [r.text for r in rows])
    finally:
        d.quit()
