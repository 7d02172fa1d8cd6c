"""OGC API - Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0) at ``/ogc``.

Collections ``gemeinden`` and ``kreise`` with the coverage figures as properties; the data
comes from ``ozgmap.features``. Parameters are as strict as the rest of the API: unknown, repeated
or oversized ones give a 400 naming the parameter, unknown collections and features a 404.
"""
from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, Response, render_template, request, url_for

from .. import config as c
from .. import features
from ..app_services import services
from ..filters import Filter
from .common import (GEOJSON, HTML, JSON, attribution_text, credits, json_response, layer_of,
                     meta)
from .params import BadParameter, parse_bbox, parse_filter, single_args

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

ITEM_FILTERS = features.ITEM_FILTERS
ITEMS_PARAMS = ("bbox", "limit", "offset") + ITEM_FILTERS


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
    """*payload* as JSON, or the simple HTML page ``features.html`` with *html* as context."""
    snap = services().coverage.snapshot()
    if fmt == "html":
        resp = Response(render_template("ogc.html", credits=credits(),
                                        sample=snap.has_sample, doc=payload, **html),
                        mimetype=HTML)
    else:
        resp = json_response(snap, payload, mimetype)
    if not request.args.get("f"):
        resp.vary.add("Accept")
    return resp


@bp.get("", strict_slashes=False)
def landing():
    """Landing page: what this service is and where the API description and data are."""
    _args, fmt, _f = _read()
    doc = {"title": "ozgmap: OZG-Landkarte NRW (OGC API - Features)",
           "description": "Gemeinden und Kreise in Nordrhein-Westfalen mit dem Anteil der "
                          "OZG-Leistungen, die online verfügbar sind.",
           "attribution": attribution_text(),
           "links": _self_links(fmt) + [
               _link(url_for("ogc.api", _external=True), "service-desc", features.OPENAPI_TYPE,
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
    return _respond(fmt, {"conformsTo": features.CONFORMANCE, "links": _self_links(fmt)},
                    kind="conformance", title="Konformitätsklassen")


def _collection_doc(cid: str) -> dict:
    meta = features.COLLECTIONS[cid]
    items = url_for("ogc.items", cid=cid, _external=True)
    return {"id": cid, "title": meta["title"], "description": meta["description"],
            "attribution": attribution_text(), "itemType": "feature", "crs": [features.CRS84],
            "extent": {"spatial": {"bbox": [layer_of(cid).extent], "crs": features.CRS84}},
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
                          "collections": [_collection_doc(cid) for cid in features.COLLECTIONS]},
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
    props = features.properties(services().coverage, cid, f)
    pg = features.page(layer, props, bbox, _int(args, "limit", features.DEFAULT_LIMIT, 1),
                       _int(args, "offset", 0, 0))
    links = _self_links(fmt, GEOJSON)
    if pg.next_offset is not None:
        links.append(_link(_href(fmt, offset=pg.next_offset, limit=pg.limit), "next",
                           links[0]["type"], "nächste Seite"))
    if pg.prev_offset is not None:
        links.append(_link(_href(fmt, offset=pg.prev_offset, limit=pg.limit), "prev",
                           links[0]["type"], "vorige Seite"))
    links.append(_link(url_for("ogc.collection", cid=cid, _external=True), "collection", JSON,
                       features.COLLECTIONS[cid]["title"]))
    snap = services().coverage.snapshot()
    doc = {"type": "FeatureCollection", "numberMatched": pg.matched,
           "numberReturned": len(pg.chosen),
           "timeStamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           **meta(snap, f), "links": links,
           "features": [layer.feature(a, props[a]) for a in pg.chosen]}
    return _respond(fmt, doc, GEOJSON, kind="items", title=features.COLLECTIONS[cid]["title"],
                    cid=cid, columns=[p[0] for p in features.COLLECTIONS[cid]["properties"]])


@bp.get("/collections/<cid>/items/<fid>")
def item(cid: str, fid: str):
    """One feature by its AGS."""
    layer = layer_of(cid)
    _args, fmt, f = _read(ITEM_FILTERS)
    props = features.properties(services().coverage, cid, f)
    if fid not in props or fid not in layer.features:
        raise LookupError(f"Kein Feature '{fid[:40]}' in der Collection '{cid}'.")
    doc = layer.feature(fid, props[fid])
    doc["links"] = _self_links(fmt, GEOJSON) + [
        _link(url_for("ogc.collection", cid=cid, _external=True), "collection", JSON,
              features.COLLECTIONS[cid]["title"])]
    return _respond(fmt, doc, GEOJSON, kind="item", title=props[fid]["name"], cid=cid,
                    columns=[p[0] for p in features.COLLECTIONS[cid]["properties"]])


@bp.get("/api")
def api():
    """The OpenAPI 3.0 description of this service."""
    args = single_args(request, ("f",), strict=True)
    if args.get("f", "json") not in ("json", ""):
        raise BadParameter("f", "Die API-Beschreibung gibt es nur als JSON (f=json).")
    snap = services().coverage.snapshot()
    doc = features.openapi(url_for("ogc.landing", _external=True), snap)
    return Response(json.dumps(doc, ensure_ascii=False, separators=(",", ":")),
                    content_type=features.OPENAPI_TYPE)
