"""Importing large files (millions of rows) with bounded memory: rows read as a stream
(:func:`.reading.stream_csv`) and checked in chunks by the same layouts and checks as every
import, each chunk appended to a staging table (:mod:`ozgmap.staging`); repeated keys found
there in SQL; then one transaction compares with the current records and writes, all or
nothing. The results, messages and history are those of the in-memory path
(:mod:`.run`), which keeps small files and XLSX.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..staging import FIELDS, Staging
from ..store import Store, normalised
from . import base
from .base import (Catalogue, ImportFailed, ImportIssue, ImportReport, Layout, Progress,
                   check_row, duplicate_issue, german_int)
from .reading import LAYOUTS, stream_csv

#: rows checked and staged at once (memory: a few dicts per row of one chunk)
CHUNK = 20_000
#: a progress line every so many rows
EVERY = 250_000


class _Issues:
    """The issues of an import: the first :data:`~.base.MAX_ISSUES` kept, all counted."""

    def __init__(self) -> None:
        self.items: list[ImportIssue] = []
        self.total = 0

    def add(self, issues: list[ImportIssue]) -> None:
        self.total += len(issues)
        room = base.MAX_ISSUES - len(self.items)
        if room > 0:
            self.items += issues[:room]

    def failed(self) -> ImportFailed:
        return ImportFailed(self.items, self.total)


def import_streamed(store: Store, paths: list[Path], *, by: str, datei: str, sha256: str,
                    dry_run: bool = False, progress: Progress | None = None,
                    source: str | None = None, dashboard_only: bool = False,
                    meta_values: dict[str, str] | None = None) -> ImportReport:
    """Check *paths* row by row and write their records as one import (see module doc).

    *source* sets the ``quelle`` of dashboard records; with *dashboard_only* (a fetch from
    the data API) any other layout is refused. A record in two files is taken once if
    equal, refused if different (as :func:`.run.import_files`). Raises
    :class:`ImportFailed` with every issue (the first :data:`~.base.MAX_ISSUES` listed);
    nothing is written then.
    """
    say = progress or (lambda _msg: None)
    cat = Catalogue.of(store)
    issues = _Issues()
    layouts: dict[int, Layout] = {}
    t0 = time.perf_counter()
    with Staging(store) as staged:
        for file_no, path in enumerate(paths):
            try:
                layouts[file_no] = _stage(staged, cat, store, Path(path), file_no, issues, say,
                                          source, dashboard_only, datei)
            except ImportFailed as exc:  # the file could not be read on: what it found too
                issues.add(exc.issues)
        if len(layouts) < len(paths):
            raise issues.failed()
        say(f"Prüfe doppelte Schlüssel in {german_int(staged.rows)} Datensätzen …")
        staged.loaded()
        _settle_duplicates(staged, layouts, issues, datei)
        if issues.total:
            raise issues.failed()
        report = ImportReport(layout=layouts[0].name, rows=staged.rows, dry_run=dry_run,
                              unknown_leika=sum(lay.unknown_leika for lay in layouts.values()),
                              notes=[n for lay in layouts.values() for n in lay.notes()])
        if dry_run:
            res = staged.counts()
        else:
            say(f"Vergleiche mit dem Bestand und schreibe {german_int(staged.rows)} "
                f"{'Datensatz' if staged.rows == 1 else 'Datensätze'} in einer Transaktion …")
            res = staged.write(by=by, datei=datei, format=layouts[0].name, sha256=sha256,
                               meta_values=meta_values)
    report.added, report.updated, report.unchanged = res.added, res.updated, res.unchanged
    took = time.perf_counter() - t0
    say(f"Fertig nach {took:.0f} s ({german_int(int(report.rows / max(took, 1e-3)))} "
        "Datensätze/s).")
    return report


def _stage(staged: Staging, cat: Catalogue, store: Store, path: Path, file_no: int,
           issues: _Issues, say: Progress, source: str | None, dashboard_only: bool,
           datei: str) -> Layout:
    """Read, check and stage one file; its layout (with its notes) is returned."""
    with stream_csv(path) as (name, _header, rows):
        if dashboard_only and name != "dashboard":
            raise ImportFailed([ImportIssue(datei, None, None, None,
                                            f"keine Dashboard-Daten (Format {name})")])
        layout = LAYOUTS[name](cat, path.name, path)
        if source and name == "dashboard":
            layout.source = source
        layout.check_store(store)
        say(f"Prüfe {path.name} Zeile für Zeile (Format {name}, große Datei) …")
        chunk: list[tuple] = []
        t0, n = time.perf_counter(), 0
        for n, (line, data) in enumerate(rows, start=1):
            row, rec = check_row(layout, line, data)
            if row.issues:
                issues.add(row.issues)
            elif rec is not None:
                layout.kept(line, row, rec)
                new = normalised(rec)
                chunk.append((file_no, line, *[new[k] for k in FIELDS]))
                if len(chunk) >= CHUNK:
                    staged.add(chunk)
                    chunk = []
            if n % EVERY == 0:
                say(f"  {german_int(n)} Zeilen gelesen und geprüft "
                    f"({german_int(int(n / (time.perf_counter() - t0)))} Zeilen/s)")
        staged.add(chunk)
        if not n:
            raise ImportFailed([ImportIssue(path.name, None, None, None, "Datei enthält keine "
                                            "Datenzeilen (nur die Kopfzeile)")])
        say(f"  {german_int(n)} Zeilen gelesen und geprüft in "
            f"{time.perf_counter() - t0:.0f} s")
    return layout


def _settle_duplicates(staged: Staging, layouts: dict[int, Layout], issues: _Issues,
                       datei: str) -> None:
    """Rows with the same key: in one file an issue (or, for layouts that merge identical
    rows, taken once); in two files taken once if equal, else an issue."""
    drop: list[int] = []
    for group in staged.duplicate_groups(base.MAX_ISSUES + 1):
        first = group[0]
        seen_files = {first["file_no"]: first}
        for r in group[1:]:
            layout = layouts[r["file_no"]]
            key = tuple(r[k] for k in ("ags", "ozg_id", "leika_key"))
            same = all(r[k] == first[k] for k in FIELDS)
            earlier = seen_files.get(r["file_no"])
            if earlier is not None:
                if layout.merge_identical and all(r[k] == earlier[k] for k in FIELDS):
                    layout.merged(r["line"], earlier["line"], r)
                    drop.append(r["seq"])
                else:
                    issues.add([duplicate_issue(layout, r["line"], key, earlier["line"])])
            elif same:
                drop.append(r["seq"])
            else:
                issues.add([ImportIssue(datei, None, "ags, ozg_id, leika_key", " / ".join(key),
                                        "zwei Dateien geben denselben Eintrag verschieden an")])
            seen_files.setdefault(r["file_no"], r)
    if drop and not issues.total:
        staged.remove(drop)
