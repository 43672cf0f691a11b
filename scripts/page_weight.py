#!/usr/bin/env python3
"""page_weight.py BASE EMAIL PASSWORD [PAGE]: signs in with headless Chromium (Debian's
chromium, chromium-driver, python3-selenium) and loads PAGE (wallboard.html) with an
empty cache; prints the requests and bytes to its first render, the first contentful
paint, and when its data and live stream were there. For docs/benchmarks.md."""
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main():
    base, email, password = sys.argv[1:4]
    page = sys.argv[4] if len(sys.argv) > 4 else "wallboard.html"
    o = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--disk-cache-size=1"):
        o.add_argument(arg)
    o.binary_location = "/usr/bin/chromium"
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    try:
        d.get(base + "/index.html")
        d.find_element(By.ID, "email").send_keys(email)
        d.find_element(By.ID, "password").send_keys(password)
        d.find_element(By.ID, "login-submit").click()
        deadline = time.time() + 20
        while not d.current_url.endswith("/" + page.split("?")[0]) and time.time() < deadline:
            time.sleep(0.05)
        d.execute_cdp_cmd("Network.enable", {})
        d.execute_cdp_cmd("Network.clearBrowserCache", {})
        d.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        d.get(base + "/" + page)
        deadline = time.time() + 20
        while time.time() < deadline and d.execute_script(
                "const e = document.getElementById('live-state');"
                "return !e || e.dataset.state !== 'live'"):
            time.sleep(0.02)
        m = d.execute_script("""
            const nav = performance.getEntriesByType('navigation')[0];
            const fcp = performance.getEntriesByName('first-contentful-paint')[0];
            const res = performance.getEntriesByType('resource');
            const before = res.filter(r => fcp && r.startTime <= fcp.startTime);
            const size = (xs) => xs.reduce((n, r) => n + (r.transferSize || 0), 0);
            return {fcp: fcp ? fcp.startTime : null, dcl: nav.domContentLoadedEventEnd,
                    load: nav.loadEventEnd, doc: nav.transferSize,
                    n_before: before.length, bytes_before: size(before),
                    n_all: res.length, bytes_all: size(res), now: performance.now()};""")
        print("%s: first contentful paint %.0f ms after navigation; %d requests, %.1f KB"
              " (the page and what it fetched before that paint)"
              % (page, m["fcp"] or -1, 1 + m["n_before"], (m["doc"] + m["bytes_before"]) / 1024))
        print("  loaded (scripts, Chart.js) at %.0f ms; data and live stream at %.0f ms;"
              " %d requests, %.1f KB in all" % (m["load"], m["now"], 1 + m["n_all"],
                                               (m["doc"] + m["bytes_all"]) / 1024))
    finally:
        d.quit()


if __name__ == "__main__":
    main()
