"""The per-region export of the federal "Dashboard Digitale Verwaltung" (Open-PVOG), read
unchanged, and its download (:func:`fetch_dashboard`).

Used columns: ``leika_key, ars, ozgid, url, online_status, aktiv, art_flaechendeckung``; the
others (``leika_name, ars_name, bundesland`` …) are ignored. The 12-digit ARS maps to an AGS
(:func:`ars_to_ags`). Status is ``umgesetzt`` if ``online_status = ok`` and ``aktiv = ja``,
else ``in Bearbeitung`` (listed but not usable online: work in progress, not "offen").
OZG-ID from ``ozgid`` if the catalogue knows it, else through the LeiKa key.
"""
from __future__ import annotations

import http.client
import io
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .. import safety
from .base import (MAX_BYTES, DownloadFailed, Layout, Row, check_flaeche, check_leika,
                   check_url, choice)

DASHBOARD_COLUMNS = ["leika_key", "leika_name", "leika_bezeichnung", "ars", "ars_name",
                     "ars_federal_state", "bundesland", "ozgid", "ozg_bezeichnung", "url",
                     "online_status", "aktiv", "art_flaechendeckung"]
DASHBOARD_REQUIRED = ["leika_key", "ars", "ozgid", "url", "online_status", "aktiv",
                      "art_flaechendeckung"]
DASHBOARD_SOURCE = "Dashboard Digitale Verwaltung (Export {name})"


def ars_to_ags(ars: str) -> str:
    """12-digit Regionalschlüssel -> AGS: Gemeinde (8), Kreis (5), Land (2) or Bund ``00``."""
    if not ars.strip("0"):
        return "00"
    if not ars[2:].strip("0"):
        return ars[:2]
    if ars[9:] == "000":
        return ars[:5]
    return ars[:5] + ars[9:]


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

    def record(self, row: Row) -> dict:
        cat = self.cat
        ars, ags = row.get("ars"), ""
        if not re.fullmatch(r"[0-9]{12}", ars):
            row.err("ars", "ARS (Regionalschlüssel) muss 12 Ziffern haben")
        else:
            ags = ars_to_ags(ars)
            if ags not in cat.gebiete:
                row.err("ars", f"ARS unbekannt: AGS {ags} ist kein Gebiet in der Datenbank")
        leika_key, ozgid = check_leika(row, cat), row.get("ozgid")
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
        online = choice(row.get("online_status"), ["ok", "nicht ok"])
        if online is None:
            row.err("online_status", "online_status muss „ok“ oder „nicht ok“ sein")
        aktiv = choice(row.get("aktiv"), ["ja", "nein"])
        if aktiv is None:
            row.err("aktiv", "aktiv muss „ja“ oder „nein“ sein")
        return {"ags": ags, "ozg_id": ozg_id, "leika_key": leika_key or "",
                "status": "umgesetzt" if (online, aktiv) == ("ok", "ja") else "in Bearbeitung",
                "reifegrad": None, "url": check_url(row, "url"), "seit": None,
                "flaechendeckung": check_flaeche(row, "art_flaechendeckung"),
                "quelle": DASHBOARD_SOURCE.format(name=row.file), "stelle": ""}


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
    if body.startswith(b"PK"):
        try:
            safety.check_xlsx(io.BytesIO(body))
        except safety.UnsafeArchive as exc:
            raise DownloadFailed(f"Dashboard-Export für ARS {ars} abgelehnt: {exc}") from None
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"dashboard-{ars}.{'xlsx' if body.startswith(b'PK') else 'csv'}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(body)
    tmp.replace(dest)
    return dest
