"""Security headers on every response of every route (and its errors): a CSP that allows
scripts only from the app and from inline blocks the app wrote (allowed by hash), framing only
as the embed rules say, nosniff, a Referrer-Policy, no cookies, no version numbers.

Routes are read from the app's URL map, so a new route is checked without touching this file.
The server's own ``Server`` header (gunicorn) is checked in tests/browser/test_server.py.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from ozgmap import services

from helpers import assert_inline_blocks_allowed_by_hash, csp

# a valid value for each URL variable used by the routes; others get "x" (an error page)
SAMPLE_ARGS = {"filename": "ozgmap.css", "ags": "05570044", "level": "gemeinden",
               "name": "gemeinden", "cid": "gemeinden", "fid": "05570044"}
REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin",
                     "strict-origin-when-cross-origin"}
EVENT_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)


@pytest.fixture(scope="module")
def hdr_app(app_copy):
    return app_copy("headers", TESTING=False)  # production error handling


def requests_for(app) -> list[tuple[str, str]]:
    """(method, path) for every route and method, plus a refused method per GET route."""
    out = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{arg}>", SAMPLE_ARGS.get(arg, "x"), path)
        methods = sorted(rule.methods - {"HEAD"})
        if "GET" in rule.methods and "POST" not in rule.methods:
            methods.append("POST")  # 405
        out += [(m, path) for m in methods]
    out += [("GET", "/gibt-es-nicht"), ("GET", "/?themenfeld=99"), ("HEAD", "/"),
            ("GET", "/api/gebiete/99999999")]
    return out


def check_headers(resp, frame_ancestors: list[str] | None = None) -> dict:
    where = f"{resp.request.method} {resp.request.path}"
    assert resp.status_code < 500, where
    policy = csp(resp)
    assert policy["default-src"] == ["'self'"], where
    script = policy["script-src"]
    assert script[0] == "'self'" and all(v.startswith("'sha256-") for v in script[1:]), where
    assert not [v for vals in policy.values() for v in vals if "unsafe" in v], where
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], where
    assert policy["connect-src"] == ["'self'"], where
    expected_framers = frame_ancestors if resp.request.path == "/embed" else ["'self'"]
    assert policy["frame-ancestors"] == expected_framers, where
    if resp.request.path != "/embed":
        assert resp.headers.get("X-Frame-Options") == "SAMEORIGIN", where
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", where
    assert resp.headers.get("Referrer-Policy") in REFERRER_POLICIES, where
    assert "Set-Cookie" not in resp.headers, where
    assert not re.search(r"\d", resp.headers.get("Server", "")), where
    return policy


def test_every_response_of_every_route_has_the_security_headers(hdr_app):
    client = hdr_app.test_client()
    seen = set()
    for method, path in requests_for(hdr_app):
        resp = client.open(path, method=method)
        check_headers(resp, ["*"])
        seen.add(resp.status_code // 100)
    assert {2, 4} <= seen  # both answers and refusals were checked


def test_inline_scripts_and_styles_are_allowed_by_hash_and_nothing_else(hdr_app):
    client = hdr_app.test_client()
    pages = [p for m, p in requests_for(hdr_app) if m == "GET"]
    html_pages = blocks = 0
    for path in pages + ["/nachbarn?ags=05570044&themenfeld=2", "/?gebiet=05570044"]:
        for _ in range(2):  # the second answer of a cached page must allow the same blocks
            resp = client.get(path)
            if resp.mimetype != "text/html":
                break
            blocks += assert_inline_blocks_allowed_by_hash(resp)
            text = resp.get_data(as_text=True)
            assert not EVENT_ATTR.search(text), (path, EVENT_ATTR.search(text).group(0)[:120])
            assert not STYLE_ATTR.search(text), (path, STYLE_ATTR.search(text).group(0)[:120])
            assert "nonce" not in text, path
        else:
            html_pages += 1
    assert html_pages >= 8 and blocks >= 20


def test_the_map_page_is_the_same_bytes_each_time_and_revalidates(hdr_app):
    """Hashes instead of nonces: the page can be cached and answered with 304."""
    client = hdr_app.test_client()
    first, second = client.get("/"), client.get("/")
    assert first.get_data() == second.get_data()
    assert first.headers["Content-Security-Policy"] == second.headers["Content-Security-Policy"]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    other = client.get("/?themenfeld=2", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


def test_caching_static_files_for_a_year_by_version_and_data_never_by_guess(hdr_app):
    """Files the pages link carry the hash of their content and may be kept a year; pages
    and data must be asked for again (a 304 when unchanged), never reused by a browser's
    guess from Last-Modified."""
    client = hdr_app.test_client()
    linked = set()
    for page in ("/", "/nachbarn?ags=05570044", "/einbetten", "/tabelle"):
        html = client.get(page).get_data(as_text=True)
        linked |= set(re.findall(r'(?:src|href)="(/static/[^"?]+)\?v=([0-9a-f]+)"', html))
    assert {p for p, _ in linked} >= {"/static/ozgmap.css", "/static/ozgmap.js",
                                      "/static/vendor/leaflet/leaflet.js",
                                      "/static/vendor/leaflet/leaflet.css"}
    static = Path(hdr_app.static_folder)
    for path, v in linked:
        data = (static / path.removeprefix("/static/")).read_bytes()
        assert v == hashlib.sha1(data).hexdigest()[:len(v)], path
        resp = client.get(f"{path}?v={v}")
        assert resp.status_code == 200 and resp.get_data() == data
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        wrong = ("1" if v[0] == "0" else "0") + v[1:]  # surely another version
        for other in (path, f"{path}?v={wrong}"):  # unversioned, or another version
            assert "max-age" not in client.get(other).headers.get("Cache-Control", ""), other
    for url in ("/", "/tabelle", "/api/umsetzung", "/api/gebiete/05570044", "/statistik"):
        resp = client.get(url)
        assert resp.headers["Cache-Control"] == "no-cache", url
        assert client.get(url, headers={"If-None-Match": resp.headers["ETag"]}
                          ).status_code == 304, url


def test_embed_may_be_framed_by_any_origin_by_default(hdr_app):
    resp = hdr_app.test_client().get("/embed")
    assert csp(resp)["frame-ancestors"] == ["*"]
    assert "X-Frame-Options" not in resp.headers
    assert '<base target="_blank">' in resp.get_data(as_text=True)


def test_embed_framing_follows_ozgmap_frame_ancestors(app_copy):
    origins = "https://www.kreis-warendorf.de https://telgte.example"
    app = app_copy("headers_framing", TESTING=False, OZGMAP_FRAME_ANCESTORS=origins)
    client = app.test_client()
    try:
        for path in ("/embed", "/embed?kreis=05570", "/", "/einbetten", "/tabelle",
                     "/embed?themenfeld=99"):
            check_headers(client.get(path), ["'self'"] + origins.split())
    finally:
        services(app).store.engine.dispose()


def test_static_files_are_typed_and_not_sniffed(hdr_app):
    client = hdr_app.test_client()
    for path, mimetype in (("/static/ozgmap.js", "text/javascript"),
                           ("/static/ozgmap.css", "text/css"),
                           ("/static/vendor/leaflet/leaflet.js", "text/javascript")):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.mimetype == mimetype, path
        check_headers(resp, ["*"])
