"""Hostile and malformed requests (tests/hostile_requests.json): each gets exactly its 4xx with a
clear message (JSON for the API, a German page for people), never a 5xx or a traceback, the
security headers still on, and the store unchanged afterwards.

The same corpus goes through the real server (gunicorn) in tests/browser/test_server.py.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from ozgmap import services

CORPUS = json.loads((Path(__file__).parent / "hostile_requests.json").read_text("utf-8"))
REQUESTS = CORPUS["requests"]
ACTIVE = ("<script", "<svg", "<img", "onerror=", "onload=", "javascript:")


def request_id(r: dict) -> str:
    return f"{r['method']} {r['path'][:60]}"


def body_of(r: dict) -> bytes | None:
    if "body_size" in r:
        return b"x" * r["body_size"]
    return r["body"].encode() if "body" in r else None


def fingerprint(store) -> str:
    """Everything a request could change: current records, history, imports, data version."""
    state = [store.data_version(), str(store.changed_at()), store.records(), store.history(),
             store.imports()]
    return hashlib.sha256(json.dumps(state, default=str, sort_keys=True).encode()).hexdigest()


def check_answer(r: dict, status: int, headers, body: bytes) -> None:
    """The answer to corpus entry *r*: its status, a clear message, no traceback, headers."""
    text = body.decode("utf-8", "replace")
    assert status == r["status"], (status, text[:300])
    assert "Traceback" not in text and 'File "' not in text
    assert "nosniff" == headers.get("X-Content-Type-Options")
    assert "default-src 'self'" in headers.get("Content-Security-Policy", "")
    wants_json = r["path"].startswith("/api/") or \
        r.get("headers", {}).get("Accept") == "application/json"
    if wants_json:
        assert headers.get("Content-Type", "").startswith("application/json"), text[:200]
        err = json.loads(text)["error"]
        assert err["status"] == status
        assert isinstance(err["message"], str) and len(err["message"]) >= 10, err
    else:
        assert headers.get("Content-Type", "").startswith("text/html"), text[:200]
        assert '<html lang="de">' in text and f"Fehlercode {status}" in text
        h1 = re.search(r"<h1>(.*?)</h1>", text, re.S)
        assert h1 and len(h1.group(1).strip()) >= 10, text[:300]
        assert not [a for a in ACTIVE if a in text.lower()], "active content echoed back"
    if status == 405:
        allowed = {m.strip() for m in headers.get("Allow", "").split(",") if m.strip()}
        assert allowed and r["method"] not in allowed, headers.get("Allow")


def headers_of(r: dict, token: str) -> dict:
    """The entry's headers, with the write token where it says ``auth``."""
    return {**r.get("headers", {}), **({"Authorization": f"Bearer {token}"}
                                        if r.get("auth") else {})}


@pytest.fixture(scope="module")
def hostile_app(app_copy):
    """One app over a private copy of the initialised DB for the whole corpus."""
    return app_copy("hostile", TESTING=False)  # production error handling


@pytest.fixture(scope="module")
def token(hostile_app) -> str:
    return services(hostile_app).store.create_token("hostile", ["05570044"], by="test")[1]


def test_corpus_is_big_and_varied():
    assert len(REQUESTS) >= 60
    kinds = {r["kind"] for r in REQUESTS}
    assert {"bad value", "repeated parameter", "huge value", "unicode", "path traversal",
            "SQL injection", "script injection", "wrong method", "bad content type",
            "oversized body", "deep JSON", "lone surrogate", "control character",
            "non-string value", "reserved name"} <= kinds
    assert all(400 <= r["status"] < 500 for r in REQUESTS)


@pytest.mark.parametrize("r", REQUESTS, ids=request_id)
def test_hostile_request_gets_its_4xx_with_a_message(hostile_app, token, r):
    resp = hostile_app.test_client().open(r["path"], method=r["method"],
                                          headers=headers_of(r, token), data=body_of(r))
    check_answer(r, resp.status_code, resp.headers, resp.get_data())


def test_store_is_unchanged_after_the_whole_corpus(hostile_app, token):
    store = services(hostile_app).store
    before = fingerprint(store)
    client = hostile_app.test_client()
    statuses = [client.open(r["path"], method=r["method"], headers=headers_of(r, token),
                            data=body_of(r)).status_code for r in REQUESTS]
    assert max(statuses) < 500
    assert fingerprint(store) == before
    # and the app still answers normally
    assert client.get("/api/umsetzung").status_code == 200


@pytest.mark.parametrize("path", CORPUS["reflected"])
def test_text_that_comes_back_comes_back_escaped(hostile_app, path):
    resp = hostile_app.test_client().get(path)
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    payload = re.search(r"=([^&]*)$", path).group(1)
    raw = unquote(payload)
    assert raw not in text
    assert not [a for a in ("<script>alert", "<svg onload", "<img src=x") if a in text]
