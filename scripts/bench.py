#!/usr/bin/env python3
"""Benchmark: ozgmap's map (B) against the naive folium map (A) and static files (C).

    python scripts/bench.py                  # NRW, then all of Germany (builds de_* if missing)
    python scripts/bench.py --gebiet nrw     # NRW only (what scripts/bench_map.py runs)
    python scripts/bench.py -n 30 --zeichnen 9 --markdown perf.md
    python scripts/bench.py --quick          # NRW, B and C, few repetitions (CI, < 1 minute)

A  the approach a user would write first: a folium Choropleth of the full-resolution VG250
   Gemeinden inlined in the HTML, built on every request (ozgmap.maps.naive_choropleth behind
   gunicorn). Its bytes are its HTML only: the JS/CSS it links on CDNs are not fetched. In
   Chromium those CDN requests are blocked; Leaflet is answered from the local copy.
B  ozgmap behind gunicorn (one worker): ``/`` with everything it loads, and ``/api/gebiete``.
C  the physical limit: B's bytes, saved once and served as files by Python's http.server
   (with pre-compressed ``.gz`` siblings, like nginx's gzip_static).

Every server runs alone, on the same database and filter (the default: all Themenfelder).
Times to first byte are medians of ``-n`` requests; "cold" is the first request of a freshly
started worker. Memory is the peak resident set (VmHWM) of the serving process. The map
counts as drawn when ``#map-status`` says "… Gemeinden dargestellt" (A: when all Gemeinden
are SVG paths), one frame later, in a fresh browser context (empty cache), from a warm server.
Databases, Germany's boundaries and A's full-resolution GeoJSON are built on the first run and
kept in .cache/bench (``--neu`` rebuilds the databases).

Last, per area, a large import (scripts/bench_import.py): a generated Open-PVOG export
(NRW 200,000 rows, Germany 3.5 million; ``--import-zeilen``) imported into a copy of the
database while a served instance is read: time, peak memory, p95 of the reads meanwhile.

``--quick`` checks that the benchmark still runs (``make test`` calls it): NRW only, without A
(which needs the VG250 download), 3 requests per median, one page load per draw, no phone
network. It fails on errors (a server that does not start, a page that does not draw), never
on figures: the targets are printed, met or not.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import http.server
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the package, and the harness it shares

import bench_import  # noqa: E402 - beside this script
import bench_scale  # noqa: E402
from bench_import import app_env  # noqa: E402 - the environment of an app on a bench db
import build_boundaries  # noqa: E402
from flask import Flask, Response, request  # noqa: E402
from harness import (CHROMIUM, ServerFailed, ServerProcess, free_port,  # noqa: E402
                     launch_chromium)

from ozgmap import boundaries as bd  # noqa: E402
from ozgmap import create_app, maps, services  # noqa: E402
from ozgmap.filters import Filter  # noqa: E402

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # no draw times without it (reported when the browser is started)
    sync_playwright = None
CACHE = ROOT / ".cache" / "bench"
BOUNDARIES = ROOT / "boundaries"
VENDOR = ROOT / "ozgmap" / "static" / "vendor" / "leaflet"
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".geojson", ".topojson", "")
AREA_NAMES = {"nrw": "NRW", "de": "Germany"}
#: The figures-with-geometry answer measured: all of NRW; for Germany (over 2,000 Gemeinden
#: /api/gebiete needs a kreis) one Landkreis with about 100 Gemeinden, Trier-Saarburg.
GEBIETE_URL = {"nrw": "/api/gebiete", "de": "/api/gebiete?kreis=07235"}
#: rows of the import benchmark (generated Open-PVOG export) per area
IMPORT_ROWS = {"nrw": 200_000, "de": 3_500_000}
MOBILE_RUNS = 3  # page loads per median over the emulated phone network (slow, and steady)


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- data: boundaries, database, full-resolution geometry for A ----------------------------

def ensure_boundaries(area: str) -> None:
    """Germany's boundary files (built with ``build_boundaries.py --all`` when missing)."""
    if area == "de" and not all((BOUNDARIES / f"de_{lvl}.geojson").exists()
                                for lvl in ("gemeinden", "kreise")):
        say("Grenzen für ganz Deutschland fehlen: baue sie (build_boundaries.py --all) …")
        try:
            build_boundaries.main(["--all"])
        except (OSError, subprocess.CalledProcessError) as exc:
            raise SystemExit(f"Fehler beim Bau der Grenzen ({exc}); npm installiert "
                             "`make test`. Nur NRW: --gebiet nrw.")
    geo = bd.Boundaries.load(BOUNDARIES, area)
    if not geo.levels_written():  # missing, or written before a level existed
        say(f"TopoJSON-Stufen für {area} fehlen oder sind veraltet: schreibe sie …")
        bd.write_levels(geo, BOUNDARIES)


def ensure_db(area: str, fresh: bool, tmp: Path) -> tuple[Path, float | None]:
    """``ozgmap init`` (boundaries, catalogue, Beispieldaten) into .cache/bench/{area}.sqlite,
    reused by later runs unless *fresh*; returns the path and the time init took."""
    db = CACHE / f"{area}.sqlite"
    if db.exists() and not fresh:
        say(f"Datenbank {db.relative_to(ROOT)} vorhanden (--neu baut sie neu).")
        return db, None
    CACHE.mkdir(parents=True, exist_ok=True)
    part = db.with_suffix(".part")
    part.unlink(missing_ok=True)
    say(f"ozgmap init für {area} (Beispieldaten für jede Gemeinde; Deutschland: Minuten) …")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from ozgmap.cli import main; main()", "init"],
                   check=True, cwd=ROOT,
                   env=app_env(area, part, tmp), stdout=sys.stderr)
    took = time.perf_counter() - t0
    part.replace(db)
    return db, took


def full_resolution(area: str) -> Path:
    """The unsimplified VG250 Gemeinden (GeoJSON, as a user would take them) for A."""
    path = CACHE / f"{area}_gemeinden_voll.geojson"
    if path.exists():
        return path
    say(f"Lese die VG250-Gemeinden in voller Auflösung für A ({area}) …")
    try:
        pkg = build_boundaries.fetch_package(ROOT / ".cache" / "vg250")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"Fehler: das VG250-Paket ließ sich nicht holen ({exc}); npm "
                         "installiert `make test`. Ohne A: --ohne-a.")
    gdf = bd.read_vg250(pkg / "gemeinden.geo.json", "05" if area == "nrw" else None)
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(gdf[["ags", "name", "geometry"]].to_json(), encoding="utf-8")
    return path


def naive_app():
    """Baseline A as a WSGI app (``gunicorn 'bench:naive_app()'``): every request computes
    the figures' map anew with folium, the full geometry inlined."""
    geojson = json.loads(Path(os.environ["BENCH_NAIVE_GEOJSON"]).read_text(encoding="utf-8"))
    cov = services(create_app()).coverage
    app = Flask("naive")

    @app.get("/")
    def index():
        tf = request.args.get("themenfeld")
        figures = {r["ags"]: r["anteil"]
                   for r in cov.figures(Filter(themenfeld=int(tf) if tf else None))}
        html = maps.naive_choropleth(geojson, figures).encode()
        if "gzip" not in request.headers.get("Accept-Encoding", ""):
            return Response(html, mimetype="text/html")
        # compressed for browsers, as any web server in front of it would
        return Response(gzip.compress(html, 6), mimetype="text/html",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})

    @app.get("/ok")
    def ok():
        return "ok"
    return app


# --- servers -------------------------------------------------------------------------------

@dataclass
class Resp:
    status: int
    ttfb: float          # seconds from sending the request to the status line and headers
    body: bytes
    headers: dict


def get(port: int, path: str, gz: bool = True, timeout: float = 1800) -> Resp:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if gz else {})
    r = conn.getresponse()
    ttfb = time.perf_counter() - t0
    body = r.read()
    conn.close()
    return Resp(r.status, ttfb, body, {k.lower(): v for k, v in r.getheaders()})


def ok(port: int, path: str, gz: bool = True) -> Resp:
    r = get(port, path, gz)
    if r.status != 200:
        raise SystemExit(f"Fehler: {path} antwortet {r.status}: {r.body[:300]!r}")
    return r


children = bench_scale.workers_of  # the processes whose parent is *pid*


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Server:
    """One server process we start, probe, measure and stop (only it, by its pid)."""

    name: str
    cmd: list[str]
    env: dict
    probe: str
    log: Path
    port: int = field(default_factory=free_port)
    process: ServerProcess | None = None

    def __enter__(self) -> "Server":
        cmd = [c.replace("{port}", str(self.port)) for c in self.cmd]
        self.process = ServerProcess(self.name, cmd, self.env, self.log, ROOT)
        try:
            self.process.start(lambda: get(self.port, self.probe, timeout=5).status == 200,
                               timeout=180)
        except ServerFailed as exc:
            raise SystemExit(f"Fehler: Server {exc}")
        return self

    def __exit__(self, *exc) -> None:
        self.process.stop(grace=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_mb(self) -> float:
        """Peak RSS of the process that answers: the gunicorn worker, or the server itself."""
        pid = self.process.proc.pid
        workers = children(pid)
        return max(peak_mb(p) for p in workers) if workers else peak_mb(pid)


def gunicorn(app: str, extra: list[str] = ()) -> list[str]:
    # one worker so that its memory is the server's; a long timeout so that slow cold starts
    # are measured instead of killed (``ozgmap serve`` keeps gunicorn's 30 s); threads, as
    # ``ozgmap serve`` has: a sync worker waited for ever on a socket Chromium had opened
    # ahead (the page's preloads) and not yet sent on, while the page's requests queued
    return [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "--workers", "1",
            "--threads", "4", "--timeout", "1800", *extra, app]


class GzipStatic(http.server.SimpleHTTPRequestHandler):
    """http.server that answers with ``FILE.gz`` when it exists and the client takes gzip."""

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        if "gzip" in self.headers.get("Accept-Encoding", "") and os.path.exists(path + ".gz"):
            with open(path + ".gz", "rb") as fh:
                body = fh.read()
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)
        return super().send_head()

    def log_message(self, *args) -> None:
        pass


def serve_static(directory: str, port: int) -> None:
    handler = lambda *a, **kw: GzipStatic(*a, directory=directory, **kw)  # noqa: E731
    http.server.ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


# --- the browser ---------------------------------------------------------------------------

DRAWN_JS = """(() => {
  const want = %d;
  const mark = () => requestAnimationFrame(() => setTimeout(() => {
    if (window.__drawn === undefined) { window.__drawn = performance.now(); } }, 0));
  const obs = new MutationObserver(() => {
    const s = document.getElementById('map-status');
    if ((!want && s && /\\d+ (Gemeinden|Kreise) dargestellt/.test(s.textContent)) ||
        (want && document.querySelectorAll('path.leaflet-interactive').length >= want)) {
      obs.disconnect(); mark();
    }
  });
  obs.observe(document, {childList: true, subtree: true, characterData: true});
})();"""
EMPTY_PAGE = ('<!doctype html><html lang="de"><title>leer</title>'
              '<p id="map-status">0 Gemeinden dargestellt</p></html>')
#: Leaflet's floor: B's overview shapes (Germany's: Kreise) in one colour, the geometry in
#: the page (no request for it), nothing else: no panel, no figures, no Kreis outlines. What
#: any Leaflet map of these shapes takes at least.
LEAFLET_PAGE = """<!doctype html><html lang="de"><meta charset="utf-8"><title>Leaflet</title>
<link rel="stylesheet" href="%(css)s"><p id="map-status"></p><div id="map" style="height:700px">
</div><script src="%(js)s"></script><script type="application/json" id="topo">%(topo)s</script>
<script>(function () {
  var topo = JSON.parse(document.getElementById("topo").textContent), t = topo.transform;
  var arcs = topo.arcs.map(function (arc) {
    var x = 0, y = 0;
    return arc.map(function (d) { x += d[0]; y += d[1];
      return [x * t.scale[0] + t.translate[0], y * t.scale[1] + t.translate[1]]; });
  });
  function ring(ids) {
    var pts = [];
    ids.forEach(function (i) { var a = i >= 0 ? arcs[i] : arcs[~i].slice().reverse();
      for (var k = pts.length ? 1 : 0; k < a.length; k++) { pts.push(a[k]); } });
    return pts;
  }
  var feats = (topo.objects.gemeinden || topo.objects.kreise).geometries.map(function (g) {
    var polys = (g.type === "MultiPolygon" ? g.arcs : [g.arcs])
      .map(function (p) { return p.map(ring); });
    return {type: "Feature", properties: {}, geometry: {type: g.type,
            coordinates: g.type === "MultiPolygon" ? polys : polys[0]}};
  });
  var map = L.map("map"), layer = L.geoJSON(feats, {smoothFactor: 0,
    renderer: feats.length > 2000 ? L.canvas() : undefined,
    style: {fillColor: "#41b6c4", fillOpacity: 0.9, color: "#ffffff", weight: 0.7}});
  map.fitBounds(layer.getBounds(), {animate: false});
  layer.addTo(map);
  document.getElementById("map-status").textContent = feats.length + " Gemeinden dargestellt";
})();</script></html>"""
#: Chrome DevTools' "Slow 4G" preset, the network Lighthouse assumes for phones: 150 ms
#: round trip (as 562.5 ms per request), 1.6 Mbit/s down, 750 kbit/s up (each times 0.9).
SLOW_4G = {"offline": False, "latency": 562.5, "downloadThroughput": 1.6 * 1024 * 1024 / 8 * 0.9,
           "uploadThroughput": 750 * 1024 / 8 * 0.9}


class Browser:
    """Headless Chromium from Debian via Playwright, or None when either is missing."""

    def __init__(self, strict: bool = False):
        self._pw = sync_playwright().start()
        self.browser = launch_chromium(self._pw)
        self.version = self.browser.version
        self.strict = strict  # a map that does not draw is an error, not a result

    @classmethod
    def start(cls, strict: bool = False) -> "Browser | None":
        missing = None
        if not Path(CHROMIUM).exists():
            missing = f"Kein {CHROMIUM} (make test installiert es)"
        elif sync_playwright is None:
            missing = "Playwright fehlt (pip install -e '.[test]')"
        if missing and strict:
            raise SystemExit(f"Fehler: {missing}.")
        if missing:
            say(f"{missing}: keine Zeichenzeiten.")
            return None
        return cls(strict)

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()

    def draw(self, url: str, runs: int, want_paths: int = 0, again: bool = False,
             mobile: bool = False, offline: bool = False,
             timeout_s: float = 300) -> tuple[float | None, list[str]]:
        """Median seconds until the map is drawn, and the same-origin URLs the page loaded.

        With *again*, the second visit: a new tab in the same context (the browser's cache
        warm); with *mobile*, over :data:`SLOW_4G`; with *offline* (for A), requests to other
        hosts never leave the browser (see :func:`_offline`; Playwright's routing turns the
        browser's cache off, so only where needed)."""
        times, loaded = [], []
        origin = "/".join(url.split("/", 3)[:3])
        for i in range(runs):
            ctx = self.browser.new_context(viewport={"width": 1280, "height": 800})
            ctx.add_init_script(DRAWN_JS % want_paths)
            if offline:
                ctx.route("**/*", lambda route: _offline(route, origin))
            try:
                for visit in range(2 if again else 1):
                    page = ctx.new_page()
                    if mobile:
                        cdp = ctx.new_cdp_session(page)
                        cdp.send("Network.enable")
                        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
                    if i == 0 and visit == 0:
                        page.on("request", lambda r: loaded.append(r.url)
                                if r.url.startswith(origin) else None)
                    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
                    page.wait_for_function("() => window.__drawn !== undefined",
                                           timeout=timeout_s * 1000, polling=50)
                    drawn = page.evaluate("() => window.__drawn") / 1000
                    if again and visit == 0:
                        page.close()
                times.append(drawn)
            except Exception as exc:  # noqa: BLE001 - a map that does not draw is a result
                say(f"  nicht gezeichnet ({type(exc).__name__}): {str(exc)[:120]}")
                ctx.close()
                if self.strict:
                    raise SystemExit(f"Fehler: {url} wurde nicht gezeichnet "
                                     f"({type(exc).__name__}: {str(exc)[:200]})")
                return None, loaded
            ctx.close()
        return statistics.median(times), loaded


# A's legend needs d3 from a CDN; without it folium's script stops before the map is drawn.
# This stand-in swallows every d3 call (no legend, nothing fetched).
D3_STUB = """(function () {
  var p = new Proxy(function () {}, { get: function (t, k) {
    return k === Symbol.toPrimitive ? function () { return 0; } : p; },
    apply: function () { return p; } });
  window.d3 = p;
})();"""


def _offline(route, origin: str) -> None:
    """No network for A: its own server, Leaflet from our copy, a d3 stub, nothing else."""
    url = route.request.url
    if url.startswith(origin):
        route.continue_()
    elif url.endswith("/leaflet.js"):
        route.fulfill(path=str(VENDOR / "leaflet.js"), content_type="application/javascript")
    elif url.endswith("/leaflet.css"):
        route.fulfill(path=str(VENDOR / "leaflet.css"), content_type="text/css")
    elif url.endswith("/d3.min.js"):
        route.fulfill(body=D3_STUB, content_type="application/javascript")
    else:
        route.abort()


# --- measuring one area --------------------------------------------------------------------

def median_ttfb(port: int, path: str, n: int) -> float:
    return statistics.median(ok(port, path).ttfb for _ in range(n))


def page_config(html: str) -> dict:
    """The map page's configuration (its ``ozgmap-config`` block)."""
    return json.loads(re.search(r'id="ozgmap-config">(.*?)</script>', html, re.S).group(1))


def page_resources(html: str) -> list[str]:
    """Same-origin URLs ``/`` loads, read from its HTML (used when there is no browser); the
    overview geometry and the page's figures come inside it."""
    return ["/"] + list(dict.fromkeys(
        re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/static/[^"]+)"', html)))


def sizes(port: int, paths: list[str]) -> dict[str, tuple[int, int]]:
    """Path -> (raw bytes, bytes sent gzip-compressed when the client asks)."""
    return {p: (len(ok(port, p, gz=False).body), len(ok(port, p, gz=True).body)) for p in paths}


def measure_area(area: str, args, browser: Browser | None, tmp: Path) -> dict:
    """Every figure of one area: ``{"A": {...}, "B": {...}, "C": {...}}`` and context."""
    ensure_boundaries(area)
    db, init_s = ensure_db(area, args.neu, tmp)
    env = app_env(area, db, tmp)
    res = {"area": area, "init_s": init_s, "n": args.n, "draws": args.zeichnen,
           "gemeinden": gemeinden_count(area)}
    res["B"], site, figures_url = measure_b(area, env, args, browser, tmp)
    res["C"] = measure_c(area, env, args, browser, tmp, site, list(res["B"]["sizes"]),
                         figures_url, res["B"]["overview_url"])
    res["A"] = {} if args.ohne_a else measure_a(area, env, args, browser, tmp)
    res["S"] = bench_scale.measure(env, tmp, say)
    rows = args.import_zeilen.get(area)
    res["import"] = bench_import.measure(area, db, rows, tmp) if rows else None
    return res


def measure_b(area: str, env: dict, args, browser: Browser | None, tmp: Path
              ) -> tuple[dict, Path, str]:
    """ozgmap: its figures, the folder with C's files, and the URL of the page's figures."""
    B: dict = {}
    log, site = tmp / f"{area}-server.log", tmp / f"{area}-static"
    say(f"{area}: baue die TopoJSON-Stufen der Karte (zur Zeitmessung, ohne zu schreiben) …")
    geo = bd.Boundaries.load(BOUNDARIES, area)
    t0 = time.perf_counter()
    for name in geo.topo_names:
        bd.level_topology(geo, name)
    B["build_s"] = time.perf_counter() - t0
    del geo

    # worker 1: cold and warm "/", what it loads, filter changes, the browser
    say(f"{area}: B (ozgmap) – kaltes '/', warme Anfragen, Filterwechsel …")
    with Server("B", gunicorn("ozgmap.wsgi:app"), env, "/static/ozgmap.css", log) as srv:
        B["ttfb_cold"] = ok(srv.port, "/").ttfb
        html = ok(srv.port, "/", gz=False).body.decode()
        urls, cfg = page_resources(html), page_config(html)
        B["ttfb_warm"] = median_ttfb(srv.port, "/", args.n)
        for u in urls:  # the browser meets a warm server (cold is measured above)
            ok(srv.port, u)
        if browser:
            say(f"{area}: B im Browser ({args.zeichnen}×) …")
            B["draw_s"], loaded = browser.draw(srv.url + "/", args.zeichnen)
            B["again_s"], _ = browser.draw(srv.url + "/", args.zeichnen, again=True)
            if not args.quick:
                say(f"{area}: B über 'Slow 4G' ({MOBILE_RUNS}×) …")
                B["mobile_s"], _ = browser.draw(srv.url + "/", MOBILE_RUNS, mobile=True)
                B["mobile_again_s"], _ = browser.draw(srv.url + "/", MOBILE_RUNS, mobile=True,
                                                      again=True)
            if loaded:
                urls = [u for u in dict.fromkeys("/" + u.split("/", 3)[3] for u in loaded)
                        if not u.endswith("favicon.ico")]
        B["sizes"] = sizes(srv.port, urls)
        # a filter change asks for the figures as the page's own (its columns, for Germany per
        # Kreis), per Themenfeld; the page itself carries the first answer
        figures = cfg["figures"]
        changes = [ok(srv.port, f"{figures}{'&' if '?' in figures else '?'}themenfeld={tf}")
                   for tf in range(1, 15)]
        B["filter_ttfb"] = statistics.median(r.ttfb for r in changes)
        B["filter_ttfb_max"] = max(r.ttfb for r in changes)
        B["filter_bytes"] = statistics.median(len(r.body) for r in changes)
        B["overview_url"] = cfg["topojson"].replace("NAME", "uebersicht")
        for u in urls + [figures, B["overview_url"]]:  # C's files: B's bytes, as they are
            save(site, u, ok(srv.port, u, gz=False).body)
        B["peak_mb"] = srv.peak_mb()

    # worker 2: cold geometry (the worker holds no figures yet), cold and warm /api/gebiete
    gebiete = GEBIETE_URL[area]
    say(f"{area}: B – kalte Geometrie und {gebiete} …")
    with Server("B2", gunicorn("ozgmap.wsgi:app"), env, "/static/ozgmap.css", log) as srv:
        B["geo_cold"] = ok(srv.port, cfg["topojson"].replace("NAME", "uebersicht")).ttfb
        B["geo_peak_mb"] = srv.peak_mb()
        B["gebiete_cold"] = ok(srv.port, gebiete).ttfb
        B["gebiete_warm"] = median_ttfb(srv.port, gebiete, args.n)
        raw = ok(srv.port, gebiete, gz=False).body
        B["gebiete_bytes"] = (len(raw), len(ok(srv.port, gebiete).body))
        save(site, gebiete, raw)
        B["peak_mb"] = max(B["peak_mb"], srv.peak_mb())
    return B, site, figures


def measure_c(area: str, env: dict, args, browser: Browser | None, tmp: Path, site: Path,
              urls: list[str], figures_url: str, overview_url: str) -> dict:
    """B's bytes as static files."""
    C: dict = {}
    say(f"{area}: C (statische Dateien) …")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--statisch", str(site),
           "--port", "{port}"]
    with Server("C", cmd, env, "/", tmp / f"{area}-server.log") as srv:
        C["ttfb_warm"] = median_ttfb(srv.port, "/", args.n)
        C["sizes"] = sizes(srv.port, urls)
        gebiete = GEBIETE_URL[area]
        C["gebiete_warm"] = median_ttfb(srv.port, gebiete, args.n)
        C["gebiete_bytes"] = (len(ok(srv.port, gebiete, gz=False).body),
                              len(ok(srv.port, gebiete).body))
        C["filter_ttfb"] = median_ttfb(srv.port, figures_url, args.n)
        if browser:
            say(f"{area}: C im Browser ({args.zeichnen}×) …")
            C["draw_s"], _ = browser.draw(srv.url + "/", args.zeichnen)
            # the browser's own share of every "drawn": a page holding only the status line
            save(site, "/leer.html", EMPTY_PAGE.encode())
            C["floor_s"], _ = browser.draw(srv.url + "/leer.html", args.zeichnen)
            save(site, "/leaflet.html", leaflet_page(site, urls + [overview_url]))
            C["leaflet_s"], _ = browser.draw(srv.url + "/leaflet.html", args.zeichnen)
        C["peak_mb"] = srv.peak_mb()
    return C


def leaflet_page(site: Path, urls: list[str]) -> bytes:
    """:data:`LEAFLET_PAGE` with B's Leaflet files and its overview geometry (from C's files)."""
    def url(part: str) -> str:
        return next(u for u in urls if part in u)
    topo = (site / urlsplit(url("uebersicht.topojson")).path.lstrip("/")).read_text("utf-8")
    return (LEAFLET_PAGE % {"css": url("leaflet.css"), "js": url("leaflet.js"),
                            "topo": topo.replace("</", "<\\/")}).encode()


def measure_a(area: str, env: dict, args, browser: Browser | None, tmp: Path) -> dict:
    """The naive folium map, built per request (fewer repetitions: it is slow)."""
    A: dict = {}
    say(f"{area}: A (naive folium-Karte, volle Auflösung) …")
    full = full_resolution(area)
    a_env = {**env, "BENCH_NAIVE_GEOJSON": str(full)}
    cmd = gunicorn("bench:naive_app()", ["--pythonpath", str(ROOT / "scripts")])
    with Server("A", cmd, a_env, "/ok", tmp / f"{area}-server.log") as srv:
        first = ok(srv.port, "/", gz=False)
        A["ttfb_cold"] = first.ttfb
        A["ttfb_warm"] = statistics.median(ok(srv.port, "/", gz=False).ttfb
                                           for _ in range(max(1, min(args.n, 5))))
        A["html"] = (len(first.body), len(gzip.compress(first.body, 6)))
        changes = [ok(srv.port, f"/?themenfeld={tf}", gz=False) for tf in (1, 2)]
        A["filter_ttfb"] = statistics.median(r.ttfb for r in changes)
        A["filter_bytes"] = len(gzip.compress(changes[0].body, 6))
        if browser:
            draws = args.zeichnen if area == "nrw" else 1
            say(f"{area}: A im Browser ({draws}×, CDN gesperrt, Leaflet lokal) …")
            count = len(json.loads(full.read_text(encoding="utf-8"))["features"])
            A["draw_s"], _ = browser.draw(srv.url + "/", draws, want_paths=count, offline=True)
            A["again_s"], _ = browser.draw(srv.url + "/", draws, want_paths=count, again=True,
                                           offline=True)
            if area == "nrw":  # Germany's A is 29 MB gzip: minutes per load over Slow 4G
                say(f"{area}: A über 'Slow 4G' ({MOBILE_RUNS}×) …")
                A["mobile_s"], _ = browser.draw(srv.url + "/", MOBILE_RUNS, want_paths=count,
                                                mobile=True, offline=True)
                A["mobile_again_s"], _ = browser.draw(srv.url + "/", MOBILE_RUNS,
                                                      want_paths=count, mobile=True, again=True,
                                                      offline=True)
        A["peak_mb"] = srv.peak_mb()
    return A


def gemeinden_count(area: str) -> int:
    text = (BOUNDARIES / f"{area}_gemeinden.geojson").read_text(encoding="utf-8")
    return text.count('"type":"Feature"')


def save(site: Path, url: str, body: bytes) -> None:
    path = site / (urlsplit(url).path.lstrip("/") or "index.html")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    if path.suffix in COMPRESSIBLE and len(body) > 1024:
        Path(str(path) + ".gz").write_bytes(gzip.compress(body, 6, mtime=0))


# --- the table -----------------------------------------------------------------------------

def kb(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v / 1e6:.2f} MB" if v >= 1e6 else f"{v / 1e3:.0f} KB"


def ms(v: float | None) -> str:
    if v is None:
        return "–"
    if v < 0.01:
        return f"{v * 1000:.1f} ms"
    return f"{v:.1f} s" if v >= 10 else (f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s")


def ratio(b: float | None, other: float | None) -> str:
    if b is None or other is None or not other:
        return "–"
    r = b / other
    return f"{r:.2f}" + (f" (1/{other / b:.0f})" if r < 0.2 and b else "")


def rows(res: dict) -> list[tuple[str, str, str, str, str, str]]:
    A, B, C = res["A"], res["B"], res["C"]
    b_raw = sum(r for r, _ in B["sizes"].values())
    b_gz = sum(g for _, g in B["sizes"].values())
    c_raw = sum(r for r, _ in C["sizes"].values())
    c_gz = sum(g for _, g in C["sizes"].values())
    a_raw, a_gz = A.get("html", (None, None))
    biggest = max(r for r, _ in B["sizes"].values())
    out = []

    def row(name, a, b, c, fmt, ratios=True):
        out.append((name, fmt(a), fmt(b), fmt(c), ratio(b, a) if ratios else "–",
                    ratio(b, c) if ratios else "–"))
    row(f"`/` in total, raw ({len(B['sizes'])} responses; A: HTML only)", a_raw, b_raw,
        c_raw, kb)
    row("`/` in total, gzip", a_gz, b_gz, c_gz, kb)
    row("largest single response of `/`, raw", a_raw, biggest,
        max(r for r, _ in C["sizes"].values()), kb)
    row(f"`/` time to first byte, warm (median of {res['n']}; A: {min(res['n'], 5)})",
        A.get("ttfb_warm"), B["ttfb_warm"], C["ttfb_warm"], ms)
    row("`/` time to first byte, cold (first request of a new worker)", A.get("ttfb_cold"),
        B["ttfb_cold"], None, ms)
    row("time to build the map (A: the page, every request; B: geometry levels, once)",
        A.get("ttfb_warm"), B["build_s"], None, ms, ratios=False)
    row("geometry, cold (first request of a new worker)", None, B["geo_cold"], None, ms)
    g = f"`{GEBIETE_URL[res['area']]}`"
    row(f"{g}, raw", None, B["gebiete_bytes"][0], C["gebiete_bytes"][0], kb)
    row(f"{g}, gzip", None, B["gebiete_bytes"][1], C["gebiete_bytes"][1], kb)
    row(f"{g} time to first byte, warm (median of {res['n']})", None,
        B["gebiete_warm"], C["gebiete_warm"], ms)
    row(f"{g} time to first byte, cold", None, B["gebiete_cold"], None, ms)
    row("filter change: bytes, gzip (A: whole page again)", A.get("filter_bytes"),
        B["filter_bytes"], None, kb)
    row("filter change: server time, median of 14 Themenfelder (A: 2)",
        A.get("filter_ttfb"), B["filter_ttfb"], C["filter_ttfb"], ms)
    row("filter change: server time, slowest Themenfeld", None, B["filter_ttfb_max"], None, ms)
    row("peak memory of the server process (VmHWM)", mb(A.get("peak_mb")),
        mb(B["peak_mb"]), mb(C["peak_mb"]), kb)
    row("B's worker after its first request, for the geometry (no figures yet)", None,
        mb(B["geo_peak_mb"]), None, kb)
    runs = f"median of {res['draws']}" + ("" if res["area"] == "nrw" else "; A: 1")
    row(f"map drawn in headless Chromium ({runs}; warm server, empty browser cache)",
        A.get("draw_s"), B.get("draw_s"), C.get("draw_s"), ms)
    row(f"map drawn on a second visit (the browser's cache warm; {runs})", A.get("again_s"),
        B.get("again_s"), None, ms)
    row(f"map drawn over a phone's network (\"Slow 4G\"; median of {MOBILE_RUNS}"
        + ("" if res["area"] == "nrw" else "; A not measured: 29 MB") + ")",
        A.get("mobile_s"), B.get("mobile_s"), None, ms)
    row(f"map drawn over \"Slow 4G\" on a second visit (median of {MOBILE_RUNS})",
        A.get("mobile_again_s"), B.get("mobile_again_s"), None, ms)
    row("the browser's floor: an empty page (only the status line) \"drawn\", from C's server",
        None, None, C.get("floor_s"), ms, ratios=False)
    row("Leaflet's floor: its page with only these shapes in one colour, geometry inline (C)",
        None, None, C.get("leaflet_s"), ms, ratios=False)
    return out


def mb(v: float | None) -> float | None:
    return None if v is None else v * 1e6


def table(res: dict) -> str:
    head = ("| measure | A naive folium | B ozgmap | C static files | B/A | B/C |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: |\n")
    return head + "\n".join("| " + " | ".join(r) + " |" for r in rows(res))


# --- the targets (issue 7): data beside the measures they read ------------------------------

def _gzip_total(side: dict) -> float | None:
    return sum(g for _, g in side["sizes"].values()) if side.get("sizes") else None


def _largest(side: dict) -> float | None:
    return max(r for r, _ in side["sizes"].values()) if side.get("sizes") else None


def _times(a: float | None, b: float | None) -> float | None:
    """How many times *a* is *b* (None if either is not measured)."""
    return a / b if a and b else None


def _draw_note(res: dict) -> str:
    A, B, C = res["A"], res["B"], res["C"]
    if not (A.get("draw_s") and B.get("draw_s")):
        return ""
    floor = C.get("floor_s") or 0
    note = (f" ({(A['draw_s'] - floor) / (B['draw_s'] - floor):.1f}x without the browser's "
            "floor")
    if C.get("leaflet_s"):
        note += f"; Leaflet's floor, nothing but the shapes: {A['draw_s'] / C['leaflet_s']:.1f}x"
    return note + ")"


def times(v: float) -> str:
    return f"{v:.1f}x" if v < 10 else f"{v:.0f}x"


@dataclass(frozen=True)
class Target:
    """One promise: *value* of the results (None: not measured) is below (``<``, ``<=``) or
    at least (``>=``) *limit*; *area* ``""`` applies to every area."""

    area: str
    text: str
    value: Callable[[dict], float | None]
    op: str
    limit: float
    fmt: Callable[[float], str]
    note: Callable[[dict], str] = lambda res: ""

    def check(self, res: dict) -> tuple[bool | None, str]:
        v = self.value(res)
        passed = None if v is None else {"<": v < self.limit, "<=": v <= self.limit,
                                         ">=": v >= self.limit}[self.op]
        return passed, f"{self.text}: {'–' if v is None else self.fmt(v)}{self.note(res)}"


TARGETS = [
    Target("nrw", "`/` under 600 KB gzip in total", lambda r: _gzip_total(r["B"]), "<", 600e3,
           kb),
    Target("nrw", "warm time to first byte under 100 ms", lambda r: r["B"]["ttfb_warm"], "<",
           0.1, ms),
    Target("nrw", "filter change under 50 ms server time (median)",
           lambda r: r["B"]["filter_ttfb"], "<", 0.05, ms,
           lambda r: f", slowest {ms(r['B']['filter_ttfb_max'])}"),
    Target("nrw", "at least 5x lighter than A (gzip)",
           lambda r: _times(r["A"].get("html", (0, 0))[1], _gzip_total(r["B"])), ">=", 5, times),
    Target("nrw", "at least 5x faster than A (time to first byte)",
           lambda r: _times(r["A"].get("ttfb_warm"), r["B"]["ttfb_warm"]), ">=", 5, times),
    Target("nrw", "at least 5x faster than A (map drawn)",
           lambda r: _times(r["A"].get("draw_s"), r["B"].get("draw_s")), ">=", 5, times,
           _draw_note),
    Target("nrw", "at least 5x faster than A (map drawn on a second visit)",
           lambda r: _times(r["A"].get("again_s"), r["B"].get("again_s")), ">=", 5, times),
    Target("nrw", "at least 5x faster than A (map drawn over \"Slow 4G\")",
           lambda r: _times(r["A"].get("mobile_s"), r["B"].get("mobile_s")), ">=", 5, times),
    Target("nrw", "at least 5x faster than A (map drawn over \"Slow 4G\", second visit)",
           lambda r: _times(r["A"].get("mobile_again_s"), r["B"].get("mobile_again_s")), ">=",
           5, times),
    Target("nrw", "within 3x of C (time to first byte)",
           lambda r: _times(r["B"]["ttfb_warm"], r["C"]["ttfb_warm"]), "<=", 3, times),
    Target("nrw", "within 3x of C (map drawn)",
           lambda r: _times(r["B"].get("draw_s"), r["C"].get("draw_s")), "<=", 3, times),
    Target("nrw", "`/` under 120 KB gzip in total (issue 16)", lambda r: _gzip_total(r["B"]),
           "<", 120e3, kb),
    Target("nrw", "map drawn over \"Slow 4G\" under 2.0 s on a first visit (issue 16)",
           lambda r: r["B"].get("mobile_s"), "<", 2.0, ms),
    Target("de", "map drawn in under 3 s", lambda r: r["B"].get("draw_s"), "<", 3, ms),
    Target("de", "map drawn under 1 s (issue 20; the 402 Kreise, Gemeinden per Land later)",
           lambda r: r["B"].get("draw_s"), "<", 1, ms),
    Target("de", "`/` over \"Slow 4G\" under 3 s on a first visit (issue 20)",
           lambda r: r["B"].get("mobile_s"), "<", 3, ms),
    Target("de", "`/` under 4 MB gzip in total", lambda r: _gzip_total(r["B"]), "<", 4e6, kb),
    Target("de", "no response of the map over 5 MB (largest, raw)",
           lambda r: _largest(r["B"]), "<=", 5e6, kb,
           lambda r: f" (`{GEBIETE_URL['de']}`, not used by the map: "
                     f"{kb(r['B']['gebiete_bytes'][0])}; without `kreis` /api/gebiete answers "
                     "400 above 2,000 Gemeinden)"),
    Target("", "server memory under 1 GB", lambda r: r["B"]["peak_mb"] * 1e6, "<", 1024e6, kb),
    # issue 20: national scale, measured on `ozgmap serve` itself (bench_scale.py)
    Target("de", "a new worker's first answer under 1.5 s",
           lambda r: r["S"]["new_worker_s"], "<", 1.5, ms),
    Target("de", "every worker beyond the first adds under 150 MB (PSS)",
           lambda r: r["S"]["per_worker"], "<", 150e6, kb),
    Target("de", "`ozgmap serve --workers 4` under 1 GB in total (PSS)",
           lambda r: r["S"]["four"]["pss_total"], "<", 1024e6, kb),
    Target("de", "filter change under 30 ms server time (median of 14 Themenfelder)",
           lambda r: r["B"]["filter_ttfb"], "<", 0.03, ms,
           lambda r: f", slowest {ms(r['B']['filter_ttfb_max'])}"),
    Target("", "reads during 500 writes in 15 s: p95 under 50 ms",
           lambda r: r["S"]["writes"]["p95"], "<", 0.05, ms),
    Target("nrw", "filter change about 10 ms server time or better (median)",
           lambda r: r["B"]["filter_ttfb"], "<=", 0.012, ms),
]


def targets(res: dict) -> list[tuple[bool | None, str]]:
    """Each target of :data:`TARGETS` for this area, with the measured figure."""
    return [t.check(res) for t in TARGETS if t.area in ("", res["area"])]


def machine(browser: Browser | None) -> str:
    model = next((ln.split(":", 1)[1].strip() for ln in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), platform.processor())
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
               if ln.startswith("MemTotal"))
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} CPUs ({model}), {mem / 1024 / 1024:.0f} GB RAM, "
            f"Linux {platform.release()}, Python {platform.python_version()}"
            + (f", Chromium {browser.version}" if browser else "")
            + f"; load average {load:.1f} at the start")


def report(results: list[dict], browser: Browser | None, argv: list[str], took: float) -> str:
    shown = " ".join(a for i, a in enumerate(argv)  # without where the copy was written
                     if a != "--markdown" and (i == 0 or argv[i - 1] != "--markdown"))
    command = f"python scripts/bench.py {shown}".strip()
    lines = [f"Measured {datetime.now():%Y-%m-%d %H:%M} on {machine(browser)}; `{command}` "
             f"({took / 60:.0f} min).", ""]
    for res in results:
        lines.append(f"**{AREA_NAMES[res['area']]}** ({res['gemeinden']} Gemeinden"
                     + (f"; `ozgmap init` took {ms(res['init_s'])}" if res["init_s"] else "")
                     + ")\n")
        lines.append(table(res))
        lines.append("")
        lines.append(bench_scale.table(res["S"]))
        lines.append("")
        for passed, text in targets(res):
            mark = {True: "met", False: "**missed**", None: "not measured"}[passed]
            lines.append(f"- {mark}: {text}")
        lines.append("")
        if res.get("import"):
            lines += [bench_import.report(res["import"]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gebiet", choices=["nrw", "de", "beide"], default="beide",
                    help="NRW, ganz Deutschland oder beide (Standard)")
    ap.add_argument("-n", type=int, default=20, help="Anfragen je Median (Standard: 20)")
    ap.add_argument("--zeichnen", type=int, default=5,
                    help="Seitenaufrufe im Browser je Median (Standard: 5)")
    ap.add_argument("--neu", action="store_true", help="Datenbanken neu aufbauen")
    ap.add_argument("--ohne-a", action="store_true", help="A (naive Karte) auslassen")
    ap.add_argument("--markdown", type=Path, help="die Tabellen auch in diese Datei schreiben")
    ap.add_argument("--quick", action="store_true",
                    help="läuft der Benchmark noch? NRW, ohne A, 3 Anfragen je Median, ein "
                         "Seitenaufruf je Zeichenzeit; Fehler beenden ihn, Zahlen nie (CI)")
    ap.add_argument("--import-zeilen", type=int, metavar="N",
                    help="Zeilen des Import-Benchmarks (scripts/bench_import.py; Standard: "
                         f"NRW {IMPORT_ROWS['nrw']:,}, Deutschland {IMPORT_ROWS['de']:,}; "
                         "--quick: NRW 20.000; 0: keiner)")
    ap.add_argument("--statisch", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.statisch:  # C's server process
        serve_static(args.statisch, args.port)
        return 0
    if args.quick:
        args.gebiet, args.n, args.zeichnen, args.ohne_a = "nrw", 3, 1, True
    rows = {"nrw": 20_000} if args.quick else IMPORT_ROWS
    args.import_zeilen = rows if args.import_zeilen is None else dict.fromkeys(
        IMPORT_ROWS, args.import_zeilen)
    t0 = time.perf_counter()
    areas = ["nrw", "de"] if args.gebiet == "beide" else [args.gebiet]
    browser = Browser.start(strict=args.quick)
    tmp = Path(tempfile.mkdtemp(prefix="ozgmap-bench-"))
    results = []
    try:
        for area in areas:
            results.append(measure_area(area, args, browser, tmp))
    finally:
        if browser:
            browser.close()
    text = report(results, browser, argv, time.perf_counter() - t0)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
