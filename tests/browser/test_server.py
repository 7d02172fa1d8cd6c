"""The production server itself (``ozgmap serve``, gunicorn): what it says about itself, and
the hostile corpus sent byte for byte over a socket, as an attacker would.

No browser here, only the live server of the browser tests.
"""
from __future__ import annotations

import http.client
import importlib.util
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_hostile import REQUESTS, check_answer, fingerprint, headers_of

from ozgmap.store import Store

SENT_BODY_LIMIT = 64 * 1024  # larger bodies: only announced (Content-Length), see below


def send(live_server, r: dict, token: str = "") -> tuple[int, http.client.HTTPMessage, bytes]:
    """Send corpus entry *r* exactly as written; the answer's status, headers and body.

    An oversized body is announced but not sent: the server must refuse it from its
    Content-Length alone (it has no reason to read it), and the client cannot then lose the
    answer to a connection reset while it is still writing.
    """
    u = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.putrequest(r["method"], r["path"], skip_accept_encoding=True)
        body = r["body"].encode() if "body" in r else b""
        size = r.get("body_size", len(body))
        for k, v in headers_of(r, token).items():
            conn.putheader(k, v)
        if size or r["method"] in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(size))
        conn.endheaders(body if size <= SENT_BODY_LIMIT and body else None)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def test_server_does_not_tell_its_version(live_server):
    for path in ("/", "/api/themenfelder", "/gibt-es-nicht", "/?themenfeld=99",
                 "/static/ozgmap.js"):
        status, headers, body = live_server.get(path)
        assert status < 500
        server = headers.get("Server", "")
        assert not re.search(r"\d", server), server
        text = body.decode("utf-8", "replace").lower()
        assert not re.search(r"(gunicorn|werkzeug|python|flask)/\d", text), path
        assert "X-Powered-By" not in headers


def test_hostile_corpus_over_the_wire(live_server):
    store = Store(f"sqlite:///{live_server.db}")
    token = store.create_token("hostile", ["05570044"], by="test")[1]
    before = fingerprint(store)
    problems = []
    for r in REQUESTS:
        status, headers, body = send(live_server, r, token)
        try:
            check_answer(r, status, headers, body)
        except AssertionError as exc:
            problems.append(f"{r['method']} {r['path'][:70]}: {str(exc)[:300]}")
    assert not problems, "\n".join(problems)
    assert fingerprint(store) == before
    store.engine.dispose()
    assert live_server.get("/api/umsetzung")[0] == 200  # and it still serves


@pytest.mark.parametrize("line", [b"GET /" + b"a" * 5000 + b" HTTP/1.1",
                                  b"GET / HTTP/9.9", b"G\x00T / HTTP/1.1",
                                  b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"b" * 9000])
def test_broken_http_gets_a_4xx_from_the_server(live_server, line):
    """Malformed at the HTTP level: gunicorn answers itself, with a 4xx, never a 5xx."""
    u = urlsplit(live_server.url)
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(line + (b"\r\n\r\n" if b"\r\n" in line else b"\r\nHost: a\r\n\r\n"))
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:200]
    head, body = answer.split(b"\r\n\r\n", 1)
    headers = {k.strip().lower(): v.strip() for k, v in (
        line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)}
    assert headers[b"x-content-type-options"] == b"nosniff", head
    assert b"default-src 'none'" in headers[b"content-security-policy"]
    assert headers[b"x-frame-options"] == b"DENY"
    assert b'<html lang="de">' in body and b"Fehlercode %d" % status in body


def test_a_chunked_body_over_the_limit_gets_413(live_server):
    """No Content-Length to refuse it by: the body is counted while it is read."""
    u = urlsplit(live_server.url)
    chunk = b" " * (1024 * 1024)
    store = Store(f"sqlite:///{live_server.db}")
    _tid, token = store.create_token("chunked", ["05570"], by="test")
    store.engine.dispose()
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(b"PUT /api/umsetzungen HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\n"
                  b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                  % token.encode())
        try:
            for _ in range(11):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before it has read everything
        answer = b""
        try:
            while data := s.recv(65536):
                answer += data
        except OSError:
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert "zu groß" in answer.decode("utf-8", "replace")


def test_load_script_reports_no_errors_on_a_small_burst(live_server):
    """scripts/load_test.py (the full burst is a separate command) works end to end."""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, str(root / "scripts" / "load_test.py"), "--url",
                          live_server.url, "--requests", "30", "--concurrency", "10",
                          "--slow", "4", "--slow-requests", "20"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "30 requests in" in out.stdout and "errors: 0" in out.stdout
    assert re.search(r"latency p50 \d+ ms, p95 \d+ ms, max \d+ ms", out.stdout)
    assert re.search(r"slow-client phase: 20 requests in [\d.]+ s, errors: 0, p95 \d+ ms",
                     out.stdout), out.stdout[-1500:]
    # it refuses any target but loopback (checked without sending anything anywhere)
    spec = importlib.util.spec_from_file_location("load_test", root / "scripts" / "load_test.py")
    load_test = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load_test)
    assert [load_test.is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "::1", "localhost")] \
        == [True] * 4
    assert not any(load_test.is_loopback(h) for h in ("192.0.2.1", "10.0.0.1", "example.org",
                                                      "0.0.0.0", "127.0.0.1.example.org"))
