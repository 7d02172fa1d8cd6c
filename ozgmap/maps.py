"""Folium map building. No Flask in here: functions take data and return HTML parts.

Folium's default JS/CSS point at CDNs; every map built here uses the copies the app serves
itself (``static/vendor``). Folium's inline ``<script>``/``<style>`` blocks are handed over
as plain strings, so that the page template writes them and the CSP allows them by hash.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import folium
import pandas as pd

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
             map_id: str = "ozgmap") -> folium.Map:
    """A Leaflet map fitted to *bounds*, without tiles unless a URL template is given."""
    m = folium.Map(location=[(bounds[0][0] + bounds[1][0]) / 2,
                             (bounds[0][1] + bounds[1][1]) / 2],
                   zoom_start=8, tiles=None, control_scale=True, min_zoom=6, max_zoom=14,
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


HIGHLIGHT = "#2c7fb8"
OWN_OUTLINE = "#d7301f"


def neighbour_map(features: list[dict], origin: str, with_solution: set[str],
                  bounds: list[list[float]], tiles: str = "", tiles_attribution: str = ""
                  ) -> MapParts:
    """A small map around *origin*: its outline in red, bodies with a solution highlighted.

    *features* are GeoJSON features (Gemeinden near the origin) with ``ags`` and ``name``;
    names are HTML-escaped here because folium's tooltip inserts them as HTML.
    """
    m = base_map(bounds, tiles, tiles_attribution, map_id="nachbarn")
    safe = [{"type": "Feature", "geometry": ft["geometry"],
             "properties": {"ags": ft["properties"]["ags"],
                            "name": html.escape(ft["properties"]["name"]),
                            "hat": "Lösung vorhanden" if ft["properties"]["ags"] in with_solution
                            else ("eigene Gemeinde" if ft["properties"]["ags"] == origin
                                  else "keine Lösung erfasst")}}
            for ft in features]

    def style(ft):
        a = ft["properties"]["ags"]
        if a == origin:
            return {"fillColor": "#ffffff", "fillOpacity": 0.3, "color": OWN_OUTLINE,
                    "weight": 4}
        if a in with_solution:
            return {"fillColor": HIGHLIGHT, "fillOpacity": 0.75, "color": "#ffffff",
                    "weight": 1}
        return {"fillColor": "#eeeeee", "fillOpacity": 0.6, "color": "#999999", "weight": 0.7}
    folium.GeoJson({"type": "FeatureCollection", "features": safe}, name="Gemeinden",
                   style_function=style,
                   tooltip=folium.GeoJsonTooltip(fields=["name", "hat"],
                                                 aliases=["", ""], labels=False)).add_to(m)
    return render_parts(m)
