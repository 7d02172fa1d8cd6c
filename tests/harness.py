"""What the browser tests and the benchmark (``scripts/bench.py``) share: free loopback
ports, a server process started, probed and stopped (only it, by its pid), and Debian's
headless Chromium with the same switches."""
from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


class ServerFailed(RuntimeError):
    """A server process ended or did not answer in time (the message names its log)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server command run with *env* in *cwd*, its output in *log*: started by
    :meth:`start`, ready once *ready()* is true, stopped by :meth:`stop` (SIGTERM, then
    SIGKILL after *grace* seconds)."""

    def __init__(self, name: str, cmd: list[str], env: dict, log: Path,
                 cwd: Path | str | None = None):
        self.name, self.cmd, self.env, self.log, self.cwd = name, cmd, env, log, cwd
        self.proc: subprocess.Popen | None = None

    def start(self, ready: Callable[[], bool], timeout: float = 60) -> "ServerProcess":
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerFailed(f"{self.name} ended with {self.proc.returncode}; log: "
                                   f"{self.log}\n{self.tail()}")
            try:
                if ready():
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ServerFailed(f"{self.name} did not answer within {timeout:.0f} s; log: "
                                   f"{self.log}\n{self.tail()}")
            time.sleep(0.1)

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self, grace: float = 15) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_chromium(playwright):
    """Debian's Chromium through Playwright (no browser download of Playwright's own)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
