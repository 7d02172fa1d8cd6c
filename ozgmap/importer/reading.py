"""Reading import files: CSV (UTF-8 with or without BOM, or Windows-1252; separated by ``,``,
``;`` or tab) and XLSX, and recognising the layout by the header (line 1; names are
case-insensitive). Line numbers are the file's lines (XLSX: rows); the header is line 1.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator

import openpyxl

from .. import safety
from . import base
from .base import ImportFailed, ImportIssue, fail, german_int
from .dashboard import DashboardLayout
from .ozgmap import OzgmapLayout
from .wsp import WspLayout

#: layout name -> class, in the order of recognition (and of the hints for an unknown header)
LAYOUTS: dict[str, type[base.Layout]] = {cls.name: cls for cls in
                                         (OzgmapLayout, DashboardLayout, WspLayout)}
KNOWN_COLUMNS = {c for cls in LAYOUTS.values() for c in cls.columns}


def _cell_text(v) -> str:
    """An XLSX cell as the text a CSV would hold (integral numbers without '.0', ISO dates)."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _row_dict(header: list[str], cells: list[str]) -> dict | None:
    """Cells keyed by header name; surplus non-empty cells go under ``None``; blank row -> None."""
    if not any(cells):
        return None
    row: dict = {name: "" for name in header if name}
    extra = []
    for i, value in enumerate(cells):
        name = header[i] if i < len(header) else ""
        if name:
            row[name] = value
        elif value:
            extra.append(value)
    if extra:
        row[None] = extra
    return row


def _decode(raw: bytes, name: str) -> str:
    """CSV bytes as text: UTF-8 (BOM optional) or Windows-1252; binary data is refused."""
    _refuse_binary(raw, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse_mixed(raw, name)
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise _unreadable(name) from None
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise _unreadable(name)
    return text


def _unreadable(name: str) -> ImportFailed:
    return fail(name, "Datei ist weder eine CSV-Textdatei (UTF-8 oder Windows-1252) noch "
                      "eine Excel-Datei (XLSX)")


def _refuse_binary(raw: bytes, name: str) -> None:
    """Refuse UTF-16 text, old Excel files and binary data (judged by *raw*, the file or its
    start)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(name, "UTF-16-Text wird nicht unterstützt – bitte als „CSV UTF-8“ oder "
                          "XLSX speichern")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise fail(name, "Altes Excel-Format (.xls) wird nicht unterstützt – bitte als XLSX "
                          "oder CSV speichern")
    if b"\x00" in raw:
        raise _unreadable(name)


def _refuse_mixed(raw: bytes, name: str) -> None:
    """Refuse a file that is not valid UTF-8 but has lines that are (non-ASCII UTF-8 beside
    Windows-1252 lines): decoding it either way would garble one kind without a word."""
    first: dict[str, int] = {}
    for lineno, line in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            first.setdefault("UTF-8", lineno)
        except UnicodeDecodeError:
            first.setdefault("Windows-1252", lineno)
        if len(first) == 2:
            raise fail(name, "Datei mischt Zeichenkodierungen: Zeile "
                             f"{first['UTF-8']} ist UTF-8, Zeile {first['Windows-1252']} "
                             "Windows-1252 – bitte einheitlich als „CSV UTF-8“ speichern")


def _csv_rows(reader, name: str):
    """The rows of a csv reader; a cell over the csv module's limit is an import error."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFailed([ImportIssue(
                name, reader.line_num, None, None,
                f"Zeile lässt sich nicht lesen: Zelle länger als "
                f"{german_int(csv.field_size_limit())} Zeichen" if "field limit" in str(exc)
                else f"Zeile lässt sich nicht lesen ({exc})")]) from None


def _known(names: Iterable[str]) -> int:
    return len(set(names) & KNOWN_COLUMNS)


def _delimiter(first: str) -> str:
    """The separator of a CSV whose header line is *first*: the one naming most known columns."""
    def names(delim: str) -> list[str]:
        return [c.strip().lower() for c in next(csv.reader([first], delimiter=delim), [])]
    return max([",", ";", "\t"], key=lambda d: (_known(names(d)), len(names(d))))


def _csv_dicts(lines: Iterable[str], name: str, max_rows: int | None
               ) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """Header and ``(line number, row dict)`` of CSV text given line by line."""
    lines = iter(lines)
    first = next(lines, "")
    reader = csv.reader(_chain(first, lines), delimiter=_delimiter(first.rstrip("\r\n")))
    header = [c.strip().lower() for c in next(reader, [])]

    def rows() -> Iterator[tuple[int, dict]]:
        n, start = 0, reader.line_num + 1
        for cells in _csv_rows(reader, name):
            if any("\n" in c or "\r" in c for c in cells):
                raise ImportFailed([ImportIssue(
                    name, start, None, None, "Feld mit Zeilenumbruch (ein Anführungszeichen \" "
                    "ohne Gegenstück?) – Felder dürfen keine Zeilenumbrüche enthalten")])
            row = _row_dict(header, [c.strip() for c in cells])
            if row is not None:
                yield start, row
                n += 1
                if max_rows is not None and n > max_rows:
                    raise fail(name, f"Datei hat mehr als {german_int(max_rows)} Datenzeilen "
                                     "– bitte in mehrere Dateien aufteilen")
            start = reader.line_num + 1
    return header, rows()


def _chain(first, rest: Iterator) -> Iterator:
    if first:
        yield first
    yield from rest


def _read_csv(raw: bytes, name: str) -> tuple[list[str], list[tuple[int, dict]]]:
    text = _decode(raw, name)
    header, rows = _csv_dicts(io.StringIO(text, newline=""), name, base.MAX_ROWS)
    return header, list(rows)


def is_large(path: Path) -> bool:
    """Read *path* as a stream (:func:`stream_csv`): gzip-compressed, or a CSV over
    :data:`~.base.STREAM_BYTES` (an XLSX file never: it is read whole, within the limits)."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic.startswith(GZIP_MAGIC):
        return True
    return magic != b"PK\x03\x04" and path.stat().st_size > base.STREAM_BYTES


GZIP_MAGIC = b"\x1f\x8b"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text_lines(fh: IO[bytes], name: str) -> Iterator[str]:
    """The lines of a UTF-8 CSV (BOM optional) as text; a line that is not UTF-8 or holds
    control characters is refused with its number (a large file is not guessed at as
    Windows-1252: that needs the whole file)."""
    for lineno, raw in enumerate(fh, start=1):
        try:
            line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ImportFailed([ImportIssue(
                name, lineno, None, None, "Zeile ist kein UTF-8-Text – große Dateien bitte als "
                "„CSV UTF-8“ speichern")]) from None
        if _CONTROL.search(line):
            raise ImportFailed([ImportIssue(
                name, lineno, None, None, "Zeile enthält Steuerzeichen – Datei ist keine "
                "CSV-Textdatei")])
        yield line


@contextmanager
def stream_csv(path: Path) -> Iterator[tuple[str, list[str], Iterator[tuple[int, dict]]]]:
    """A large CSV (optionally gzip-compressed) read row by row, without holding it:
    ``(layout, header, iterator of (line number, row dict))``, as :func:`read_table` but lazy
    and without :data:`~.base.MAX_ROWS`. Raises :class:`ImportFailed` as it goes."""
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            packed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            fh = gzip.GzipFile(fileobj=raw) if packed else raw
            try:
                if packed:
                    _refuse_binary(fh.peek(4096)[:4096], path.name)
                else:
                    _refuse_binary(raw.read(4096), path.name)
                    raw.seek(0)
                header, rows = _csv_dicts(_text_lines(fh, path.name), path.name, None)
                if not any(header):
                    first = next(rows, None)
                    if first is None:
                        raise fail(path.name, "Datei ist leer – Datei enthält keine Datenzeilen")
                    rows = _chain(first, rows)
                yield detect_layout(header, file=path.name), header, rows
            except (OSError, EOFError) as exc:
                if not packed:
                    raise
                raise fail(path.name, f"gzip-Datei ist beschädigt ({exc})") from None
    except OSError as exc:
        raise fail(path.name, f"Datei lässt sich nicht lesen: {exc.strerror or exc}") from None


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    try:
        safety.check_xlsx(path)  # before anything unpacks it (zip bomb)
    except safety.UnsafeArchive as exc:
        raise fail(path.name, str(exc)) from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip/XML errors of many kinds
        raise fail(path.name, f"Excel-Datei lässt sich nicht lesen ({type(exc).__name__})")
    try:
        return _xlsx_rows(path.name, wb)
    except ImportFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet: a message, not a traceback
        raise fail(path.name, f"Excel-Datei ist beschädigt ({type(exc).__name__})")
    finally:
        wb.close()


def _xlsx_rows(name: str, wb) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and rows of the first sheet whose header is a known layout (else the first)."""
    sheets = []
    for ws in wb.worksheets:
        ws.reset_dimensions()  # some writers store wrong dimensions; read every row
        first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        sheets.append((ws, [_cell_text(v).lower() for v in first]))
    if not sheets:
        raise fail(name, "Excel-Datei enthält kein Tabellenblatt")
    ws, header = next(((ws, h) for ws, h in sheets if _layout_or_none(h)), sheets[0])
    while header and not header[-1]:
        header.pop()
    rows: list[tuple[int, dict]] = []
    for lineno, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        row = _row_dict(header, [_cell_text(v) for v in values])
        if row is not None:
            rows.append((lineno, row))
            if len(rows) > base.MAX_ROWS:
                raise fail(name, f"Datei hat mehr als {german_int(base.MAX_ROWS)} Datenzeilen – "
                                  "bitte in mehrere Dateien aufteilen")
    return header, rows


def read_table(path: Path) -> tuple[str, list[str], list[tuple[int, dict]]]:
    """Read a CSV or XLSX file: ``(layout, header, [(line number, row dict), ...])``.

    Header names are lower-cased, values stripped; blank rows are skipped. Raises
    :class:`ImportFailed` for unreadable, empty, oversized files and unknown headers.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > base.MAX_BYTES:
            raise fail(path.name, f"Datei ist größer als {base.MAX_BYTES // (1024 * 1024)} MB "
                                   "– bitte in mehrere Dateien aufteilen")
        with open(path, "rb") as fh:
            magic = fh.read(4)
            if magic == b"PK\x03\x04":
                header, rows = _read_xlsx(path)
            else:
                header, rows = _read_csv(magic + fh.read(), path.name)
    except OSError as exc:
        raise fail(path.name, f"Datei lässt sich nicht lesen: {exc.strerror or exc}")
    if not any(header) and not rows:
        raise fail(path.name, "Datei ist leer – Datei enthält keine Datenzeilen")
    return detect_layout(header, file=path.name), header, rows


def count_rows(path: Path) -> int:
    """The data rows of *path* (a large file counted as a stream)."""
    if is_large(Path(path)):
        with stream_csv(path) as (_name, _header, rows):
            return sum(1 for _row in rows)
    return len(read_table(path)[2])


def _layout_or_none(header: list[str]) -> str | None:
    try:
        return detect_layout(header)
    except ImportFailed:
        return None


def detect_layout(header: list[str], *, file: str = "") -> str:
    """The name of the layout of this header (see :data:`LAYOUTS`), else
    :class:`ImportFailed` (line 1).

    A layout that :meth:`~.base.Layout.recognises` the header wins; else the one with the most
    columns of its own (no other layout has them) in the header, the first on a tie.
    """
    names = [h.strip().lower() for h in header]
    present = [n for n in names if n]
    issues = [ImportIssue(file, 1, str(i + 1), n, "Spalte kommt mehrfach vor")
              for i, n in enumerate(names) if n and n in names[:i]]
    layout = next((cls for cls in LAYOUTS.values() if cls.recognises(present)), None)
    if layout is None:
        counted = [cls for cls in LAYOUTS.values() if not cls.signature_only]
        if not set(present) & {c for cls in counted for c in cls.columns}:
            hints = [cls.hint for cls in LAYOUTS.values()]
            issues.append(ImportIssue(file, 1, None, None, "Kopfzeile nicht erkannt. Erwartet "
                                      + ", ".join(hints[:-1]) + " oder " + hints[-1]))
            raise ImportFailed(issues)

        def own_columns(cls: type[base.Layout]) -> int:
            others = {c for o in counted if o is not cls for c in o.columns}
            return len(set(present) & (set(cls.columns) - others))
        layout = max(counted, key=own_columns)
    issues += layout.header_issues(names, present, file)
    if issues:
        raise ImportFailed(issues)
    return layout.name
