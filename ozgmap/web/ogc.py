"""OGC API - Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0) at ``/ogc``.

Collections ``gemeinden`` and ``kreise`` with the coverage figures as properties; the data
comes from ``ozgmap.ogc``. Parameters are as strict as the rest of the API: unknown, repeated
or oversized ones give a 400 naming the parameter, unknown collections and features a 404.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re

from flask import Blueprint, Response, current_app, render_template, request, url_for

from .. import config as c
from .. import ogc, services
from ..coverage import Filter
from .api import _data, _meta
from .pages import credits
from .params import FILTER_PARAMS, BadParameter, parse_filter, single_args

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
#: the map's filters also apply to items; ``kreis`` is left out (use ``bbox`` or the
#: ``kreis_ags`` property instead)
ITEM_FILTERS = tuple(p for p in FILTER_PARAMS if p != "kreis")
ITEMS_PARAMS = ("bbox", "limit", "offset") + ITEM_FILTERS
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def layer_of(cid: str) -> ogc.Layer:
    """The indexed geometry of a collection, built once per app; 404 for unknown ids."""
    if cid not in ogc.COLLECTIONS:
        raise LookupError(f"Keine Collection '{cid[:40]}'. Vorhanden: "
                          + ", ".join(ogc.COLLECTIONS))
    layers = current_app.extensions.setdefault("ozgmap.ogc", {})
    if cid not in layers:
        layers[cid] = ogc.Layer.build(services().boundaries, cid)
    return layers[cid]


def _read(extra: tuple[str, ...] = ()) -> tuple[dict, str, Filter]:
    """(args, format, filter) of the request; the filter only where *extra* allows it."""
    args = single_args(request, ("f",) + extra, strict=True)
    fmt = args.get("f", "")
    if not fmt:
        best = request.accept_mimetypes.best_match([JSON, GEOJSON, HTML], default=JSON)
        fmt = "html" if best == HTML else "json"
    elif fmt not in ("json", "html"):
        raise BadParameter("f", "f muss 'json' oder 'html' sein.")
    f = Filter()
    if "themenfeld" in extra:
        f = parse_filter(args, services().coverage.snapshot())
    return args, fmt, f


def _int(args: dict, name: str, default: int, minimum: int) -> int:
    v = args.get(name, "")
    if v == "":
        return default
    if not (v.isascii() and v.isdigit()) or int(v) < minimum:
        raise BadParameter(name, f"{name} muss eine ganze Zahl ab {minimum} sein.")
    return int(v)


def parse_bbox(value: str) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` (or with heights: 6 numbers) in CRS84; 400 when malformed."""
    if not value:
        return None
    parts = value.split(",")
    nums = [float(p) for p in parts if _NUMBER.fullmatch(p.strip())]
    if len(parts) not in (4, 6) or len(nums) != len(parts) \
            or not all(math.isfinite(n) for n in nums):
        raise BadParameter("bbox", "bbox muss 4 (oder 6) Zahlen sein: minx,miny,maxx,maxy "
                           "in Längen-/Breitengrad (CRS84), z. B. 7.8,51.8,8.2,52.1.")
    half = len(nums) // 2
    lo, hi = nums[:half], nums[half:]
    minx, miny, maxx, maxy = lo[0], lo[1], hi[0], hi[1]
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BadParameter("bbox", "bbox: es muss minx ≤ maxx (−180…180) und miny ≤ maxy "
                           "(−90…90) gelten.")
    return minx, miny, maxx, maxy


def _href(fmt: str | None = None, **override) -> str:
    """The current URL (absolute) with the format *fmt* and parameters replaced."""
    params = {k: v for k, v in request.args.items() if k != "f"}
    params.update({k: str(v) for k, v in override.items()})
    if fmt:
        params["f"] = fmt
    return url_for(request.endpoint, **(request.view_args or {}), **params, _external=True)


def _link(href: str, rel: str, type_: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": type_, "title": title}


def _self_links(fmt: str, json_type: str = JSON) -> list[dict]:
    here = {"json": (json_type, "als JSON"), "html": (HTML, "als HTML")}
    other = "html" if fmt == "json" else "json"
    return [_link(_href(fmt), "self", here[fmt][0], "dieses Dokument"),
            _link(_href(other), "alternate", here[other][0], "dieses Dokument " + here[other][1])]


def _licence_links() -> list[dict]:
    return [_link(c.LICENCE_BOUNDARIES_URL, "license", HTML,
                  f"Grenzen: {c.CREDIT_BOUNDARIES}, {c.LICENCE_BOUNDARIES}"),
            _link(c.CREDIT_CATALOG_URL, "license", HTML, c.CREDIT_CATALOG)]


def _respond(fmt: str, payload: dict, mimetype: str = JSON, **html) -> Response:
    """*payload* as JSON, or the simple HTML page ``ogc.html`` with *html* as context."""
    snap = services().coverage.snapshot()
    if fmt == "html":
        resp = Response(render_template("ogc.html", credits=credits(),
                                        sample=snap.has_sample, doc=payload, **html),
                        mimetype=HTML)
    else:
        resp = _data(snap, payload, mimetype)
    if not request.args.get("f"):
        resp.vary.add("Accept")
    return resp


def _attribution() -> str:
    return (f"Grenzen: {c.CREDIT_BOUNDARIES}, {c.LICENCE_BOUNDARIES}; {c.CREDIT_CATALOG}")


@bp.get("", strict_slashes=False)
def landing():
    """Landing page: what this service is and where the API description and data are."""
    _args, fmt, _f = _read()
    doc = {"title": "ozgmap: OZG-Landkarte NRW (OGC API - Features)",
           "description": "Gemeinden und Kreise in Nordrhein-Westfalen mit dem Anteil der "
                          "OZG-Leistungen, die online verfügbar sind.",
           "attribution": _attribution(),
           "links": _self_links(fmt) + [
               _link(url_for("ogc.api", _external=True), "service-desc", ogc.OPENAPI_TYPE,
                     "API-Beschreibung (OpenAPI 3.0)"),
               _link(url_for("ogc.conformance", _external=True), "conformance", JSON,
                     "Konformitätsklassen"),
               _link(url_for("ogc.collections", _external=True), "data", JSON,
                     "Collections"),
               _link(url_for("pages.daten", _external=True), "describedby", HTML,
                     "Quellen, Lizenzen, Zählweise, Downloads"),
           ] + _licence_links()}
    return _respond(fmt, doc, kind="landing")


@bp.get("/conformance")
def conformance():
    """The conformance classes this service implements."""
    _args, fmt, _f = _read()
    return _respond(fmt, {"conformsTo": ogc.CONFORMANCE, "links": _self_links(fmt)},
                    kind="conformance", title="Konformitätsklassen")


def _collection_doc(cid: str) -> dict:
    meta = ogc.COLLECTIONS[cid]
    items = url_for("ogc.items", cid=cid, _external=True)
    return {"id": cid, "title": meta["title"], "description": meta["description"],
            "attribution": _attribution(), "itemType": "feature", "crs": [ogc.CRS84],
            "extent": {"spatial": {"bbox": [layer_of(cid).extent], "crs": ogc.CRS84}},
            "links": [_link(url_for("ogc.collection", cid=cid, _external=True), "self", JSON,
                            meta["title"]),
                      _link(items, "items", GEOJSON, "Features als GeoJSON"),
                      _link(items + "?f=html", "items", HTML, "Features als HTML")]
            + _licence_links()}


@bp.get("/collections")
def collections():
    """The feature collections: Gemeinden and Kreise."""
    _args, fmt, _f = _read()
    return _respond(fmt, {"links": _self_links(fmt),
                          "collections": [_collection_doc(cid) for cid in ogc.COLLECTIONS]},
                    kind="collections", title="Collections")


@bp.get("/collections/<cid>")
def collection(cid: str):
    """One collection's description: extent, CRS, links to its items."""
    layer_of(cid)
    _args, fmt, _f = _read()
    doc = _collection_doc(cid)
    doc["links"] = _self_links(fmt) + doc["links"][1:]
    return _respond(fmt, doc, kind="collection", title=doc["title"])


@bp.get("/collections/<cid>/items")
def items(cid: str):
    """Features of a collection: ``bbox`` (intersects), ``limit``, ``offset``, filters."""
    layer = layer_of(cid)
    args, fmt, f = _read(ITEMS_PARAMS)
    bbox = parse_bbox(args.get("bbox", ""))
    limit = min(_int(args, "limit", ogc.DEFAULT_LIMIT, 1), ogc.MAX_LIMIT)
    offset = _int(args, "offset", 0, 0)
    props = ogc.properties(services().coverage, cid, f)
    matched = [a for a in layer.select(bbox) if a in props]
    chosen = matched[offset:offset + limit]
    links = _self_links(fmt, GEOJSON)
    if offset + len(chosen) < len(matched):
        links.append(_link(_href(fmt, offset=offset + limit, limit=limit), "next",
                           links[0]["type"], "nächste Seite"))
    if offset > 0:
        links.append(_link(_href(fmt, offset=max(0, offset - limit), limit=limit), "prev",
                           links[0]["type"], "vorige Seite"))
    links.append(_link(url_for("ogc.collection", cid=cid, _external=True), "collection", JSON,
                       ogc.COLLECTIONS[cid]["title"]))
    snap = services().coverage.snapshot()
    doc = {"type": "FeatureCollection", "numberMatched": len(matched),
           "numberReturned": len(chosen),
           "timeStamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           **_meta(snap, f), "links": links,
           "features": [layer.feature(a, props[a]) for a in chosen]}
    return _respond(fmt, doc, GEOJSON, kind="items", title=ogc.COLLECTIONS[cid]["title"],
                    cid=cid, columns=[p[0] for p in ogc.COLLECTIONS[cid]["properties"]])


@bp.get("/collections/<cid>/items/<fid>")
def item(cid: str, fid: str):
    """One feature by its AGS."""
    layer = layer_of(cid)
    _args, fmt, f = _read(ITEM_FILTERS)
    props = ogc.properties(services().coverage, cid, f)
    if fid not in props or fid not in layer.features:
        raise LookupError(f"Kein Feature '{fid[:40]}' in der Collection '{cid}'.")
    doc = layer.feature(fid, props[fid])
    doc["links"] = _self_links(fmt, GEOJSON) + [
        _link(url_for("ogc.collection", cid=cid, _external=True), "collection", JSON,
              ogc.COLLECTIONS[cid]["title"])]
    return _respond(fmt, doc, GEOJSON, kind="item", title=props[fid]["name"], cid=cid,
                    columns=[p[0] for p in ogc.COLLECTIONS[cid]["properties"]])


@bp.get("/api")
def api():
    """The OpenAPI 3.0 description of this service."""
    args = single_args(request, ("f",), strict=True)
    if args.get("f", "json") not in ("json", ""):
        raise BadParameter("f", "Die API-Beschreibung gibt es nur als JSON (f=json).")
    snap = services().coverage.snapshot()
    doc = ogc.openapi(url_for("ogc.landing", _external=True), snap)
    return Response(json.dumps(doc, ensure_ascii=False, separators=(",", ":")),
                    content_type=ogc.OPENAPI_TYPE)
