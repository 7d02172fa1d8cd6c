"""HTTP manners on a bare Flask app (no store, no templates): errors as JSON for API paths,
ETag and 304, gzip above 1 KB, inline blocks allowed by their hash. The full set of security
headers on every real route is tests/test_headers.py."""
from __future__ import annotations

import base64
import gzip
import hashlib

import pytest
from flask import Flask, render_template_string

from ozgmap.web.http import csp_hash, register_http, versioned
from ozgmap.web.params import BadParameter

BIG = '{"x": "' + "ä" * 2000 + '"}'


@pytest.fixture(scope="module")
def client():
    app = Flask("bare", static_folder=None)
    register_http(app)

    @app.get("/api/big")
    def big():
        return app.response_class(BIG, mimetype="application/json")

    @app.get("/api/small")
    def small():
        return {"ok": True}

    @app.get("/api/bad")
    def bad():
        raise BadParameter("kreis", "Unbekannter Kreis '1'.")

    @app.get("/api/missing")
    def missing():
        raise LookupError("Kein Gebiet mit AGS 05570099.")

    @app.get("/api/broken")
    def broken():
        raise RuntimeError("secret detail")

    @app.get("/page")
    def page():
        return render_template_string("{{ inline_script('var a = 1;') }}")
    return app.test_client()


def test_csp_hash_is_the_base64_sha256_source():
    digest = base64.b64encode(hashlib.sha256("var a = 1;".encode()).digest()).decode()
    assert csp_hash("var a = 1;") == f"'sha256-{digest}'"


def test_an_inline_block_is_allowed_by_its_hash_in_that_response(client):
    resp = client.get("/page")
    assert resp.get_data(as_text=True) == "<script>var a = 1;</script>"
    assert f"script-src 'self' {csp_hash('var a = 1;')};" in resp.headers["Content-Security-Policy"]
    assert "sha256" not in client.get("/api/small").headers["Content-Security-Policy"]


def test_errors_are_json_with_status_message_and_parameter(client):
    assert client.get("/api/bad").get_json() == {"error": {
        "status": 400, "message": "Unbekannter Kreis '1'.", "parameter": "kreis"}}
    resp = client.get("/api/missing")
    assert resp.status_code == 404 and "05570099" in resp.get_json()["error"]["message"]
    resp = client.get("/api/broken")
    assert resp.status_code == 500 and "secret" not in resp.get_data(as_text=True)
    resp = client.post("/api/small")
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]


def test_etag_answers_304_when_it_matches(client):
    first = client.get("/api/small")
    etag = first.headers["ETag"]
    again = client.get("/api/small", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/api/small", headers={"If-None-Match": '"other"'}).status_code == 200


def test_gzip_only_above_one_kilobyte_and_only_when_asked(client):
    packed = client.get("/api/big", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()).decode() == BIG
    assert packed.headers["ETag"].endswith('-gz"') and "Accept-Encoding" in packed.headers["Vary"]
    plain = client.get("/api/big")
    assert "Content-Encoding" not in plain.headers and plain.get_data(as_text=True) == BIG
    # the compressed variant revalidates too
    assert client.get("/api/big", headers={"Accept-Encoding": "gzip",
                                           "If-None-Match": packed.headers["ETag"]}
                      ).status_code == 304
    small = client.get("/api/small", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_data_is_never_cached_by_guess(client):
    assert client.get("/api/small").headers["Cache-Control"] == "no-cache"


def test_versioned_leaves_other_urls_alone(client):
    with client.application.test_request_context("/"):
        assert versioned("/api/umsetzung?x=1") == "/api/umsetzung?x=1"
