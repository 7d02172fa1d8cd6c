"""Large imports (issue 20): generated Open-PVOG exports (scripts/gen_pvog_export.py) through
`ozgmap import` on the streaming path (staging table, one transaction), on both databases:
counts, history, all-or-nothing with located errors, re-import unchanged, changed rows
updated with history, memory that does not grow with the file, reads answered meanwhile."""
from __future__ import annotations

import csv
import gzip
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from harness import ServerProcess, free_port

from ozgmap import importer
from ozgmap.importer import PVOG_SOURCE

BACKENDS = ("sqlite", "postgresql")  # every test using the `app` fixture runs on both
ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT / "scripts" / "gen_pvog_export.py"
CLI = [sys.executable, "-c", "from ozgmap.cli import main; main()"]


def generate(db_url: str, path: Path, n: int, seed: int = 20) -> Path:
    subprocess.run([sys.executable, str(GEN), "--db", db_url, "-n", str(n), "-o", str(path),
                    "--seed", str(seed)], check=True, capture_output=True)
    return path


def read_rows(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter=";"))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";", lineterminator="\n").writerows(rows)
    return path


def run(runner, *args):
    result = runner.invoke(args=["import", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def state(store) -> tuple:
    return store.records(), store.imports(), store.data_version(), len(store.history())


def dashboard_records(store, name: str) -> list[dict]:
    return store.records(quelle=importer.DASHBOARD_SOURCE.format(name=name))


@pytest.fixture
def export(db_url, tmp_path) -> Path:
    return generate(db_url, tmp_path / "pvog.csv.gz", 3000)


def test_generated_export_is_reproducible_and_in_the_dashboard_layout(db_url, tmp_path):
    a = generate(db_url, tmp_path / "a.csv.gz", 1500)
    b = generate(db_url, tmp_path / "b.csv.gz", 1500)
    rows = read_rows(a)
    assert rows == read_rows(b)
    assert rows[0] == importer.DASHBOARD_COLUMNS
    assert len(rows) == 1 + 1500
    keys = {(r[3], r[0]) for r in rows[1:]}
    assert len(keys) == 1500  # one row per region and LeiKa key
    assert {r[3][:2] for r in rows[1:]} >= {"05", "00"}
    assert read_rows(generate(db_url, tmp_path / "c.csv.gz", 1500, seed=21)) != rows


def test_import_of_a_generated_export(runner, store, export):
    before = store.data_version()
    history = len(store.history())
    result = run(runner, export)
    assert result.exit_code == 0, result.output
    assert "Zeile für Zeile (Format dashboard, große Datei)" in result.output
    assert "3.000 Zeilen gelesen und geprüft" in result.output
    assert "in einer Transaktion" in result.output
    run_row = store.imports()[-1]
    added, updated = run_row["added"], run_row["updated"]
    assert added + updated + run_row["unchanged"] == 3000
    assert f"Importiert: {importer.german_int(added)} neu, {updated} geändert" \
        in result.output
    assert added > 2900  # a few keys of the Land/Bund may be there already (WSP.NRW)
    recs = dashboard_records(store, export.name)
    assert len(recs) == 3000
    assert store.data_version() == before + 1
    new_hist = store.history()[history:]
    assert len(new_hist) == 3000
    assert {h["aktion"] for h in new_hist} == {"angelegt"} | ({"geändert"} if updated else set())
    assert all(h["import_id"] == run_row["id"] for h in new_hist)
    # the record is as the in-memory path writes it: status, Stand, Flächendeckung, OZG-ID
    rows = read_rows(export)
    r = next(r for r in rows[1:] if r[3].startswith("05570") and r[7] and r[10] == "ok"
             and r[11] == "ja")
    rec = next(x for x in recs if x["leika_key"] == r[0]
               and x["ags"] == importer.ars_to_ags(r[3]))
    assert (rec["status"], rec["ozg_id"], rec["url"], str(rec["stand"]),
            rec["flaechendeckung"]) == ("umgesetzt", r[7], r[9], "2026-11-28", r[12])


def test_reimport_changes_nothing(runner, store, export):
    assert run(runner, export).exit_code == 0
    before = state(store)
    result = run(runner, export)
    assert result.exit_code == 0, result.output
    assert "Importiert: 0 neu, 0 geändert, 3.000 unverändert." in result.output
    after = state(store)
    assert after[0] == before[0] and after[2:] == before[2:]  # records, version, history
    assert after[1][-1]["unchanged"] == 3000 and len(after[1]) == len(before[1]) + 1


def test_changed_rows_update_only_those_with_history(runner, store, export, tmp_path):
    assert run(runner, export).exit_code == 0
    rows = read_rows(export)
    hist = len(store.history())
    version = store.data_version()
    changed = [5, 1200, 2999]
    for i in changed:
        rows[i][9] = rows[i][9] + "?neu=1"  # url
    rows[77][14] = "2026-11-30 03:00:00"  # Stand only: set in place, no history
    path = write_rows(tmp_path / export.name, rows)
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert "Importiert: 0 neu, 3 geändert, 2.997 unverändert." in result.output
    new_hist = store.history()[hist:]
    assert sorted(h["url"] for h in new_hist) == sorted(rows[i][9] for i in changed)
    assert {h["aktion"] for h in new_hist} == {"geändert"}
    assert store.data_version() == version + 1
    by_key = {(r["ags"], r["leika_key"]): r for r in dashboard_records(store, export.name)}
    assert str(by_key[(importer.ars_to_ags(rows[77][3]), rows[77][0])]["stand"]) \
        == "2026-11-30"
    assert by_key[(importer.ars_to_ags(rows[5][3]), rows[5][0])]["url"].endswith("?neu=1")


def test_bad_rows_leave_the_store_unchanged_and_are_located(runner, store, export, tmp_path):
    before = state(store)
    rows = read_rows(export)
    rows[1500][3] = "05570X"              # line 1501: ARS
    rows[2100][10] = "vielleicht"         # line 2101: online_status
    rows.insert(2500, list(rows[10]))     # line 2501 repeats line 11
    path = write_rows(tmp_path / "fehler.csv.gz", rows)
    result = run(runner, path)
    assert result.exit_code == 1
    out = result.output
    assert "fehler.csv.gz, Zeile 1501, Spalte ars: '05570X' – ARS (Regionalschlüssel) muss " \
           "12 Ziffern haben" in out
    assert "fehler.csv.gz, Zeile 2101, Spalte online_status: 'vielleicht'" in out
    assert "fehler.csv.gz, Zeile 2501, Spalte ars, ozgid, leika_key" in out
    assert "doppelter Eintrag: gleicher Schlüssel wie Zeile 11" in out
    assert "Nichts importiert: 3 Fehler." in out
    assert state(store) == before


def test_many_errors_are_capped_but_counted(runner, store, export, tmp_path, monkeypatch):
    monkeypatch.setattr(importer.base, "MAX_ISSUES", 4)
    before = state(store)
    rows = read_rows(export)
    for i in range(100, 110):
        rows[i][10] = "kaputt"
    result = run(runner, write_rows(tmp_path / "viele.csv.gz", rows))
    assert result.exit_code == 1
    assert result.output.count("Spalte online_status") == 4
    assert "… und 6 weitere Fehler (nur die ersten 4 sind aufgeführt)." in result.output
    assert "Nichts importiert: 10 Fehler." in result.output
    assert state(store) == before


def test_dry_run_counts_and_writes_nothing(runner, store, export):
    before = state(store)
    result = run(runner, export, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Probelauf ohne Fehler, nichts geschrieben. Würde importieren:" in result.output
    assert state(store) == before


def test_plain_csv_over_the_threshold_and_broken_gzip(runner, store, export, tmp_path,
                                                      monkeypatch):
    plain = tmp_path / "gross.csv"
    with gzip.open(export, "rb") as src:
        plain.write_bytes(src.read())
    monkeypatch.setattr(importer.base, "STREAM_BYTES", 1000)
    result = run(runner, plain)
    assert result.exit_code == 0, result.output
    assert "große Datei" in result.output
    assert len(dashboard_records(store, "gross.csv")) == 3000
    before = state(store)
    broken = tmp_path / "kaputt.csv.gz"
    broken.write_bytes(export.read_bytes()[:4000])
    result = run(runner, broken)
    assert result.exit_code == 1
    assert "kaputt.csv.gz: gzip-Datei ist beschädigt" in result.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes(plain.read_bytes() + "x;Stra\xdfe\n".encode("cp1252"))
    result = run(runner, latin)
    assert result.exit_code == 1
    assert "latin.csv, Zeile 3002: Zeile ist kein UTF-8-Text" in result.output
    assert state(store) == before


def test_refresh_of_a_large_fetch_goes_the_streaming_way(store, export):
    before = store.data_version()
    report = importer.import_files(store, [export], by="t", datei="Open-PVOG 05",
                                   source=PVOG_SOURCE, meta_values={"dashboard_abruf": "{}"})
    assert report.rows == 3000
    assert len(store.records(quelle=PVOG_SOURCE)) == 3000
    assert store.get_meta("dashboard_abruf") == "{}"
    assert store.data_version() == before + 1


# --- memory and reads during an import (SQLite, subprocesses) -------------------------------

def _peak_kb(cmd: list[str], env: dict) -> tuple[int, str]:
    """Run *cmd* (it prints its VmHWM last); its exit code must be 0; returns its peak
    resident set (kB) and output. (``wait4``'s ru_maxrss would count the pytest process's
    pages that the child shares between fork and exec.)"""
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout
    peak = re.findall(r"^VmHWM:\s+(\d+) kB$", proc.stdout, re.M)
    assert peak, proc.stdout
    return int(peak[-1]), proc.stdout


IMPORT = """import atexit, sys
from pathlib import Path
from ozgmap.cli import main
import ozgmap.importer.base as base
atexit.register(lambda: print(next(line for line in Path("/proc/self/status").read_text()
                                   .splitlines() if line.startswith("VmHWM:"))))
if sys.argv.pop(1) == "memory":  # the in-memory path, limits lifted
    base.MAX_BYTES, base.MAX_ROWS, base.STREAM_BYTES = 1 << 40, 10**9, 1 << 40
sys.argv[0] = "ozgmap"
main()
"""


def test_memory_does_not_grow_with_the_file(template_db, tmp_path):
    """200,000 rows: the streaming import's peak stays below a bound the in-memory path
    (every row a dict, the file as text) exceeds."""
    url = f"sqlite:///{template_db}"
    path = generate(url, tmp_path / "gross.csv", 200_000)
    peaks = {}
    for way in ("stream", "memory"):
        db = tmp_path / f"{way}.sqlite"
        db.write_bytes(template_db.read_bytes())
        env = {**os.environ, "OZGMAP_DATABASE_URL": f"sqlite:///{db}",
               "OZGMAP_INSTANCE_DIR": str(tmp_path), "OZGMAP_CACHE_DIR": str(tmp_path / "c")}
        peaks[way], out = _peak_kb([sys.executable, "-c", IMPORT, way, "import", str(path)],
                                   env)
        assert "Importiert: " in out, out
        assert ("große Datei" in out) == (way == "stream")
    bound = 600 * 1024  # kB (measured: about 360 MB streamed, 970 MB in memory)
    assert peaks["stream"] < bound < peaks["memory"], peaks


def test_reads_are_answered_during_an_import(template_db, tmp_path):
    """A running server answers /api/umsetzung and / while a large import writes, and shows
    the new records after it committed."""
    db = tmp_path / "ozgmap.sqlite"
    db.write_bytes(template_db.read_bytes())
    path = generate(f"sqlite:///{db}", tmp_path / "pvog.csv.gz", 60_000)
    env = {**os.environ, "OZGMAP_DATABASE_URL": f"sqlite:///{db}",
           "OZGMAP_INSTANCE_DIR": str(tmp_path), "OZGMAP_CACHE_DIR": str(tmp_path / "c"),
           "OZGMAP_RELOAD_INTERVAL": "0.2"}
    port = free_port()
    server = ServerProcess("ozgmap serve", [*CLI, "serve", "--port", str(port),
                                            "--workers", "1"],
                           env, tmp_path / "serve.log", cwd=ROOT)

    def get(p: str) -> tuple[int, bytes]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{p}", timeout=30) as resp:
            return resp.status, resp.read()

    def telgte_count() -> int:  # the source is named in the figures' meta once loaded
        source = importer.DASHBOARD_SOURCE.format(name=path.name)
        return get("/api/umsetzung")[1].decode().count(source)

    with server.start(lambda: get("/api/umsetzung")[0] == 200):
        assert telgte_count() == 0
        answers: list[tuple[str, int, float]] = []
        imp = subprocess.Popen([*CLI, "import", str(path)],
                               env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        out: list[str] = []
        reader = threading.Thread(target=lambda: out.extend(imp.stdout))
        reader.start()
        while imp.poll() is None:
            for p in ("/api/umsetzung", "/"):
                t0 = time.perf_counter()
                status, _body = get(p)
                answers.append((p, status, time.perf_counter() - t0))
            time.sleep(0.05)
        reader.join()
        assert imp.returncode == 0, "".join(out)
        writing = [i for i, line in enumerate(out) if "in einer Transaktion" in line]
        assert writing, "".join(out)
        assert len(answers) >= 10 and {s for _p, s, _t in answers} == {200}
        assert {p for p, _s, _t in answers} == {"/api/umsetzung", "/"}
        deadline = time.monotonic() + 60
        while telgte_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert telgte_count() > 0
