"""What every blueprint shares: one renderer per output format (JSON, CSV), the ``meta`` block
of every data answer, the credits, the context of the pages and the page cache.

Blueprints import this module, :mod:`.params`, :mod:`.http` and the domain, never each other.
"""
from __future__ import annotations

import csv
import hashlib
import io

import orjson

from flask import Response, current_app, g

from .. import config as c
from .. import features, maps
from ..aggregate import (KREIS_COLUMNS, KREIS_INPUT, LEVELS, columns_in_land, in_land,
                         kreis_figures_of)
from ..app_services import services
from ..coverage import FIGURE_COLUMNS
from ..filters import STATUS_ORDER, VIEWS, Filter
from ..safety import csv_cell
from ..snapshot import Snapshot, describe
from .http import allow_inline, inline_sources
from .params import BadParameter, filter_query

JSON, GEOJSON, HTML, CSV = ("application/json", "application/geo+json", "text/html",
                            "text/csv")
_MAP_PARTS: dict[tuple, maps.MapParts] = {}


# --- credits: one source for pages, API documents and downloads ---------------------------

def credits() -> dict:
    """Names, licences and links of the boundaries and the catalogue (templates' ``credits``)."""
    return {"boundaries": c.CREDIT_BOUNDARIES, "boundaries_url": c.CREDIT_BOUNDARIES_URL,
            "licence": c.LICENCE_BOUNDARIES, "licence_url": c.LICENCE_BOUNDARIES_URL,
            "catalog": c.CREDIT_CATALOG, "catalog_url": c.CREDIT_CATALOG_URL}


def attribution_text() -> str:
    """The credits in one line of plain text (OGC documents)."""
    return f"Grenzen: {c.CREDIT_BOUNDARIES}, {c.LICENCE_BOUNDARIES}; {c.CREDIT_CATALOG}"


def attribution_html() -> str:
    """The credits as the map's attribution control shows them."""
    return (f'<a href="{c.CREDIT_BOUNDARIES_URL}">{c.CREDIT_BOUNDARIES}</a>, '
            f'<a href="{c.LICENCE_BOUNDARIES_URL}">{c.LICENCE_BOUNDARIES}</a>'
            f' | {c.CREDIT_CATALOG}')


# --- data answers ---------------------------------------------------------------------------

def meta(snap: Snapshot, f: Filter | None = None) -> dict:
    """Datenstand, Beispieldaten flag, sources and (with a filter) what the figures count."""
    out = {"datenstand": snap.changed_at.isoformat() if snap.changed_at else None,
           "beispieldaten": snap.has_sample and not (f and f.nur_echt),
           "quellen": {"grenzen": f"{c.CREDIT_BOUNDARIES}, {c.LICENCE_BOUNDARIES}",
                       "katalog": c.CREDIT_CATALOG,
                       "daten": snap.real_sources + ([
                           f"… und {snap.more_sources} weitere (alle in "
                           "/daten/umsetzungen.csv, Spalte quelle)"] if snap.more_sources
                           else []),
                       "stand": snap.source_stands}}
    if f is not None:
        out["filter"] = filter_query(f)
        out["ansicht"] = VIEWS[f.ansicht]
        out["legende"] = describe(snap, f)
    return out


def json_bytes(payload) -> bytes:
    """Compact UTF-8 JSON (dates as ISO text, ``str()`` of anything else; numeric keys as
    text): orjson, as Germany's figures (11,000 rows) took 15 ms in the standard library."""
    return orjson.dumps(payload, default=str,
                        option=orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME)


def figure_level(args: dict, snap: Snapshot) -> tuple[str, str | None]:
    """``ebene`` (gemeinden or kreise) and ``land`` (two digits of a Land with Gemeinden) of
    the figures asked for."""
    ebene = args.get("ebene") or "gemeinden"
    if ebene not in LEVELS:
        raise BadParameter("ebene", f"Unbekannte Ebene '{ebene[:40]}'. Erlaubt: "
                           + ", ".join(LEVELS) + ".")
    land = args.get("land") or None
    if land is not None and land not in snap.gemeinde_laender:
        raise BadParameter("land", f"Kein Land '{land[:40]}' mit Gemeinden: zwei Ziffern "
                           "wie 05 (Nordrhein-Westfalen).")
    return ebene, land


def figure_columns(value: str | None, ebene: str = "gemeinden") -> list[str]:
    """The columns ``felder`` asks for (comma-separated, ``ags`` always first), as OGC API's
    ``properties`` or Datasette's ``_col``: the map takes only the few it colours by."""
    allowed = KREIS_COLUMNS if ebene == "kreise" else FIGURE_COLUMNS
    if not value:
        return allowed
    asked = [v.strip() for v in value.split(",")]
    unknown = [v for v in asked if v not in allowed]
    if unknown:
        raise BadParameter("felder", f"Unbekanntes Feld '{unknown[0][:40]}'. Erlaubt: "
                           + ", ".join(allowed))
    return ["ags"] + [c for c in allowed if c in asked and c != "ags"]


def figure_rows(snap: Snapshot, f: Filter, ebene: str = "gemeinden",
                land: str | None = None, cols: list[str] | None = None) -> list[dict]:
    """The figures of every Gemeinde (or Kreis) for *f*, optionally of one Land; Gemeinde rows
    with only *cols* (``ags`` first) when given."""
    fig = services().coverage.figure_columns(f, snap)
    if ebene == "kreise":
        return kreis_figures_of(columns_in_land({c: fig.column(c) for c in KREIS_INPUT}, land))
    return in_land(fig.rows() if cols in (None, FIGURE_COLUMNS) else fig.records(cols), land)


def figures_bytes(snap: Snapshot, f: Filter, cols: list[str], ebene: str = "gemeinden",
                  land: str | None = None, slim: bool = False) -> bytes:
    """``/api/umsetzung``'s JSON (the map's figures), serialised once per filter, columns,
    level, Land and data version. *slim*: what the map page carries inline, only the rows and
    the legend's sentence (the sources are in the page already)."""
    def build(s: Snapshot) -> bytes:
        rows = figure_rows(s, f, ebene, land, cols)
        if ebene == "kreise" and cols != KREIS_COLUMNS:
            rows = [{c: r[c] for c in cols} for r in rows]
        head = {"legende": describe(s, f)} if slim else meta(s, f)
        return json_bytes({**head, "ebene": ebene, "gebiete": rows})
    key = ("umsetzung.json", tuple(cols), ebene, land, slim) + f.key()
    return services().coverage.cached(key, build, snap)


def json_response(snap: Snapshot, payload, mimetype: str = JSON) -> Response:
    """*payload* (a dict, or bytes/str already serialised) with Last-Modified of *snap*."""
    g.last_modified = snap.changed_at
    if isinstance(payload, (bytes, str)):
        return Response(payload, mimetype=mimetype)
    return Response(json_bytes(payload), mimetype=mimetype)


def csv_text(header: list[str], rows: list[list]) -> str:
    """CSV in UTF-8 with BOM (opens correctly in Excel): the one CSV writer of every CSV
    route, so that no cell starts a formula in a spreadsheet (:func:`safety.csv_cell`)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow([csv_cell(h) for h in header])
    w.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def attachment(resp: Response, filename: str) -> Response:
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


def csv_response(header: list[str], rows: list[list], filename: str) -> Response:
    """CSV in UTF-8 with BOM, as a download named *filename*."""
    return attachment(Response(csv_text(header, rows), mimetype=CSV), filename)


def data_format(args: dict, name: str = "format", allowed: tuple[str, ...] = ("json", "csv")
                ) -> str:
    """The output format asked for by parameter *name* (default the first); 400 otherwise."""
    fmt = args.get(name) or allowed[0]
    if fmt not in allowed:
        raise BadParameter(name, f"{name} muss " + " oder ".join(f"'{a}'" for a in allowed)
                           + " sein.")
    return fmt


# --- pages ------------------------------------------------------------------------------------

def area_name() -> str:
    return "Deutschland" if current_app.config["OZGMAP_BOUNDARIES"] == "de" else "NRW"


def page_context(snap: Snapshot, f: Filter) -> dict:
    """Everything the filter form, legend and notices need."""
    kreise = sorted(snap.kreise, key=lambda k: k["name"])
    leistungen = sorted((lst for lst in snap.leistungen.values()
                         if not f.themenfeld or lst["themenfeld_id"] == f.themenfeld),
                        key=lambda r: r["name"].casefold())
    return {"f": f, "query": filter_query(f), "themenfelder": snap.themenfelder,
            "kreise": kreise, "leistungen": leistungen, "statuses": STATUS_ORDER,
            "views": VIEWS, "legend": maps.legend_classes(),
            "legend_css": maps.legend_css(), "sample": snap.has_sample and not f.nur_echt,
            "credits": credits(), "snap": snap, "real_sources": snap.source_lines,
            "more_sources": snap.more_sources,
            "legend_text": describe(snap, f), "area_name": area_name(),
            "leistung_name": snap.leistungen[f.leistung]["name"] if f.leistung else None,
            "themenfeld_name": snap.themenfeld_names.get(f.themenfeld),
            "kreis_name": snap.gebiete[f.kreis]["name"] if f.kreis else None,
            "datenstand": snap.changed_at}


def map_parts(kreis: str | None, map_id: str = "ozgmap") -> maps.MapParts:
    """Folium skeleton of the map for one extent, rendered once per process."""
    conf = current_app.config
    key = (kreis, map_id, conf["OZGMAP_TILES"], conf["OZGMAP_TILES_ATTRIBUTION"])
    if key not in _MAP_PARTS:
        b = services().boundaries
        m = maps.base_map(b.bounds(kreis), conf["OZGMAP_TILES"],
                          conf["OZGMAP_TILES_ATTRIBUTION"], map_id=map_id)
        _MAP_PARTS[key] = maps.render_parts(m)
    return _MAP_PARTS[key]


def cached_page(key: tuple, render, snap: Snapshot) -> Response:
    """A page rendered once per data version under *key*, with its ETag; on later requests
    its inline blocks are allowed again as when it was rendered."""
    def build(s: Snapshot) -> tuple[bytes, list, str]:
        html = render(s).encode("utf-8")
        return html, inline_sources(), hashlib.sha1(html).hexdigest()[:20]
    html, inline, etag = services().coverage.cached(key, build, snap)
    allow_inline(inline)
    resp = Response(html, mimetype=HTML)
    resp.set_etag(etag)
    return resp


def layer_of(cid: str) -> features.Layer:
    """The indexed geometry of a collection, built once per app; 404 for unknown ids."""
    if cid not in features.COLLECTIONS:
        raise LookupError(f"Keine Collection '{cid[:40]}'. Vorhanden: "
                          + ", ".join(features.COLLECTIONS))
    layers = current_app.extensions.setdefault("ozgmap.features", {})
    if cid not in layers:
        layers[cid] = features.Layer.build(services().boundaries, cid)
    return layers[cid]
