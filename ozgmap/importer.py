"""Import implementation records from CSV or XLSX: validate every row, then write all or nothing.

Three layouts are recognised by their header (line 1; names are case-insensitive):

``ozgmap`` – ozgmap's own layout (see :func:`template_csv`, ``docs/import.md``)::

    ags, ozg_id, leika_key, status, reifegrad, url, seit, flaechendeckung, quelle, stelle

    ags              required: 8 digits Gemeinde, 5 Kreis, ``05`` Land, ``00`` Bund; a known Gebiet
    ozg_id           OZG-ID of the catalogue          } at least one of the two; a known LeiKa key
    leika_key        14-digit LeiKa key of catalogue  } sets ozg_id, a given ozg_id must agree
    status           required: offen | in Planung | in Bearbeitung | umgesetzt
    reifegrad        empty or 0-4
    url              empty or http(s)://host..., at most 2000 characters
    seit             empty or a date YYYY-MM-DD / DD.MM.YYYY, not in the future
    flaechendeckung  empty or one of :data:`FLAECHENDECKUNG`
    quelle           empty = the file name; "Beispieldaten" is reserved
    stelle           free text: who handles the request

``dashboard`` – the per-region export of the federal "Dashboard Digitale Verwaltung"
(Open-PVOG), read unchanged. Used columns: ``leika_key, ars, ozgid, url, online_status, aktiv,
art_flaechendeckung``; the others (``leika_name, ars_name, bundesland`` …) are ignored.
The 12-digit ARS maps to an AGS (Land digits, Kreis, Gemeinde: digits 1-5 + 10-12; ``000`` at
10-12 = the Kreis; all zero after the Land = the Land; all zero = Bund ``00``). Status is
``umgesetzt`` if ``online_status = ok`` and ``aktiv = ja``, else ``in Bearbeitung`` (listed
but not usable online: work in progress, not "offen"). OZG-ID from ``ozgid`` if the catalogue
knows it, else through the LeiKa key.

``wsp`` – the Wirtschafts-Service-Portal.NRW list of live online services (d-NRW, see
``docs/import.md``). Used columns: ``Nummer`` (LeiKa key), ``Live``, ``Landingpage`` /
``Direktlink …`` (paths on the portal), ``Stelle``, ``Name`` (for messages). Each row is a
Land-level record (AGS ``05``, "landesweit flächendeckend"); a LeiKa key the catalogue does not
map to an OZG-Leistung is kept with an empty ozg_id and reported, not refused.

CSV may be UTF-8 (with or without BOM) or Windows-1252 ("Excel-German"), separated by ``,``,
``;`` or tab. Line numbers in messages are the file's lines (XLSX: rows); the header is line 1.
"""
from __future__ import annotations

import csv
import datetime as dt
import http.client
import io
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .catalog import sha256_of
from .config import SAMPLE_SOURCE, SHA256, WSP_BASE_URL, WSP_FILE, WSP_SOURCE, WSP_STAND
from .store import DATA_FIELDS, KEY_FIELDS, Store

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_URL = 2000

OZGMAP_COLUMNS = ["ags", "ozg_id", "leika_key", "status", "reifegrad", "url", "seit",
                  "flaechendeckung", "quelle", "stelle"]
DASHBOARD_COLUMNS = ["leika_key", "leika_name", "leika_bezeichnung", "ars", "ars_name",
                     "ars_federal_state", "bundesland", "ozgid", "ozg_bezeichnung", "url",
                     "online_status", "aktiv", "art_flaechendeckung"]
DASHBOARD_REQUIRED = ["leika_key", "ars", "ozgid", "url", "online_status", "aktiv",
                      "art_flaechendeckung"]
FLAECHENDECKUNG = ["bundesweit flächendeckend", "landesweit flächendeckend",
                   "kreisweit flächendeckend", "in mind. einer Kommune verfügbar",
                   "nicht in Auswertung berücksichtigt"]
DASHBOARD_SOURCE = "Dashboard Digitale Verwaltung (Export {name})"
WSP_COLUMNS = ["name", "nummer", "onlinedienst (übergeordnet)", "live", "landingpage",
               "direktlink (nur ods ohne landingpage)", "stelle"]
WSP_REQUIRED = ["nummer", "live", "stelle"]
#: ``quelle`` of a WSP list other than the pinned one (whose Stand is known: WSP_SOURCE).
WSP_OTHER_SOURCE = "Wirtschafts-Service-Portal.NRW (d-NRW), Liste der Live-Dienste ({name})"
#: ``Stelle`` notes: no NRW body is connected yet (-> in Bearbeitung) / no NRW service (skipped).
WSP_NO_AP = re.compile(r"keine\s+APs?\s+aus\s+NRW", re.IGNORECASE)
WSP_NOT_NRW = re.compile(r"^keine\s+Zuständigkeit\s+in\s+NRW|mit\s+abgedeckt", re.IGNORECASE)

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
    """The file was refused; :attr:`issues` lists every problem found."""

    def __init__(self, issues: list[ImportIssue]):
        self.issues = issues
        more = f" (und {len(issues) - 1} weitere)" if len(issues) > 1 else ""
        super().__init__(f"{issues[0]}{more}" if issues else "Import abgelehnt")


class DownloadFailed(Exception):
    """The dashboard export could not be fetched (bad ARS, HTTP or network error)."""


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


# --- reading -------------------------------------------------------------------------------

def _fail(file: str, message: str) -> ImportFailed:
    """A refusal of the whole file (not of one row)."""
    return ImportFailed([ImportIssue(file, None, None, None, message)])


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
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(name, "UTF-16-Text wird nicht unterstützt – bitte als „CSV UTF-8“ oder "
                          "XLSX speichern")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise _fail(name, "Altes Excel-Format (.xls) wird nicht unterstützt – bitte als XLSX "
                          "oder CSV speichern")
    unreadable = _fail(name, "Datei ist weder eine CSV-Textdatei (UTF-8 oder Windows-1252) "
                             "noch eine Excel-Datei (XLSX)")
    if b"\x00" in raw:
        raise unreadable
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise unreadable from None
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise unreadable
    return text


def _known(names: Iterable[str]) -> int:
    return len(set(names) & (set(OZGMAP_COLUMNS) | set(DASHBOARD_COLUMNS) | set(WSP_COLUMNS)))


def _read_csv(raw: bytes, name: str) -> tuple[list[str], list[tuple[int, dict]]]:
    text = _decode(raw, name)
    first = text.splitlines()[0] if text.strip() else ""

    def names(delim: str) -> list[str]:
        return [c.strip().lower() for c in next(csv.reader([first], delimiter=delim), [])]
    delim = max([",", ";", "\t"], key=lambda d: (_known(names(d)), len(names(d))))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header = [c.strip().lower() for c in next(reader, [])]
    rows: list[tuple[int, dict]] = []
    start = reader.line_num + 1
    for cells in reader:
        row = _row_dict(header, [c.strip() for c in cells])
        if row is not None:
            rows.append((start, row))
            if len(rows) > MAX_ROWS:
                raise _fail(name, f"Datei hat mehr als {german_int(MAX_ROWS)} Datenzeilen – "
                                  "bitte in mehrere Dateien aufteilen")
        start = reader.line_num + 1
    return header, rows


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip/XML errors of many kinds
        raise _fail(path.name, f"Excel-Datei lässt sich nicht lesen ({type(exc).__name__})")
    try:
        return _xlsx_rows(path.name, wb)
    except ImportFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet: a message, not a traceback
        raise _fail(path.name, f"Excel-Datei ist beschädigt ({type(exc).__name__})")
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
        raise _fail(name, "Excel-Datei enthält kein Tabellenblatt")
    ws, header = next(((ws, h) for ws, h in sheets if _layout_or_none(h)), sheets[0])
    while header and not header[-1]:
        header.pop()
    rows: list[tuple[int, dict]] = []
    for lineno, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        row = _row_dict(header, [_cell_text(v) for v in values])
        if row is not None:
            rows.append((lineno, row))
            if len(rows) > MAX_ROWS:
                raise _fail(name, f"Datei hat mehr als {german_int(MAX_ROWS)} Datenzeilen – "
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
        if size > MAX_BYTES:
            raise _fail(path.name, f"Datei ist größer als {MAX_BYTES // (1024 * 1024)} MB "
                                   "– bitte in mehrere Dateien aufteilen")
        with open(path, "rb") as fh:
            magic = fh.read(4)
            if magic == b"PK\x03\x04":
                header, rows = _read_xlsx(path)
            else:
                header, rows = _read_csv(magic + fh.read(), path.name)
    except OSError as exc:
        raise _fail(path.name, f"Datei lässt sich nicht lesen: {exc.strerror or exc}")
    if not any(header) and not rows:
        raise _fail(path.name, "Datei ist leer – Datei enthält keine Datenzeilen")
    return detect_layout(header, file=path.name), header, rows


def _layout_or_none(header: list[str]) -> str | None:
    try:
        return detect_layout(header)
    except ImportFailed:
        return None


def _is_wsp(names: list[str]) -> bool:
    """The WSP.NRW list: ``Nummer``, ``Live`` and a link column (Landingpage/Direktlink)."""
    return "nummer" in names and "live" in names and any(
        n == "landingpage" or n.startswith("direktlink") for n in names)


def detect_layout(header: list[str], *, file: str = "") -> str:
    """``"ozgmap"``, ``"dashboard"`` or ``"wsp"`` for this header, else :class:`ImportFailed`
    (line 1)."""
    names = [h.strip().lower() for h in header]
    present = [n for n in names if n]
    issues = [ImportIssue(file, 1, str(i + 1), n, "Spalte kommt mehrfach vor")
              for i, n in enumerate(names) if n and n in names[:i]]
    if _is_wsp(present):
        missing = [c for c in WSP_REQUIRED if c not in present]
        if missing:
            issues.append(ImportIssue(file, 1, None, None,
                                      "Pflichtspalten fehlen: " + ", ".join(missing)))
        if issues:
            raise ImportFailed(issues)
        return "wsp"
    own, dash = set(present) & set(OZGMAP_COLUMNS), set(present) & set(DASHBOARD_COLUMNS)
    if not own and not dash:
        issues.append(ImportIssue(
            file, 1, None, None, "Kopfzeile nicht erkannt. Erwartet ozgmap-Spalten ("
            + ", ".join(OZGMAP_COLUMNS) + "), den Export des Dashboards Digitale "
            "Verwaltung (" + ", ".join(DASHBOARD_COLUMNS) + ") oder die WSP.NRW-Liste der "
            "Live-Dienste (Name, Nummer, Live, Landingpage, Stelle)"))
        raise ImportFailed(issues)
    layout = "dashboard" if ("ars" in dash or len(dash - own) > len(own - dash)) else "ozgmap"
    if layout == "ozgmap":
        issues += [ImportIssue(file, 1, str(i + 1), n, "unbekannte Spalte (erlaubt: "
                               + ", ".join(OZGMAP_COLUMNS) + ")")
                   for i, n in enumerate(names) if n and n not in OZGMAP_COLUMNS]
        missing = [c for c in ("ags", "status") if c not in present]
        if "ozg_id" not in present and "leika_key" not in present:
            missing.append("ozg_id oder leika_key")
    else:
        missing = [c for c in DASHBOARD_REQUIRED if c not in present]
    if missing:
        issues.append(ImportIssue(file, 1, None, None,
                                  "Pflichtspalten fehlen: " + ", ".join(missing)))
    if issues:
        raise ImportFailed(issues)
    return layout


# --- validation ----------------------------------------------------------------------------

@dataclass
class _Catalogue:
    """What rows are checked against, read once from the store."""

    gebiete: set[str]
    ozg_ids: set[str]
    leika: dict[str, str]  # LeiKa key -> OZG-ID ('' where the catalogue links none)
    statuses: list[str]
    maturities: list[str]

    @classmethod
    def of(cls, store: Store) -> "_Catalogue":
        return cls(gebiete={g["ags"] for g in store.gebiete()},
                   ozg_ids={lst["ozg_id"] for lst in store.leistungen()},
                   leika={r["leika_key"]: r["ozg_id"] or "" for r in store.leika_rows()
                          if r["leika_key"]},
                   statuses=store.statuses(), maturities=store.maturities())


@dataclass
class _Row:
    """One row being checked; :meth:`err` records an issue for one of its columns."""

    file: str
    line: int
    data: dict
    issues: list[ImportIssue] = field(default_factory=list)

    def get(self, col: str) -> str:
        return self.data.get(col, "")

    def err(self, col: str, message: str) -> None:
        self.issues.append(ImportIssue(self.file, self.line, col, self.get(col), message))


def _choice(value: str, allowed: list[str]) -> str | None:
    """The allowed value equal to *value* ignoring case, or None."""
    return next((a for a in allowed if a.casefold() == value.casefold()), None)


def _check_url(row: _Row, col: str) -> str:
    url = row.get(col)
    if not url:
        return ""
    try:
        parts = urllib.parse.urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if len(url) > MAX_URL:
        row.err(col, f"URL ist länger als {MAX_URL} Zeichen")
    elif not ok or re.search(r"\s", url):
        row.err(col, "URL muss mit http:// oder https:// beginnen, einen Host haben und "
                     "darf keine Leerzeichen enthalten")
    return url


def _check_date(row: _Row, col: str) -> dt.date | None:
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


def _check_leika(row: _Row, cat: _Catalogue, col: str = "leika_key") -> str | None:
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


def _check_flaeche(row: _Row, col: str) -> str:
    value = row.get(col)
    if value and _choice(value, FLAECHENDECKUNG) is None:
        row.err(col, "Flächendeckung muss leer oder eines von "
                     + ", ".join(f"„{f}“" for f in FLAECHENDECKUNG) + " sein")
    return _choice(value, FLAECHENDECKUNG) or ""


def _own_record(row: _Row, cat: _Catalogue) -> dict:
    ags = row.get("ags")
    if not ags:
        row.err("ags", "Pflichtfeld ist leer")
    elif not re.fullmatch(r"[0-9]{8}|[0-9]{5}|[0-9]{2}", ags):
        row.err("ags", "AGS muss 8 (Gemeinde), 5 (Kreis) oder 2 (Land) Ziffern haben")
    elif ags not in cat.gebiete:
        row.err("ags", "AGS unbekannt (kein Gebiet dieses Schlüssels in der Datenbank)")
    ozg_id, leika_key = row.get("ozg_id"), _check_leika(row, cat)
    if not ozg_id and leika_key == "":
        row.err("ozg_id", "ozg_id oder leika_key muss angegeben sein")
    elif ozg_id and ozg_id not in cat.ozg_ids:
        row.err("ozg_id", "OZG-ID unbekannt (nicht im OZG-Katalog)")
    elif leika_key:
        linked = cat.leika[leika_key]
        if ozg_id and not linked:
            row.err("ozg_id", "Der LeiKa-Schlüssel ist im Katalog keiner OZG-Leistung "
                              "zugeordnet – ozg_id bitte leer lassen")
        elif ozg_id and ozg_id != linked:
            row.err("ozg_id", f"passt nicht zum LeiKa-Schlüssel {leika_key} "
                              f"(gehört zur OZG-ID {linked})")
        ozg_id = linked
    status = _choice(row.get("status"), cat.statuses)
    if not row.get("status"):
        row.err("status", "Pflichtfeld ist leer")
    elif status is None:
        row.err("status", "Status muss einer von " + ", ".join(cat.statuses) + " sein")
    reifegrad = row.get("reifegrad")
    if reifegrad and reifegrad not in cat.maturities:
        row.err("reifegrad", "Reifegrad muss leer oder eine Zahl von "
                             f"{cat.maturities[0]} bis {cat.maturities[-1]} sein")
    quelle = row.get("quelle") or row.file
    if quelle.casefold() == SAMPLE_SOURCE.casefold():
        row.err("quelle", f"„{SAMPLE_SOURCE}“ ist für erzeugte Beispieldaten reserviert")
    return {"ags": ags, "ozg_id": ozg_id, "leika_key": leika_key or "", "status": status,
            "reifegrad": int(reifegrad) if reifegrad in cat.maturities else None,
            "url": _check_url(row, "url"), "seit": _check_date(row, "seit"),
            "flaechendeckung": _check_flaeche(row, "flaechendeckung"),
            "quelle": quelle, "stelle": row.get("stelle")}


def ars_to_ags(ars: str) -> str:
    """12-digit Regionalschlüssel -> AGS: Gemeinde (8), Kreis (5), Land (2) or Bund ``00``."""
    if not ars.strip("0"):
        return "00"
    if not ars[2:].strip("0"):
        return ars[:2]
    if ars[9:] == "000":
        return ars[:5]
    return ars[:5] + ars[9:]


def _dashboard_record(row: _Row, cat: _Catalogue) -> dict:
    ars, ags = row.get("ars"), ""
    if not re.fullmatch(r"[0-9]{12}", ars):
        row.err("ars", "ARS (Regionalschlüssel) muss 12 Ziffern haben")
    else:
        ags = ars_to_ags(ars)
        if ags not in cat.gebiete:
            row.err("ars", f"ARS unbekannt: AGS {ags} ist kein Gebiet in der Datenbank")
    leika_key, ozgid = _check_leika(row, cat), row.get("ozgid")
    ozg_id = ""
    if ozgid in cat.ozg_ids:
        ozg_id = ozgid
    elif leika_key:
        ozg_id = cat.leika[leika_key]
        if ozgid and not ozg_id:
            row.err("ozgid", "OZG-ID unbekannt und der LeiKa-Schlüssel ist keiner "
                             "OZG-Leistung zugeordnet")
    elif ozgid:
        row.err("ozgid", "OZG-ID unbekannt (nicht im OZG-Katalog)")
    elif leika_key == "":
        row.err("ozgid", "ozgid oder leika_key muss angegeben sein")
    online = _choice(row.get("online_status"), ["ok", "nicht ok"])
    if online is None:
        row.err("online_status", "online_status muss „ok“ oder „nicht ok“ sein")
    aktiv = _choice(row.get("aktiv"), ["ja", "nein"])
    if aktiv is None:
        row.err("aktiv", "aktiv muss „ja“ oder „nein“ sein")
    return {"ags": ags, "ozg_id": ozg_id, "leika_key": leika_key or "",
            "status": "umgesetzt" if (online, aktiv) == ("ok", "ja") else "in Bearbeitung",
            "reifegrad": None, "url": _check_url(row, "url"), "seit": None,
            "flaechendeckung": _check_flaeche(row, "art_flaechendeckung"),
            "quelle": DASHBOARD_SOURCE.format(name=row.file), "stelle": ""}


def _wsp_record(row: _Row, cat: _Catalogue, source: str, seit: dt.date | None
                ) -> dict | None:
    """A Land-level record of one WSP.NRW row; None for a row whose ``Stelle`` says it is no
    service of its own in NRW (no NRW competence, covered by another service)."""
    key, ozg_id = row.get("nummer"), ""
    if not re.fullmatch(r"[0-9]{14}", key):
        row.err("nummer", "LeiKa-Schlüssel (Nummer) muss 14 Ziffern haben")
    else:
        ozg_id = cat.leika.get(key, "")  # unknown keys are kept (ozg_id '') and reported
    live = _choice(row.get("live"), ["Ja", "Nein"])
    if live is None:
        row.err("live", "Live muss „Ja“ oder „Nein“ sein")
    stelle = " ".join(row.get("stelle").split())
    link_col = "landingpage" if row.get("landingpage") else next(
        (c for c in row.data if c and c.startswith("direktlink") and row.data[c]), "landingpage")
    link, url = row.get(link_col), ""
    if link.startswith("/") and not re.search(r"\s", link):
        url = WSP_BASE_URL + link
    elif re.fullmatch(r"https?://[^\s/]+(/\S*)?", link, re.IGNORECASE):
        url = link
    elif link:
        row.err(link_col, "Link muss ein Pfad auf dem Portal (/…) oder eine http(s)-Adresse "
                          "ohne Leerzeichen sein")
    if len(url) > MAX_URL:
        row.err(link_col, f"URL ist länger als {MAX_URL} Zeichen")
    if WSP_NOT_NRW.search(stelle):
        return None
    status = "in Bearbeitung" if live == "Nein" or WSP_NO_AP.search(stelle) else "umgesetzt"
    return {"ags": "05", "ozg_id": ozg_id, "leika_key": key, "status": status,
            "reifegrad": None, "url": url, "seit": seit if status == "umgesetzt" else None,
            "flaechendeckung": "landesweit flächendeckend", "quelle": source, "stelle": stelle}


def _rows(n: int) -> str:
    return f"{german_int(n)} {'Zeile' if n == 1 else 'Zeilen'}"


def _examples(items: list[str], n: int = 5) -> str:
    more = f" und {german_int(len(items) - n)} weitere" if len(items) > n else ""
    return "; ".join(items[:n]) + more


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


def _check(store: Store, path: Path, progress: Progress | None) -> _Checked:
    layout, _header, rows = read_table(path)
    if not rows:
        raise _fail(path.name, "Datei enthält keine Datenzeilen (nur die Kopfzeile)")
    if progress:
        progress(f"Prüfe {german_int(len(rows))} {'Zeile' if len(rows) == 1 else 'Zeilen'} "
                 f"(Format {layout}) …")
    cat = _Catalogue.of(store)
    if layout == "wsp":
        if "05" not in cat.gebiete:
            raise _fail(path.name, "Land NRW (AGS 05) ist kein Gebiet in der Datenbank")
        pinned = sha256_of(path) == SHA256[WSP_FILE]
        source = WSP_SOURCE if pinned else WSP_OTHER_SOURCE.format(name=path.name)
        seit = WSP_STAND if pinned else None

        def make(row: _Row, cat: _Catalogue) -> dict | None:
            return _wsp_record(row, cat, source, seit)
    else:
        make = _own_record if layout == "ozgmap" else _dashboard_record
    key_cols = {"ozgmap": "ags, ozg_id, leika_key", "dashboard": "ars, ozgid, leika_key",
                "wsp": "nummer"}[layout]
    issues: list[ImportIssue] = []
    records: list[dict] = []
    first: dict[tuple, tuple[int, dict]] = {}
    unknown: list[str] = []
    skipped: list[str] = []
    merged: list[str] = []
    no_ap: list[str] = []
    for n, (line, data) in enumerate(rows, start=1):
        row = _Row(path.name, line, data)
        if None in data:
            row.issues.append(ImportIssue(path.name, line, None, "; ".join(data[None]),
                                          "Zeile hat mehr Werte als die Kopfzeile Spalten"))
        rec = make(row, cat)
        if rec is None and not row.issues:
            skipped.append(f"Zeile {line}: {row.get('nummer')} „{row.get('name')}“ "
                           f"({' '.join(row.get('stelle').split())})")
        elif not row.issues:
            key = tuple(rec[k] for k in KEY_FIELDS)
            if key in first and layout == "wsp" and first[key][1] == rec:
                merged.append(f"Zeile {line} = Zeile {first[key][0]} ({rec['leika_key']})")
            elif key in first:
                row.issues.append(ImportIssue(
                    path.name, line, key_cols, " / ".join(key),
                    f"doppelter Eintrag: gleicher Schlüssel wie Zeile {first[key][0]}"))
            else:
                first[key] = (line, rec)
                records.append(rec)
                if layout == "wsp" and not rec["ozg_id"]:
                    unknown.append(f"Zeile {line}: {rec['leika_key']} „{row.get('name')}“")
                if layout == "wsp" and WSP_NO_AP.search(rec["stelle"]):
                    no_ap.append(f"Zeile {line}")
        issues += row.issues
        if progress and n % 50_000 == 0:
            progress(f"  {german_int(n)} von {german_int(len(rows))} Zeilen geprüft")
    if issues:
        raise ImportFailed(issues)
    checked = _Checked(layout, records, unknown_leika=len(unknown))
    if unknown:
        checked.notes.append(
            f"{_rows(len(unknown))} mit LeiKa-Schlüssel, den der OZG-Katalog "
            "keiner OZG-Leistung zuordnet: übernommen ohne OZG-ID (in Downloads enthalten, "
            f"in Karte und Zahlen nicht gezählt), z. B. {_examples(unknown)}")
    if skipped:
        checked.notes.append(
            f"{_rows(len(skipped))} nicht übernommen, weil die Spalte Stelle "
            f"keine eigene Leistung in NRW angibt: {_examples(skipped, 10)}")
    if no_ap:
        checked.notes.append(
            f"{_rows(len(no_ap))} mit dem Hinweis „keine AP aus NRW vorhanden“ "
            f"(keine NRW-Stelle angebunden): Status „in Bearbeitung“ ({_examples(no_ap, 20)})")
    if merged:
        checked.notes.append(f"{_rows(len(merged))} doppelt (gleich wie eine frühere Zeile), "
                             f"einmal übernommen: {_examples(merged, 10)}")
    return checked


def validate_rows(store: Store, items: list[dict], *, source: str) -> list[dict]:
    """Check records given as dicts in ozgmap's own layout (the write API), like file rows.

    Issues name the item's position (1-based) as line. Raises :class:`ImportFailed`.
    """
    cat = _Catalogue.of(store)
    issues: list[ImportIssue] = []
    records: list[dict] = []
    seen: dict[tuple, int] = {}
    for n, item in enumerate(items, start=1):
        data = {c: "" if item.get(c) is None else str(item[c]).strip() for c in OZGMAP_COLUMNS}
        row = _Row(source, n, data)
        unknown = sorted(set(item) - set(OZGMAP_COLUMNS))
        if unknown:
            row.issues.append(ImportIssue(source, n, ", ".join(unknown)[:200], None,
                                          "unbekannte Felder"))
        rec = _own_record(row, cat)
        if not row.issues:
            key = tuple(rec[k] for k in KEY_FIELDS)
            if key in seen:
                row.issues.append(ImportIssue(source, n, "ags, ozg_id, leika_key",
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
        old = current.get(tuple(rec[k] for k in KEY_FIELDS))
        if old is None:
            added += 1
        elif any(old[k] != rec[k] for k in DATA_FIELDS):
            updated += 1
    return added, updated, len(records) - added - updated


def import_file(store: Store, path: Path, *, by: str, dry_run: bool = False,
                progress: Progress | None = None) -> ImportReport:
    """Validate *path* and write its records in one transaction (all or nothing).

    With *dry_run* nothing is written; the counts are computed against the current records
    exactly as :meth:`Store.apply` would count them.
    """
    path = Path(path)
    checked = _check(store, path, progress)
    records = checked.records
    report = ImportReport(layout=checked.layout, rows=len(records), dry_run=dry_run,
                          unknown_leika=checked.unknown_leika, notes=checked.notes)
    if dry_run:
        report.added, report.updated, report.unchanged = _would_write(store, records)
        return report
    if progress:
        progress(f"Schreibe {german_int(len(records))} "
                 f"{'Datensatz' if len(records) == 1 else 'Datensätze'} …")
    res = store.apply(records, by=by, datei=path.name, format=checked.layout,
                      sha256=sha256_of(path))
    report.added, report.updated, report.unchanged = res.added, res.updated, res.unchanged
    return report


# --- template and dashboard download -------------------------------------------------------

#: The example row of the template: Telgte, "Meldebescheinigung und -registerauskunft" with
#: the LeiKa-Leistung "amtliche Meldebestätigung Ausstellung" (both in the KDN catalogue).
TEMPLATE_EXAMPLE = {"ags": "05570044", "ozg_id": "10559", "leika_key": "99115003012000",
                    "status": "umgesetzt", "reifegrad": "3",
                    "url": "https://beispiel.example/telgte/meldebescheinigung",
                    "seit": "2024-03-01", "flaechendeckung": "", "quelle": "",
                    "stelle": "Bürgerbüro"}


def template_csv() -> str:
    """The downloadable template: header and one valid example row, ``;``-separated.

    Serve it encoded as ``utf-8-sig`` so that Excel shows the umlauts correctly.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=OZGMAP_COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(TEMPLATE_EXAMPLE)
    return buf.getvalue()


def fetch_dashboard(url_template: str, ars: str, dest: Path, timeout: float = 60) -> Path:
    """Download the dashboard export for a 12-digit ARS to *dest* and return its path.

    *dest* is the target file, or an existing directory (then the file is named
    ``dashboard-<ARS>.csv`` or ``.xlsx`` by content). Raises :class:`DownloadFailed`.
    """
    ars = (ars or "").strip()
    if not re.fullmatch(r"[0-9]{12}", ars):
        raise DownloadFailed(f"'{ars}' ist kein Regionalschlüssel: ARS muss 12 Ziffern haben "
                             "(z. B. 055700044044 für Telgte)")
    url = url_template.format(ars=ars)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DownloadFailed(f"Dashboard-Adresse muss mit http:// oder https:// beginnen: {url}")
    req = urllib.request.Request(url, headers={"User-Agent": "ozgmap"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http/s only)
            body = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise DownloadFailed(f"Dashboard-Export für ARS {ars} nicht abrufbar: HTTP "
                             f"{exc.code} {exc.reason} ({url})") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DownloadFailed(f"Dashboard nicht erreichbar ({url}): {reason}") from None
    if len(body) > MAX_BYTES:
        raise DownloadFailed(f"Dashboard-Export für ARS {ars} ist größer als "
                             f"{MAX_BYTES // (1024 * 1024)} MB")
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"dashboard-{ars}.{'xlsx' if body.startswith(b'PK') else 'csv'}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(body)
    tmp.replace(dest)
    return dest
