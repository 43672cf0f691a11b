"""The leads page in headless Chromium (issue 12): a CSV file with good rows and bad ones
imported through the page (its token refreshed on the way: the upload's 401 is handled as
api() handles one): the upload's progress reaches the whole file, the bar reaches done, the
report lists each rejected row with its column and the API's reason, and the API then lists
exactly the good leads (in pages, as the page shows them); the filters; a file the API
refuses whole shown as its message with nothing imported; an agent reads the list without
the import."""
import os
import random
import tempfile

import browser
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

_rng = random.SystemRandom()


def _data(r, status=200):
    check(r.status == status, "expected %d: %r" % (status, r))
    return r.json["data"]


def _number():
    return "+1558%07d" % _rng.randrange(10 ** 7)


def _csv(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
    f.write(text)
    f.close()
    os.chmod(f.name, 0o644)
    return f.name


def _import(d, path):
    d.find_element(By.ID, "import-file").send_keys(path)
    d.find_element(By.ID, "import-submit").click()


def _ids(d):
    return [tr.get_attribute("data-id") for tr in d.find_elements(By.CSS_SELECTOR, "#rows tr[data-id]")]


def test_leads_csv_import_with_rejected_rows(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    camp = _data(ctx.post("/api/campaigns", {"name": "Import " + sb.uid()}, token=token), 201)
    blocked = _number()
    _data(ctx.post("/api/dnc", {"phoneNumber": blocked, "reason": "asked"}, token=token), 201)
    good = []
    lines = ["firstName,lastName,phone,email,campaignId,timeZone"]
    for i in range(27):  # more than a page of 25
        good.append(_number())
        lines.append("Good%d,Lead,%s,good%d@example.test,%s,Europe/Paris"
                     % (i, good[-1], i, camp["id"] if i % 2 == 0 else ""))
        if i == 3:  # the bad rows, between good ones: the file's lines 6 to 10
            lines += ["Bad,Phone,12-3,,,",
                      "On,Dnc,%s,,," % blocked,
                      "Bad,Mail,%s,not-an-email,," % _number(),
                      "Bad,Camp,%s,,camp_nope," % _number(),
                      "Bad,Zone,%s,,,Mars/Olympus" % _number()]
    path = _csv("\r\n".join(lines) + "\r\n")
    bad_path = _csv("name,email\r\nNo phone,a@example.test\r\n")
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "leads.html")
        until(d, "the empty list", lambda: "No leads yet" in d.find_element(By.ID, "rows").text)
        # A token the API no longer takes: the upload's 401 refreshes the session and sends again.
        d.execute_script("sessionStorage.setItem('token', 'x' + sessionStorage.getItem('token'))")
        _import(d, path)
        until(d, "the import done", lambda: d.find_element(By.ID, "import-state").get_attribute("data-state") == "done")
        check(d.find_element(By.ID, "import-state").get_attribute("data-sent") == "100",
              "upload progress never reached the whole file")
        check(d.find_element(By.ID, "import-progress").get_attribute("value") == "100", "bar not full")
        check(not d.execute_script("return sessionStorage.getItem('token')").startswith("x"), "not refreshed")
        check(d.find_element(By.ID, "import-summary").text == "27 leads imported, 5 rows rejected.",
              "summary: %r" % d.find_element(By.ID, "import-summary").text)
        report = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                  for tr in d.find_elements(By.CSS_SELECTOR, "#import-errors tr[data-row]")]
        check([r[:2] for r in report] == [["6", "phone"], ["7", "phone"], ["8", "email"],
                                          ["9", "campaignId"], ["10", "timeZone"]], "report: %r" % report)
        check(report[0][2] == "Invalid phone number format" and "do-not-call" in report[1][2]
              and all(r[2] for r in report), "reasons: %r" % report)
        # The API holds exactly the good leads.
        leads = _data(ctx.get("/api/leads?limit=100", token=token))
        check(sorted(x["phone"] for x in leads) == sorted(good), "the API's leads: %r" % [x["phone"] for x in leads])
        # The page lists them in pages of 25.
        until(d, "the first page", lambda: len(_ids(d)) == 25)
        check(d.find_element(By.ID, "leads-pager").is_displayed(), "no pager")
        d.find_element(By.ID, "leads-next").click()
        until(d, "the second page", lambda: _ids(d) == ["26", "27"])
        d.find_element(By.ID, "leads-prev").click()
        until(d, "back to the first page", lambda: len(_ids(d)) == 25)
        # Filters: the campaign, then a search.
        Select(d.find_element(By.ID, "filter-campaign")).select_by_value(camp["id"])
        in_camp = [str(x["id"]) for x in _data(ctx.get("/api/leads?limit=100&campaignId=" + camp["id"], token=token))]
        check(len(in_camp) == 14, "the API's campaign filter: %r" % in_camp)
        until(d, "the campaign's leads", lambda: _ids(d) == in_camp)
        Select(d.find_element(By.ID, "filter-campaign")).select_by_value("")
        d.find_element(By.ID, "filter-search").send_keys("good7@")
        d.find_element(By.ID, "filter-search").submit()
        until(d, "the searched lead", lambda: len(_ids(d)) == 1 and "Good7 Lead" in d.find_element(By.ID, "rows").text)
        # A file the API refuses whole: its message, nothing imported.
        _import(d, bad_path)
        until(d, "the import failed", lambda: d.find_element(By.ID, "import-state").get_attribute("data-state") == "failed")
        msg = d.find_element(By.ID, "import-alert").text
        check("phone" in msg.lower(), "refusal shown: %r" % msg)
        check(len(_data(ctx.get("/api/leads?limit=100", token=token))) == 27, "imported anyway")
    finally:
        d.quit()
        os.unlink(path)
        os.unlink(bad_path)


def test_leads_agent_reads_without_import(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    lead = _data(ctx.post("/api/leads", {"phoneNumber": _number(), "firstName": "Ada", "status": "callback"},
                          token=token), 201)
    email = "agent-%s@example.test" % sb.uid()
    check(ctx.post("/api/users", {"email": email, "password": pw, "role": "agent"}, token=token).status == 201, "agent")
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "agent.html")
        browser.go(d, ctx, "leads.html")
        until(d, "the lead", lambda: _ids(d) == [str(lead["id"])])
        check("Callback" in d.find_element(By.ID, "rows").text, "status shown")
        check(not d.find_element(By.ID, "import-panel").is_displayed(), "import offered to an agent")
        Select(d.find_element(By.ID, "filter-status")).select_by_value("new")
        until(d, "no new lead", lambda: "No lead matches" in d.find_element(By.ID, "rows").text)
    finally:
        d.quit()
