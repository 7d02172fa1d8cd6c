"""Live servers and a headless Chromium for the browser tests.

* ``live_server``: the production server exactly as the README runs it (``ozgmap serve``,
  i.e. gunicorn) on a free 127.0.0.1 port, against a copy of the session's template DB.
  ``/embed`` may be framed only by the ``host`` origin (``OZGMAP_FRAME_ANCESTORS``).
* ``host`` / ``stranger``: two more loopback ports that serve host pages framing the app,
  for the cross-origin embed tests (one allowed origin, one not).
* ``context``: a fresh Chromium context per test that records every request, response,
  console error and page error, so a test can prove the page stayed on its own host.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``scripts/install_test_deps.sh``),
driven by Playwright without Playwright's own browser downloads.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from harness import CHROMIUM, ServerFailed, ServerProcess, free_port, launch_chromium

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # reported by the fixture that needs it
    sync_playwright = None

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
INSTALL_HINT = "run `sh scripts/install_test_deps.sh` (part of `make test`)"


@dataclass
class LiveServer:
    """A running ``ozgmap serve``: its base URL, its database file and its log."""

    url: str
    db: Path
    log: Path
    frame_ancestors: str

    def get(self, path: str) -> tuple[int, dict, bytes]:
        """(status, headers, body) of a plain GET, without a browser."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, path: str):
        status, _, body = self.get(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)


class HostServer:
    """A tiny static server on its own loopback port: a "Kreis website" with an iframe."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "nicht gefunden").encode())

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def frame_page(self, name: str, src: str, title: str = "OZG-Landkarte") -> str:
        """Publish a host page that frames *src*; return its URL."""
        self.pages[f"/{name}.html"] = (
            '<!doctype html><html lang="de"><head><meta charset="utf-8">'
            '<link rel="icon" href="data:,">'
            f"<title>Kreis-Website: {name}</title></head><body><h1>Unser Kreis</h1>"
            f'<iframe id="ozg" src="{src}" title="{title}" width="1000" height="700" '
            'style="border:0"></iframe></body></html>')
        return f"{self.origin}/{name}.html"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def host():
    """The origin allowed to frame ``/embed``."""
    h = HostServer()
    yield h
    h.close()


@pytest.fixture(scope="session")
def stranger():
    """Another origin, not allowed to frame anything of the app."""
    h = HostServer()
    yield h
    h.close()


def _ozgmap_command() -> list[str]:
    exe = Path(sys.executable).parent / "ozgmap"
    return [str(exe)] if exe.exists() else [shutil.which("ozgmap") or "ozgmap"]


@contextlib.contextmanager
def serve(db: Path, tmp: Path, frame_ancestors: str = "*", env: dict | None = None):
    """``ozgmap serve`` (gunicorn, 2 workers) over *db* on a free loopback port; *env*: more
    settings (e.g. ``OZGMAP_BOUNDARIES``)."""
    port = free_port()
    extra = env or {}
    env = {**os.environ, **extra, "OZGMAP_DATABASE_URL": f"sqlite:///{db}",
           "OZGMAP_INSTANCE_DIR": str(tmp), "OZGMAP_CACHE_DIR": str(tmp / "cache"),
           "OZGMAP_TILES": "", "OZGMAP_TILES_ATTRIBUTION": "",
           "OZGMAP_FRAME_ANCESTORS": frame_ancestors}
    log = tmp / "server.log"
    server = LiveServer(f"http://127.0.0.1:{port}", db, log, frame_ancestors)
    proc = ServerProcess("ozgmap serve", _ozgmap_command() + [
        "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], env, log, tmp)
    try:
        proc.start(lambda: server.get("/api/themenfelder")[0] == 200, timeout=60)
    except ServerFailed as exc:
        pytest.fail(str(exc))
    with proc:
        server.get("/")  # warm one worker's map skeleton before the clock-sensitive tests
        yield server


@pytest.fixture(scope="session")
def serve_db():
    """``serve_db(db, tmp)``: a context manager running ``ozgmap serve`` over another DB."""
    return serve


@pytest.fixture(scope="session")
def live_server(template_db, tmp_path_factory, host) -> LiveServer:
    """``ozgmap serve`` on a copy of the session's template DB; stopped at the end."""
    tmp = tmp_path_factory.mktemp("live")
    db = tmp / "ozgmap.sqlite"
    shutil.copy(template_db, db)
    with serve(db, tmp, host.origin) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium via Playwright."""
    if sync_playwright is None:
        pytest.fail("Playwright is missing: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL_HINT}")
    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()


@dataclass
class Recorder:
    """Everything a browser context did: requests, responses, console errors, page errors."""

    requests: list = field(default_factory=list)
    responses: list = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(
            f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: self.page_errors.append(f"{page.url}: {e}"))

    def hosts(self) -> set[str]:
        return {urlsplit(r.url).netloc for r in self.requests
                if urlsplit(r.url).scheme not in ("data", "blob", "about")}

    def assert_clean(self, *origins: str) -> None:
        """Only requests to *origins*, no failed response, no console or script error."""
        allowed = {urlsplit(o).netloc for o in origins}
        foreign = sorted(r.url for r in self.requests
                         if urlsplit(r.url).scheme not in ("data", "blob", "about")
                         and urlsplit(r.url).netloc not in allowed)
        assert not foreign, f"requests to other hosts: {foreign[:10]}"
        failed = [(r.status, r.url) for r in self.responses if r.status >= 400]
        assert not failed, f"failed responses: {failed[:10]}"
        assert not self.page_errors, self.page_errors
        assert not self.console_errors, self.console_errors

    def set_cookies(self) -> list[str]:
        return [f"{r.url}: {r.all_headers()['set-cookie']}" for r in self.responses
                if "set-cookie" in r.all_headers()]


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def context(browser, rec):
    """A fresh browser context (1280×900, German) whose every page is recorded in ``rec``."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    ctx.on("request", lambda r: rec.requests.append(r))
    ctx.on("response", lambda r: rec.responses.append(r))
    ctx.on("page", rec.watch)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): {INSTALL_HINT}")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
