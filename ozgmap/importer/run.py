"""Checking and writing: every row of a file validated against the store's catalogue and
Gebiete, then all records written in one transaction, or nothing."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .. import safety
from ..catalog import sha256_of
from ..store import DATA_FIELDS, KEY_FIELDS, Store, normalised
from .base import (Catalogue, ImportFailed, ImportIssue, ImportReport, Progress, Row,
                   check_row, duplicate_issue, fail, german_int)
from .ozgmap import OZGMAP_COLUMNS, OzgmapLayout
from .reading import LAYOUTS, is_large, read_table
from .staged import import_streamed


@dataclass
class _Checked:
    """What validation found: the records to write and notes for the steward."""

    layout: str
    records: list[dict]
    unknown_leika: int = 0
    notes: list[str] = field(default_factory=list)


def validate(store: Store, path: Path, *, progress: Progress | None = None
             ) -> tuple[str, list[dict]]:
    """Check the whole file against the store's catalogue and Gebiete.

    Returns ``(layout, records)`` ready for :meth:`Store.apply`, or raises
    :class:`ImportFailed` with every issue of the file.
    """
    checked = _check(store, Path(path), progress)
    return checked.layout, checked.records


def _check(store: Store, path: Path, progress: Progress | None,
           source: str | None = None) -> _Checked:
    """Read and check *path*; *source* sets the ``quelle`` of dashboard records."""
    name, _header, rows = read_table(path)
    if not rows:
        raise fail(path.name, "Datei enthält keine Datenzeilen (nur die Kopfzeile)")
    if progress:
        progress(f"Prüfe {german_int(len(rows))} {'Zeile' if len(rows) == 1 else 'Zeilen'} "
                 f"(Format {name}) …")
    layout = LAYOUTS[name](Catalogue.of(store), path.name, path)
    if source and name == "dashboard":
        layout.source = source
    layout.check_store(store)
    issues: list[ImportIssue] = []
    records: list[dict] = []
    first: dict[tuple, tuple[int, dict]] = {}
    for n, (line, data) in enumerate(rows, start=1):
        row, rec = check_row(layout, line, data)
        if rec is not None:
            key = tuple(rec[k] for k in KEY_FIELDS)
            if key in first and layout.merge_identical and first[key][1] == rec:
                layout.merged(line, first[key][0], rec)
            elif key in first:
                row.issues.append(duplicate_issue(layout, line, key, first[key][0]))
            else:
                first[key] = (line, rec)
                records.append(rec)
                layout.kept(line, row, rec)
        issues += row.issues
        if progress and n % 50_000 == 0:
            progress(f"  {german_int(n)} von {german_int(len(rows))} Zeilen geprüft")
    if issues:
        raise ImportFailed(issues)
    return _Checked(name, records, unknown_leika=layout.unknown_leika, notes=layout.notes())


def validate_rows(store: Store, items: list[dict], *, source: str) -> list[dict]:
    """Check records given as dicts in ozgmap's own layout (the write API), like file rows.

    Issues name the item's position (1-based) as line. Raises :class:`ImportFailed`.
    """
    layout = OzgmapLayout(Catalogue.of(store), source)
    issues: list[ImportIssue] = []
    records: list[dict] = []
    seen: dict[tuple, int] = {}
    for n, item in enumerate(items, start=1):
        data, wrong = {}, []
        for c in OZGMAP_COLUMNS:
            value = item.get(c)
            if value is None:
                value = ""
            elif c == "reifegrad" and type(value) is int:
                value = str(value)
            elif not isinstance(value, str):
                wrong.append(c)
                value = ""
            data[c] = value.strip()
        row = Row(source, n, data)
        for c in wrong:
            row.err(c, "Wert muss Text sein" + (" oder eine ganze Zahl" if c == "reifegrad"
                                                 else ""), safety.shown(item[c]))
        row.check_text(OZGMAP_COLUMNS)
        unknown = sorted(set(item) - set(OZGMAP_COLUMNS))
        if unknown:
            row.issues.append(ImportIssue(source, n, ", ".join(unknown)[:200], None,
                                          "unbekannte Felder"))
        rec = layout.record(row)
        if not row.issues:
            key = tuple(rec[k] for k in KEY_FIELDS)
            if key in seen:
                row.issues.append(ImportIssue(source, n, layout.key_columns,
                                              " / ".join(key),
                                              f"doppelter Eintrag: wie Eintrag {seen[key]}"))
            seen[key] = n
            records.append(rec)
        issues += row.issues
    if issues:
        raise ImportFailed(issues)
    return records


def _would_write(store: Store, records: list[dict]) -> tuple[int, int, int]:
    """(added, updated, unchanged) as :meth:`Store.apply` would count them."""
    current = {tuple(r[k] for k in KEY_FIELDS): r for r in store.records()}
    added = updated = 0
    for rec in records:
        old, new = current.get(tuple(rec[k] for k in KEY_FIELDS)), normalised(rec)
        if old is None:
            added += 1
        elif any(old[k] != new[k] for k in DATA_FIELDS):
            updated += 1
    return added, updated, len(records) - added - updated


def import_file(store: Store, path: Path, *, by: str, dry_run: bool = False,
                progress: Progress | None = None) -> ImportReport:
    """Validate *path* and write its records in one transaction (all or nothing).

    With *dry_run* nothing is written; the counts are computed against the current records
    exactly as :meth:`Store.apply` would count them.
    """
    path = Path(path)
    if _exists(path) and is_large(path):
        return import_streamed(store, [path], by=by, datei=path.name, sha256=sha256_of(path),
                               dry_run=dry_run, progress=progress)
    return _write(store, [_check(store, path, progress)], by=by, dry_run=dry_run,
                  progress=progress, datei=path.name, sha256=sha256_of(path))


def _exists(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def import_files(store: Store, paths: list[Path], *, by: str, datei: str, source: str,
                 dry_run: bool = False, progress: Progress | None = None,
                 meta_values: dict[str, str] | None = None) -> ImportReport:
    """Validate several dashboard files (the regions of one fetch) and write them as **one**
    import, all or nothing; every problem of every file is reported.

    *source* is the ``quelle`` of their records. A record in two files (a Land's records
    fetched with two of its Kreise) is taken once if equal, refused if it differs.
    """
    if any(_exists(Path(p)) and is_large(Path(p)) for p in paths):
        return import_streamed(store, [Path(p) for p in paths], by=by, datei=datei,
                               sha256=sha256_of_many(paths), dry_run=dry_run,
                               progress=progress, source=source, dashboard_only=True,
                               meta_values=meta_values)
    checked, issues = [], []
    for path in paths:
        try:
            checked.append(_check(store, Path(path), progress, source=source))
        except ImportFailed as exc:
            issues += exc.issues
    others = sorted({c.layout for c in checked} - {"dashboard"})
    if others:
        issues.append(ImportIssue(datei, None, None, None,
                                  "keine Dashboard-Daten (Format " + ", ".join(others) + ")"))
    if issues:
        raise ImportFailed(issues)
    return _write(store, checked, by=by, dry_run=dry_run, progress=progress, datei=datei,
                  sha256=sha256_of_many(paths), meta_values=meta_values)


def sha256_of_many(paths: list[Path]) -> str:
    """One digest of several files (their digests in order)."""
    return hashlib.sha256("".join(sha256_of(Path(p)) for p in paths).encode()).hexdigest()


def _write(store: Store, checked: list[_Checked], *, by: str, dry_run: bool,
           progress: Progress | None, datei: str, sha256: str,
           meta_values: dict[str, str] | None = None) -> ImportReport:
    """Merge checked files (equal records once, different ones refused) and write them."""
    records: dict[tuple, dict] = {}
    issues: list[ImportIssue] = []
    notes: list[str] = []
    for c in checked:
        notes += c.notes
        for rec in c.records:
            key = tuple(rec[k] for k in KEY_FIELDS)
            if key in records and normalised(records[key]) != normalised(rec):
                issues.append(ImportIssue(datei, None, "ags, ozg_id, leika_key", " / ".join(key),
                                          "zwei Dateien geben denselben Eintrag verschieden an"))
            records.setdefault(key, rec)
    if issues:
        raise ImportFailed(issues)
    merged = list(records.values())
    report = ImportReport(layout=checked[0].layout, rows=len(merged), dry_run=dry_run,
                          unknown_leika=sum(c.unknown_leika for c in checked), notes=notes)
    if dry_run:
        report.added, report.updated, report.unchanged = _would_write(store, merged)
        return report
    if progress:
        progress(f"Schreibe {german_int(len(merged))} "
                 f"{'Datensatz' if len(merged) == 1 else 'Datensätze'} …")
    res = store.apply(merged, by=by, datei=datei, format=checked[0].layout, sha256=sha256,
                      meta_values=meta_values)
    report.added, report.updated, report.unchanged = res.added, res.updated, res.unchanged
    return report
