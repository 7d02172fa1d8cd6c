"""The downloads of ``/daten``: the current records and figures as CSV rows, an XLSX workbook
and GeoJSON. No Flask in here; the web layer caches and serves the bytes.

The XLSX is written directly as SpreadsheetML (text cells stay text, so AGS keep their leading
zeros): openpyxl needs about 20 s for the ~64,000 records, this writer well under 2 s.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from xml.sax.saxutils import escape

from . import config as c
from . import features
from .coverage import FIGURE_COLUMNS, Coverage
from .filters import Filter
from .snapshot import Snapshot

RECORD_COLUMNS = ["ags", "gebiet", "ebene", "ozg_id", "leistung", "themenfeld", "leika_key",
                  "status", "reifegrad", "url", "seit", "flaechendeckung", "quelle", "stelle",
                  "beispieldaten", "erfasst_am"]
#: file name -> (media type, what it holds); the names are part of the public interface
FILES = {
    "umsetzungen.csv": ("text/csv", "alle erfassten Angebote (eine Zeile je Gebiet und "
                                    "Leistung)"),
    "umsetzungen.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         "Angebote, Umsetzungsgrad je Gemeinde und je Kreis, Hinweise und "
                         "Lizenzen"),
    "gemeinden.geojson": ("application/geo+json", "Gemeinden mit Umsetzungsgrad und Grenzen"),
    "kreise.geojson": ("application/geo+json", "Kreise mit Kennzahlen und Grenzen"),
}
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def record_rows(snap: Snapshot) -> list[list]:
    """One row per current record, with the names of body, Leistung and Themenfeld."""
    rows = []
    for r in snap.all_records():
        body = snap.gebiete.get(r["ags"], {})
        lst = snap.leistungen.get(r["ozg_id"], {})
        rows.append([r["ags"], body.get("name", ""), body.get("ebene", ""), r["ozg_id"],
                     lst.get("name", ""), snap.themenfeld_names.get(lst.get("themenfeld_id"), ""),
                     r["leika_key"], r["status"], r["reifegrad"], r["url"],
                     r["seit"].isoformat() if r["seit"] else None, r["flaechendeckung"],
                     r["quelle"], r["stelle"],
                     "ja" if r["quelle"] == c.SAMPLE_SOURCE else "nein",
                     r["erfasst_am"].isoformat() if r["erfasst_am"] else None])
    return rows


def notes(snap: Snapshot) -> list[list]:
    """Sources, licences and credits, as rows of the XLSX sheet "Hinweise"."""
    stand = snap.changed_at.strftime("%d.%m.%Y %H:%M UTC") if snap.changed_at else "unbekannt"
    rows = [["Datenstand", stand, ""],
            ["Gemeinde- und Kreisgrenzen", c.CREDIT_BOUNDARIES,
             f"{c.LICENCE_BOUNDARIES} ({c.LICENCE_BOUNDARIES_URL})"],
            ["OZG-Katalog", c.CREDIT_CATALOG, c.CREDIT_CATALOG_URL],
            ["Angebote (wer bietet was an)", "je Zeile in der Spalte 'quelle'", ""],
            ["Umsetzungsgrad", "Anteil der kommunalen OZG-Leistungen, die online verfügbar "
             "sind; Sicht 'für Einwohner verfügbar', Status 'umgesetzt', alle Themenfelder",
             ""]]
    if snap.has_sample:
        rows.append(["Beispieldaten", "Zeilen mit quelle 'Beispieldaten' sind erzeugte "
                     "Beispieldaten, keine echten Umsetzungsstände.", ""])
    return rows


def _cell(ref: str, value, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(value, bool):
        value = "ja" if value else "nein"
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = escape(_ILLEGAL_XML.sub("", str(value)))[:32767]
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _column_letters(n: int) -> list[str]:
    out = []
    for i in range(1, n + 1):
        name = ""
        while i:
            i, rem = divmod(i - 1, 26)
            name = chr(65 + rem) + name
        out.append(name)
    return out


def _sheet_xml(header: list[str], rows: list[list]) -> str:
    cols = _column_letters(len(header))
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:{cols[-1]}{len(rows) + 1}"/>'
             '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
             'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>',
             '<row r="1">' + "".join(_cell(f"{col}1", h, 1) for col, h in zip(cols, header))
             + "</row>"]
    for n, row in enumerate(rows, start=2):
        parts.append(f'<row r="{n}">' + "".join(
            _cell(f"{col}{n}", v) for col, v in zip(cols, row) if v is not None and v != "")
            + "</row>")
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def xlsx_bytes(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """A workbook with one sheet per (name, header, rows); bold, frozen header row."""
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    decl = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    files = {
        "[Content_Types].xml": decl + f'<Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
                  for i in range(1, len(sheets) + 1)) + "</Types>",
        "_rels/.rels": decl + f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": decl + f'<workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{rel}"><sheets>' + "".join(
            f'<sheet name="{escape(name[:31])}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _h, _r) in enumerate(sheets, start=1)) + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": decl + f'<Relationships xmlns="{ns}/package/2006/'
        'relationships">' + "".join(
            f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1))
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/styles.xml": decl + f'<styleSheet xmlns="{ns}/spreadsheetml/2006/main">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/>'
        '<sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill>'
        '<patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
        '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" '
        'fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" '
        'borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle '
        'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    }
    for i, (_name, header, rows) in enumerate(sheets, start=1):
        files[f"xl/worksheets/sheet{i}.xml"] = _sheet_xml(header, rows)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, text in files.items():
            zf.writestr(name, text.encode("utf-8"))
    return buf.getvalue()


def geojson_bytes(cov: Coverage, layer: features.Layer, collection: str, meta: dict) -> bytes:
    """A collection with the figures of the default filter, *meta* and the licences."""
    props = features.properties(cov, collection, Filter())
    doc = {"type": "FeatureCollection", "name": collection, **meta,
           "lizenz": {"grenzen": f"{c.CREDIT_BOUNDARIES}, {c.LICENCE_BOUNDARIES} "
                                 f"({c.LICENCE_BOUNDARIES_URL})",
                      "katalog": f"{c.CREDIT_CATALOG} ({c.CREDIT_CATALOG_URL})"},
           "features": [layer.feature(a, props[a]) for a in layer.ids if a in props]}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def workbook_bytes(cov: Coverage, snap: Snapshot) -> bytes:
    """``umsetzungen.xlsx``: the records, the figures per Gemeinde and Kreis, the notes."""
    kreise = features.properties(cov, "kreise", Filter())
    kreis_cols = [p[0] for p in features.COLLECTIONS["kreise"]["properties"]]
    return xlsx_bytes([
        ("Angebote", RECORD_COLUMNS, record_rows(snap)),
        ("Umsetzungsgrad Gemeinden", FIGURE_COLUMNS,
         [[r[k] for k in FIGURE_COLUMNS] for r in cov.figures(Filter())]),
        ("Kennzahlen Kreise", kreis_cols,
         [[k[col] for col in kreis_cols] for k in kreise.values()]),
        ("Hinweise", ["Thema", "Quelle / Hinweis", "Lizenz"], notes(snap))])
