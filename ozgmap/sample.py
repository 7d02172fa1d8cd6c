"""Beispieldaten: plausible, reproducible sample implementations, clearly labelled.

Real per-municipality data exists only behind the federal dashboard export; until a steward
loads it, the map shows these. Every record carries ``quelle = "Beispieldaten"`` and a URL on
the reserved ``.example`` domain, so no sample link can be mistaken for a real service.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import Collection, Mapping

from .config import SAMPLE_SOURCE

SEED = 20241111
SAMPLE_URL = "https://beispieldaten.example/{ags}/{ozg_id}"
_START = dt.date(2019, 1, 1)
_END = dt.date(2026, 10, 31)


def _date(rng: random.Random) -> dt.date:
    return _START + dt.timedelta(days=rng.randrange((_END - _START).days))


def _record(rng: random.Random, ags: str, ozg_id: str, flaeche: str) -> dict:
    roll = rng.random()
    status = "umgesetzt" if roll < 0.8 else ("in Bearbeitung" if roll < 0.93 else "in Planung")
    return {"ags": ags, "ozg_id": ozg_id, "leika_key": "", "status": status,
            "reifegrad": rng.choice([2, 3, 3, 3, 4]) if status == "umgesetzt" else 1,
            "url": SAMPLE_URL.format(ags=ags, ozg_id=ozg_id),
            "seit": _date(rng) if status == "umgesetzt" else None,
            "flaechendeckung": flaeche, "quelle": SAMPLE_SOURCE, "stelle": ""}


def real_land_offers(records: list[dict]) -> dict[str, set[str]]:
    """Per Land AGS, the OZG-IDs that real (not sample) Land-level records already cover.

    *records* are store records of Land bodies (AGS of 2 digits other than the Bund's ``00``).
    """
    out: dict[str, set[str]] = {}
    for r in records:
        if len(r["ags"]) == 2 and r["ags"] != "00" and r["ozg_id"] \
                and r["quelle"] != SAMPLE_SOURCE:
            out.setdefault(r["ags"], set()).add(r["ozg_id"])
    return out


def generate(gebiete: list[dict], leistungen: list[dict], seed: int = SEED,
             exclude_land: Mapping[str, Collection[str]] | None = None) -> list[dict]:
    """Sample records for every Gemeinde and Kreis, plus a few Land- and Bund-wide offers.

    Gemeinden and Kreise only get Leistungen of kommunal Vollzug. Each Kreis has a shared
    level of progress (its Gemeinden use common platforms), each Gemeinde varies around it,
    and each Leistung has its own popularity. *exclude_land* maps a Land's AGS to the OZG-IDs
    real records already cover there (:func:`real_land_offers`), so no Land offer is invented
    for them; the random draws stay the same, so everything else is as without it.
    """
    exclude_land = exclude_land or {}
    rng = random.Random(seed)
    kommunal = sorted(lst["ozg_id"] for lst in leistungen if lst["kommunal"])
    andere = sorted(lst["ozg_id"] for lst in leistungen if not lst["kommunal"])
    popularity = {o: rng.betavariate(1.6, 1.6) for o in kommunal}
    gebiete = sorted(gebiete, key=lambda g: g["ags"])  # same output whatever the input order
    kreis_level = {g["ags"]: rng.uniform(0.15, 1.0) for g in gebiete if g["ebene"] == "kreis"}
    out: list[dict] = []
    for g in gebiete:
        if g["ebene"] == "gemeinde":
            level = min(1.0, max(0.05, kreis_level.get(g["kreis_ags"], 0.5)
                                 * rng.uniform(0.3, 1.5)))
            for o in kommunal:
                if rng.random() < level * popularity[o] * 1.5:
                    out.append(_record(rng, g["ags"], o, ""))
        elif g["ebene"] == "kreis" and g["bez"] == "Kreis":
            for o in kommunal:
                if rng.random() < kreis_level[g["ags"]] * popularity[o] * 0.5:
                    out.append(_record(rng, g["ags"], o, "kreisweit flächendeckend"))
        elif g["ebene"] == "land":
            covered = exclude_land.get(g["ags"], ())
            for o in kommunal + andere:
                if rng.random() < 0.04:
                    rec = _record(rng, g["ags"], o, "landesweit flächendeckend")
                    if o not in covered:  # drawn all the same: the rest stays as it was
                        out.append(rec)
        elif g["ebene"] == "bund":
            for o in andere:
                if rng.random() < 0.12:
                    out.append(_record(rng, g["ags"], o, "bundesweit flächendeckend"))
    return out
