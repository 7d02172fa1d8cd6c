"""The per-region export of the federal "Dashboard Digitale Verwaltung" (Open-PVOG), read
unchanged: a file a steward downloaded, or what :mod:`ozgmap.sources.sync` fetched from the
data API.

Used columns: ``leika_key, ars, ozgid, url, online_status, aktiv, art_flaechendeckung,
begruendung_nicht_beruecksichtigt, datenstand_pvog_import``; the others (``leika_name,
ars_name, bundesland, export_datum`` …) are ignored. The 12-digit ARS maps to an AGS
(:func:`ars_to_ags`). Status is ``umgesetzt`` if ``online_status = ok`` and ``aktiv`` is not
``nein`` (empty = not stated), else ``in Bearbeitung`` (listed but not usable online: work in
progress, not "offen"). OZG-ID from ``ozgid`` if the catalogue knows it, else through the LeiKa
key; a LeiKa key the 2019 catalogue does not know, or maps to no OZG-Leistung, is kept with an
empty OZG-ID and reported (as in the WSP.NRW layout). ``datenstand_pvog_import`` is the
record's Stand, ``begruendung_nicht_beruecksichtigt`` its Hinweis.
"""
from __future__ import annotations

import datetime as dt
import re

from .base import Layout, Row, check_flaeche, check_url, choice, unknown_leika_note

DASHBOARD_COLUMNS = ["leika_key", "leika_name", "leika_bezeichnung", "ars", "ars_name",
                     "ars_federal_state", "bundesland", "ozgid", "ozg_bezeichnung", "url",
                     "online_status", "aktiv", "art_flaechendeckung",
                     "begruendung_nicht_beruecksichtigt", "datenstand_pvog_import",
                     "export_datum"]
DASHBOARD_REQUIRED = ["leika_key", "ars", "ozgid", "url", "online_status", "aktiv",
                      "art_flaechendeckung"]
DASHBOARD_SOURCE = "Dashboard Digitale Verwaltung (Export {name})"
#: ``quelle`` of the records fetched from the data API (the same every day: the Stand is kept
#: in the record's ``stand``, so a refresh does not rewrite every record).
#: rows kept without OZG-ID named in the note (the rest are counted)
EXAMPLES = 5
PVOG_SOURCE = "Dashboard Digitale Verwaltung (Open-PVOG)"
_STAND = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)?|"
                    r"(\d{2})\.(\d{2})\.(\d{4})(?: [0-9:]+)?")


def ars_to_ags(ars: str) -> str:
    """12-digit Regionalschlüssel -> AGS: Gemeinde (8), Kreis (5), Land (2) or Bund ``00``."""
    if not ars.strip("0"):
        return "00"
    if not ars[2:].strip("0"):
        return ars[:2]
    if ars[9:] == "000":
        return ars[:5]
    return ars[:5] + ars[9:]


def check_stand(row: Row, col: str) -> dt.date | None:
    """The date of a Stand column: ISO (with or without time) or DD.MM.YYYY."""
    value = row.get(col)
    if not value:
        return None
    m = _STAND.fullmatch(value)
    try:
        if m and m.group(1):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m:
            return dt.date(int(m.group(6)), int(m.group(5)), int(m.group(4)))
    except ValueError:
        pass
    row.err(col, "Datum muss die Form JJJJ-MM-TT (auch mit Uhrzeit) oder TT.MM.JJJJ haben")
    return None


class DashboardLayout(Layout):
    """The dashboard export: one row per region (ARS) and LeiKa-Leistung."""

    name = "dashboard"
    columns = DASHBOARD_COLUMNS
    required = DASHBOARD_REQUIRED
    text_columns = DASHBOARD_REQUIRED  # the descriptive columns are not read
    key_columns = "ars, ozgid, leika_key"
    hint = ("den Export des Dashboards Digitale Verwaltung (" + ", ".join(DASHBOARD_COLUMNS)
            + ")")

    @classmethod
    def recognises(cls, present: list[str]) -> bool:
        return "ars" in present

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: ``quelle`` of the records; the data API's import sets :data:`PVOG_SOURCE`
        self.source = DASHBOARD_SOURCE.format(name=self.file)
        self.unknown: list[str] = []

    def record(self, row: Row) -> dict:
        cat = self.cat
        ars, ags = row.get("ars"), ""
        if not re.fullmatch(r"[0-9]{12}", ars):
            row.err("ars", "ARS (Regionalschlüssel) muss 12 Ziffern haben")
        else:
            ags = ars_to_ags(ars)
            if ags not in cat.gebiete:
                row.err("ars", f"ARS unbekannt: AGS {ags} ist kein Gebiet in der Datenbank")
        leika_key, ozgid = row.get("leika_key"), row.get("ozgid")
        if leika_key and not re.fullmatch(r"[0-9]{14}", leika_key):
            row.err("leika_key", "LeiKa-Schlüssel muss 14 Ziffern haben")
        if ozgid and not re.fullmatch(r"[0-9]{1,16}", ozgid):
            row.err("ozgid", "OZG-ID muss eine Zahl sein")
        if not leika_key and not ozgid:
            row.err("ozgid", "ozgid oder leika_key muss angegeben sein")
        elif not leika_key and ozgid not in cat.ozg_ids:
            row.err("ozgid", "OZG-ID unbekannt (nicht im OZG-Katalog) und kein LeiKa-Schlüssel")
        # unknown to the 2019 catalogue: kept by its LeiKa key, reported (WSP.NRW does the same)
        ozg_id = ozgid if ozgid in cat.ozg_ids else cat.leika.get(leika_key, "")
        online = choice(row.get("online_status"), ["ok", "nicht ok"])
        if online is None:
            row.err("online_status", "online_status muss „ok“ oder „nicht ok“ sein")
        aktiv = choice(row.get("aktiv"), ["ja", "nein"])
        if row.get("aktiv") and aktiv is None:
            row.err("aktiv", "aktiv muss leer, „ja“ oder „nein“ sein")
        return {"ags": ags, "ozg_id": ozg_id, "leika_key": leika_key,
                "status": "umgesetzt" if online == "ok" and aktiv != "nein" else "in Bearbeitung",
                "reifegrad": None, "url": check_url(row, "url"), "seit": None,
                "flaechendeckung": check_flaeche(row, "art_flaechendeckung"),
                "quelle": self.source, "stelle": "",
                "hinweis": " ".join(row.get("begruendung_nicht_beruecksichtigt").split()),
                "stand": check_stand(row, "datenstand_pvog_import")}

    def kept(self, line: int, row: Row, rec: dict) -> None:
        if not rec["ozg_id"]:
            if len(self.unknown) < EXAMPLES:  # millions of rows: keep examples, count the rest
                self.unknown.append(f"Zeile {line}: {rec['leika_key']} „{row.get('leika_name')}“")
            self.unknown_leika += 1

    def notes(self) -> list[str]:
        return [unknown_leika_note(self.unknown, self.unknown_leika)] if self.unknown else []
