#!/usr/bin/env python3
"""Load test: a bounded burst against the production server, with its latency figures.

    python scripts/load_test.py              # start `ozgmap serve`; 500 requests, 50 at once
    python scripts/load_test.py --requests 1000 --concurrency 100 --workers 4
    python scripts/load_test.py --url http://127.0.0.1:5000   # a server that already runs

Without ``--url`` it starts the deployment command of the README, ``ozgmap serve`` (gunicorn),
on a free loopback port against the configured database (``OZGMAP_DATABASE_URL``, default
``instance/ozgmap.sqlite``); if that is not initialised, against a fresh ``ozgmap init`` in a
temporary folder. Each distinct URL is fetched once first (warm-up, reported apart), then the
burst: a seeded mix of pages, API and static files, each on its own connection, with gzip as
browsers ask for it. Then the slow-client phase: ``--slow`` sockets that trickle a request head
or never read a download, and ``--slow-requests`` normal requests during it (their p95).
Any status >= 400, any connection error or timeout counts as an error;
redirects are answers. Prints p50/p95/max latency and exits 1 if there was any error.

Only loopback addresses are accepted as targets. The burst is bounded in count (``--requests``)
and time (``--deadline`` seconds); the script stops the server it started, by its pid.
"""
from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from ozgmap import create_app, services

ROOT = Path(__file__).resolve().parent.parent


def say(msg: str) -> None:
    print(msg, flush=True)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(base: str, path: str, timeout: float = 60) -> tuple[int, int, float]:
    """(status, bytes, seconds) of one GET on a fresh connection; status 0 on a failure."""
    u = urlsplit(base)
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip",
                                           "User-Agent": "ozgmap-load-test"})
        resp = conn.getresponse()
        size = len(resp.read())
        return resp.status, size, time.perf_counter() - t0
    except (OSError, http.client.HTTPException):
        return 0, 0, time.perf_counter() - t0
    finally:
        conn.close()


def ozgmap_exe() -> str:
    exe = Path(sys.executable).parent / "ozgmap"
    return str(exe) if exe.exists() else (shutil.which("ozgmap") or "ozgmap")


class Server:
    """``ozgmap serve`` on a free loopback port; stopped (by its pid) on exit."""

    def __init__(self, workers: int | None, env: dict[str, str], log: Path):
        self.port = free_port()
        self.cmd = [ozgmap_exe(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if workers:
            self.cmd += ["--workers", str(workers)]
        self.env, self.log = env, log
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        say("Server: " + " ".join(self.cmd[1:]) + f"   (log: {self.log})")
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while fetch(self.url, "/api/themenfelder", timeout=5)[0] != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                sys.exit(f"Server did not start; see {self.log}")
            time.sleep(0.3)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def server_env(tmp: Path) -> dict[str, str]:
    """The environment for ``ozgmap serve``: the configured DB if initialised, else a fresh one."""
    env = dict(os.environ)
    app = create_app()
    initialised = services(app).store.is_initialised()
    services(app).store.engine.dispose()
    if initialised:
        say(f"Database: {app.config['OZGMAP_DATABASE_URL'].split('@')[-1]}")
        return env
    env.update({"OZGMAP_DATABASE_URL": f"sqlite:///{tmp / 'ozgmap.sqlite'}",
                "OZGMAP_INSTANCE_DIR": str(tmp), "OZGMAP_CACHE_DIR": str(tmp / "cache")})
    say("Database not initialised: ozgmap init into a temporary folder …")
    subprocess.run([ozgmap_exe(), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def workload(base: str, n: int, seed: int) -> list[tuple[str, str]]:
    """*n* (kind, path) pairs: pages, API and static files, drawn from the server's own data."""
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    conn.request("GET", "/api/umsetzung")
    resp = conn.getresponse()
    if resp.status != 200:
        sys.exit(f"{base}/api/umsetzung answered {resp.status}: is this ozgmap?")
    gebiete = json.loads(resp.read())["gebiete"]
    conn.close()
    rnd = random.Random(seed)
    gemeinden = [g["ags"] for g in gebiete]
    kreise = sorted({g["kreis_ags"] for g in gebiete})

    def pick() -> tuple[str, str]:
        ags, kreis, tf = rnd.choice(gemeinden), rnd.choice(kreise), rnd.randint(1, 14)
        return rnd.choices([
            ("page", "/"), ("page", f"/?kreis={kreis}&themenfeld={tf}"),
            ("page", f"/?gebiet={ags}"), ("page", "/tabelle"),
            ("page", f"/tabelle?kreis={kreis}&sort=anteil&richtung=ab"),
            ("page", f"/embed?kreis={kreis}"), ("page", f"/nachbarn?ags={ags}&themenfeld={tf}"),
            ("page", "/daten"), ("page", "/suche?q=berg"),
            ("api", f"/api/umsetzung?themenfeld={tf}"), ("api", f"/api/gebiete/{ags}"),
            ("api", f"/api/gebiete?kreis={kreis}"), ("api", f"/api/tabelle?themenfeld={tf}"),
            ("api", "/api/themenfelder"), ("api", f"/api/leistungen?themenfeld={tf}"),
            ("api", "/api/geometrie/gemeinden.geojson"), ("api", f"/api/luecken?ags={ags}"),
            ("static", "/static/ozgmap.js"), ("static", "/static/vendor/leaflet/leaflet.js"),
        ], weights=[8, 6, 4, 3, 3, 4, 3, 2, 2, 10, 8, 5, 4, 3, 3, 4, 3, 3, 2])[0]
    return [pick() for _ in range(n)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run(base: str, n: int, concurrency: int, seed: int, deadline: float) -> int:
    jobs = workload(base, n, seed)
    distinct = sorted(set(jobs))
    say(f"Warm-up: {len(distinct)} distinct URLs, once each …")
    t0 = time.perf_counter()
    warm_errors = [(s, p) for _, p in distinct for s in [fetch(base, p)[0]] if not 0 < s < 400]
    say(f"  {time.perf_counter() - t0:.1f} s, {len(warm_errors)} errors {warm_errors[:5]}")

    say(f"Burst: {n} requests, {concurrency} at once, against {base}")
    results: list[tuple[str, str, int, int, float]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline

    def one(job: tuple[str, str]) -> None:
        if time.monotonic() > stop_at:
            status, size, secs = -1, 0, 0.0  # not sent: over the time bound
        else:
            status, size, secs = fetch(base, job[1])
        with lock:
            results.append((job[0], job[1], status, size, secs))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, jobs))
    wall = time.perf_counter() - t0

    errors = [r for r in results if not 0 < r[2] < 400]
    lat = [r[4] * 1000 for r in results if 0 < r[2] < 400]
    say(f"\n{'kind':8} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind in ("page", "api", "static", "all"):
        rows = [r for r in results if kind in ("all", r[0])]
        ok = [r[4] * 1000 for r in rows if 0 < r[2] < 400]
        bad = len(rows) - len(ok)
        if ok:
            say(f"{kind:8} {len(rows):6d} {bad:6d} {percentile(ok, .5):8.0f} "
                f"{percentile(ok, .95):8.0f} {max(ok):8.0f}")
    mb = sum(r[3] for r in results) / 1e6
    say(f"\n{len(results)} requests in {wall:.1f} s ({len(results) / wall:.0f}/s, {mb:.1f} MB "
        f"received), errors: {len(errors)}")
    if lat:
        say(f"latency p50 {percentile(lat, .5):.0f} ms, p95 {percentile(lat, .95):.0f} ms, "
            f"max {max(lat):.0f} ms")
    for kind, path, status, _, _ in errors[:10]:
        say(f"  error: {status or 'connection failed'} {path}")
    return 1 if errors or warm_errors else 0


def slow_sockets(base: str, n: int) -> tuple[list[socket.socket], threading.Event]:
    """*n* slow clients: half send a request head a header line per second and never end it
    (slowloris), half ask for the largest download and never read a byte. Stop by the event."""
    u = urlsplit(base)
    socks, stop = [], threading.Event()
    for i in range(n):
        s = socket.create_connection((u.hostname, u.port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /daten/umsetzungen.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" if i % 2
                  else b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socks.append(s)

    def drip() -> None:
        k = 0
        while not stop.wait(1.0):
            k += 1
            for s in socks[::2]:
                try:
                    s.sendall(b"X-Slow-%d: 1\r\n" % k)
                except OSError:
                    pass
    threading.Thread(target=drip, daemon=True).start()
    return socks, stop


def slow_phase(base: str, slow: int, n: int, concurrency: int, seed: int) -> int:
    """Normal requests while *slow* slow clients hold their connections: all must answer."""
    say(f"\nSlow-client phase: {slow} slow sockets ({(slow + 1) // 2} slowloris, {slow // 2} "
        f"never reading /daten/umsetzungen.csv), {n} normal requests, {concurrency} at once")
    socks, stop = slow_sockets(base, slow)
    try:
        time.sleep(1.0)
        jobs = workload(base, n, seed + 1)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(lambda job: fetch(base, job[1], timeout=30), jobs))
        wall = time.perf_counter() - t0
    finally:
        stop.set()
        for s in socks:
            s.close()
    errors = [(status, job[1]) for (status, _, _), job in zip(results, jobs)
              if not 0 < status < 400]
    lat = [secs * 1000 for status, _, secs in results if 0 < status < 400]
    say(f"slow-client phase: {len(results)} requests in {wall:.1f} s, errors: {len(errors)}"
        + (f", p95 {percentile(lat, .95):.0f} ms, max {max(lat):.0f} ms" if lat else ""))
    for status, path in errors[:10]:
        say(f"  error: {status or 'connection failed'} {path}")
    return 1 if errors else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running ozgmap on loopback (default: start one)")
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--workers", type=int, help="gunicorn workers (default: ozgmap serve's)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--deadline", type=float, default=600, help="seconds; later requests "
                    "are not sent and count as errors")
    ap.add_argument("--slow", type=int, default=8, help="slow clients of the slow-client "
                    "phase (0: no such phase)")
    ap.add_argument("--slow-requests", type=int, default=100,
                    help="normal requests during the slow-client phase")
    a = ap.parse_args()
    if not 0 < a.requests <= 100_000 or not 0 < a.concurrency <= 500 \
            or not 0 <= a.slow <= 64 or not 0 < a.slow_requests <= 10_000:
        ap.error("--requests 1..100000, --concurrency 1..500, --slow 0..64, "
                 "--slow-requests 1..10000")
    if a.url:
        if not is_loopback(urlsplit(a.url).hostname or ""):
            ap.error("only loopback targets (127.0.0.0/8, ::1, localhost)")
        return both(a, a.url.rstrip("/"))
    with tempfile.TemporaryDirectory(prefix="ozgmap-load-") as tmp:
        env = server_env(Path(tmp))
        with Server(a.workers, env, Path(tmp) / "server.log") as server:
            code = both(a, server.url)
            if code:
                say("Server log (tail):\n" + "".join(
                    open(server.log, encoding="utf-8", errors="replace").readlines()[-20:]))
            return code


def both(a: argparse.Namespace, base: str) -> int:
    """The burst, then (with ``--slow``) the slow-client phase; 1 if either had an error."""
    code = run(base, a.requests, a.concurrency, a.seed, a.deadline)
    if a.slow > 0:
        code |= slow_phase(base, a.slow, a.slow_requests, min(a.concurrency, 10), a.seed)
    return code


if __name__ == "__main__":
    sys.exit(main())
