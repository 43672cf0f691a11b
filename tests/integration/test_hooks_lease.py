"""Webhook delivery by one hooks process of the deployment at a time (issue 13, a lease:
src/core/lease.c): a second switchboard-hooks started beside the stack's stands by; the
first stopped (SIGSTOP, a host that hangs), the second takes over after the lease runs out;
the first resumed, it stands by. Through it all each delivery reaches the receiver once.
Destructive: it stops the stack's hooks process for a while."""
import json
import os
import signal
import subprocess
import time

import sb
from sb import check
from test_webhooks_out import Receiver, _create


def _log_has(path, text, start=0):
    try:
        with open(path, errors="replace") as f:
            f.seek(start)
            return text in f.read()
    except OSError:
        return False


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _send(ctx, token, hook, rx, n):
    """n test deliveries, each received once: their delivery ids."""
    before = len(rx.snapshot())
    for _ in range(n):
        check(ctx.post("/api/v1/webhooks/%s/test" % hook["id"], token=token).status == 202, "test")
    check(sb.wait(lambda: len(rx.snapshot()) >= before + n, 20, 0.1),
          "%d of %d deliveries arrived" % (len(rx.snapshot()) - before, n))
    return [h["x-switchboard-delivery"] for h, _ in rx.snapshot()[before:]]


def test_one_hooks_process_delivers_and_another_takes_over(ctx):
    token, _ = sb.tenant(ctx)
    rx = Receiver(default=200)
    hook = _create(ctx, token, rx.url, events=["webhook.test"])
    conf = os.path.join(ctx.var, "switchboard.conf")
    first_log = os.path.join(ctx.var, "log", "hooks.log")
    second_log = os.path.join(ctx.var, "log", "hooks-standby.log")
    first = ctx.pidfile("hooks.pid")
    with open(second_log, "w") as out:
        second = subprocess.Popen([os.path.join(ctx.bin, "switchboard-hooks"), "-c", conf],
                                  stdout=out, stderr=subprocess.STDOUT)
    stopped = False
    try:
        check(sb.wait(lambda: _log_has(second_log, "standing by"), 10, 0.1),
              "the second hooks process does not stand by")
        ids = _send(ctx, token, hook, rx, 5)

        mark = _size(second_log)
        os.kill(first, signal.SIGSTOP)
        stopped = True
        check(sb.wait(lambda: _log_has(second_log, "delivering", mark), 30, 0.1),
              "the second hooks process did not take over")
        ids += _send(ctx, token, hook, rx, 5)

        mark = _size(first_log)
        os.kill(first, signal.SIGCONT)
        stopped = False
        check(sb.wait(lambda: _log_has(first_log, "standing by", mark), 10, 0.1),
              "the resumed hooks process did not stand by")
        ids += _send(ctx, token, hook, rx, 5)
        time.sleep(1)  # a duplicate would arrive now
        got = [h["x-switchboard-delivery"] for h, _ in rx.snapshot()]
        check(len(got) == len(set(got)) == 15, "deliveries: %d, %d distinct" % (len(got), len(set(got))))
        check(sorted(ids) == sorted(got), "the deliveries received are not the ones sent")
        check(all(json.loads(b)["type"] == "webhook.test" for _, b in rx.snapshot()), "types")
    finally:
        if stopped:
            os.kill(first, signal.SIGCONT)
        second.terminate()
        second.wait(10)
        rx.close()
    # the second gave its lease up when it stopped: the first delivers again at once
    rx2 = Receiver(default=200)
    try:
        hook2 = _create(ctx, token, rx2.url, events=["webhook.test"])
        _send(ctx, token, hook2, rx2, 1)
    finally:
        rx2.close()


test_one_hooks_process_delivers_and_another_takes_over.destructive = True
