"""The JSON/GeoJSON/CSV API: the data of every page, with the same filter parameters."""
from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from .. import nachbarn as nachbarn_mod
from ..app_services import services
from ..coverage import table
from ..filters import STATUS_ORDER
from ..overview import body_with_overview
from .common import (GEOJSON, csv_response, data_format, figure_columns, figure_level,
                     figure_rows, figures_bytes, json_bytes, json_response, meta)
from .params import (BadParameter, parse_ags, parse_filter, read_filter, read_nachbarn,
                     single_args)

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_GEBIETE = 2000  # GeoJSON with figures for more Gemeinden needs a kreis (5 MB limit)


@bp.get("/themenfelder")
def themenfelder():
    """The 14 Themenfelder with their number of OZG-Leistungen."""
    snap, _f, _ = read_filter(strict=True)
    counts: dict[int, list[int]] = {}
    for lst in snap.leistungen.values():
        c = counts.setdefault(lst["themenfeld_id"], [0, 0])
        c[0] += 1
        c[1] += int(bool(lst["kommunal"]))
    return json_response(snap, {"themenfelder": [
        {"id": t["id"], "name": t["name"], "leistungen": counts.get(t["id"], [0, 0])[0],
         "kommunal": counts.get(t["id"], [0, 0])[1]} for t in snap.themenfelder],
        "status": STATUS_ORDER, **meta(snap)})


@bp.get("/leistungen")
def leistungen():
    """OZG-Leistungen, optionally of one Themenfeld and matching a search text ``q``."""
    snap = services().coverage.snapshot()
    args = single_args(request, ("themenfeld", "q"), strict=True)
    f = parse_filter({"themenfeld": args.get("themenfeld", "")}, snap)
    q = args.get("q", "").casefold()
    out = []
    for lst in sorted(snap.leistungen.values(), key=lambda r: r["name"].casefold()):
        if f.themenfeld and lst["themenfeld_id"] != f.themenfeld:
            continue
        if q and q not in lst["name"].casefold() and q != lst["ozg_id"]:
            continue
        lage = snap.lagen.get(lst["lage_id"], {})
        out.append({"ozg_id": lst["ozg_id"], "name": lst["name"],
                    "themenfeld_id": lst["themenfeld_id"],
                    "themenfeld": snap.themenfeld_names.get(lst["themenfeld_id"]),
                    "lage": lage.get("name"), "kommunal": bool(lst["kommunal"])})
    return json_response(snap, {"anzahl": len(out), "leistungen": out, **meta(snap)})


@bp.get("/umsetzung")
def umsetzung():
    """Umsetzungsgrad per Gemeinde for the filter, as JSON or (``format=csv``) CSV; ``felder``
    chooses the columns; ``ebene=kreise`` answers per Kreis (from its Gemeinden), ``land``
    only the Gemeinden (or Kreise) of one Land (two digits)."""
    snap, f, args = read_filter(strict=True, extra=("format", "felder", "ebene", "land"))
    fmt = data_format(args)
    ebene, land = figure_level(args, snap)
    cols = figure_columns(args.get("felder"), ebene)
    if fmt == "csv":
        rows = figure_rows(snap, f, ebene, land)
        return csv_response(cols, [[r[c] for c in cols] for r in rows], "ozg-umsetzung.csv")
    # every filter change of the map asks for this: serialised once per filter and data version
    return json_response(snap, figures_bytes(snap, f, cols, ebene, land))


@bp.get("/gebiete")
def gebiete():
    """GeoJSON FeatureCollection of the Gemeinden with the figures for the filter."""
    snap, f, _ = read_filter(strict=True)
    cov = services().coverage
    if not f.kreis and len(snap.gemeinden) > MAX_GEBIETE:
        raise BadParameter("kreis", f"{len(snap.gemeinden)} Gemeinden sind für eine Antwort "
                           "zu viele: bitte kreis angeben, oder die Geometrie einmal von "
                           "/api/geometrie/… und die Zahlen von /api/umsetzung holen, oder "
                           "/ogc/collections/gemeinden/items seitenweise.")

    def build(_s) -> bytes:
        by_ags = {r["ags"]: r for r in cov.figures(f, snap)}
        feats = [{"type": "Feature", "id": ags, "properties": by_ags[ags],
                  "geometry": feat["geometry"]}
                 for ags, feat in services().boundaries.features("gemeinden").items()
                 if ags in by_ags]
        return json_bytes({"type": "FeatureCollection", **meta(snap, f), "features": feats})
    return json_response(snap, cov.cached(("gebiete.geojson",) + f.key(), build, snap),
                 GEOJSON)


@bp.get("/gebiete/<ags>")
def gebiet(ags: str):
    """One body (Gemeinde, Kreis, Land or Bund): its offers by Themenfeld, with providers."""
    snap, f, _ = read_filter(strict=True)
    ags = parse_ags(ags, snap)
    body = body_with_overview(services().coverage, ags, f, snap, url_for("pages.nachbarn"))
    # this answer's "beispieldaten": whether the body's offers shown here are sample data
    return json_response(snap, {**body, **meta(snap, f), "beispieldaten": body["beispieldaten"]})


@bp.get("/geometrie/<level>.geojson")
def geometrie(level: str):
    """Plain geometry of ``gemeinden`` or ``kreise`` (no figures), loaded once, cacheable."""
    if level not in ("gemeinden", "kreise"):
        raise LookupError(f"Keine Geometrie '{level[:40]}'. Erlaubt: gemeinden, kreise.")
    single_args(request, ("v",), strict=True)
    return _geometry_response(services().boundaries.geojson_bytes(level),
                              GEOJSON)


@bp.get("/geometrie/<name>.topojson")
def geometrie_topo(name: str):
    """The map's geometry as TopoJSON (Gemeinden and Kreise sharing their borders):
    ``uebersicht`` (all, simplified for small scales, with the index of the detailed parts)
    or ``karte-<Land>`` (one Land in full detail)."""
    try:
        body = services().boundaries.topojson_bytes(name)
    except KeyError:
        raise LookupError(f"Keine Geometrie '{name[:40]}'. Erlaubt: "
                          + ", ".join(services().boundaries.topo_names) + ".")
    single_args(request, ("v",), strict=True)
    return _geometry_response(body, "application/json")


def _geometry_response(body: bytes, mimetype: str) -> Response:
    """Geometry changes only with a new build: cacheable for a day (the page adds ``v``)."""
    resp = Response(body, mimetype=mimetype)
    resp.cache_control.public = True
    resp.cache_control.max_age = 86400
    return resp


@bp.get("/tabelle")
def tabelle_json():
    """JSON twin of ``/tabelle``: per Gemeinde the overall figure and one per Themenfeld."""
    snap, f, _ = read_filter(strict=True)
    t = table(services().coverage, f)
    return json_response(snap, {**meta(snap, f), "themenfelder": t["themenfelder"],
                        "gebiete": t["rows"]})


@bp.get("/nachbarn")
def nachbarn():
    """Who near a Gemeinde or Kreis already offers a Leistung, Lage or Themenfeld online,
    with the one-line answer."""
    p = read_nachbarn(strict=True, extra=("format",))
    if not p["asked"]:
        raise BadParameter("leistung", "Bitte leistung, lage oder themenfeld angeben.")
    fmt = data_format(p["args"])
    data = nachbarn_mod.report(p["snap"], services().boundaries, p["ags"], p["f"], p["lage"])
    if fmt == "csv":
        return csv_response(nachbarn_mod.NACHBARN_CSV, nachbarn_mod.offer_rows(data),
                            f"nachbarn-{p['ags']}.csv")
    return json_response(p["snap"], {**data, **meta(p["snap"], p["f"])})


@bp.get("/luecken")
def luecken():
    """Leistungen at least ``min`` direct neighbours offer that the residents lack; with
    ``alle=1`` also those they have through the body itself, Kreis, Land or Bund."""
    p = read_nachbarn(strict=True, extra=("format",))
    fmt = data_format(p["args"])
    data = nachbarn_mod.gaps(p["snap"], services().boundaries, p["ags"], p["min"], p["f"],
                             p["alle"])
    if fmt == "csv":
        return csv_response(nachbarn_mod.LUECKEN_CSV, nachbarn_mod.gap_rows(data),
                            f"luecken-{p['ags']}.csv")
    return json_response(p["snap"], {**data, **meta(p["snap"], p["f"])})
