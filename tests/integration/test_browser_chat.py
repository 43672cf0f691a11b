"""The chat agent console in headless Chromium (issue 12): a visitor, driven from here the
way the widget talks (the public REST routes with the widget key and the session's secret,
and the visitor's socket /ws/public/:session_key), starts a chat and writes; the agent,
signed in to chat.html, sees it arrive without a reload, opens and accepts it, sees the
visitor typing, types (the visitor's socket is told) and replies: the visitor's socket
gets the reply and the API has it stored. A second visitor's chat is transferred to another
agent from the console; the first chat is closed from it."""
import threading
import time

import browser
import sb
import test_chat
from browser import until
from sb import check, cc_data
from test_websocket import WS

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

V1 = test_chat.V1


class Visitor(WS):
    """The visitor's socket, read by a thread of its own (so its pings are answered while
    the test drives the browser); what it got is kept in self.got."""

    def __init__(self, ctx, session):
        self.send_lock = threading.Lock()
        super().__init__(ctx, "/ws/public/%s?secret=%s" % (session["session_key"],
                                                           session["visitor_secret"]),
                         headers={"Origin": test_chat.ORIGIN})
        check(self.status == 101, "visitor socket: %d %r" % (self.status, self.body[:300]))
        self.got = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def send_frame(self, opcode, payload, fin=True):
        with self.send_lock:
            super().send_frame(opcode, payload, fin)

    def _read(self):
        while self.running and not self.eof and self.closed is None:
            m = self.next(0.5)
            if m is not None:
                with self.lock:
                    self.got.append(m)

    def wait_for(self, what, pred, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for m in self.got:
                    if pred(m):
                        return m
            time.sleep(0.05)
        with self.lock:
            seen = [(m.get("type"), m.get("payload")) for m in self.got]
        check(False, "the visitor's socket: no %s within %ss; got %r" % (what, timeout, seen))

    def close(self):
        self.running = False
        super().close()


def _item(d, list_id, sid):
    found = d.find_elements(By.CSS_SELECTOR, '#%s [data-session="%s"]' % (list_id, sid))
    return found[0] if found else None


def _open(d, list_id, sid, what):
    """Clicks the conversation's item (the lists are redrawn as events come: an item may go
    stale between finding and clicking it)."""
    def click():
        it = _item(d, list_id, sid)
        if it is None:
            return False
        it.click()
        return True
    until(d, what, click)


def _messages(d):
    return [(li.get_attribute("data-sender"), li.find_element(By.CSS_SELECTOR, ".chat-msg__body").text)
            for li in d.find_elements(By.CSS_SELECTOR, "#messages li")]


def _session(ctx, token, sid):
    return cc_data(ctx.get(V1 + "/sessions/" + sid, token=token))


def test_chat_answered_from_the_console_while_a_visitor_writes(ctx):
    admin, _ = sb.tenant(ctx)
    w = test_chat._widget(ctx, admin)
    email, pw = "chat-%s@example.test" % sb.uid(), "pw-" + sb.uid() + sb.uid()
    r = ctx.post("/api/users", {"email": email, "password": pw, "role": "agent",
                                "first_name": "Ada", "last_name": "Agent"}, token=admin)
    check(r.status == 201, "agent: %r" % r)
    uid = r.json["user"]["id"]
    cc_data(ctx.post(V1 + "/agents", {"user_id": uid, "max_concurrent_chats": 3}, token=admin), 201)
    other, _ = test_chat._chat_agent(ctx, admin, max_chats=2)
    d = browser.open_browser()
    visitors = []
    try:
        browser.sign_in(d, ctx, email, pw, "agent.html")
        browser.go(d, ctx, "chat.html")
        until(d, "the live stream", lambda: d.find_element(By.ID, "live-state")
              .get_attribute("data-state") == "live")
        # Online from the console: the API then offers me chats.
        Select(d.find_element(By.ID, "availability-select")).select_by_value("online")
        d.find_element(By.ID, "availability-apply").click()
        until(d, "online shown", lambda: d.find_element(By.ID, "availability-now").text
              .startswith("Online"))
        avail = cc_data(ctx.get(V1 + "/agents/available", token=admin))
        check(uid in [a["user_id"] for a in avail], "online in the API: %r" % avail)

        # A visitor starts a chat with a question and opens the widget's socket.
        s = test_chat._start(ctx, w, visitor_name="Vera Visitor", message="Hello, anyone there?")
        sid = s["session_id"]
        hv = test_chat._vh(w, s["visitor_secret"])
        v = Visitor(ctx, s)
        visitors.append(v)
        v.wait_for("connected", lambda m: m.get("type") == "connected")
        until(d, "the waiting chat, without a reload", lambda: _item(d, "waiting-list", sid))
        cc_data(ctx.post(V1 + "/public/message", {"session_id": sid,
                                                   "body": "My order 42 did not arrive"},
                         headers=hv), 201)
        until(d, "the new message in the list", lambda: "My order 42" in
              _item(d, "waiting-list", sid).text and "chat-item--unread" in
              _item(d, "waiting-list", sid).get_attribute("class"))

        # The agent opens it: the thread, then accepts it.
        _open(d, "waiting-list", sid, "the waiting chat opened")
        until(d, "the thread", lambda: _messages(d) == [
            ("visitor", "Hello, anyone there?"), ("visitor", "My order 42 did not arrive")])
        check(d.find_element(By.ID, "thread-title").text == "Vera Visitor", "title")
        check(d.find_element(By.ID, "reply-text").get_attribute("disabled") is not None,
              "the reply box is open before the chat is accepted")
        d.find_element(By.ID, "accept").click()
        until(d, "the chat among mine", lambda: _item(d, "mine-list", sid))
        row = _session(ctx, admin, sid)
        check(row["status"] == "active" and row["user_id"] == uid, "accepted: %r" % row)
        until(d, "the reply box open", lambda: d.find_element(By.ID, "reply-text").is_enabled())

        # The visitor types: the console shows it.
        v.send({"type": "chat.typing", "payload": {"is_typing": True}})
        until(d, "the visitor typing", lambda: d.find_element(By.ID, "typing-indicator").is_displayed()
              and d.find_element(By.ID, "typing-indicator").text == "Vera Visitor is typing…")

        # The agent types: the visitor's socket is told, then the reply reaches it.
        box = d.find_element(By.ID, "reply-text")
        box.send_keys("Let me look at order 42")
        t = v.wait_for("the agent typing", lambda m: m.get("type") == "chat.typing"
                       and m["payload"].get("sender_type") == "agent")
        check(t["payload"]["session_id"] == sid and t["payload"]["sender_id"] == uid
              and t["payload"]["is_typing"] is True, "agent typing: %r" % t)
        d.find_element(By.ID, "reply-send").click()
        m = v.wait_for("the reply", lambda m: m.get("type") == "chat.message"
                       and m["payload"].get("sender_type") == "agent")
        check(m["payload"]["body"] == "Let me look at order 42" and m["payload"]["sender_id"] == uid,
              "the reply on the visitor's socket: %r" % m)
        v.wait_for("typing stopped", lambda m: m.get("type") == "chat.typing"
                   and m["payload"].get("sender_type") == "agent" and m["payload"]["is_typing"] is False)
        until(d, "the reply in the thread", lambda: _messages(d)[-1] == ("agent", "Let me look at order 42"))
        check(box.get_attribute("value") == "", "the reply box is not emptied")
        stored = cc_data(ctx.get(V1 + "/sessions/%s/messages" % sid, token=admin))
        check([(x["sender_type"], x["body"]) for x in stored][-1] == ("agent", "Let me look at order 42")
              and stored[-1]["sender_id"] == uid, "stored: %r" % stored)
        seen = cc_data(ctx.get(V1 + "/public/session/" + sid, headers=hv))
        check(seen["messages"][-1]["body"] == "Let me look at order 42", "the visitor reads it: %r" % seen)

        # The visitor stops typing, then answers: the indicator goes, the answer comes.
        time.sleep(1.1)  # the socket's typing is at most one a second
        v.send({"type": "chat.typing", "payload": {"is_typing": False}})
        until(d, "the indicator gone", lambda: not d.find_element(By.ID, "typing-indicator").is_displayed())
        cc_data(ctx.post(V1 + "/public/message", {"session_id": sid, "body": "Thank you!"},
                         headers=hv), 201)
        until(d, "the visitor's answer", lambda: _messages(d)[-1] == ("visitor", "Thank you!"))

        # A second visitor: accepted, then transferred to the other agent.
        s2 = test_chat._start(ctx, w, visitor_name="Walt", message="Billing question")
        sid2 = s2["session_id"]
        _open(d, "waiting-list", sid2, "the second chat opened")
        until(d, "its thread", lambda: _messages(d) == [("visitor", "Billing question")])
        d.find_element(By.ID, "accept").click()
        until(d, "the second among mine", lambda: _item(d, "mine-list", sid2))
        d.find_element(By.ID, "transfer").click()
        until(d, "the other agent offered", lambda: other["user"]["id"] in [
            o.get_attribute("value") for o in d.find_elements(By.CSS_SELECTOR, "#transfer-agent option")])
        Select(d.find_element(By.ID, "transfer-agent")).select_by_value(other["user"]["id"])
        d.find_element(By.ID, "transfer-reason").send_keys("billing")
        d.find_element(By.ID, "transfer-submit").click()
        until(d, "the chat with the other agent", lambda: _item(d, "others-list", sid2))
        row = _session(ctx, admin, sid2)
        check(row["user_id"] == other["user"]["id"] and row["status"] == "active", "transferred: %r" % row)
        check(d.find_element(By.ID, "reply-text").get_attribute("disabled") is not None
              and "is handling this chat" in d.find_element(By.ID, "reply-hint").text,
              "the transferred chat can still be answered here")

        # The first chat, closed from the console: the visitor is told.
        _open(d, "mine-list", sid, "the first chat opened again")
        until(d, "the first thread again", lambda: _messages(d)[-1] == ("visitor", "Thank you!"))
        d.find_element(By.ID, "end").click()
        until(d, "the chat ended", lambda: d.find_element(By.ID, "reply-hint").text == "This chat has ended.")
        check(_session(ctx, admin, sid)["status"] == "closed", "closed in the API")
        v.wait_for("the end", lambda m: m.get("type") == "chat.session.ended")
        until(d, "gone from the lists", lambda: _item(d, "mine-list", sid) is None)
        check(d.find_element(By.ID, "page-alert").get_attribute("hidden") is not None,
              "an error is shown: %r" % d.find_element(By.ID, "page-alert").text)
    finally:
        for v in visitors:
            v.close()
        d.quit()
