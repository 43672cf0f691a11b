"""Figures for docs/scale-out.md: throughput through a front with 1, 2 and 3 app hosts
(wrk), and commit latency on a standalone MariaDB and on the Galera cluster."""
import os
import re
import shutil
import subprocess
import time

import clusterlib as cl
import load as ld

WRK_SECONDS = 10
COMMITS = 1000

LUA = """
local tokens = {%s}
local n = 0
request = function()
  n = n + 1
  local h = {["Authorization"] = "Bearer " .. tokens[(n %% #tokens) + 1],
             ["Content-Type"] = "application/json"}
  if %s then
    return wrk.format("POST", "/api/contacts", h, '{"first_name":"W-' .. n .. '","phone":"+15550003333"}')
  end
  return wrk.format("GET", "/api/contacts?page_size=20", h)
end
"""


def wrk(port, script, connections=16):
    out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % WRK_SECONDS, "--latency",
                          "-s", script, "http://127.0.0.1:%d/" % port],
                         capture_output=True, text=True, timeout=WRK_SECONDS + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {"req_s": float(rps.group(1)) if rps else 0,
            "p99_ms": round(float(p99.group(1)) * scale[p99.group(2)], 1) if p99 else None,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def tenant_tokens(c, tenants, per_tenant):
    """Admins of new tenants (made with switchboard-admin on app host 1), logged in through
    the front per_tenant times each."""
    admin = [os.path.join(c.env.get("SB_BIN", os.path.join(c.repo, "bin")), "switchboard-admin"),
             "-c", os.path.join(c.var, "app1", "switchboard.conf")]
    ns = ["ip", "netns", "exec", "%s-app1" % c.cid]
    out = []
    for i in range(tenants):
        tid = subprocess.run(ns + admin + ["create-tenant", "--name", "Load %d %d" % (i, time.time())],
                             check=True, capture_output=True, text=True).stdout.strip()
        email = "load%d-%d@example.com" % (i, int(time.time() * 1000))
        subprocess.run(ns + admin + ["create-user", "--tenant", tid, "--email", email, "--role", "admin",
                                     "--password-stdin"], input="Load-pass-12345", check=True,
                       capture_output=True, text=True)
        for _ in range(per_tenant):
            r = c.front.request("POST", "/api/auth/login", {"email": email, "password": "Load-pass-12345"})
            assert r.status == 200, "login: %r" % r
            out.append(r.json.get("token") or r.json["data"]["token"])
    return out


def throughput(c):
    """Keyless creates on one tenant (every write meets its event sequence row) and on
    eight, and a list read on eight, through a front of 1, 2 and 3 app hosts."""
    sets = {"one tenant": ld.tokens(c, 24), "8 tenants": tenant_tokens(c, 8, 3)}
    scripts = {}
    for kind, write, toks in (("writes, one tenant", "true", sets["one tenant"]),
                              ("writes, 8 tenants", "true", sets["8 tenants"]),
                              ("reads, 8 tenants", "false", sets["8 tenants"])):
        path = os.path.join(c.var, "wrk-%d.lua" % len(scripts))
        with open(path, "w") as f:
            f.write(LUA % (",".join('"%s"' % t for t in toks), write))
        scripts[kind] = path
    out = {}
    for k in (1, 2, 3):
        port, fvar = c.port, None
        if k < 3:
            port, fvar = cl.free_port(), os.path.join(c.var, "front-%d" % k)
            env = dict(os.environ, FRONT_VAR=fvar, PORT=str(port), LOGIN_RATE="50r/s",
                       UPSTREAMS=" ".join("unix:%s/app%d/run/http.sock" % (c.var, i) for i in range(1, k + 1)))
            subprocess.run([os.path.join(c.repo, "scripts", "front.sh"), "start"], env=env,
                           check=True, capture_output=True)
            time.sleep(0.5)
        try:
            out["%d host%s" % (k, "s" if k > 1 else "")] = {kind: wrk(port, s) for kind, s in scripts.items()}
        finally:
            if fvar:
                subprocess.run([os.path.join(c.repo, "scripts", "front.sh"), "stop"],
                               env=dict(os.environ, FRONT_VAR=fvar), capture_output=True)
    return out


def _commits(socket_path):
    """Mean ms per autocommit INSERT over COMMITS of them on one connection."""
    base = ["mariadb", "--no-defaults", "--socket=" + socket_path, "-uroot", "--batch"]
    subprocess.run(base + ["-e", "CREATE DATABASE IF NOT EXISTS bench; CREATE TABLE IF NOT EXISTS "
                           "bench.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(32))"],
                   check=True, capture_output=True)
    sql = "".join("INSERT INTO bench.t (v) VALUES ('x%d');\n" % i for i in range(COMMITS))
    t0 = time.monotonic()
    subprocess.run(base, input=sql, text=True, check=True, capture_output=True)
    ms = (time.monotonic() - t0) * 1000 / COMMITS
    subprocess.run(base + ["-e", "DROP DATABASE bench"], capture_output=True)
    return round(ms, 3)


def _standalone(var, flush):
    d = os.path.join(var, "standalone")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "data"))
    subprocess.run(["chown", "-R", "mysql:mysql", d], check=True)
    sock = os.path.join(d, "mysqld.sock")
    subprocess.run(["mariadb-install-db", "--no-defaults", "--user=mysql", "--datadir=" + d + "/data",
                    "--auth-root-authentication-method=socket", "--skip-test-db"],
                   check=True, capture_output=True)
    p = subprocess.Popen(["mariadbd", "--no-defaults", "--user=mysql", "--datadir=" + d + "/data",
                          "--socket=" + sock, "--skip-networking", "--pid-file=" + d + "/pid",
                          "--log-error=" + d + "/err.log", "--innodb-buffer-pool-size=128M",
                          "--innodb-flush-log-at-trx-commit=%d" % flush])
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and not os.path.exists(sock):
            time.sleep(0.2)
        time.sleep(0.5)
        return _commits(sock)
    finally:
        p.terminate()
        p.wait(60)
        shutil.rmtree(d, ignore_errors=True)


def commit_latency(c, var):
    return {"standalone, flush at commit (1)": _standalone(var, 1),
            "standalone, flush each second (2)": _standalone(var, 2),
            "Galera, 3 nodes, flush each second (2)": _commits(os.path.join(c.var, "db1", "mysqld.sock"))}
