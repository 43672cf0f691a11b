"""The IVR flows page in headless Chromium (issue 12): a flow created and edited through the
node forms (a say node, a menu whose two keys route to two queues, then a changed prompt and
a node more), each save a new version in the API with the old one kept, a version activated,
the graph drawn as one SVG box per node; and the API's 422 naming a node (one start does
not reach, a key to a node that is gone) shown on that node in the form and in the graph,
with nothing saved."""
import browser
import ivr_fixtures as fx
import sb
from browser import until
from sb import check

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select


def _card(d, node_id):
    """The form's card of node node_id, or None."""
    found = d.find_elements(By.CSS_SELECTOR, '#node-list article[data-node="%s"]' % node_id)
    return found[0] if found else None


def _in(d, node_id, member):
    return _card(d, node_id).find_element(By.CSS_SELECTOR, '[data-member="%s"]' % member)


def _choose(d, node_id, member, value):
    until(d, "%s of %s offers %s" % (member, node_id, value), lambda: any(
        o.get_attribute("value") == value for o in _in(d, node_id, member).find_elements(By.TAG_NAME, "option")))
    Select(_in(d, node_id, member)).select_by_value(value)


def _type(d, node_id, member, text):
    f = _in(d, node_id, member)
    f.send_keys(Keys.CONTROL, "a")
    f.send_keys(text)


def _add_node(d, node_type, node_id):
    """Adds a node of node_type through the form and renames it node_id."""
    before = len(d.find_elements(By.CSS_SELECTOR, "#node-list article"))
    Select(d.find_element(By.ID, "add-node-type")).select_by_value(node_type)
    d.find_element(By.ID, "add-node").click()
    cards = until(d, "the new %s card" % node_type, lambda: (lambda c: len(c) == before + 1 and c)(
        d.find_elements(By.CSS_SELECTOR, "#node-list article")))
    check(cards[-1].get_attribute("data-type") == node_type, "type: %r" % cards[-1].get_attribute("data-type"))
    f = cards[-1].find_element(By.CSS_SELECTOR, '[data-member="id"]')
    f.send_keys(Keys.CONTROL, "a")
    f.send_keys(node_id + Keys.TAB)
    until(d, "the node %s" % node_id, lambda: _card(d, node_id))


def _add_key(d, node_id, key, target):
    _card(d, node_id).find_element(By.CSS_SELECTOR, "[data-add-option]").click()
    until(d, "key %s of %s" % (key, node_id), lambda: _card(d, node_id).find_elements(
        By.CSS_SELECTOR, '[data-member="options.%s"]' % key))
    _choose(d, node_id, "options.%s" % key, target)


def _saved(d, version):
    until(d, "saved as version %d" % version, lambda: ("Saved as version %d." % version) in
          d.find_element(By.ID, "editor-saved").text)


def _boxes(d):
    return sorted(g.get_attribute("data-node") for g in
                  d.find_elements(By.CSS_SELECTOR, "#flow-graph g.gnode"))


def _nodes(graph):
    return {n["id"]: n for n in graph["nodes"]}


def test_ivr_flow_created_and_edited_through_the_forms(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    qa, qb = fx.queue(ctx, token), fx.queue(ctx, token)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        until(d, "the IVR link", lambda: d.find_element(By.CSS_SELECTOR, '#main-nav a[href="ivr.html"]'))
        browser.go(d, ctx, "ivr.html")
        until(d, "the empty list", lambda: "No IVR flows yet" in d.find_element(By.ID, "rows").text)
        name = "Main line " + sb.uid()
        d.find_element(By.ID, "new-item").click()
        browser.fill(d, "name", name)
        d.find_element(By.ID, "item-save").click()
        until(d, "the editor", lambda: d.find_element(By.ID, "editor-title").text == name)
        fid = d.current_url.split("#flow=")[1]
        check(fid.startswith("ivf_"), "the flow in the address: %r" % d.current_url)

        # version 1: welcome (say) -> main (menu: 1 sales, 2 support), each a queue
        _add_node(d, "say", "welcome")
        _type(d, "welcome", "text", "Welcome to Acme")
        _add_node(d, "menu", "main")
        _type(d, "main", "prompt.text", "Press 1 for sales, 2 for support")
        _add_node(d, "route", "sales")
        _choose(d, "sales", "target", qa["id"])
        _add_node(d, "route", "support")
        _choose(d, "support", "target", qb["id"])
        _choose(d, "welcome", "next", "main")
        _add_key(d, "main", "1", "sales")
        _add_key(d, "main", "2", "support")
        check(Select(d.find_element(By.ID, "flow-start")).first_selected_option.get_attribute("value")
              == "welcome", "the first node is the start")
        until(d, "a box per node", lambda: _boxes(d) == ["main", "sales", "support", "welcome"])
        d.find_element(By.ID, "flow-save").click()
        _saved(d, 1)
        f = sb.cd_data(ctx.get("/api/ivr/flows/" + fid, token=token))
        g = f["graph"]
        n = _nodes(g)
        check(f["latest_version"] == 1 and f["active_version"] is None, "v1: %r" % f)
        check(g["start"] == "welcome" and sorted(n) == ["main", "sales", "support", "welcome"], "graph: %r" % g)
        check(n["welcome"]["type"] == "say" and n["welcome"]["text"] == "Welcome to Acme" and
              n["welcome"]["next"] == "main", "welcome: %r" % n["welcome"])
        check(n["main"]["type"] == "menu" and n["main"]["options"] == {"1": "sales", "2": "support"} and
              n["main"]["prompt"] == {"text": "Press 1 for sales, 2 for support"}, "main: %r" % n["main"])
        check(n["sales"] == {"id": "sales", "type": "route", "target_type": "queue", "target": qa["id"]} and
              n["support"]["target"] == qb["id"], "routes: %r" % g)

        # version 2: a changed prompt, a goodbye node for a wrong key
        _type(d, "welcome", "text", "Welcome back to Acme")
        _add_node(d, "hangup", "bye")
        _type(d, "bye", "text", "Goodbye")
        _choose(d, "main", "invalid", "bye")
        until(d, "the edge to bye", lambda: d.find_element(
            By.CSS_SELECTOR, '#flow-graph path[data-from="main"][data-to="bye"][data-branch~="invalid"]'))
        d.find_element(By.ID, "flow-save").click()
        _saved(d, 2)
        f = sb.cd_data(ctx.get("/api/ivr/flows/" + fid, token=token))
        n = _nodes(f["graph"])
        check(f["latest_version"] == 2 and f["version"] == 2, "v2: %r" % f)
        check(n["welcome"]["text"] == "Welcome back to Acme" and n["main"]["invalid"] == "bye" and
              n["bye"] == {"id": "bye", "type": "hangup", "text": "Goodbye"}, "v2 graph: %r" % f["graph"])
        old = sb.cd_data(ctx.get("/api/ivr/flows/%s?version=1" % fid, token=token))
        check(_nodes(old["graph"])["welcome"]["text"] == "Welcome to Acme" and "bye" not in _nodes(old["graph"]),
              "version 1 kept: %r" % old)

        # activate version 2 from the versions list
        d.find_element(By.CSS_SELECTOR, '#version-list [data-activate="2"]').click()
        until(d, "version 2 live", lambda: "Live" in d.find_element(
            By.CSS_SELECTOR, '#version-list li[data-version="2"]').text)
        f = sb.cd_data(ctx.get("/api/ivr/flows/" + fid, token=token))
        check(f["active_version"] == 2 and f["status"] == "active", "activated: %r" % f)
        check(_boxes(d) == ["bye", "main", "sales", "support", "welcome"], "boxes: %r" % _boxes(d))
        check(d.find_elements(By.CSS_SELECTOR, '#flow-graph path[data-from="main"][data-to="sales"][data-branch~="options.1"]'),
              "the key 1 edge")

        # version 1 opens read-only: its nodes, no save
        d.find_element(By.CSS_SELECTOR, '#version-list [data-view="1"]').click()
        until(d, "version 1 shown", lambda: "version 1, read-only" in d.find_element(By.ID, "editor-status").text)
        check(_in(d, "welcome", "text").get_attribute("value") == "Welcome to Acme" and
              not _in(d, "welcome", "text").is_enabled() and not d.find_element(By.ID, "flow-save").is_displayed(),
              "read-only version 1")
        check(_boxes(d) == ["main", "sales", "support", "welcome"], "v1 boxes: %r" % _boxes(d))

        # the list: the live version, two versions
        d.find_element(By.ID, "back-to-list").click()
        row = until(d, "the flow's row", lambda: browser.row(d, name))
        cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        check(cells[1:4] == ["active", "Version 2", "2"], "row: %r" % cells)
    finally:
        d.quit()


def test_ivr_refused_node_marked_in_form_and_graph(ctx):
    session, pw = ctx.new_tenant()
    token = session["token"]
    q = fx.queue(ctx, token)
    f = fx.flow(ctx, token, fx.graph(q["id"]), activate=False)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, session["user"]["email"], pw, "wallboard.html")
        browser.go(d, ctx, "ivr.html#flow=" + f["id"])
        until(d, "the flow's nodes", lambda: _card(d, "bye"))
        check(_boxes(d) == sorted(_nodes(f["graph"])), "boxes: %r" % _boxes(d))

        # a node nothing leads to: 422 graph.nodes[7], "node 'island': is not reachable from start"
        _add_node(d, "hangup", "island")
        d.find_element(By.ID, "flow-save").click()
        card = until(d, "island marked", lambda: "node-card--error" in _card(d, "island").get_attribute("class")
                     and _card(d, "island"))
        check("is not reachable from start" in card.find_element(By.CLASS_NAME, "node-card__error").text,
              "card message: %r" % card.text)
        check(card.get_attribute("aria-invalid") == "true", "card aria-invalid")
        box = d.find_element(By.CSS_SELECTOR, '#flow-graph g.gnode[data-node="island"]')
        check("is-error" in box.get_attribute("class") and
              "is not reachable from start" in box.get_attribute("textContent"), "graph: %r" % box.get_attribute("textContent"))
        check(len(d.find_elements(By.CSS_SELECTOR, "#flow-graph g.gnode.is-error")) == 1, "one node marked")
        check("island" in d.find_element(By.ID, "editor-alert").text, "alert: %r" % d.find_element(By.ID, "editor-alert").text)
        check(sb.cd_data(ctx.get("/api/ivr/flows/" + f["id"], token=token))["latest_version"] == 1, "saved anyway")

        # a key to a node that is gone: 422 graph.nodes[1].options.0 on main
        _card(d, "island").find_element(By.CSS_SELECTOR, "[data-delete-node]").click()
        until(d, "island gone", lambda: _card(d, "island") is None)
        _card(d, "op").find_element(By.CSS_SELECTOR, "[data-delete-node]").click()
        until(d, "op gone", lambda: _card(d, "op") is None)
        until(d, "the missing box", lambda: d.find_element(By.CSS_SELECTOR, "#flow-graph g.gmissing"))
        d.find_element(By.ID, "flow-save").click()
        card = until(d, "main marked", lambda: "node-card--error" in _card(d, "main").get_attribute("class")
                     and _card(d, "main"))
        msg = card.find_element(By.CLASS_NAME, "node-card__error").text
        check("'op'" in msg and "not a node" in msg, "card message: %r" % msg)
        check(_in(d, "main", "options.0").get_attribute("aria-invalid") == "true", "the key's select marked")
        box = d.find_element(By.CSS_SELECTOR, '#flow-graph g.gnode[data-node="main"]')
        check("is-error" in box.get_attribute("class") and "not a node" in box.get_attribute("textContent"),
              "graph: %r" % box.get_attribute("textContent"))
        check(_card(d, "welcome").get_attribute("class") == "node-card", "the other nodes unmarked")
        g = sb.cd_data(ctx.get("/api/ivr/flows/" + f["id"], token=token))
        check(g["latest_version"] == 1 and g["graph"] == f["graph"], "saved anyway: %r" % g)
    finally:
        d.quit()


def test_ivr_manager_reads_flows_only(ctx):
    session, _ = ctx.new_tenant()
    token = session["token"]
    q = fx.queue(ctx, token)
    f = fx.flow(ctx, token, fx.graph(q["id"]))
    email, pw = "manager-%s@example.test" % sb.uid(), "pw-" + sb.uid() + sb.uid()
    r = ctx.post("/api/users", {"email": email, "password": pw, "role": "manager"}, token=token)
    check(r.status == 201, "create manager: %r" % r)
    d = browser.open_browser()
    try:
        browser.sign_in(d, ctx, email, pw, "wallboard.html")
        d.find_element(By.CSS_SELECTOR, '.navgroup__toggle[aria-controls="nav-routing"]').click()
        d.find_element(By.CSS_SELECTOR, '#main-nav a[href="ivr.html"]').click()
        row = until(d, "the flow's row", lambda: browser.row(d, f["name"]))
        check(not d.find_element(By.ID, "new-item").is_displayed() and
              not row.find_elements(By.CSS_SELECTOR, "[data-delete]"), "a manager may not create or delete")
        row.find_element(By.CSS_SELECTOR, "[data-edit]").click()
        until(d, "the nodes", lambda: _card(d, "main"))
        check(not _in(d, "main", "prompt.text").is_enabled() and not d.find_element(By.ID, "flow-save").is_displayed()
              and not d.find_elements(By.CSS_SELECTOR, "#version-list [data-activate], #version-list [data-base]"),
              "a manager's editor is read-only")
        check(len(_boxes(d)) == len(f["graph"]["nodes"]), "boxes: %r" % _boxes(d))
    finally:
        d.quit()
