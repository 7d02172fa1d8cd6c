"""The Wirtschafts-Service-Portal.NRW list of live online services (d-NRW, see
``docs/import.md``).

Used columns: ``Nummer`` (LeiKa key), ``Live``, ``Landingpage`` / ``Direktlink …`` (paths on
the portal), ``Stelle``, ``Name`` (for messages). Each row is a Land-level record (AGS ``05``,
"landesweit flächendeckend"); a LeiKa key the catalogue does not map to an OZG-Leistung is kept
with an empty ozg_id and reported, not refused. Identical repeated rows are merged.
"""
from __future__ import annotations

import re

from .. import safety
from ..catalog import sha256_of
from ..config import SHA256, WSP_BASE_URL, WSP_FILE, WSP_SOURCE, WSP_STAND
from ..store import Store
from .base import Layout, Row, choice, examples, fail, rows_text, unknown_leika_note

WSP_COLUMNS = ["name", "nummer", "onlinedienst (übergeordnet)", "live", "landingpage",
               "direktlink (nur ods ohne landingpage)", "stelle"]
WSP_REQUIRED = ["nummer", "live", "stelle"]
#: ``quelle`` of a WSP list other than the pinned one (whose Stand is known: WSP_SOURCE).
WSP_OTHER_SOURCE = "Wirtschafts-Service-Portal.NRW (d-NRW), Liste der Live-Dienste ({name})"
#: ``Stelle`` notes: no NRW body is connected yet (-> in Bearbeitung) / no NRW service (skipped).
WSP_NO_AP = re.compile(r"keine\s+APs?\s+aus\s+NRW", re.IGNORECASE)
WSP_NOT_NRW = re.compile(r"^keine\s+Zuständigkeit\s+in\s+NRW|mit\s+abgedeckt", re.IGNORECASE)


class WspLayout(Layout):
    """The WSP.NRW list: Land-level records, with notes on what was kept, skipped, merged."""

    name = "wsp"
    columns = WSP_COLUMNS
    required = WSP_REQUIRED
    key_columns = "nummer"
    merge_identical = True
    hint = "die WSP.NRW-Liste der Live-Dienste (Name, Nummer, Live, Landingpage, Stelle)"
    signature_only = True

    @classmethod
    def recognises(cls, present: list[str]) -> bool:
        """``Nummer``, ``Live`` and a link column (Landingpage/Direktlink)."""
        return "nummer" in present and "live" in present and any(
            n == "landingpage" or n.startswith("direktlink") for n in present)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pinned = self.path is not None and sha256_of(self.path) == SHA256[WSP_FILE]
        self.source = WSP_SOURCE if pinned else WSP_OTHER_SOURCE.format(name=self.file)
        self.seit = WSP_STAND if pinned else None
        self.unknown: list[str] = []
        self.skipped_rows: list[str] = []
        self.merged_rows: list[str] = []
        self.no_ap: list[str] = []

    def check_store(self, store: Store) -> None:
        if "05" not in self.cat.gebiete:
            raise fail(self.file, "Land NRW (AGS 05) ist kein Gebiet in der Datenbank")

    def record(self, row: Row) -> dict | None:
        """A Land-level record of one row; None for a row whose ``Stelle`` says it is no
        service of its own in NRW (no NRW competence, covered by another service)."""
        cat, source, seit = self.cat, self.source, self.seit
        key, ozg_id = row.get("nummer"), ""
        if not re.fullmatch(r"[0-9]{14}", key):
            row.err("nummer", "LeiKa-Schlüssel (Nummer) muss 14 Ziffern haben")
        else:
            ozg_id = cat.leika.get(key, "")  # unknown keys are kept (ozg_id '') and reported
        live = choice(row.get("live"), ["Ja", "Nein"])
        if live is None:
            row.err("live", "Live muss „Ja“ oder „Nein“ sein")
        stelle = " ".join(row.get("stelle").split())
        link_col = "landingpage" if row.get("landingpage") else next(
            (c for c in row.data if c and c.startswith("direktlink") and row.data[c]),
            "landingpage")
        link = row.get(link_col)
        url = WSP_BASE_URL + link if link.startswith("/") else link
        problem = safety.url_problem(url) if link else None
        if problem:
            row.err(link_col, "Link muss ein Pfad auf dem Portal (/…) oder eine "
                              f"http(s)-Adresse sein: {problem}")
            url = ""
        if WSP_NOT_NRW.search(stelle):
            return None
        status = "in Bearbeitung" if live == "Nein" or WSP_NO_AP.search(stelle) else "umgesetzt"
        return {"ags": "05", "ozg_id": ozg_id, "leika_key": key, "status": status,
                "reifegrad": None, "url": url, "seit": seit if status == "umgesetzt" else None,
                "flaechendeckung": "landesweit flächendeckend", "quelle": source, "stelle": stelle}

    def skipped(self, row: Row) -> None:
        self.skipped_rows.append(f"Zeile {row.line}: {row.get('nummer')} „{row.get('name')}“ "
                                 f"({' '.join(row.get('stelle').split())})")

    def kept(self, line: int, row: Row, rec: dict) -> None:
        if not rec["ozg_id"]:
            self.unknown.append(f"Zeile {line}: {rec['leika_key']} „{row.get('name')}“")
            self.unknown_leika += 1
        if WSP_NO_AP.search(rec["stelle"]):
            self.no_ap.append(f"Zeile {line}")

    def merged(self, line: int, first: int, rec: dict) -> None:
        self.merged_rows.append(f"Zeile {line} = Zeile {first} ({rec['leika_key']})")

    def notes(self) -> list[str]:
        out = []
        if self.unknown:
            out.append(unknown_leika_note(self.unknown))
        if self.skipped_rows:
            out.append(
                f"{rows_text(len(self.skipped_rows))} nicht übernommen, weil die Spalte Stelle "
                f"keine eigene Leistung in NRW angibt: {examples(self.skipped_rows, 10)}")
        if self.no_ap:
            out.append(
                f"{rows_text(len(self.no_ap))} mit dem Hinweis „keine AP aus NRW vorhanden“ "
                "(keine NRW-Stelle angebunden): Status „in Bearbeitung“ "
                f"({examples(self.no_ap, 20)})")
        if self.merged_rows:
            out.append(f"{rows_text(len(self.merged_rows))} doppelt (gleich wie eine frühere "
                       f"Zeile), einmal übernommen: {examples(self.merged_rows, 10)}")
        return out
