"""ozgmap's own import layout (``docs/import.md``, the template :func:`template_csv`)::

    ags, ozg_id, leika_key, status, reifegrad, url, seit, flaechendeckung, quelle, stelle

    ags              required: 8 digits Gemeinde, 5 Kreis, ``05`` Land, ``00`` Bund; a known Gebiet
    ozg_id           OZG-ID of the catalogue          } at least one of the two; a known LeiKa key
    leika_key        14-digit LeiKa key of catalogue  } sets ozg_id, a given ozg_id must agree
    status           required: offen | in Planung | in Bearbeitung | umgesetzt
    reifegrad        empty or 0-4
    url              empty or http(s)://host..., at most 2000 characters
    seit             empty or a date YYYY-MM-DD / DD.MM.YYYY, not in the future
    flaechendeckung  empty or one of :data:`~.base.FLAECHENDECKUNG`
    quelle           empty = the file name; "Beispieldaten" is reserved
    stelle           free text: who handles the request

The write API checks its items with this layout too.
"""
from __future__ import annotations

import csv
import io
import re

from .. import safety
from ..config import SAMPLE_SOURCE
from .base import (ImportIssue, Layout, Row, check_date, check_flaeche, check_leika, check_url,
                   choice)

OZGMAP_COLUMNS = ["ags", "ozg_id", "leika_key", "status", "reifegrad", "url", "seit",
                  "flaechendeckung", "quelle", "stelle"]


class OzgmapLayout(Layout):
    """ozgmap's own layout: one row per Gebiet and Leistung, every field checked."""

    name = "ozgmap"
    columns = OZGMAP_COLUMNS
    required = ["ags", "status"]
    key_columns = "ags, ozg_id, leika_key"
    hint = "ozgmap-Spalten (" + ", ".join(OZGMAP_COLUMNS) + ")"

    @classmethod
    def header_issues(cls, names: list[str], present: list[str], file: str
                      ) -> list[ImportIssue]:
        issues = [ImportIssue(file, 1, str(i + 1), n, "unbekannte Spalte (erlaubt: "
                              + ", ".join(OZGMAP_COLUMNS) + ")")
                  for i, n in enumerate(names) if n and n not in OZGMAP_COLUMNS]
        missing = [c for c in cls.required if c not in present]
        if "ozg_id" not in present and "leika_key" not in present:
            missing.append("ozg_id oder leika_key")
        if missing:
            issues.append(ImportIssue(file, 1, None, None,
                                      "Pflichtspalten fehlen: " + ", ".join(missing)))
        return issues

    def record(self, row: Row) -> dict:
        cat = self.cat
        ags = row.get("ags")
        if not ags:
            row.err("ags", "Pflichtfeld ist leer")
        elif not re.fullmatch(r"[0-9]{8}|[0-9]{5}|[0-9]{2}", ags):
            row.err("ags", "AGS muss 8 (Gemeinde), 5 (Kreis) oder 2 (Land) Ziffern haben")
        elif ags not in cat.gebiete:
            row.err("ags", "AGS unbekannt (kein Gebiet dieses Schlüssels in der Datenbank)")
        ozg_id, leika_key = row.get("ozg_id"), check_leika(row, cat)
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
        status = choice(row.get("status"), cat.statuses)
        if not row.get("status"):
            row.err("status", "Pflichtfeld ist leer")
        elif status is None:
            row.err("status", "Status muss einer von " + ", ".join(cat.statuses) + " sein")
        reifegrad = row.get("reifegrad")
        if reifegrad and reifegrad not in cat.maturities:
            row.err("reifegrad", "Reifegrad muss leer oder eine Zahl von "
                                 f"{cat.maturities[0]} bis {cat.maturities[-1]} sein")
        quelle = row.get("quelle") or row.file
        if safety.same_name(quelle, SAMPLE_SOURCE):
            row.err("quelle", f"„{SAMPLE_SOURCE}“ ist für erzeugte Beispieldaten reserviert")
        return {"ags": ags, "ozg_id": ozg_id, "leika_key": leika_key or "", "status": status,
                "reifegrad": int(reifegrad) if reifegrad in cat.maturities else None,
                "url": check_url(row, "url"), "seit": check_date(row, "seit"),
                "flaechendeckung": check_flaeche(row, "flaechendeckung"),
                "quelle": quelle, "stelle": row.get("stelle")}


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
