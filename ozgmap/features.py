"""OGC API - Features provider: the Gemeinden and Kreise as feature collections.

No Flask in here. This module knows the collections, their properties (the coverage figures of
a filter), selects features by bounding box, pages them and writes the OpenAPI document; the
web layer (``web/ogc.py``) parses requests and builds links.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely

from .coverage import Coverage
from .filters import FILTER_PARAMS, Filter, openapi_parameters
from .snapshot import Snapshot

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT = 10
#: the map's filters also apply to items; ``kreis`` is left out (use ``bbox`` or the
#: ``kreis_ags`` property instead)
ITEM_FILTERS = tuple(p for p in FILTER_PARAMS if p != "kreis")
MAX_LIMIT = 1000  # pygeoapi's habit; a larger limit is served as MAX_LIMIT (OGC 17-069r4)

#: collection id -> title, description and the properties of its features (name, type, text)
COLLECTIONS: dict[str, dict] = {
    "gemeinden": {
        "title": "Gemeinden in NRW mit OZG-Umsetzungsgrad",
        "description": (
            "Die 396 Gemeinden Nordrhein-Westfalens (BKG VG250) mit dem Anteil der "
            "kommunalen OZG-Leistungen im Filter, die online verfügbar sind. Ohne "
            "Filterparameter: alle Themenfelder, Status 'umgesetzt', Sicht 'für Einwohner "
            "verfügbar'."),
        "properties": [
            ("ags", "string", "Amtlicher Gemeindeschlüssel (8 Ziffern)"),
            ("name", "string", "Name der Gemeinde"),
            ("bez", "string", "Stadt oder Gemeinde"),
            ("kreis_ags", "string", "Schlüssel des Kreises (5 Ziffern)"),
            ("kreis", "string", "Name des Kreises"),
            ("leistungen_im_filter", "integer", "Zahl der OZG-Leistungen im Filter"),
            ("online", "integer", "davon online (leer: keine Daten)"),
            ("anteil", "number", "online / leistungen_im_filter, 0–1 (leer: keine Daten)"),
            ("eigene", "integer", "davon von der Gemeinde selbst angeboten"),
            ("vom_kreis", "integer", "davon nur vom Kreis angeboten"),
            ("vom_land_bund", "integer", "davon nur von Land oder Bund angeboten"),
        ],
    },
    "kreise": {
        "title": "Kreise und kreisfreie Städte in NRW mit OZG-Umsetzungsgrad",
        "description": (
            "Die 53 Kreise und kreisfreien Städte Nordrhein-Westfalens (BKG VG250). "
            "Kennzahlen: Mittelwert und Median des Umsetzungsgrads ihrer Gemeinden (nur "
            "Gemeinden mit Daten) und die Zahl der Leistungen im Filter, die der Kreis selbst "
            "online anbietet."),
        "properties": [
            ("ags", "string", "Kreisschlüssel (5 Ziffern)"),
            ("name", "string", "Name des Kreises"),
            ("bez", "string", "Kreis oder Kreisfreie Stadt"),
            ("gemeinden", "integer", "Zahl der Gemeinden"),
            ("gemeinden_mit_daten", "integer", "davon Gemeinden mit Daten"),
            ("leistungen_im_filter", "integer", "Zahl der OZG-Leistungen im Filter"),
            ("anteil_mittel", "number", "Mittelwert von 'anteil' der Gemeinden mit Daten, 0–1"),
            ("anteil_median", "number", "Median von 'anteil' der Gemeinden mit Daten, 0–1"),
            ("eigene", "integer",
             "Leistungen im Filter, die der Kreis selbst online anbietet (leer: keine Daten)"),
        ],
    },
}


@dataclass
class Layer:
    """The geometry of one collection, indexed once: ids in AGS order and an STRtree."""

    ids: list[str]
    geometries: np.ndarray
    tree: shapely.STRtree
    features: dict[str, dict]  # AGS -> shipped GeoJSON feature (rounded coordinates)

    @classmethod
    def build(cls, boundaries, collection: str) -> "Layer":
        """Index ``boundaries.gemeinden`` or ``.kreise`` (EPSG:4326, sorted by AGS)."""
        gdf = boundaries.gemeinden if collection == "gemeinden" else boundaries.kreise
        geoms = np.asarray(gdf.geometry.values)
        return cls(ids=list(gdf.ags), geometries=geoms, tree=shapely.STRtree(geoms),
                   features=boundaries.features(collection))

    @property
    def extent(self) -> list[float]:
        """[minx, miny, maxx, maxy] of the whole collection (CRS84)."""
        return [round(float(v), 5) for v in shapely.total_bounds(self.geometries)]

    def select(self, bbox: tuple[float, float, float, float] | None) -> list[str]:
        """AGS (in AGS order) of the features whose geometry intersects *bbox*."""
        if bbox is None:
            return list(self.ids)
        hits = self.tree.query(shapely.box(*bbox), predicate="intersects")
        return [self.ids[i] for i in sorted(hits)]

    def feature(self, ags: str, props: dict) -> dict:
        return {"type": "Feature", "id": ags, "geometry": self.features[ags]["geometry"],
                "properties": props}


@dataclass
class Page:
    """One page of a collection's items: what matched, what is returned, and the offsets
    of the next and previous pages (None where there is none)."""

    matched: int
    chosen: list[str]
    limit: int
    next_offset: int | None
    prev_offset: int | None


def page(layer: Layer, props: dict[str, dict], bbox: tuple[float, float, float, float] | None,
         limit: int, offset: int) -> Page:
    """The features of *layer* with properties that intersect *bbox*, from *offset* on, at
    most *limit* (capped at :data:`MAX_LIMIT`)."""
    limit = min(limit, MAX_LIMIT)
    matched = [a for a in layer.select(bbox) if a in props]
    chosen = matched[offset:offset + limit]
    return Page(matched=len(matched), chosen=chosen, limit=limit,
                next_offset=offset + limit if offset + len(chosen) < len(matched) else None,
                prev_offset=max(0, offset - limit) if offset > 0 else None)


def properties(cov: Coverage, collection: str, f: Filter) -> dict[str, dict]:
    """AGS -> feature properties of *collection* for filter *f*, cached per data version."""
    if collection == "gemeinden":
        return cov.cached(("ogc", collection) + f.key(),
                          lambda _s: {r["ags"]: dict(r) for r in cov.figures(f)})
    return cov.cached(("ogc", collection) + f.key(), lambda s: _kreise(s, cov.figures(f), f))


def _kreise(s: Snapshot, figures: list[dict], f: Filter) -> dict[str, dict]:
    """Kreis figures: mean and median ``anteil`` of its Gemeinden, and its own offers."""
    by_kreis: dict[str, list[dict]] = defaultdict(list)
    for r in figures:
        by_kreis[r["kreis_ags"]].append(r)
    wanted = s.in_filter(f)
    out = {}
    for k in sorted(s.kreise, key=lambda k: k["ags"]):
        rows = by_kreis.get(k["ags"], [])
        shares = [r["anteil"] for r in rows if r["anteil"] is not None]
        has_own = s.has_data(k["ags"], Filter(ansicht="eigene", nur_echt=f.nur_echt))
        own = {r["ozg_id"] for r in s.body_records(k["ags"], f)} & wanted
        out[k["ags"]] = {
            "ags": k["ags"], "name": k["name"], "bez": k["bez"],
            "gemeinden": len(rows), "gemeinden_mit_daten": len(shares),
            "leistungen_im_filter": len(wanted),
            "anteil_mittel": round(statistics.fmean(shares), 4) if shares else None,
            "anteil_median": round(statistics.median(shares), 4) if shares else None,
            "eigene": len(own) if has_own else None,
        }
    return out


# --- OpenAPI 3.0 --------------------------------------------------------------------------

def _param(name: str, schema: dict, description: str, *, where: str = "query",
           required: bool = False, **extra) -> dict:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema, **extra}


def openapi(server: str, snap: Snapshot, title: str = "ozgmap OGC API - Features") -> dict:
    """The OpenAPI 3.0 document of ``/ogc`` (served at ``/ogc/api``)."""
    ref = "#/components/parameters/"
    f_param = _param("f", {"type": "string", "enum": ["json", "html"]},
                     "Ausgabeformat; ohne Angabe nach Accept-Header (Standard: JSON).")
    params = {
        "f": f_param,
        "bbox": _param("bbox", {"type": "array", "minItems": 4, "maxItems": 6,
                                "items": {"type": "number"}},
                       "minx,miny,maxx,maxy in CRS84 (Länge/Breite); liefert die Features, "
                       "die das Rechteck schneiden.", style="form", explode=False),
        "limit": _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                  "default": DEFAULT_LIMIT},
                        f"Höchstzahl Features je Seite; größere Werte gelten als {MAX_LIMIT}.",
                        style="form", explode=False),
        "offset": _param("offset", {"type": "integer", "minimum": 0, "default": 0},
                         "Anzahl übersprungener Features (Blättern).", style="form",
                         explode=False),
        "collectionId": _param("collectionId", {"type": "string", "enum": list(COLLECTIONS)},
                               "Collection", where="path", required=True),
        "featureId": _param("featureId", {"type": "string"}, "AGS des Features",
                            where="path", required=True),
        **openapi_parameters(snap, ITEM_FILTERS),
    }
    filter_refs = [{"$ref": ref + n} for n in ITEM_FILTERS]
    items_params = [{"$ref": ref + n} for n in ("bbox", "limit", "offset", "f")] + filter_refs

    def ok(schema: str, media: str = "application/json", text: str = "OK") -> dict:
        content = {media: {"schema": {"$ref": "#/components/schemas/" + schema}},
                   "text/html": {"schema": {"type": "string"}}}
        return {"200": {"description": text, "content": content},
                "400": {"$ref": "#/components/responses/Error"},
                "404": {"$ref": "#/components/responses/Error"}}

    def get(op: str, summary: str, parameters: list, responses: dict, tag: str) -> dict:
        return {"get": {"operationId": op, "summary": summary, "tags": [tag],
                        "parameters": parameters, "responses": responses}}

    paths = {
        "/": get("getLandingPage", "Startseite", [{"$ref": ref + "f"}],
                 ok("landingPage"), "Capabilities"),
        "/conformance": get("getConformance", "Konformitätsklassen", [{"$ref": ref + "f"}],
                            ok("confClasses"), "Capabilities"),
        "/api": {"get": {"operationId": "getApi", "summary": "Dieses OpenAPI-Dokument",
                         "tags": ["Capabilities"], "responses": {"200": {
                             "description": "OpenAPI 3.0",
                             "content": {OPENAPI_TYPE: {"schema": {"type": "object"}}}}}}},
        "/collections": get("getCollections", "Collections", [{"$ref": ref + "f"}],
                            ok("collections"), "Capabilities"),
        "/collections/{collectionId}": get(
            "describeCollection", "Beschreibung einer Collection",
            [{"$ref": ref + "collectionId"}, {"$ref": ref + "f"}], ok("collection"),
            "Capabilities"),
        "/collections/{collectionId}/items": get(
            "getFeatures", "Features einer Collection",
            [{"$ref": ref + "collectionId"}] + items_params,
            ok("featureCollectionGeoJSON", "application/geo+json"), "Data"),
        "/collections/{collectionId}/items/{featureId}": get(
            "getFeature", "Ein Feature",
            [{"$ref": ref + "collectionId"}, {"$ref": ref + "featureId"}, {"$ref": ref + "f"}]
            + filter_refs, ok("featureGeoJSON", "application/geo+json"), "Data"),
    }
    for cid, meta in COLLECTIONS.items():  # explicit paths per collection, as pygeoapi does
        paths[f"/collections/{cid}/items"] = get(
            f"get{cid.capitalize()}Features", meta["title"], items_params,
            ok(f"{cid}FeatureCollection", "application/geo+json"), cid)
        paths[f"/collections/{cid}/items/{{featureId}}"] = get(
            f"get{cid.capitalize()}Feature", meta["title"] + ": ein Feature",
            [{"$ref": ref + "featureId"}, {"$ref": ref + "f"}] + filter_refs,
            ok(f"{cid}Feature", "application/geo+json"), cid)

    link = {"type": "object", "required": ["href"], "properties": {
        k: {"type": "string"} for k in ("href", "rel", "type", "title", "hreflang")}}
    links = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
    geometry = {"type": "object", "description": "GeoJSON Polygon oder MultiPolygon (CRS84)"}
    schemas: dict = {
        "link": link,
        "landingPage": {"type": "object", "required": ["links"], "properties": {
            "title": {"type": "string"}, "description": {"type": "string"}, "links": links}},
        "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
            "conformsTo": {"type": "array", "items": {"type": "string"}}}},
        "collection": {"type": "object", "required": ["id", "links"], "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "description": {"type": "string"}, "itemType": {"type": "string"},
            "extent": {"type": "object"}, "crs": {"type": "array", "items": {
                "type": "string"}}, "links": links}},
        "collections": {"type": "object", "required": ["collections", "links"], "properties": {
            "links": links, "collections": {"type": "array", "items": {
                "$ref": "#/components/schemas/collection"}}}},
        "featureGeoJSON": {"type": "object", "required": ["type", "geometry", "properties"],
                           "properties": {"type": {"type": "string", "enum": ["Feature"]},
                                          "id": {"type": "string"}, "geometry": geometry,
                                          "properties": {"type": "object"}, "links": links}},
        "featureCollectionGeoJSON": {
            "type": "object", "required": ["type", "features"], "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": {
                    "$ref": "#/components/schemas/featureGeoJSON"}},
                "links": links, "timeStamp": {"type": "string", "format": "date-time"},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0}}},
        "exception": {"type": "object", "properties": {"error": {"type": "object", "properties": {
            "status": {"type": "integer"}, "message": {"type": "string"},
            "parameter": {"type": "string"}}}}},
    }
    for cid, meta in COLLECTIONS.items():
        props = {name: {"type": typ, "description": text,
                        "nullable": name not in ("ags", "name", "bez")}
                 for name, typ, text in meta["properties"]}
        schemas[f"{cid}Feature"] = {
            "type": "object", "required": ["type", "geometry", "properties"], "properties": {
                "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string"},
                "geometry": geometry, "properties": {"type": "object", "properties": props}}}
        schemas[f"{cid}FeatureCollection"] = {
            "allOf": [{"$ref": "#/components/schemas/featureCollectionGeoJSON"},
                      {"type": "object", "properties": {"features": {
                          "type": "array", "items": {
                              "$ref": f"#/components/schemas/{cid}Feature"}}}}]}
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0.0",
                 "description": "Gemeinden und Kreise in NRW mit dem Umsetzungsgrad der "
                                "OZG-Leistungen, nach OGC API - Features - Part 1: Core.",
                 "license": {"name": "Code: MIT; Grenzen: dl-de/by-2-0; Katalog: MIT"}},
        "servers": [{"url": server.rstrip("/")}],
        "tags": [{"name": "Capabilities"}, {"name": "Data"}]
        + [{"name": cid, "description": meta["description"]}
           for cid, meta in COLLECTIONS.items()],
        "paths": paths,
        "components": {
            "parameters": params, "schemas": schemas,
            "responses": {"Error": {"description": "Fehler (400 ungültiger Parameter, 404 "
                                                   "unbekannt)", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}}},
        },
    }
