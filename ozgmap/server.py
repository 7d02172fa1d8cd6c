"""How ``ozgmap serve`` runs gunicorn: threaded workers that no slow client can hold up.

gunicorn's sync worker serves one socket at a time: two clients sending a header line every
few seconds stopped the whole service for two minutes. Its threaded worker (gthread) alone is
not enough either (measured, issue 19): a thread reading a request head waits as long as the
client trickles bytes, a thread writing a download waits as long as the client does not read,
and a worker whose threads are all busy still accepts connections and lets them queue behind
the slow ones. :class:`Worker` adds what is missing:

* a deadline for the whole request head (:data:`HEAD_TIMEOUT`), not only for each read;
* an idle limit for reading the body and for writing the answer (:data:`IO_TIMEOUT` without
  progress), the answer written in slices so that a client reading slowly but steadily is
  served;
* a worker with every thread busy stops accepting, so the next connection goes to a worker
  with a free thread;
* gunicorn's own error answers (400, 414, 431 for requests too broken to reach the app)
  carry the same security headers as the app's, with a German page.

In production a reverse proxy (nginx, see README) buffers requests and answers in front of it.
"""
from __future__ import annotations

import os
import socket
import sys
import time

from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import TConn, ThreadWorker

WSGI_MODULE = "ozgmap.wsgi"
#: seconds a client has for its whole request line and headers
HEAD_TIMEOUT = 10.0
#: seconds a read of the body or a write of the answer may make no progress
IO_TIMEOUT = 30.0
#: bytes written per send: the idle limit applies to each slice, not to the whole answer
WRITE_SLICE = 64 * 1024
#: threads per worker process
THREADS = 8
#: headers of gunicorn's own error answers (no script, no style, no framing)
ERROR_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cache-Control": "no-store",
}
ERROR_MESSAGES = {
    400: "Ungültige Anfrage.",
    403: "Anfrage nicht erlaubt.",
    414: "Die angefragte Adresse ist zu lang.",
    417: "Die Erwartung der Anfrage kann nicht erfüllt werden.",
    431: "Die Kopfzeilen der Anfrage sind zu groß.",
    500: "Interner Fehler. Bitte später erneut versuchen.",
    501: "Diese Übertragungsart wird nicht unterstützt.",
}


def default_workers() -> int:
    """Worker processes for this machine: one per CPU, at least two (one may be loading)."""
    return max(2, os.cpu_count() or 1)


def gunicorn_args(host: str, port: int, workers: int | None = None,
                  threads: int | None = None) -> list[str]:
    """The gunicorn command line of ``ozgmap serve``."""
    return ["gunicorn", "--bind", f"{host}:{port}",
            "--workers", str(workers or default_workers()),
            "--worker-class", f"{__name__}.Worker", "--threads", str(threads or THREADS),
            # a worker's first request loads the data (seconds for Germany); with threads the
            # heartbeat comes from the main loop, so this no longer limits a slow client
            "--timeout", "120",
            "--keep-alive", "5",
            "--limit-request-line", "4094", "--limit-request-fields", "100",
            "--limit-request-field_size", "8190",
            "--no-control-socket",  # no socket in ~/.gunicorn shared by every instance
            # the master loads app and data once; workers share them (ozgmap.gunicorn_conf)
            "--preload", "--config", "python:ozgmap.gunicorn_conf",
            "--access-logfile", "-", f"{WSGI_MODULE}:app"]


class HeadTimeout(NoMoreData):
    """The client did not send its request head within :data:`HEAD_TIMEOUT`."""


class GuardedSocket:
    """A client socket whose reads of a request head end at a deadline and whose writes go
    out in slices; everything else is the socket's own."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self.deadline: float | None = None
        self.timed_out = False

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def start_head(self, seconds: float = HEAD_TIMEOUT) -> None:
        self.deadline = time.monotonic() + seconds

    def end_head(self, idle: float = IO_TIMEOUT) -> None:
        self.deadline = None
        self._sock.settimeout(idle)

    def recv(self, size: int, *args) -> bytes:
        if self.deadline is None:
            return self._sock.recv(size, *args)
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.timed_out = True
            raise HeadTimeout()
        current = self._sock.gettimeout()
        self._sock.settimeout(left if current is None or current > left else current)
        try:
            return self._sock.recv(size, *args)
        except TimeoutError:
            if self.deadline - time.monotonic() > 0:
                raise
            self.timed_out = True
            raise HeadTimeout() from None

    def sendall(self, data, *args) -> None:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), WRITE_SLICE):
            self._sock.sendall(view[start:start + WRITE_SLICE], *args)


class _Capture:
    """Stands in for a socket to catch the error answer gunicorn writes."""

    def __init__(self):
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data) -> None:
        self.data += bytes(data)


def error_answer(status: int, reason: str) -> bytes:
    """A complete HTTP answer for gunicorn's own errors: German page, security headers."""
    message = ERROR_MESSAGES.get(status, ERROR_MESSAGES[400 if status < 500 else 500])
    body = ('<!doctype html><html lang="de"><head><meta charset="utf-8">'
            f"<title>Fehler {status} – OZG-Landkarte</title></head><body>"
            f"<h1>{message}</h1><p>Fehlercode {status}.</p>"
            '<p><a href="/">Zur Karte</a></p></body></html>').encode()
    head = [f"HTTP/1.1 {status} {reason}", "Connection: close",
            "Content-Type: text/html; charset=utf-8", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in ERROR_HEADERS.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class Worker(ThreadWorker):
    """gunicorn's threaded worker with the limits described in the module docstring."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.busy = 0  # connections handed to the thread pool and not yet finished

    def load_wsgi(self):
        super().load_wsgi()
        ready = getattr(sys.modules.get(WSGI_MODULE), "ready", None)
        if ready is not None:
            ready()  # load the data before the first connection, not during it

    def accept(self, listener):
        if self.busy >= self.cfg.threads:
            self.set_accept_enabled(False)
            return
        try:
            client_sock, client_addr = listener.accept()
        except BlockingIOError:
            return
        except OSError as exc:
            if isinstance(exc, ConnectionAbortedError):
                return
            raise
        self.nr_conns += 1
        client_sock.setblocking(True)
        self.enqueue_req(TConn(self.cfg, GuardedSocket(client_sock), client_addr,
                               listener.getsockname()))

    def set_accept_enabled(self, enabled):
        if enabled and self.busy >= self.cfg.threads:
            enabled = False  # every thread busy: let a worker with a free one take it
        super().set_accept_enabled(enabled)

    def enqueue_req(self, conn):
        self.busy += 1
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self.busy -= 1
        super().finish_request(conn, fs)

    def handle(self, conn):
        sock = conn.sock
        if isinstance(sock, GuardedSocket):
            sock.start_head()
        result = super().handle(conn)
        if isinstance(sock, GuardedSocket) and sock.timed_out:
            sock.timed_out = False
            self.log.info("Closed a client that sent no complete request head in %.0f s: %s",
                          HEAD_TIMEOUT, conn.client)
        return result

    def handle_request(self, req, conn):
        if isinstance(conn.sock, GuardedSocket):
            conn.sock.end_head()
        try:
            return super().handle_request(req, conn)
        except TimeoutError:
            self.log.info("Closed a client that read or sent nothing for %.0f s: %s %s",
                          IO_TIMEOUT, req.method, req.path)
            raise StopIteration() from None

    def handle_error(self, req, client, addr, exc):
        capture = _Capture()
        super().handle_error(req, capture, addr, exc)
        status_line = capture.data.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if len(status_line) < 2 or not status_line[1].isdigit():
            return
        status = int(status_line[1])
        reason = status_line[2] if len(status_line) > 2 else ""
        try:
            client.setblocking(False)
            client.sendall(error_answer(status, reason))
        except OSError:
            pass
