"""The map's national view: figures per Kreis from those of its Gemeinden, and the rows of one
Land. Pure functions over the rows of ``Coverage.figures`` (no Flask, no snapshot internals).

A Kreis's share is the sum of ``online`` over its Gemeinden with data divided by the sum of
their ``leistungen_im_filter``; as every Gemeinde counts the same Leistungen for a filter, it
is the mean of its Gemeinden's shares (the legend says so).
"""
from __future__ import annotations

from .coverage import anteil

#: the columns of a Kreis row (``/api/umsetzung?ebene=kreise``)
KREIS_COLUMNS = ["ags", "name", "gemeinden", "gemeinden_mit_daten", "leistungen_im_filter",
                 "online", "anteil", "beispieldaten"]
LEVELS = ("gemeinden", "kreise")
#: the Gemeinde columns a Kreis row is made of
KREIS_INPUT = ["ags", "kreis_ags", "kreis", "leistungen_im_filter", "online", "beispieldaten"]


def kreis_figures(rows: list[dict]) -> list[dict]:
    """One row per Kreis (by AGS) from Gemeinde rows with ``kreis_ags``, ``kreis``,
    ``leistungen_im_filter``, ``online`` and ``beispieldaten``; a Kreis none of whose
    Gemeinden has data has ``online``/``anteil`` None."""
    out: dict[str, dict] = {}
    for r in rows:
        k = out.setdefault(r["kreis_ags"], {"ags": r["kreis_ags"], "name": r["kreis"],
                                            "gemeinden": 0, "gemeinden_mit_daten": 0,
                                            "leistungen_im_filter": 0, "online": 0,
                                            "beispieldaten": False})
        k["gemeinden"] += 1
        if r["online"] is None:
            continue
        k["gemeinden_mit_daten"] += 1
        k["leistungen_im_filter"] += r["leistungen_im_filter"]
        k["online"] += r["online"]
        k["beispieldaten"] = k["beispieldaten"] or bool(r["beispieldaten"])
    for k in out.values():
        has = k["gemeinden_mit_daten"] > 0
        k["anteil"] = anteil(k["online"], k["leistungen_im_filter"]) if has else None
        if not has:
            k["online"] = k["beispieldaten"] = None
    return [{c: out[a][c] for c in KREIS_COLUMNS} for a in sorted(out)]


def in_land(rows: list[dict], land: str | None) -> list[dict]:
    """The rows whose AGS starts with the two digits of *land* (all rows without one)."""
    return rows if not land else [r for r in rows if r["ags"][:2] == land]
