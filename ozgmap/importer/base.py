"""The pieces every import layout shares: issues and reports, the catalogue rows are checked
against, one row being checked and its field checks, and :class:`Layout`, the base class of the
layouts (``ozgmap``, ``dashboard``, ``wsp``): which columns, which are required, the key, how a
row becomes a record and what the steward is told about the file.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar, Iterable

from .. import safety
from ..store import REFERENCE_STAMP, Store

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
#: a CSV larger than this (or gzip-compressed) is read and written as a stream
#: (:mod:`.staged`): no size or row limit, memory bounded by the chunk size
STREAM_BYTES = 8 * 1024 * 1024
#: issues listed one by one when a file is refused; the rest are counted
MAX_ISSUES = 1000
MAX_URL = safety.MAX_LENGTH["url"]
FLAECHENDECKUNG = ["bundesweit flächendeckend", "landesweit flächendeckend",
                   "kreisweit flächendeckend", "in mind. einer Kommune verfügbar",
                   "nicht in Auswertung berücksichtigt"]

Progress = Callable[[str], None]


@dataclass
class ImportIssue:
    """One problem of an import file, located as precisely as known."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", Zeile {self.line}"
        if self.column:
            where += f", Spalte {self.column}"
        if self.value is None:
            return f"{where}: {self.message}"
        value = self.value if len(self.value) <= 80 else self.value[:77] + "…"
        return f"{where}: '{value}' – {self.message}"


class ImportFailed(Exception):
    """The file was refused; :attr:`issues` lists the problems found (a large file: the
    first :data:`MAX_ISSUES`), :attr:`total` counts them all."""

    def __init__(self, issues: list[ImportIssue], total: int | None = None):
        self.issues = issues
        self.total = len(issues) if total is None else total
        more = f" (und {self.total - 1} weitere)" if self.total > 1 else ""
        super().__init__(f"{issues[0]}{more}" if issues else "Import abgelehnt")


@dataclass
class ImportReport:
    """Result of :func:`import_file`; with ``dry_run`` the counts are what *would* happen."""

    layout: str
    rows: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    #: records kept whose LeiKa key the catalogue maps to no OZG-Leistung (ozg_id '')
    unknown_leika: int = 0
    #: German lines for the steward: rows kept without OZG-ID, skipped or merged (with examples)
    notes: list[str] = field(default_factory=list)


def german_int(n: int) -> str:
    """``12000`` -> ``'12.000'``."""
    return f"{n:,}".replace(",", ".")


def fail(file: str, message: str) -> ImportFailed:
    """A refusal of the whole file (not of one row)."""
    return ImportFailed([ImportIssue(file, None, None, None, message)])


@dataclass
class Catalogue:
    """What rows are checked against, read once from the store."""

    gebiete: set[str]
    ozg_ids: set[str]
    leika: dict[str, str]  # LeiKa key -> OZG-ID ('' where the catalogue links none)
    statuses: list[str]
    maturities: list[str]

    @classmethod
    def of(cls, store: Store) -> "Catalogue":
        """The store's catalogue, read again only when it or the bodies changed (every
        write through the API checks against it: reading it took 50 ms for NRW, more for
        Germany). Shared between callers: read only."""
        key = (store.url, store.get_meta(REFERENCE_STAMP))
        cat = _CATALOGUES.get(key)
        if cat is None:
            cat = cls(gebiete=frozenset(g["ags"] for g in store.gebiete()),
                      ozg_ids=frozenset(lst["ozg_id"] for lst in store.leistungen()),
                      leika={r["leika_key"]: r["ozg_id"] or "" for r in store.leika_rows()
                             if r["leika_key"]},
                      statuses=store.statuses(), maturities=store.maturities())
            if len(_CATALOGUES) >= 8:
                _CATALOGUES.clear()
            _CATALOGUES[key] = cat
        return cat


_CATALOGUES: dict[tuple, Catalogue] = {}


@dataclass
class Row:
    """One row being checked; :meth:`err` records an issue for one of its columns."""

    file: str
    line: int
    data: dict
    issues: list[ImportIssue] = field(default_factory=list)

    def get(self, col: str) -> str:
        return self.data.get(col, "")

    def err(self, col: str, message: str, value: str | None = "") -> None:
        """One issue for *col* (the first only: later checks of a bad value add nothing)."""
        if any(i.column == col for i in self.issues):
            return
        self.issues.append(ImportIssue(self.file, self.line, col,
                                       safety.shown(self.get(col) if value == "" else value),
                                       message))

    def check_text(self, columns: Iterable[str]) -> None:
        """The text checks every way in shares (:func:`safety.text_problem`), for *columns*."""
        for col in columns:
            value = self.data.get(col)
            if value:
                problem = safety.text_problem(value, safety.MAX_LENGTH.get(col, safety.MAX_TEXT))
                if problem:
                    self.err(col, f"{'URL' if col == 'url' else 'Wert'} {problem}")


def choice(value: str, allowed: list[str]) -> str | None:
    """The allowed value equal to *value* ignoring case, or None."""
    return next((a for a in allowed if a.casefold() == value.casefold()), None)


def check_url(row: Row, col: str) -> str:
    url = row.get(col)
    if url:
        problem = safety.url_problem(url)
        if problem:
            row.err(col, problem)
    return url


def check_date(row: Row, col: str) -> dt.date | None:
    value = row.get(col)
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            day = dt.datetime.strptime(value, fmt).date()
            break
        except ValueError:
            continue
    else:
        row.err(col, "Datum muss die Form JJJJ-MM-TT oder TT.MM.JJJJ haben")
        return None
    if day > dt.date.today():
        row.err(col, "Datum liegt in der Zukunft")
    return day


def check_leika(row: Row, cat: Catalogue, col: str = "leika_key") -> str | None:
    """The valid LeiKa key of the row, '' if empty, None if invalid (issue recorded)."""
    key = row.get(col)
    if not key:
        return ""
    if not re.fullmatch(r"[0-9]{14}", key):
        row.err(col, "LeiKa-Schlüssel muss 14 Ziffern haben")
        return None
    if key not in cat.leika:
        row.err(col, "LeiKa-Schlüssel unbekannt (nicht im OZG-Katalog)")
        return None
    return key


def check_flaeche(row: Row, col: str) -> str:
    value = row.get(col)
    if value and choice(value, FLAECHENDECKUNG) is None:
        row.err(col, "Flächendeckung muss leer oder eines von "
                     + ", ".join(f"„{f}“" for f in FLAECHENDECKUNG) + " sein")
    return choice(value, FLAECHENDECKUNG) or ""


def rows_text(n: int) -> str:
    return f"{german_int(n)} {'Zeile' if n == 1 else 'Zeilen'}"


def examples(items: list[str], n: int = 5, total: int | None = None) -> str:
    """The first *n* of *items* and how many more (of *total*, default all *items*)."""
    total = len(items) if total is None else total
    more = f" und {german_int(total - n)} weitere" if total > n else ""
    return "; ".join(items[:n]) + more


def unknown_leika_note(items: list[str], total: int | None = None) -> str:
    """The note about rows kept without OZG-ID (``items``: "Zeile 4: <key> „<name>“"; a
    large file keeps only the first few, *total* counts them all)."""
    total = len(items) if total is None else total
    return (f"{rows_text(total)} mit LeiKa-Schlüssel, den der OZG-Katalog keiner "
            "OZG-Leistung zuordnet: übernommen ohne OZG-ID (in Downloads enthalten, in Karte "
            f"und Zahlen nicht gezählt), z. B. {examples(items, total=total)}")


class Layout:
    """One import layout, recognised by its header (as pygeoapi's providers behind one base).

    A subclass declares its :attr:`columns`, :attr:`required` columns and :attr:`key_columns`
    (for messages about duplicates) and turns each row into a record (:meth:`record`); it may
    keep what the steward should hear about the file and give it as :meth:`notes`. One
    instance checks one file.
    """

    name: ClassVar[str] = ""
    columns: ClassVar[list[str]] = []
    required: ClassVar[list[str]] = []
    key_columns: ClassVar[str] = ""
    #: columns whose values are read (and so go through the shared text checks); default all
    text_columns: ClassVar[list[str]] = []
    #: rows equal to an earlier row with the same key are merged (else they are refused)
    merge_identical: ClassVar[bool] = False
    #: how the message about an unknown header names this layout
    hint: ClassVar[str] = ""
    #: recognised only by :meth:`recognises`, not by counting its columns in a header
    signature_only: ClassVar[bool] = False

    def __init__(self, cat: Catalogue, file: str, path: Path | None = None):
        self.cat, self.file, self.path = cat, file, path
        self.unknown_leika = 0

    @classmethod
    def recognises(cls, present: list[str]) -> bool:
        """The header (its non-empty names) is surely of this layout."""
        return False

    @classmethod
    def header_issues(cls, names: list[str], present: list[str], file: str
                      ) -> list[ImportIssue]:
        """Problems of the header line (line 1): by default, missing required columns."""
        missing = [c for c in cls.required if c not in present]
        return [ImportIssue(file, 1, None, None, "Pflichtspalten fehlen: " + ", ".join(missing))
                ] if missing else []

    def check_store(self, store: Store) -> None:
        """Refuse the file before any row is read if the store cannot take it."""

    def record(self, row: Row) -> dict | None:
        """The record of *row* (issues go to ``row.err``); None: the row is skipped."""
        raise NotImplementedError

    def skipped(self, row: Row) -> None:
        """*row* gave no record and no issue."""

    def kept(self, line: int, row: Row, rec: dict) -> None:
        """*rec* of *row* at *line* is going to be written."""

    def merged(self, line: int, first: int, rec: dict) -> None:
        """*rec* at *line* equals the record of line *first* (see :attr:`merge_identical`)."""

    def notes(self) -> list[str]:
        """German lines for the steward about the whole file."""
        return []


def check_row(layout: Layout, line: int, data: dict) -> tuple[Row, dict | None]:
    """One row of a file checked by *layout*: the row (with its issues) and its record
    (None if it has issues or the layout skips it)."""
    row = Row(layout.file, line, data)
    row.check_text(layout.text_columns or layout.columns)
    if None in data:
        row.issues.append(ImportIssue(layout.file, line, None, "; ".join(data[None]),
                                      "Zeile hat mehr Werte als die Kopfzeile Spalten"))
    rec = layout.record(row)
    if row.issues:
        return row, None
    if rec is None:
        layout.skipped(row)
    return row, rec


def duplicate_issue(layout: Layout, line: int, key: tuple, first: int) -> ImportIssue:
    """The issue of a row whose key an earlier row (line *first*) of the file has."""
    return ImportIssue(layout.file, line, layout.key_columns, " / ".join(key),
                       f"doppelter Eintrag: gleicher Schlüssel wie Zeile {first}")
