"""Slow clients against the production server (``ozgmap serve``): a few sockets that send their
request head a line at a time (slowloris), or ask for a big download and never read it, must
not hold up anybody else (issue 19, defect 1).

Bounded in time: every slow socket is closed at the end of its test, which takes a few seconds.
"""
from __future__ import annotations

import socket
import threading
import time
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlsplit

SLOW = 4  # slow sockets per test; the old sync workers (2) were stopped by two


def timed_get(url: str, timeout: float = 10) -> tuple[int, float]:
    """(status, seconds) of a plain GET that reads the whole answer."""
    start = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        resp.read()
        return resp.status, time.monotonic() - start


@contextmanager
def slow_sockets(live_server, head: bytes, trickle: bool):
    """*SLOW* sockets that each send *head*; with *trickle* one more header line every 0.5 s
    (never the blank line that ends the head), else nothing more and never read a byte."""
    u = urlsplit(live_server.url)
    socks, stop = [], threading.Event()
    for _ in range(SLOW):
        s = socket.create_connection((u.hostname, u.port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # read nothing, hold little
        s.sendall(head)
        socks.append(s)

    def drip():
        n = 0
        while not stop.wait(0.5):
            n += 1
            for s in socks:
                try:
                    s.sendall(b"X-Slow-%d: %d\r\n" % (n, n))
                except OSError:
                    pass
    thread = threading.Thread(target=drip, daemon=True)
    if trickle:
        thread.start()
    try:
        time.sleep(1.0)  # the server has accepted them and is waiting on them
        yield socks
    finally:
        stop.set()
        for s in socks:
            s.close()
        if trickle:
            thread.join()


def test_four_slowloris_sockets_do_not_stop_the_service(live_server):
    with slow_sockets(live_server, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", trickle=True):
        times = []
        for _ in range(4):
            status, took = timed_get(live_server.url + "/?slow=1", timeout=10)
            assert status == 200
            times.append(took)
    assert max(times) < 2.0, times


def test_four_sockets_that_never_read_a_download_do_not_stop_the_service(live_server):
    head = b"GET /daten/umsetzungen.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with slow_sockets(live_server, head, trickle=False):
        times = []
        for path in ("/?slow=2", "/api/themenfelder", "/?slow=3", "/tabelle?slow=4"):
            status, took = timed_get(live_server.url + path, timeout=10)
            assert status == 200
            times.append(took)
        # the same 12 MB download for a client that reads it (its first build takes a second)
        status, took = timed_get(live_server.url + "/daten/umsetzungen.csv", timeout=10)
        assert status == 200 and took < 8.0, took
    assert max(times) < 2.0, times
