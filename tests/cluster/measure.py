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


def throughput(c):
    toks = ld.tokens(c, 24)
    lists = ",".join('"%s"' % t for t in toks)
    scripts = {}
    for kind, write in (("writes", "true"), ("reads", "false")):
        path = os.path.join(c.var, "wrk-%s.lua" % kind)
        with open(path, "w") as f:
            f.write(LUA % (lists, write))
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
