"""ozgmap.server's socket guard without a server: a request head has a deadline however the
client trickles it, and an answer goes out in slices (issue 19, defect 1)."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from ozgmap import server


def test_a_trickled_head_ends_at_its_deadline():
    a, b = socket.socketpair()
    with a, b:
        guarded = server.GuardedSocket(a)
        guarded.start_head(0.6)
        start, got = time.monotonic(), b""
        with pytest.raises(server.HeadTimeout):
            while True:
                b.sendall(b"x")  # one byte every 0.1 s: each read succeeds, the head never ends
                got += guarded.recv(10)
                time.sleep(0.1)
        assert 0.5 < time.monotonic() - start < 1.5
        assert got and guarded.timed_out


def test_after_the_head_reads_wait_for_the_idle_limit_only():
    a, b = socket.socketpair()
    with a, b:
        guarded = server.GuardedSocket(a)
        guarded.start_head(0.2)
        guarded.end_head(idle=0.3)
        time.sleep(0.3)  # past the head's deadline: no longer counts
        b.sendall(b"body")
        assert guarded.recv(10) == b"body"
        with pytest.raises(TimeoutError):
            guarded.recv(10)


def test_an_answer_goes_out_in_slices_for_a_reader_that_reads():
    a, b = socket.socketpair()
    with a, b:
        guarded = server.GuardedSocket(a)
        guarded.end_head(idle=2)
        data = bytes(range(256)) * 4096  # 1 MB, far more than the socket buffers
        received = bytearray()

        def read():
            while len(received) < len(data):
                received.extend(b.recv(65536))
        reader = threading.Thread(target=read)
        reader.start()
        guarded.sendall(data)
        reader.join(5)
        assert bytes(received) == data


def test_gunicorns_own_errors_carry_the_security_headers():
    answer = server.error_answer(414, "URI Too Long").decode()
    head, body = answer.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 414 URI Too Long\r\n")
    for name in ("Content-Security-Policy", "X-Content-Type-Options: nosniff",
                 "X-Frame-Options: DENY", "Content-Type: text/html; charset=utf-8"):
        assert name in head
    assert f"Content-Length: {len(body.encode())}" in head
    assert '<html lang="de">' in body and "Fehlercode 414" in body


def test_serve_sizes_workers_from_the_cpus_and_uses_the_guarded_worker(monkeypatch):
    monkeypatch.setattr(server.os, "cpu_count", lambda: 6)
    args = server.gunicorn_args("127.0.0.1", 5000)
    assert args[args.index("--workers") + 1] == "6"
    assert args[args.index("--worker-class") + 1] == "ozgmap.server.Worker"
    assert int(args[args.index("--threads") + 1]) >= 4
    monkeypatch.setattr(server.os, "cpu_count", lambda: 1)
    assert server.gunicorn_args("h", 1)[4] == "2"
