"""Shared fixtures of the IVR tests (test_ivr_flows.py, test_ivr_voice.py): queues, graphs,
flows. Not a test module (its name does not start with test_)."""
import sb
from sb import check


def queue(ctx, token):
    r = ctx.post("/api/queues", {"name": "Q " + sb.uid(), "strategy": "linear", "timeout": 30,
                                 "retry": 0, "wrapup_time": 0, "max_wait_time": 0}, token=token)
    check(r.status == 201, "create queue: %r" % r)
    return r.json["data"]


def graph(queue_id, welcome="Welcome & hello <caller>", one="sales"):
    """welcome (say) -> main (menu: 1 sales queue, 2 account gather, 0 operator) -> bye."""
    return {
        "start": "welcome",
        "nodes": [
            {"id": "welcome", "type": "say", "text": welcome, "language": "en-US",
             "next": "main"},
            {"id": "main", "type": "menu", "prompt": {"text": "Press 1 for sales"},
             "timeout": 5, "retries": 1,
             "options": {"1": one, "2": "acct", "0": "op"},
             "invalid": "bye", "no_input": "bye"},
            {"id": "acct", "type": "gather", "prompt": {"text": "Your account"},
             "num_digits": 6, "finish_on_key": "#", "variable": "account", "next": "vip"},
            {"id": "vip", "type": "branch", "variable": "account",
             "cases": [{"op": "prefix", "value": "99", "next": "sales"}], "default": "bye"},
            {"id": "sales", "type": "route", "target_type": "queue", "target": queue_id},
            {"id": "op", "type": "route", "target_type": "external", "target": "+15550001111"},
            {"id": "bye", "type": "hangup", "text": "Goodbye"},
        ],
    }


def flow(ctx, token, g, activate=True, name=None):
    r = ctx.post("/api/ivr/flows", {"name": name or "Flow " + sb.uid(), "graph": g}, token=token)
    check(r.status == 201, "create flow: %r" % r)
    f = r.json["data"]
    if activate:
        r = ctx.post("/api/ivr/flows/%s/activate" % f["id"], {}, token=token)
        check(r.status == 200, "activate: %r" % r)
        f = r.json["data"]
    return f
