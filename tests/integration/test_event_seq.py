"""Events numbered per tenant in commit order (issue 13, sql/036, src/core/event_seq.c):
each event takes its tenant's next number just before its transaction commits, so a
reader never sees number n + 1 before n, the numbers have no holes, and every path that
writes an event numbers it (checked over the whole run, last)."""
import concurrent.futures
import threading

import sb
from sb import check


def _seqs(ctx, tid):
    out = sb.sql(ctx, "SELECT seq FROM call_events WHERE tenant_id = '%s' AND seq IS NOT NULL"
                      " ORDER BY seq" % tid).split()
    return [int(x) for x in out]


def test_a_tenants_events_are_numbered_in_commit_order(ctx):
    session, _ = ctx.new_tenant()
    token, tid = session["token"], session["user"]["tenant_id"]
    deadlocks = sb.innodb_deadlocks(ctx)
    before = _seqs(ctx, tid)
    check(before == list(range(1, len(before) + 1)), "a new tenant's numbers: %r" % before)
    stop = threading.Event()
    seen = []

    def watch():  # every snapshot a reader takes is 1..k: n + 1 is never visible before n
        while not stop.is_set():
            s = _seqs(ctx, tid)
            seen.append(len(s))
            check(s == list(range(1, len(s) + 1)), "a hole was visible: %r" % s[-10:])

    def write(i):
        codes = []
        for j in range(20):
            r = ctx.post("/api/contacts", {"company": "Seq %d-%d" % (i, j)}, token=token)
            codes.append(r.status)
        return codes

    with concurrent.futures.ThreadPoolExecutor(max_workers=9) as ex:
        watcher = ex.submit(watch)
        codes = sum(ex.map(write, range(8)), [])
        stop.set()
        watcher.result()
    check(codes.count(201) == 160, "contacts created: %r" % set(codes))
    after = _seqs(ctx, tid)
    n = int(sb.sql(ctx, "SELECT COUNT(*) FROM call_events WHERE tenant_id = '%s'" % tid))
    check(after == list(range(1, n + 1)) and n >= len(before) + 160, "numbers 1..%d: %d of them" % (n, len(after)))
    last = int(sb.sql(ctx, "SELECT last_seq FROM event_sequences WHERE tenant_id = '%s'" % tid))
    check(last == n, "the tenant's last number %d, %d events" % (last, n))
    check(len(seen) > 3 and max(seen) > 0, "the reader took %d snapshots" % len(seen))
    created = int(sb.sql(ctx, "SELECT COUNT(*) FROM call_events WHERE tenant_id = '%s'"
                              " AND type = 'contact.created'" % tid))
    check(created == 160, "contact.created events: %d" % created)
    check(sb.innodb_deadlocks(ctx) == deadlocks, "deadlocks while numbering")


def test_every_event_of_the_run_is_numbered(ctx):
    """After the whole suite (it runs with the destructive tests, last): no event older than
    two seconds without a number, each tenant's numbers without holes, and each tenant's
    last number its highest."""
    unnumbered = sb.sql(ctx, "SELECT type, COUNT(*) FROM call_events WHERE seq IS NULL"
                             " AND created_at < NOW(3) - INTERVAL 2 SECOND GROUP BY type").strip()
    check(unnumbered == "", "events without a number: %s" % unnumbered.replace("\n", ", "))
    holes = sb.sql(ctx, "SELECT tenant_id, COUNT(*), MIN(seq), MAX(seq) FROM call_events"
                        " WHERE seq IS NOT NULL GROUP BY tenant_id"
                        " HAVING MAX(seq) - MIN(seq) + 1 <> COUNT(*) LIMIT 5").strip()
    check(holes == "", "tenants with holes: %s" % holes.replace("\n", ", "))
    behind = sb.sql(ctx, "SELECT s.tenant_id, s.last_seq, MAX(e.seq) FROM event_sequences s"
                         " JOIN call_events e ON e.tenant_id = s.tenant_id GROUP BY s.tenant_id,"
                         " s.last_seq HAVING MAX(e.seq) <> s.last_seq LIMIT 5").strip()
    check(behind == "", "a tenant's last number is not its highest: %s" % behind.replace("\n", ", "))


test_every_event_of_the_run_is_numbered.destructive = True
