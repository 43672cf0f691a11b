"""Leads, campaigns and the do-not-call list (issue 10, coldcaller family)."""
import sb
from sb import check

def test_smoke(ctx):
    admin, tid = sb.tenant(ctx)
    r = ctx.post("/api/leads", {"phoneNumber": "+1 (555) 010-1234", "firstName": "A"}, token=admin)
    print(r.status, r.json)
    check(r.status == 201, "create: %r" % r)
