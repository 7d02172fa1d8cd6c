"""Folium map building. No Flask in here: functions take data and return HTML parts.

Folium's default JS/CSS point at CDNs; every map built here uses the copies the app serves
itself (``static/vendor``). Folium's inline ``<script>``/``<style>`` blocks are handed over
as plain strings, so that the page template writes them and the CSP allows them by hash.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import folium
import pandas as pd
import shapely
import shapely.geometry

LOCAL_JS = [("leaflet", "/static/vendor/leaflet/leaflet.js")]
LOCAL_CSS = [("leaflet_css", "/static/vendor/leaflet/leaflet.css")]

# Classed, colour-blind safe sequential scale (ColorBrewer YlGnBu, 5 classes) and the
# distinct grey for "keine Daten".
CLASS_BOUNDS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
CLASS_COLOURS = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
NO_DATA_COLOUR = "#bdbdbd"


@dataclass
class MapParts:
    """What a page template needs: the links for <head> and folium's inline styles and
    scripts for it, the map div, the init script."""

    stylesheets: list[str]  # URLs of Leaflet's CSS & co., for <head>
    head_styles: list[str]
    head_scripts: list[str]
    body: str
    libraries: list[str]  # URLs of Leaflet & co., for the end of the body before `script`
    script: str
    name: str  # JS variable of the Leaflet map
    data: dict = field(default_factory=dict)  # for the page's module, as JSON (names, view)


def legend_classes() -> list[dict]:
    """Legend entries: label, colour, lower and upper bound (share of Leistungen)."""
    out = []
    for i, colour in enumerate(CLASS_COLOURS):
        lo, hi = CLASS_BOUNDS[i], CLASS_BOUNDS[i + 1]
        label = (f"{int(lo * 100)} – {int(hi * 100)} %" if i == len(CLASS_COLOURS) - 1
                 else f"{int(lo * 100)} – unter {int(hi * 100)} %")
        out.append({"label": label, "colour": colour, "min": lo, "max": hi})
    return out


def class_index(share: float | None) -> int | None:
    """The legend class (0..4) of a share (0..1); None for "keine Daten"."""
    if share is None:
        return None
    for i in range(len(CLASS_COLOURS)):
        if share < CLASS_BOUNDS[i + 1]:
            return i
    return len(CLASS_COLOURS) - 1


def class_colour(share: float | None) -> str:
    """Fill colour of a share (0..1), or the no-data grey."""
    i = class_index(share)
    return NO_DATA_COLOUR if i is None else CLASS_COLOURS[i]


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on *background* (WCAG contrast)."""
    lum = _luminance(background)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def cell_css() -> str:
    """Table cells in the legend's colours (``td.cN``, ``td.nodata``), text readable on each."""
    return "".join(f"td.c{i}{{background:{c};color:{text_colour(c)}}}"
                   for i, c in enumerate(CLASS_COLOURS)) + \
        f"td.nodata{{background:{NO_DATA_COLOUR};color:{text_colour(NO_DATA_COLOUR)}}}"


def base_map(bounds: list[list[float]], tiles: str = "", tiles_attribution: str = "",
             map_id: str = "ozgmap", control_scale: bool = True) -> folium.Map:
    """A Leaflet map fitted to *bounds*, without tiles unless a URL template is given; with
    Leaflet's scale bar unless *control_scale* is false (a page adds its own)."""
    m = folium.Map(location=[(bounds[0][0] + bounds[1][0]) / 2,
                             (bounds[0][1] + bounds[1][1]) / 2],
                   zoom_start=8, tiles=None, control_scale=control_scale, min_zoom=6, max_zoom=14,
                   zoom_snap=0.25)
    m._id = map_id
    m.default_js = LOCAL_JS
    m.default_css = LOCAL_CSS
    if tiles:
        folium.TileLayer(tiles=tiles, attr=tiles_attribution or "Kartengrundlage",
                         name="Hintergrundkarte", max_zoom=18).add_to(m)
    # the first view is set at once: an animated zoom would project every shape added in the
    # meantime a second time when it ends
    fit = folium.map.FitBounds(bounds)
    fit.options["animate"] = False
    m.add_child(fit)
    return m


def render_parts(m: folium.Map) -> MapParts:
    """Render *m* into its parts: the URLs its head links, and its inline blocks as strings.

    Folium's viewport meta (which forbids zooming, an accessibility failure) and its
    content-type meta are dropped: the page template has its own.
    """
    fig = m.get_root()
    fig.render()
    head = fig.header.render()
    inline = {"style": [], "script": []}
    for kind, content in re.findall(r"<(style|script)>(.*?)</\1>", head, flags=re.S):
        inline[kind].append(content)
    # the libraries go to the end of the body: the page is parsed (and shown) while they load
    return MapParts(stylesheets=re.findall(r'<link rel="stylesheet" href="([^"]+)"', head),
                    head_styles=inline["style"], head_scripts=inline["script"],
                    body=fig.html.render(),
                    libraries=re.findall(r'<script src="([^"]+)"></script>', head),
                    script=ZOOM_TITLES_DE + fig.script.render(), name=m.get_name())


def legend_css() -> str:
    """The legend's swatch colours (one rule per class, and "keine Daten")."""
    return "".join(f".swatch.c{i}{{background:{colour}}}"
                   for i, colour in enumerate(CLASS_COLOURS)) + \
        f".swatch.nodata{{background:{NO_DATA_COLOUR}}}"


# Leaflet's zoom buttons are labelled in English ("Zoom in"); the pages are German.
ZOOM_TITLES_DE = ('L.Control.Zoom.prototype.options.zoomInTitle = "Vergrößern";\n'
                  'L.Control.Zoom.prototype.options.zoomOutTitle = "Verkleinern";\n')


def naive_choropleth(geojson: dict, figures: dict[str, float | None]) -> str:
    """The approach a user would write first: folium Choropleth with geometry inlined.

    Used only by the benchmark as baseline A; it loads its JS/CSS from CDNs.
    """
    m = folium.Map(location=[51.45, 7.6], zoom_start=8)
    df = pd.DataFrame({"ags": list(figures), "anteil": list(figures.values())})
    folium.Choropleth(geo_data=geojson, data=df, columns=["ags", "anteil"],
                      key_on="feature.properties.ags", fill_color="YlGnBu",
                      nan_fill_color=NO_DATA_COLOUR, legend_name="Umsetzungsgrad").add_to(m)
    return m.get_root().render()


OWN_OUTLINE = "#d7301f"
NO_SOLUTION = "#f2f2f2"
# A body with a solution is filled in the class colour of its best status: the later the
# status, the darker (the map's own scale, so "umgesetzt" is its darkest class).
STATUS_COLOURS = {"offen": CLASS_COLOURS[1], "in Planung": CLASS_COLOURS[2],
                  "in Bearbeitung": CLASS_COLOURS[3], "umgesetzt": CLASS_COLOURS[4]}
_OUTLINES: dict[tuple, dict] = {}


def _line(geometry) -> dict:
    return shapely.geometry.mapping(shapely.set_precision(
        geometry.simplify(0.002).boundary, 1e-4))


def status_legend_css() -> str:
    """The neighbour map legend's swatches, one rule per status (``.sw.st0`` = "offen")."""
    return "".join(f".nb-legend .sw.st{i}{{background:{STATUS_COLOURS[s]}}}"
                   for i, s in enumerate(STATUS_COLOURS))


def area_outlines(kreise, key: str) -> dict:
    """The Land outline(s) and every Kreis outline as simplified GeoJSON geometries (about
    200 m: orientation lines, not borders to measure), built once per boundary version.

    *kreise* is a GeoDataFrame in EPSG:4326 with ``ags``."""
    if key not in _OUTLINES:
        laender = kreise.dissolve(by=kreise.ags.str[:2]).geometry
        _OUTLINES[key] = {
            "land": [_line(g) for g in laender],
            "kreise": {a: _line(g) for a, g in zip(kreise.ags, kreise.geometry)}}
    return _OUTLINES[key]


def simplified(features: dict[str, dict], key: str, tolerance: float = 0.0008
               ) -> dict[str, dict]:
    """*features* (AGS -> GeoJSON feature) simplified to about 80 m and rounded to 4 decimals,
    once per *key*: enough for a small map, a fifth of the bytes of the shipped detail."""
    if key not in _OUTLINES:
        _OUTLINES[key] = {
            a: {"type": "Feature", "properties": ft["properties"],
                "geometry": shapely.geometry.mapping(shapely.set_precision(
                    shapely.geometry.shape(ft["geometry"]).simplify(tolerance), 1e-4))}
            for a, ft in features.items()}
    return _OUTLINES[key]


# Who keeps their name when space is short: the own body always; then the direct neighbours
# with a solution, the other bodies with one listed on the page, the direct neighbours without.
LABEL_RANKS = {"own": 4, "hit": 3, "listed": 2, "plain": 1}


def label_place(kind: str, ags: str, name: str, geometry: dict) -> dict:
    """A name for the page's label layer (``static/js/labels.js``, ``addPoints``): where it
    is written (a point inside the shape), the shape's bounds and area (names that do not
    fit give way to larger shapes) and its rank (*kind*, see :data:`LABEL_RANKS`)."""
    shape = shapely.geometry.shape(geometry)
    p = shape.representative_point()
    minx, miny, maxx, maxy = shape.bounds
    return {"ags": ags, "name": name, "kind": kind, "rank": LABEL_RANKS[kind],
            "latlng": [round(p.y, 5), round(p.x, 5)],
            "bounds": [[round(miny, 4), round(minx, 4)], [round(maxy, 4), round(maxx, 4)]],
            "area": round(shape.area, 6)}


def neighbour_map(features: list[dict], origin: str, status_of: dict[str, str],
                  bounds: list[list[float]], outlines: list[tuple[str, dict]],
                  labels: list[dict], tiles: str = "", tiles_attribution: str = "",
                  near: list[list[float]] | None = None) -> MapParts:
    """A small map around *origin*: its outline in red, the bodies with a solution in the
    class colour of their best status (*status_of*: AGS -> status), orientation outlines
    (*outlines*: ("land"|"kreis"|"ownkreis"|"own", geometry), "own" being a Kreis asked
    about). The names (*labels*: :func:`label_place`) and the view go to the page's module
    in ``data``: the main map's label layer writes the names, none over another; the view
    is fitted again with room for the legend, to *bounds*, or to *near* (the origin and its
    direct neighbours) where *bounds* would leave the origin too small to name.

    *features* are GeoJSON features (Gemeinden near the origin) with ``ags`` and ``name``;
    names are HTML-escaped here because Leaflet inserts tooltips as HTML.
    """
    m = base_map(bounds, tiles, tiles_attribution, map_id="nachbarn", control_scale=False)
    safe = [{"type": "Feature", "geometry": ft["geometry"],
             "properties": {"ags": ft["properties"]["ags"],
                            "name": html.escape(ft["properties"]["name"]),
                            "hat": f"Lösung: {status_of[ft['properties']['ags']]}"
                            if ft["properties"]["ags"] in status_of
                            else ("eigene Gemeinde" if ft["properties"]["ags"] == origin
                                  else "keine Lösung erfasst")}}
            for ft in features]

    def style(ft):
        a = ft["properties"]["ags"]
        if a == origin:
            return {"fillColor": "#ffffff", "fillOpacity": 0.2, "color": OWN_OUTLINE,
                    "weight": 4}
        if a in status_of:
            return {"fillColor": STATUS_COLOURS[status_of[a]], "fillOpacity": 0.85,
                    "color": "#ffffff", "weight": 1}
        return {"fillColor": NO_SOLUTION, "fillOpacity": 0.7, "color": "#aaaaaa",
                "weight": 0.6}
    folium.GeoJson({"type": "FeatureCollection", "features": safe}, name="Gemeinden",
                   style_function=style,
                   tooltip=folium.GeoJsonTooltip(fields=["name", "hat"],
                                                 aliases=["", ""], labels=False)).add_to(m)
    line = {"land": {"color": "#333333", "weight": 2.5, "fill": False},
            "kreis": {"color": "#555555", "weight": 1.2, "dashArray": "4 3", "fill": False},
            # the own Kreis: darker and longer dashes than the others, never solid like a Land
            "ownkreis": {"color": "#222222", "weight": 2, "dashArray": "9 4", "fill": False},
            "own": {"color": OWN_OUTLINE, "weight": 4, "fill": False}}
    for kind, geometry in outlines:
        folium.GeoJson({"type": "Feature", "geometry": geometry, "properties": {}},
                       style_function=lambda _ft, st=line[kind]: st, interactive=False,
                       control=False).add_to(m)
    parts = render_parts(m)
    parts.data = {"map": parts.name, "bounds": bounds, "near": near or bounds, "labels": labels}
    return parts


def nachbarn_map(b, sel: dict, tiles: str = "", tiles_attribution: str = "") -> MapParts:
    """The neighbour map of a selection (``nachbarn.map_selection``) over the boundaries *b*:
    the Gemeinden simplified, the Land and Kreis outlines, the names at points inside."""
    gem = simplified(b.features("gemeinden"), f"gemeinden-{b.version}")
    kr = simplified(b.features("kreise"), f"kreise-{b.version}")
    lines = area_outlines(b.kreise, f"outlines-{b.version}")
    outlines = [("land", g) for g in lines["land"]] + [
        ("own" if k == sel["own"] else "ownkreis" if k == sel["own_kreis"] else "kreis",
         lines["kreise"][k]) for k in sel["kreise"] if k in lines["kreise"]]
    labels = [label_place(kind, a, name, (gem.get(a) or kr[a])["geometry"])
              for kind, a, name in sel["labels"] if a in gem or a in kr]
    def box(ags: set[str]) -> list[list[float]]:
        minx, miny, maxx, maxy = b.gemeinden[b.gemeinden.ags.isin(ags)].total_bounds
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]
    return neighbour_map([gem[a] for a in sel["gemeinden"] if a in gem], sel["origin"],
                         sel["status_of"], box(sel["focus"]), outlines, labels,
                         tiles, tiles_attribution, near=box(sel["near"]))
