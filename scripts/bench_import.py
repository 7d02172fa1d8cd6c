#!/usr/bin/env python3
"""Benchmark of a large import (issue 20): an Open-PVOG export of N rows
(scripts/gen_pvog_export.py, default 3.5 million) imported with ``ozgmap import`` into a fresh
copy of the benchmark database, while a served instance (``ozgmap serve``, one worker) on the
same database is read without pause.

    python scripts/bench_import.py                       # Germany, 3.5 million rows
    python scripts/bench_import.py --gebiet nrw -n 20000 # NRW, seconds (what --quick runs)

Reported: the import's time and rows per second, its peak memory (the peak resident set of
the import process, VmHWM, as it reports it at its exit), the reads' p95 and slowest answer
while it ran (``/api/umsetzung`` and ``/``, one after the other), and how long after the
commit the server showed the new data. Targets: under 10 minutes, under 1.5 GB, p95 under
50 ms. The database comes from ``scripts/bench.py`` (``.cache/bench/{nrw,de}.sqlite``:
``ozgmap init`` with Beispieldaten); the generated export is kept in .cache/bench for later
runs.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the package, and the harness it shares

import gen_pvog_export  # noqa: E402 - beside this script
from harness import ServerFailed, ServerProcess, free_port  # noqa: E402

from ozgmap.importer import DASHBOARD_SOURCE  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
CLI = [sys.executable, "-c", "from ozgmap.cli import main; main()"]
#: the CLI, printing its peak resident set last (VmHWM: after exec, its own pages only; a
#: forked child's ru_maxrss would count the pages it shared with this process before exec)
CLI_PEAK = [sys.executable, "-c", "import atexit; from pathlib import Path; atexit.register("
            "lambda: print(next(ln for ln in Path('/proc/self/status').read_text()"
            ".splitlines() if ln.startswith('VmHWM:')))); from ozgmap.cli import main; main()"]
READS = ("/api/umsetzung", "/")
LIMITS = {"seconds": 600, "peak_mb": 1536, "p95_ms": 50}
BASELINE_S = 10  # seconds of reads before the import starts


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def app_env(area: str, db: Path, instance: Path) -> dict[str, str]:
    """The environment of ozgmap on the benchmark database *db* (bench.py uses it too)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OZGMAP_")}
    env.update(OZGMAP_DATABASE_URL=f"sqlite:///{db}", OZGMAP_BOUNDARIES=area,
               OZGMAP_INSTANCE_DIR=str(instance), OZGMAP_CACHE_DIR=str(CACHE / "katalog"))
    if os.environ.get("OZGMAP_DATA_DIR"):
        env["OZGMAP_DATA_DIR"] = os.environ["OZGMAP_DATA_DIR"]
    return env


def export_file(db: Path, area: str, rows: int) -> Path:
    """The generated export for *area* with *rows* rows (kept in .cache/bench)."""
    path = CACHE / f"pvog-{area}-{rows}.csv.gz"
    if not path.exists():
        say(f"Erzeuge {rows:,} Zeilen im Open-PVOG-Layout ({area}) …")
        part = path.with_name(f"part-{path.name}")  # still .csv.gz: compressed
        gen_pvog_export.main(["--db", f"sqlite:///{db}", "-n", str(rows), "-o", str(part)])
        part.replace(path)
    return path


def _get(port: int, path: str) -> tuple[int, float, bytes]:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    return resp.status, time.perf_counter() - t0, body


def p95(values: list[float]) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def measure(area: str, db_source: Path, rows: int, tmp: Path) -> dict:
    """Import *rows* generated rows into a copy of *db_source* while a server reads it."""
    export = export_file(db_source, area, rows)
    work = tmp / f"import-{area}"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "ozgmap.sqlite"
    say(f"Kopiere {db_source.name} für den Import …")
    shutil.copy(db_source, db)
    env = app_env(area, db, work)
    port = free_port()
    server = ServerProcess("ozgmap serve", [*CLI, "serve", "--port", str(port), "--workers",
                                            "1"], env, work / "serve.log", ROOT)
    source = DASHBOARD_SOURCE.format(name=export.name)
    try:
        server.start(lambda: _get(port, "/api/umsetzung")[0] == 200, timeout=300)
    except ServerFailed as exc:
        raise SystemExit(f"Fehler: Server {exc}")
    try:
        for path in READS * 3:  # warm
            _get(port, path)
        base: list[float] = []  # the same reads without an import, for comparison
        t_base = time.perf_counter()
        while time.perf_counter() - t_base < BASELINE_S:
            for path in READS:
                base.append(_get(port, path)[1])
            time.sleep(0.05)
        say(f"Importiere {export.name} ({rows:,} Zeilen) und lese dabei …")
        lines: list[tuple[float, str]] = []
        t0 = time.perf_counter()
        proc = subprocess.Popen([*CLI_PEAK, "import", str(export), "--by", "bench"],
                                env={**env, "PYTHONUNBUFFERED": "1"},
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)

        def follow() -> None:
            for line in proc.stdout:
                lines.append((time.perf_counter() - t0, line.rstrip()))
                say("  import: " + line.rstrip()[:150])
        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        reads: list[tuple[float, str, int, float]] = []
        rusage, seen = None, None

        def read(path: str) -> None:
            nonlocal seen
            status, took, body = _get(port, path)
            now = time.perf_counter() - t0
            reads.append((now, path, status, took))
            if seen is None and path == READS[0] and source.encode() in _gunzip(body):
                seen = now  # the server shows the new data: its snapshot reloaded
        while rusage is None:
            for path in READS:
                read(path)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                rusage, code = usage, os.waitstatus_to_exitcode(status)
            else:
                time.sleep(0.05)
        seconds = time.perf_counter() - t0
        reader.join(timeout=10)
        if code != 0:
            raise SystemExit("Fehler: der Import endete mit Code "
                             f"{code}:\n" + "\n".join(t for _s, t in lines[-20:]))
        writing = next((s for s, t in lines if "in einer Transaktion" in t), seconds)
        committed = next((s for s, t in lines if t.startswith("Fertig nach")), seconds)
        deadline = time.perf_counter() + 600
        while seen is None and time.perf_counter() < deadline:
            read(READS[0])
            time.sleep(0.1)
    finally:
        server.stop(grace=30)
    # until the commit the service reads the previous state; after it, it reloads (snapshot)
    during = [r for r in reads if r[0] <= committed]
    after = [r for r in reads if r[0] > committed]
    bad = [r for r in reads if r[2] != 200]
    return {
        "area": area, "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds,
        "peak_mb": next((int(t.split()[1]) / 1024 for _s, t in reversed(lines)
                         if t.startswith("VmHWM:")), rusage.ru_maxrss / 1024),
        "write_s": committed - writing,
        "cpu_s": rusage.ru_utime + rusage.ru_stime, "load": os.getloadavg()[0],
        "reads": len(during), "errors": len(bad), "p95_idle_ms": _ms(p95(base)),
        "p95_ms": _ms(p95([r[3] for r in during])),
        "max_ms": _ms(max((r[3] for r in during), default=None)),
        "p95_write_ms": _ms(p95([r[3] for r in during if r[0] >= writing])),
        "writes_reads": len([r for r in during if r[0] >= writing]),
        "max_after_ms": _ms(max((r[3] for r in after), default=None)),
        "visible_s": None if seen is None else seen - committed,
        "summary": next((t for _s, t in reversed(lines) if t.startswith("Importiert:")), ""),
    }


def _gunzip(body: bytes) -> bytes:
    try:
        return gzip.decompress(body)
    except OSError:  # not compressed
        return body


def _ms(v: float | None) -> float | None:
    return None if v is None else v * 1000


def targets(res: dict) -> list[tuple[bool, str]]:
    return [
        (res["seconds"] < LIMITS["seconds"],
         f"import under 10 minutes: {res['seconds']:.0f} s ({res['rows_per_s']:,.0f} rows/s; "
         f"{res['cpu_s']:.0f} s CPU, load average {res['load']:.1f} at the end)"),
        (res["peak_mb"] < LIMITS["peak_mb"],
         f"import peak memory under 1.5 GB: {res['peak_mb']:,.0f} MB"),
        (res["p95_ms"] is not None and res["p95_ms"] < LIMITS["p95_ms"] and not res["errors"],
         f"reads during the import (until its commit) p95 under 50 ms: {res['p95_ms']:.1f} ms "
         f"({res['reads']} reads, slowest {res['max_ms']:.0f} ms, {res['errors']} errors; "
         f"the same reads without an import: p95 {_fmt(res['p95_idle_ms'])} ms)"),
    ]


def report(res: dict) -> str:
    lines = [f"Import of {res['rows']:,} generated Open-PVOG rows ({res['area']}): "
             f"{res['summary']}",
             f"writing transaction {res['write_s']:.0f} s, {res['writes_reads']} reads during "
             f"it with p95 {_fmt(res['p95_write_ms'])} ms; new data served "
             f"{_fmt(res['visible_s'])} s after the commit (the service's snapshot reload; "
             f"slowest read from the commit on {_fmt(res['max_after_ms'])} ms)", ""]
    for passed, text in targets(res):
        lines.append(f"- {'met' if passed else '**missed**'}: {text}")
    return "\n".join(lines)


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gebiet", choices=["nrw", "de"], default="de")
    ap.add_argument("-n", "--zeilen", type=int, default=gen_pvog_export.DEFAULT_ROWS)
    ap.add_argument("--db", type=Path, help="Datenbank (Standard: .cache/bench/GEBIET.sqlite)")
    args = ap.parse_args(argv)
    db = args.db or CACHE / f"{args.gebiet}.sqlite"
    if not db.exists():
        raise SystemExit(f"Fehler: {db} fehlt – zuerst scripts/bench.py --gebiet "
                         f"{args.gebiet} (baut sie)")
    tmp = Path(tempfile.mkdtemp(prefix="ozgmap-bench-import-"))
    try:
        print(report(measure(args.gebiet, db, args.zeilen, tmp)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
