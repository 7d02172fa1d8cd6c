"""HTML pages: the map, its table twin, search, data notes. Thin: the data comes from coverage."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from .. import exports, maps, overview
from .. import nachbarn as nachbarn_mod
from ..app_services import services
from ..coverage import PROVIDER_LABEL, table
from ..importer import template_csv
from ..filters import STATUS_ORDER, Filter, front_end_definition
from ..snapshot import Snapshot
from .common import (CSV, attachment, attribution_html, cached_page, credits, csv_response,
                     csv_text, figure_columns, figures_bytes, json_response, layer_of,
                     map_parts, meta, page_context)
from .params import (FILTER_PARAMS, BadParameter, Unresolved, filter_query, parse_ags,
                     read_filter, read_nachbarn)

bp = Blueprint("pages", __name__)
PAGE_PARAMS = ("gebiet",)


def _selected_body(snap: Snapshot, f: Filter, args: dict) -> dict | None:
    if not args.get("gebiet"):
        return None
    try:
        ags = parse_ags(args["gebiet"], snap)
    except LookupError as exc:
        raise BadParameter("gebiet", str(exc))
    except BadParameter as exc:
        raise BadParameter("gebiet", exc.message)
    return services().coverage.body(ags, f, snap)


#: The figures the map colours and labels by (names and Kreise come with the geometry); in
#: the national view of a large area (``Boundaries.kreisweise``) first per Kreis.
MAP_FIGURES = "leistungen_im_filter,online,anteil,beispieldaten"
MAP_KREIS_FIGURES = "gemeinden_mit_daten,leistungen_im_filter,online,anteil,beispieldaten"


def inline_json(data: bytes) -> Markup:
    """JSON bytes as the text of a ``<script type="application/json">``: a ``<`` can only
    stand inside a string there, where ``\\u003c`` means the same."""
    return Markup(data.decode("utf-8").replace("<", "\\u003c"))


def _map_page(embed: bool = False) -> Response:
    """The map (or its embed): rendered once per view and data version, then served from
    memory as it is (its inline blocks are allowed by hash, so the bytes never change).

    The page carries what its first drawing needs besides the scripts (the overview geometry
    and the figures of its filter, as the API would answer): on a phone's network they come
    while the browser waits for the scripts it has just asked for, one round trip less."""
    try:
        snap, f, args = read_filter(strict=False, extra=PAGE_PARAMS)
        unresolved = None
    except Unresolved as exc:  # a name that fits no Leistung: the map without it, and why
        if exc.candidates or exc.parameter != "leistung":
            raise
        snap, f, args = read_filter(strict=False, extra=PAGE_PARAMS, without=("leistung",))
        unresolved = exc.message
    body = _selected_body(snap, f, args)  # validates `gebiet` before anything is cached

    def build(_s) -> str:
        parts = map_parts(f.kreis, "ozgmap")
        ctx = page_context(snap, f)
        geo = services().boundaries
        kreisweise = geo.kreisweise
        first = {"ebene": "kreise", "felder": MAP_KREIS_FIGURES} if kreisweise else {
            "felder": MAP_FIGURES}
        config = {
            "api": url_for("api.umsetzung"), "felder": MAP_FIGURES,
            "kreis_felder": MAP_KREIS_FIGURES, "kreisweise": kreisweise,
            "body_api": "/api/gebiete/", "leistungen_api": url_for("api.leistungen"),
            "suche": url_for("pages.suche"),
            "figures": url_for("api.umsetzung", **filter_query(f), **first),
            "topojson": url_for("api.geometrie_topo", name="NAME", v=geo.version),
            "map": parts.name, "legend": ctx["legend"], "no_data": maps.NO_DATA_COLOUR,
            "kreis": f.kreis, "embed": embed, "filter": filter_query(f),
            "attribution": attribution_html(),
            "filter_definition": front_end_definition(snap)}
        figures = figures_bytes(snap, f, figure_columns(first["felder"], first.get("ebene")),
                                first.get("ebene", "gemeinden"), slim=True)
        return render_template("map.html", **ctx, embed=embed, body=body,
                               mapparts=parts, config=config, leistung_fehler=unresolved,
                               kreisweise=kreisweise,
                               modules=module_urls(),
                               inline_topo=inline_json(geo.topojson_bytes("uebersicht")),
                               inline_figures=inline_json(figures))
    key = ("page", embed, request.host_url, f.key(), body and body["ags"], unresolved)
    return cached_page(key, build, snap)



def module_urls() -> list[str]:
    """The modules ozgmap.js imports before the first drawing (its static imports), for
    <link rel="modulepreload">: fetched with the page instead of after the script."""
    return [url_for("static", filename=name) for name in _static_imports(current_app.static_folder)]


@lru_cache(maxsize=4)
def _static_imports(folder: str) -> tuple[str, ...]:
    source = (Path(folder) / "ozgmap.js").read_text(encoding="utf-8")
    return tuple(re.findall(r'^import [^;]*? from "\./([\w/-]+\.js)";', source, flags=re.M))

@bp.get("/")
def index():
    """The OZG-Landkarte."""
    return _map_page()


@bp.get("/suche")
def suche():
    """Find a Gemeinde by name or AGS; one hit opens it on the map (works without JS)."""
    snap, f, args = read_filter(strict=False, extra=("q",))
    q = args.get("q", "").strip()
    hits = []
    if q:
        ql = q.casefold()
        hits = [gm for gm in snap.gemeinden
                if ql == gm["ags"] or ql in gm["name"].casefold()]
        exact = [gm for gm in hits if gm["name"].casefold() == ql or gm["ags"] == ql]
        if len(exact) == 1 or len(hits) == 1:
            hit = (exact or hits)[0]
            if f.kreis and hit["kreis_ags"] != f.kreis:
                f = f.without_kreis()  # open the hit, not a Kreis it is not in
            return redirect(url_for("pages.index", **filter_query(f), gebiet=hit["ags"]))
    hits.sort(key=lambda gm: gm["name"])
    return render_template("search.html", q=q, hits=hits, **page_context(snap, f))


def _sorted_table() -> tuple[Snapshot, Filter, dict, list[dict], str, bool]:
    """The table of the current filter, sorted by ``sort``/``richtung`` (page and CSV)."""
    snap, f, args = read_filter(strict=False, extra=("sort", "richtung"))
    t = table(services().coverage, f)
    sort = args.get("sort") or "name"
    valid = {"name", "kreis", "ags", "anteil", "online"} | {
        f"tf{tf['id']}" for tf in t["themenfelder"]}
    if sort not in valid:
        raise BadParameter("sort", "Unbekannte Sortierspalte.")
    if args.get("richtung", "auf") not in ("auf", "ab", ""):
        raise BadParameter("richtung", "richtung muss 'auf' oder 'ab' sein.")
    desc = args.get("richtung") == "ab"

    def value(r):
        v = r["themen"].get(int(sort[2:])) if sort.startswith("tf") else r[sort]
        return v.casefold() if isinstance(v, str) else v
    known = sorted((r for r in t["rows"] if value(r) is not None),
                   key=lambda r: r["name"].casefold())           # ties: by name, A–Z
    known.sort(key=value, reverse=desc)                           # stable sort keeps that
    rows = known + [r for r in t["rows"] if value(r) is None]     # "keine Daten" last
    return snap, f, t, rows, sort, desc


@bp.get("/tabelle")
def tabelle():
    """The map's data as an accessible, sortable table."""
    snap, f, t, rows, sort, desc = _sorted_table()
    return render_template("table.html", rows=rows, tf_cols=t["themenfelder"], sort=sort,
                           desc=desc, cell_css=maps.cell_css(), **page_context(snap, f))


@bp.get("/tabelle.csv")
def tabelle_csv():
    """Exactly the table of ``/tabelle`` (same filter, same order) as CSV."""
    _snap, _f, t, rows, _sort, _desc = _sorted_table()
    header = ["AGS", "Gemeinde", "Kreis", "Leistungen im Filter", "online", "Anteil"] + [
        tf["name"] for tf in t["themenfelder"]]
    body = [[r["ags"], r["name"], r["kreis"], r["leistungen_im_filter"], r["online"],
             r["anteil"]] + [r["themen"][tf["id"]] for tf in t["themenfelder"]] for r in rows]
    return csv_response(header, body, "ozg-landkarte-tabelle.csv")


def _gebiet(ags: str) -> tuple[Snapshot, Filter, dict]:
    """The list of one body for the page's filter (names resolved, as on every page)."""
    snap, f, _args = read_filter(strict=False)
    ags = parse_ags(ags, snap)
    return snap, f, overview.body_with_overview(services().coverage, ags, f, snap,
                                                url_for("pages.nachbarn"))


@bp.get("/gebiet/<ags>")
def gebiet(ags: str):
    """Everything one Gemeinde (or Kreis, Land, Bund) offers for the filter, as a page to
    read and print: per Themenfeld the OZG-Leistungen online and those not online yet."""
    snap, f, body = _gebiet(ags)
    ctx = page_context(snap, f)
    ctx["sample"] = body["kopf"]["beispieldaten"]  # the label only where sample data is shown
    return render_template("gebiet.html", body=body, headline=overview.headline(body["kopf"]),
                           providers=overview.providers_text(body["kopf"]),
                           labels=PROVIDER_LABEL, **ctx)


@bp.get("/gebiet/<ags>.json")
def gebiet_json(ags: str):
    """JSON twin of ``/gebiet/<ags>``: the same as ``/api/gebiete/<ags>``."""
    snap, f, body = _gebiet(ags)
    return json_response(snap, {**body, **meta(snap, f)})


@bp.get("/gebiet/<ags>.csv")
def gebiet_csv(ags: str):
    """CSV twin of ``/gebiet/<ags>``: one row per OZG-Leistung in the filter."""
    _snap, _f, body = _gebiet(ags)
    return csv_response(overview.CSV_HEADER, overview.csv_rows(body), f"gebiet-{body['ags']}.csv")


@bp.get("/daten")
@bp.get("/daten/<download>")
def daten(download: str | None = None):
    """Sources, licences, data notes and downloads (``/daten/<file>``, see ozgmap.exports)."""
    if download is not None:
        return _download(download)
    snap = services().coverage.snapshot()
    imports = services().store.imports()[-10:][::-1]
    return render_template("daten.html", **page_context(snap, Filter()), imports=imports,
                           downloads=exports.FILES, records=snap.record_count)


def _download(name: str) -> Response:
    """The download *name* (see :data:`ozgmap.exports.FILES`) as an attachment, built once
    per data version; unknown names are 404."""
    if name not in exports.FILES:
        raise LookupError(f"Keinen Download '{name[:40]}'. Vorhanden: "
                          + ", ".join(exports.FILES))
    cov = services().coverage
    snap = cov.snapshot()

    def build(s: Snapshot) -> bytes:
        if name == "umsetzungen.csv":
            return csv_text(exports.RECORD_COLUMNS, exports.record_rows(s)).encode()
        if name == "umsetzungen.xlsx":
            return exports.workbook_bytes(cov, s)
        cid = name.split(".")[0]
        return exports.geojson_bytes(cov, layer_of(cid), cid, meta(s, Filter()))
    resp = Response(cov.cached(("download", name), build), mimetype=exports.FILES[name][0])
    resp.last_modified = snap.changed_at
    return attachment(resp, f"ozgmap-{name}")


@bp.get("/vorlage.csv")
def vorlage():
    """Template of ozgmap's own import layout."""
    resp = Response("\ufeff" + template_csv(), mimetype=CSV)
    return attachment(resp, "ozgmap-import-vorlage.csv")


@bp.app_context_processor
def _globals():
    return {"FILTER_PARAMS": FILTER_PARAMS, "share_class": share_class}


def share_class(share: float | None) -> str:
    """CSS class of a table cell showing *share*: its legend class, or "keine Daten"."""
    i = maps.class_index(share)
    return "nodata" if i is None else f"c{i}"


NACHBARN_PAGE_PARAMS = ("seite", "lseite")


def _page_number(args: dict, name: str) -> int:
    v = args.get(name) or "1"
    if not re.fullmatch(r"[0-9]{1,4}", v) or int(v) < 1:
        raise BadParameter(name, f"{name} muss eine Seitenzahl ab 1 sein.")
    return int(v)


def _nachbarn_view(p: dict, paged: bool) -> dict:
    """What /nachbarn and its export show: the answer, the direct neighbours' cards, the
    other bodies (a page of them, or all), the gap list (a page, or all)."""
    snap, b, f = p["snap"], services().boundaries, p["f"]
    out: dict = {"p": p, "found": None, "rest": None, "direct": [], "without": [],
                 "own": [], "api_args": {k: v for k, v in p["args"].items()
                                         if k not in NACHBARN_PAGE_PARAMS}}
    if p["asked"]:
        found = nachbarn_mod.search(snap, b, p["ags"], f, p["lage"])
        # cards for the first direct neighbours; the page of the list below fills up to ten
        cards = found["direkt"][:nachbarn_mod.CARDS] if paged else found["direkt"]
        others = found["direkt"][len(cards):] + found["weitere"]
        number = _page_number(p["args"], "seite")
        rest = nachbarn_mod.page_of(others, number, first=nachbarn_mod.PAGE_SIZE - len(cards)) \
            if paged else nachbarn_mod.whole(others)
        rest["zeilen"] = nachbarn_mod.with_details(snap, rest["zeilen"])
        with_it = {r["ags"] for r in found["direkt"]}
        direct = nachbarn_mod.direct_neighbours(snap, b, p["ags"])
        own = [e["ozg_id"] for e in found["antwort"]["eigene"]][:3]
        out.update(found=found, rest=rest, direct=nachbarn_mod.with_details(snap, cards),
                   without=[snap.gebiete[a] for a in direct if a not in with_it],
                   own=nachbarn_mod.own_offers(snap, p["ags"], f, own))
    gap = nachbarn_mod.gaps(snap, b, p["ags"], p["min"], f, p["alle"])
    out["gap"] = gap
    out["gap_page"] = nachbarn_mod.page_of(gap["luecken"], _page_number(p["args"], "lseite")) \
        if paged else nachbarn_mod.whole(gap["luecken"])
    return out


def _nachbarn_url(p: dict, endpoint: str = "pages.nachbarn", **override) -> str:
    """A link to *endpoint* with the page's parameters, *override* applied (None drops)."""
    args = {**p["args"], **override}
    return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})


@bp.get("/nachbarn", endpoint="nachbarn")
def nachbarn_page():
    """For coordinators: who near us already offers it, and what our neighbours have that
    our residents lack (Nachnutzung, "Einer für Alle")."""
    snap = services().coverage.snapshot()
    if not request.args.get("ags"):
        return render_template("nachbarn.html", p=None, **page_context(snap, Filter()))
    p = read_nachbarn(strict=False, extra=NACHBARN_PAGE_PARAMS)
    view = _nachbarn_view(p, paged=True)
    shown = view["direct"] + (view["rest"]["zeilen"] if view["rest"] else [])
    return render_template("nachbarn.html", **view, url=lambda **o: _nachbarn_url(p, **o),
                           mapparts=_neighbour_map(snap, p["ags"], view["found"], shown),
                           lagen=sorted(snap.lagen.values(), key=lambda r: r["name"]),
                           legend_status=STATUS_ORDER[STATUS_ORDER.index(p["f"].status):],
                           status_css=maps.status_legend_css(),
                           **page_context(snap, p["f"]))


@bp.get("/nachbarn/export", endpoint="nachbarn_export")
def nachbarn_export():
    """One page for the coordinators' meeting: the answer, every neighbour's offer and the
    whole gap list, for print; ``.xlsx`` below gives the same lists as a workbook."""
    snap = services().coverage.snapshot()
    p = read_nachbarn(strict=False, extra=NACHBARN_PAGE_PARAMS)
    view = _nachbarn_view(p, paged=False)
    return render_template("nachbarn_export.html", **view,
                           url=lambda endpoint, **o: _nachbarn_url(p, endpoint, **o),
                           **page_context(snap, p["f"]))


@bp.get("/nachbarn/export.xlsx", endpoint="nachbarn_export_xlsx")
def nachbarn_export_xlsx():
    """The export's two lists (gap list, the neighbours' offers) as one workbook."""
    p = read_nachbarn(strict=False, extra=NACHBARN_PAGE_PARAMS)
    gap = nachbarn_mod.gaps(p["snap"], services().boundaries, p["ags"], p["min"], p["f"],
                        p["alle"])
    sheets = [("Lückenliste", nachbarn_mod.LUECKEN_CSV, nachbarn_mod.gap_rows(gap))]
    if p["asked"]:
        data = nachbarn_mod.report(p["snap"], services().boundaries, p["ags"], p["f"],
                                   p["lage"], limit=None)
        sheets.append(("Angebote der Nachbarn", nachbarn_mod.NACHBARN_CSV,
                       nachbarn_mod.offer_rows(data)))
    xlsx = exports.FILES["umsetzungen.xlsx"][0]
    return attachment(Response(exports.xlsx_bytes(sheets), mimetype=xlsx),
                      f"nachnutzung-{p['ags']}.xlsx")


def _neighbour_map(snap: Snapshot, ags: str, found: dict | None,
                   shown: list[dict]) -> maps.MapParts:
    """Map around the origin (see ``nachbarn_mod.map_selection``), drawn by ``maps``."""
    b = services().boundaries
    sel = nachbarn_mod.map_selection(snap, b, ags, found["treffer"] if found else [], shown)
    conf = current_app.config
    return maps.nachbarn_map(b, sel, conf["OZGMAP_TILES"], conf["OZGMAP_TILES_ATTRIBUTION"])


@bp.get("/embed")
def embed():
    """The map with minimal chrome for an iframe on a Kreis website."""
    return _map_page(embed=True)


@bp.get("/einbetten")
def einbetten():
    """For web editors: pick Kreis and filters, preview, copy the iframe snippet."""
    snap, f, _ = read_filter(strict=False)
    q = filter_query(f)
    src = url_for("pages.embed", _external=True, **q)
    title = "OZG-Landkarte" + (f": {snap.gebiete[f.kreis]['name']}" if f.kreis else " NRW")
    return render_template("einbetten.html", src=src, title=title,
                           height_script=url_for("static", filename="ozgmap-hoehe.js",
                                                 _external=True),
                           preview=url_for("pages.embed", **q), **page_context(snap, f))


@bp.get("/barrierefreiheit")
def barrierefreiheit():
    """Accessibility statement (BGG NRW / BITV NRW) with the feedback contact."""
    return render_template("barrierefreiheit.html", credits=credits(),
                           contact=current_app.config["OZGMAP_CONTACT"])


@bp.app_template_filter("ring")
def ring_filter(row: dict, short: bool = False) -> str:
    """Where a listed body lies, in words (``nachbarn_mod.ring_label``)."""
    return nachbarn_mod.ring_label(row, short)


@bp.app_template_test("weblink")
def is_weblink(url) -> bool:
    """Only http(s) URLs become links; anything else (javascript:, data:) stays text."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))
