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
    """One row per Kreis (by AGS) from Gemeinde rows with :data:`KREIS_INPUT`; a Kreis none
    of whose Gemeinden has data has ``online``/``anteil``/``beispieldaten`` None."""
    return kreis_figures_of({c: [r[c] for r in rows] for c in KREIS_INPUT})


def kreis_figures_of(cols: dict[str, list]) -> list[dict]:
    """:func:`kreis_figures` over columns (:data:`KREIS_INPUT` -> values, one per Gemeinde):
    no row is built for a Gemeinde (Germany: 11,299 of them per filter change)."""
    acc: dict[str, list] = {}  # kreis_ags -> [name, gemeinden, mit_daten, total, online, sample]
    for kags, name, total, online, sample in zip(
            cols["kreis_ags"], cols["kreis"], cols["leistungen_im_filter"], cols["online"],
            cols["beispieldaten"]):
        k = acc.get(kags)
        if k is None:
            k = acc[kags] = [name, 0, 0, 0, 0, False]
        k[1] += 1
        if online is not None:
            k[2] += 1
            k[3] += total
            k[4] += online
            k[5] = k[5] or bool(sample)
    out = []
    for kags in sorted(acc):
        name, n, has, total, online, sample = acc[kags]
        out.append({"ags": kags, "name": name, "gemeinden": n, "gemeinden_mit_daten": has,
                    "leistungen_im_filter": total, "online": online if has else None,
                    "anteil": anteil(online, total) if has else None,
                    "beispieldaten": sample if has else None})
    return out


def columns_in_land(cols: dict[str, list], land: str | None) -> dict[str, list]:
    """The columns (with ``ags``) of the Gemeinden of *land* only (all without one)."""
    if not land:
        return cols
    keep = [i for i, a in enumerate(cols["ags"]) if a[:2] == land]
    return {c: [v[i] for i in keep] for c, v in cols.items()}


def in_land(rows: list[dict], land: str | None) -> list[dict]:
    """The rows whose AGS starts with the two digits of *land* (all rows without one)."""
    return rows if not land else [r for r in rows if r["ags"][:2] == land]
