"""The benchmark's scale rows (issue 20): ``ozgmap serve`` itself (gunicorn, the preloading
master, the guarded threaded workers), measured as an operator meets it.

* start: from the command to its first answer, once with the data version's columns still to
  build (a new database) and once with them on disk (a restart);
* a new worker: one is killed, the master forks another; the time of a request sent at once;
* memory: ``--workers 1`` and ``--workers 4`` after the same requests (every Themenfeld, the
  map page, one body) spread over the workers; the total PSS of master and workers (each
  shared page counted once across them), what each worker beyond the first adds
  ((PSS with 4 - PSS with 1) / 3), and the largest USS (pages only that worker holds).

Imported by bench.py; ``python scripts/bench_scale.py`` alone measures the current env's
database (``OZGMAP_*``).
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from harness import ServerFailed, ServerProcess, free_port  # noqa: E402

from ozgmap import server  # noqa: E402
from ozgmap.store import Store  # noqa: E402

MAP_FIGURES = "/api/umsetzung?felder=leistungen_im_filter,online,anteil,beispieldaten"


def _get(port: int, path: str, timeout: float = 120) -> int:
    return _request(port, "GET", path, timeout=timeout)


def _request(port: int, method: str, path: str, body: bytes | None = None,
             headers: dict | None = None, timeout: float = 120) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body,
                     headers={"Accept-Encoding": "gzip", **(headers or {})})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def smaps(pid: int) -> tuple[float, float]:
    """(PSS, USS) of one process in bytes, from /proc/<pid>/smaps_rollup."""
    vals = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
            vals[parts[0][:-1]] = int(parts[1]) * 1024
    return vals["Pss"], vals["Private_Clean"] + vals["Private_Dirty"]


def workers_of(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return sorted(out)


class Serve:
    """``ozgmap serve --workers N`` (the same gunicorn command line) on a free port."""

    def __init__(self, env: dict, workers: int, log: Path):
        self.port = free_port()
        cmd = [sys.executable, "-m"] + server.gunicorn_args("127.0.0.1", self.port, workers)
        self.proc = ServerProcess(f"ozgmap serve --workers {workers}", cmd, env, log, ROOT)
        self.workers = workers

    def __enter__(self) -> "Serve":
        t0 = time.perf_counter()
        try:
            self.proc.start(lambda: _get(self.port, MAP_FIGURES, timeout=300) == 200,
                            timeout=600)
        except ServerFailed as exc:
            raise SystemExit(f"Fehler: {exc}")
        self.start_s = time.perf_counter() - t0
        deadline = time.monotonic() + 60
        while len(workers_of(self.proc.proc.pid)) < self.workers and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        self.proc.stop(grace=30)

    def exercise(self, themenfelder: int = 14, rounds: int = 3) -> None:
        """The same requests for every run: each Themenfeld's figures, the map page and
        one body's detail, *rounds* times, 8 at a time (so every worker gets some)."""
        paths = [f"{MAP_FIGURES}&themenfeld={tf}" for tf in range(1, themenfelder + 1)]
        paths += ["/", "/api/themenfelder", MAP_FIGURES]
        with ThreadPoolExecutor(8) as pool:
            for _ in range(rounds):
                statuses = list(pool.map(lambda p: _get(self.port, p), paths * self.workers))
                if any(s != 200 for s in statuses):
                    raise SystemExit(f"Fehler: Antworten {sorted(set(statuses))}")

    def memory(self) -> dict:
        master = self.proc.proc.pid
        procs = [master] + workers_of(master)
        vals = {p: smaps(p) for p in procs}
        return {"pss_total": sum(v[0] for v in vals.values()),
                "uss_max_worker": max(vals[p][1] for p in procs[1:]),
                "uss_master": vals[master][1]}

    def new_worker_s(self) -> float:
        """Kill a worker; the time of a request sent right after (answered by the new one
        when it is the only worker)."""
        victim = workers_of(self.proc.proc.pid)[0]
        os.kill(victim, signal.SIGKILL)
        t0 = time.perf_counter()
        status = _get(self.port, f"{MAP_FIGURES}&themenfeld=1")
        took = time.perf_counter() - t0
        if status != 200:
            raise SystemExit(f"Fehler: der neue Worker antwortet {status}")
        return took


def writes_during_reads(port: int, db_url: str, writes: int = 500, seconds: float = 15
                        ) -> dict:
    """*writes* records written through the write API within *seconds* (each a new data
    version), while one client reads the map's figures, a Themenfeld after the other; the
    reads' times."""
    store = Store(db_url)
    gemeinde = next(g for g in store.gebiete() if g["ebene"] == "gemeinde")
    _id, token = store.create_token("bench", [gemeinde["ags"]], by="bench")
    store.engine.dispose()
    kommunal = sorted(r["ozg_id"] for r in Store(db_url).leistungen() if r["kommunal"])[:50]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    done = []
    times: list[float] = []

    def write() -> None:
        t0 = time.monotonic()
        for i in range(writes):
            status = ["umgesetzt", "in Bearbeitung"][(i // len(kommunal)) % 2]
            body = json.dumps({"ags": gemeinde["ags"], "ozg_id": kommunal[i % len(kommunal)],
                               "status": status}).encode()
            code = _request(port, "PUT", "/api/umsetzungen", body, headers)
            if code != 200:
                raise SystemExit(f"Fehler: Schreiben antwortet {code}")
            time.sleep(max(0.0, t0 + (i + 1) * seconds / writes - time.monotonic()))
        done.append(time.monotonic() - t0)
    writer = threading.Thread(target=write)
    writer.start()
    tf = 0
    while writer.is_alive():
        tf = tf % 14 + 1
        t0 = time.perf_counter()
        if _get(port, f"{MAP_FIGURES}&themenfeld={tf}") != 200:
            raise SystemExit("Fehler: Lesen während des Schreibens schlug fehl")
        times.append(time.perf_counter() - t0)
    writer.join()
    times.sort()
    return {"writes": writes, "write_s": done[0] if done else None, "reads": len(times),
            "p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))],
            "max": times[-1]}


def measure(env: dict, tmp: Path, say=print) -> dict:
    """Every scale figure for a copy of the database of *env* (and a fresh snapshot
    directory): the writes below change the copy only."""
    snap_dir = tmp / "scale-snapshot"
    subprocess.run(["rm", "-rf", str(snap_dir)], check=True)
    url = env["OZGMAP_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        copy = tmp / "scale.sqlite"
        shutil.copy(url.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
    env = {**env, "OZGMAP_SNAPSHOT_DIR": str(snap_dir), "OZGMAP_DATABASE_URL": url,
           "OZGMAP_WRITE_BURST": "1000", "OZGMAP_WRITE_RATE": "1000"}
    log = tmp / "scale-server.log"
    S: dict = {}
    say("Skalierung: ozgmap serve --workers 1 (Spalten neu gebaut), neuer Worker …")
    with Serve(env, 1, log) as one:
        S["start_built_s"] = one.start_s
        one.exercise()
        S["one"] = one.memory()
        S["new_worker_s"] = statistics.median(one.new_worker_s() for _ in range(3))
    say("Skalierung: ozgmap serve --workers 4 (Spalten vorhanden) …")
    with Serve(env, 4, log) as four:
        S["start_mapped_s"] = four.start_s
        four.exercise()
        S["four"] = four.memory()
        say("Skalierung: 500 Schreibvorgänge in 15 s, dabei lesen …")
        S["writes"] = writes_during_reads(four.port, url)
    S["per_worker"] = (S["four"]["pss_total"] - S["one"]["pss_total"]) / 3
    return S


def rows(S: dict) -> list[tuple[str, str]]:
    """(measure, value) rows of the scale table."""
    def mb(v: float) -> str:
        return f"{v / 1e6:.0f} MB"

    def secs(v: float) -> str:
        return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
    return [
        ("start to first answer, the data version's columns to build (new data)",
         secs(S["start_built_s"])),
        ("start to first answer, columns on disk (a restart)", secs(S["start_mapped_s"])),
        ("a new worker's first answer (one killed, the master forks another; median of 3)",
         secs(S["new_worker_s"])),
        ("memory, `--workers 1`: PSS of master and worker", mb(S["one"]["pss_total"])),
        ("memory, `--workers 4`: PSS of master and workers in total",
         mb(S["four"]["pss_total"])),
        ("what each worker beyond the first adds ((PSS 4 - PSS 1) / 3)", mb(S["per_worker"])),
        ("largest USS of one worker (pages it alone holds), `--workers 4`",
         mb(S["four"]["uss_max_worker"])),
        (f"reads of the map's figures during {S['writes']['writes']} writes through the write "
         f"API in {S['writes']['write_s']:.0f} s ({S['writes']['reads']} reads): "
         "median / p95 / slowest",
         f"{secs(S['writes']['p50'])} / {secs(S['writes']['p95'])} / "
         f"{secs(S['writes']['max'])}"),
    ]


def table(S: dict) -> str:
    return ("| `ozgmap serve` | value |\n| --- | ---: |\n"
            + "\n".join(f"| {a} | {b} |" for a, b in rows(S)))


if __name__ == "__main__":
    print(table(measure(dict(os.environ), Path(tempfile.mkdtemp()))))
