"""A tiny hand-made store for the unit tests of pure functions: one Land, one Kreis with two
Gemeinden, two Themenfelder, three Leistungen and a handful of records. No database, no
boundaries: these tests run in about a second."""
from __future__ import annotations

import datetime as dt

from ozgmap.config import SAMPLE_SOURCE

LAND, KREIS, A, B = "05", "05570", "05570004", "05570008"
L1, L2, L3, L4 = "101", "102", "201", "202"   # L4: not kommunal
REAL = "Kreis Warendorf (Test)"


def record(ags: str, ozg_id: str, status: str = "umgesetzt", quelle: str = REAL,
           flaechendeckung: str = "", **more) -> dict:
    return {"ags": ags, "ozg_id": ozg_id, "leika_key": "", "status": status,
            "reifegrad": None, "url": f"https://{ags}.example/{ozg_id}",
            "seit": dt.date(2025, 1, 1), "flaechendeckung": flaechendeckung, "quelle": quelle,
            "stelle": "", "hinweis": "", "stand": None, "erfasst_am": dt.datetime(2025, 1, 2),
            **more}


RECORDS = [record(A, L1), record(KREIS, L2), record(LAND, L3, "in Bearbeitung"),
           record(B, L1, quelle=SAMPLE_SOURCE)]


class TinyStore:
    """The part of :class:`ozgmap.store.Store` a :class:`Snapshot` reads, from lists."""

    def __init__(self, records: list[dict]):
        self._records = records

    def data_version(self) -> int:
        return 1

    def themenfelder(self) -> list[dict]:
        return [{"id": 1, "name": "Familie & Kind"}, {"id": 2, "name": "Bauen & Wohnen"}]

    def lagen(self) -> list[dict]:
        return [{"id": 10, "name": "Geburt", "themenfeld_id": 1},
                {"id": 20, "name": "Bauen", "themenfeld_id": 2}]

    def leistungen(self) -> list[dict]:
        def lst(ozg_id, name, tf, lage, kommunal=True):
            return {"ozg_id": ozg_id, "name": name, "themenfeld_id": tf, "lage_id": lage,
                    "kommunal": kommunal}
        return [lst(L1, "Elterngeld", 1, 10), lst(L2, "Kita-Platz", 1, 10),
                lst(L3, "Baugenehmigung", 2, 20), lst(L4, "Bundesbau", 2, 20, False)]

    def gebiete(self) -> list[dict]:
        def g(ags, name, ebene, kreis=None, bez=""):
            return {"ags": ags, "name": name, "ebene": ebene, "kreis_ags": kreis, "bez": bez}
        return [g("00", "Deutschland", "bund"), g(LAND, "Nordrhein-Westfalen", "land"),
                g(KREIS, "Warendorf", "kreis", KREIS, "Kreis"),
                g(A, "Beelen", "gemeinde", KREIS, "Gemeinde"),
                g(B, "Ennigerloh", "gemeinde", KREIS, "Stadt")]

    def changed_at(self):
        return dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc)

    def record_keys(self):
        """In chunks of two rows, as the store streams them."""
        rows = [(r["ags"], r["ozg_id"], r["leika_key"], r["status"], r["quelle"],
                 r["flaechendeckung"]) for r in self._records]
        return [rows[i:i + 2] for i in range(0, len(rows), 2)]

    def stands(self) -> dict:
        out: dict = {}
        for r in self._records:
            if r["stand"]:
                out[r["quelle"]] = max(out.get(r["quelle"], r["stand"]), r["stand"])
        return out

    def records(self, **where) -> list[dict]:
        return [r for r in self._records if all(r[k] == v for k, v in where.items())]

    def leika_rows(self) -> list[dict]:
        return []
