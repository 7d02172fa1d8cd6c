"""The HTML pages: the map (permalinks, server-rendered detail), the table twin and its CSV,
search without JavaScript, data notes, the import template; German errors; escaping of
names and record fields; CSP hashes, framing and "nothing from another host".

Expected content is computed from the store and from the JSON API of the same app, never
copied. Read-only tests share one app per module (``ro_*``); the escaping tests share one
app whose bodies and records were given hostile names (``evil``).
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape

from ozgmap import config as ozg_config
from ozgmap import services
from ozgmap.config import SAMPLE_SOURCE

from helpers import assert_inline_blocks_allowed_by_hash

TELGTE, WARENDORF = "05570044", "05570"
PAGES = ["/", f"/tabelle?kreis={WARENDORF}", "/suche?q=berg", "/daten"]
FILTER_PAGES = ["/", "/tabelle", "/tabelle.csv", "/suche"]


# --- fixtures -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ro_page(ro_client):
    """``(html, Page)`` of a 200 page of the shared app, fetched and parsed once per URL."""
    memo: dict[str, tuple[str, "Page"]] = {}

    def get(url):
        if url not in memo:
            html = html_of(ro_client, url)
            memo[url] = (html, Page(html))
        return memo[url]
    return get


@pytest.fixture(scope="module")
def gemeinden(ro_store):
    return {g["ags"]: g for g in ro_store.gebiete() if g["ebene"] == "gemeinde"}


EVIL_NAME = "<script>alert(1)</script>${x}"
EVIL_NAME_2 = "<script>alert(2)</script>"
EVIL_KREIS = "Warendorf</title><script>alert(3)</script>"
EVIL_QUELLE = '"><img src=x onerror=alert(1)>'
EVIL_STELLE = "<b onmouseover=alert(1)>Amt</b>"
JS_URL = "javascript:alert(document.domain)"
QUOTE_URL = 'https://x.example/"><img src=x onerror=alert(1)>'
EVIL_FILE = "<img src=x onerror=alert(4)>.csv"
EVIL_BY = "<script>alert(5)</script>"


@pytest.fixture(scope="module")
def evil(app_copy):
    """An app whose Telgte, another Warendorf Gemeinde and Kreis Warendorf carry hostile
    names, with hostile records for Telgte and a hostile import run, all written through
    the store (so ``data_version`` changes and the app reloads)."""
    app = app_copy("pages_evil")
    store = services(app).store
    geb = store.gebiete()
    other = next(g["ags"] for g in geb if g["kreis_ags"] == WARENDORF and g["ebene"] == "gemeinde"
                 and g["ags"] != TELGTE)
    names = {TELGTE: EVIL_NAME, other: EVIL_NAME_2, WARENDORF: EVIL_KREIS}
    store.load_gebiete(
        [{**g, "name": names.get(g["ags"], g["name"])} for g in geb if g["ebene"] == "gemeinde"],
        [{**g, "name": names.get(g["ags"], g["name"])} for g in geb if g["ebene"] == "kreis"])
    taken = {r["ozg_id"] for r in store.records(ags=TELGTE)}
    free = sorted(r["ozg_id"] for r in store.leistungen()
                  if r["kommunal"] and r["ozg_id"] not in taken)[:2]
    base = {"ags": TELGTE, "leika_key": "", "status": "umgesetzt", "reifegrad": 3, "seit": None,
            "flaechendeckung": ""}
    store.apply([{**base, "ozg_id": free[0], "url": JS_URL, "quelle": EVIL_QUELLE,
                  "stelle": EVIL_STELLE},
                 {**base, "ozg_id": free[1], "url": QUOTE_URL, "quelle": "Test",
                  "stelle": ""}], by=EVIL_BY, datei=EVIL_FILE, format="ozgmap")
    yield {"client": app.test_client(), "store": store, "other": other, "js": free[0],
           "quote": free[1]}
    store.engine.dispose()


# --- HTML helpers -------------------------------------------------------------------------

class Page(HTMLParser):
    """Start tags with attributes (in order), script/style bodies, form controls, table rows."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.styles: list[tuple[dict, str]] = []
        self.controls: dict[str, dict] = {}   # form id -> {name: [values]}
        self.rows: list[dict] = []            # tbody rows: cells (text), links
        self.headers: list[dict] = []         # thead th: text, href, aria-sort
        self._raw = None
        self._form = self._select = self._option = None
        self._section = None                  # thead / tbody
        self._cell = self._row = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        self.tags.append((tag, a))
        if tag in ("script", "style"):
            self._raw = (tag, a, [])
        elif tag == "form":
            self._form = self.controls.setdefault(a.get("id", f"form{len(self.controls)}"), {})
        elif tag == "select" and self._form is not None:
            self._select = a.get("name")
            self._form.setdefault(self._select, [])
        elif tag == "option" and self._select:
            if "selected" in a:
                self._form[self._select].append(a.get("value", ""))
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = a.get("type", "text")
            vals = self._form.setdefault(a["name"], [])
            if kind not in ("radio", "checkbox") or "checked" in a:
                vals.append(a.get("value", ""))
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr" and self._section == "tbody":
            self._row = {"cells": [], "links": []}
        elif tag in ("td", "th") and (self._row is not None or self._section == "thead"):
            self._cell = {"text": [], "href": None, "aria-sort": a.get("aria-sort")}
        elif tag == "a" and self._cell is not None:
            self._cell["href"] = self._cell["href"] or a.get("href")
            if self._row is not None:
                self._row["links"].append(a.get("href"))

    def handle_endtag(self, tag):
        if self._raw and tag == self._raw[0]:
            (self.scripts if tag == "script" else self.styles).append(
                (self._raw[1], "".join(self._raw[2])))
            self._raw = None
        elif tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag in ("td", "th") and self._cell is not None:
            cell = {**self._cell, "text": " ".join("".join(self._cell["text"]).split())}
            if self._row is not None:
                self._row["cells"].append(cell["text"])
            elif self._section == "thead":
                self.headers.append(cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag in ("thead", "tbody"):
            self._section = None

    def handle_data(self, data):
        if self._raw:
            self._raw[2].append(data)
        elif self._cell is not None:
            self._cell["text"].append(data)

    def all(self, tag):
        return [a for t, a in self.tags if t == tag]


def html_of(client, url, status=200, **kw) -> str:
    resp = client.get(url, **kw)
    assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def section(html: str, ident: str) -> str:
    """The inner HTML of the element with id *ident* up to its closing </section>."""
    start = html.index(f'id="{ident}"')
    return html[start:html.index("</section>", start)]


def query_of(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def api_figures(client, query="") -> dict[str, dict]:
    resp = client.get("/api/umsetzung" + query)
    assert resp.status_code == 200
    return {r["ags"]: r for r in resp.get_json()["gebiete"]}


def pct(v) -> str:
    return "–" if v is None else "%.0f %%" % (v * 100)


def same_origin(url: str) -> bool:
    return (url.startswith("/") and not url.startswith("//")) or url.startswith(
        ("data:", "#")) or not re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:|^//", url)


def config_of(html: str) -> tuple[str, dict]:
    """The raw text of the JSON config block (as a browser ends it) and its parsed value."""
    m = re.search(r'<script type="application/json" id="ozgmap-config">(.*?)</script',
                  html, re.S | re.I)
    assert m
    return m.group(1), json.loads(m.group(1))


# --- the map page -------------------------------------------------------------------------

def test_map_page_is_german_html_with_map_filters_legend_and_detail(ro_client):
    html = html_of(ro_client, "/")
    page = Page(html)
    assert '<html lang="de">' in html
    assert any("folium-map" in a.get("class", "") for a in page.all("div"))
    assert "filters" in page.controls and "search" in page.controls
    assert 'id="legend-title"' in html and "keine Daten" in section(html, "legend-title")
    assert 'id="detail"' in html


def test_map_config_points_at_same_origin_api_and_versioned_geometry(ro_client):
    _raw, cfg = config_of(html_of(ro_client, "/"))
    assert cfg["api"] == "/api/umsetzung" and cfg["body_api"] == "/api/gebiete/"
    geo = ro_client.get("/api/geometrie/gemeinden.geojson").get_data()
    version = hashlib.sha1(geo).hexdigest()[:12]  # follows the geometry, not the data
    assert cfg["topojson"] == f"/api/geometrie/NAME.topojson?v={version}"
    for name in ("uebersicht", "karte-05"):
        resp = ro_client.get(cfg["topojson"].replace("NAME", name))
        assert resp.status_code == 200 and resp.get_json()["type"] == "Topology"
    assert set(cfg) == {"api", "felder", "kreis_felder", "kreisweise", "suche", "body_api",
                        "leistungen_api", "figures", "topojson", "map", "legend", "no_data",
                        "kreis", "embed", "attribution", "filter", "filter_definition"}


def test_map_config_hands_the_filter_definition_to_the_page(ro_client):
    _raw, cfg = config_of(html_of(ro_client, "/"))
    fd = {d["name"]: d for d in cfg["filter_definition"]}
    assert list(fd) == ["themenfeld", "leistung", "kreis", "status", "ansicht", "nur_echt"]
    assert fd["status"]["default"] == "umgesetzt" and fd["ansicht"]["default"] == "einwohner"
    assert fd["themenfeld"]["values"] == [str(i) for i in range(1, 15)]
    assert fd["status"]["values"] == ["offen", "in Planung", "in Bearbeitung", "umgesetzt"]
    assert fd["kreis"]["values"] is None and fd["kreis"]["label"] == "Kreis"


@pytest.mark.parametrize("url", ["/", "/?themenfeld=9", f"/embed?kreis={WARENDORF}"])
def test_map_page_brings_its_suggestion_lists_empty(ro_client, url):
    # ozgmap.js fills them when their field is first used (tests/browser/test_map.py)
    html = html_of(ro_client, url)
    lists = re.findall(r'<datalist id="([a-z-]+)">(.*?)</datalist>', html, re.S)
    assert lists == [("gemeinden-liste", "")] + ([("leistungen-liste", "")]
                                                  if "embed" not in url else [])
    assert "<option" not in re.sub(r"<select\b.*?</select>", "", html, flags=re.S)
    _raw, cfg = config_of(html)
    assert "gemeinden" not in cfg and "leistungen" not in cfg


def test_map_without_gebiet_shows_a_hint_and_a_link_to_the_table(ro_client):
    detail = section(html_of(ro_client, "/?themenfeld=4"), "detail")
    assert ">Details<" in detail
    assert 'href="/tabelle?themenfeld=4"' in detail


def test_map_form_defaults_to_all_themenfelder_nrw_umgesetzt_residents(ro_client):
    form = Page(html_of(ro_client, "/")).controls["filters"]
    assert form["themenfeld"] in ([], [""]) and form["kreis"] in ([], [""])
    assert form["status"] == ["umgesetzt"]
    assert form["ansicht"] == ["einwohner"]
    assert form["nur_echt"] == []
    assert form["leistung"] == [""]


def test_permalink_selects_its_filters_in_the_form(ro_client):
    form = Page(html_of(ro_client, f"/?themenfeld=2&kreis={WARENDORF}&gebiet={TELGTE}")
                ).controls["filters"]
    assert form["themenfeld"] == ["2"]
    assert form["kreis"] == [WARENDORF]
    assert form["status"] == ["umgesetzt"] and form["ansicht"] == ["einwohner"]


def test_permalink_with_every_filter_selects_them_all(ro_client, ro_store):
    leistung = next(r for r in ro_store.leistungen() if r["themenfeld_id"] == 3)
    html = html_of(ro_client, f"/?themenfeld=3&leistung={leistung['ozg_id']}&kreis={WARENDORF}"
                              "&status=in%20Planung&ansicht=eigene&nur_echt=1")
    form = Page(html).controls["filters"]
    assert (form["themenfeld"], form["leistung"], form["kreis"], form["status"],
            form["ansicht"], form["nur_echt"]) == (["3"], [leistung["ozg_id"]], [WARENDORF],
                                                   ["in Planung"], ["eigene"], ["1"])
    assert 'id="leistung-name"' in html and leistung["name"] in html


def test_permalink_renders_telgtes_detail_on_the_server(ro_client):
    query = f"?themenfeld=2&kreis={WARENDORF}"
    html = html_of(ro_client, f"/{query}&gebiet={TELGTE}")
    body = ro_client.get(f"/api/gebiete/{TELGTE}{query}").get_json()
    detail = section(html, "detail")
    assert re.search(r'<h2 id="detail-title">Telgte <span class="sub">Stadt, Warendorf</span>',
                     detail)
    assert f"{body['anzahl']} Angebote" in detail
    assert [t["id"] for t in body["themenfelder"]] in ([2], [])
    offers = Page(detail).all("a")
    assert [a["href"] for a in offers] == [o["url"] for t in body["themenfelder"]
                                           for o in t["leistungen"] if o["url"]]


def test_detail_in_own_view_lists_exactly_the_apis_offers(ro_client):
    html = html_of(ro_client, f"/?ansicht=eigene&gebiet={TELGTE}")
    body = ro_client.get(f"/api/gebiete/{TELGTE}?ansicht=eigene").get_json()
    detail = section(html, "detail")
    names = re.findall(r'rel="noopener noreferrer">([^<]*)</a>', detail)
    assert names == [str(escape(o["leistung"])) for t in body["themenfelder"]
                     for o in t["leistungen"]]
    assert "der Gemeinde selbst" in detail
    assert detail.count(f"Quelle: {SAMPLE_SOURCE}") == sum(
        o["beispieldaten"] for t in body["themenfelder"] for o in t["leistungen"])


@pytest.mark.parametrize("ags,name", [(WARENDORF, "Warendorf"), ("05", "Nordrhein-Westfalen"),
                                      ("00", "Bund")])
def test_detail_of_kreis_land_and_bund_renders(ro_client, ags, name):
    detail = section(html_of(ro_client, f"/?gebiet={ags}"), "detail")
    assert f'<h2 id="detail-title">{name} ' in detail
    body = ro_client.get(f"/api/gebiete/{ags}").get_json()
    assert f"{body['anzahl']} Angebote" in detail


def test_detail_with_nur_echt_shows_no_beispieldaten(ro_client):
    detail = section(html_of(ro_client, f"/?nur_echt=1&gebiet={TELGTE}"), "detail")
    body = ro_client.get(f"/api/gebiete/{TELGTE}?nur_echt=1").get_json()
    assert f"Quelle: {SAMPLE_SOURCE}" not in detail and 'class="source sample"' not in detail
    assert f"{body['anzahl']} Angebote" in detail
    if not body["anzahl"]:
        assert "Keine Angebote im gewählten Filter." in detail


def test_search_form_on_the_map_carries_the_filter_as_hidden_fields(ro_client):
    page = Page(html_of(ro_client, f"/?themenfeld=2&kreis={WARENDORF}&ansicht=eigene"))
    assert page.controls["search"] == {"q": [""], "themenfeld": ["2"], "kreis": [WARENDORF],
                                       "ansicht": ["eigene"]}


def test_navigation_links_carry_the_filter(ro_client):
    page = Page(html_of(ro_client, f"/?themenfeld=2&kreis={WARENDORF}&gebiet={TELGTE}"))
    nav = {urlsplit(a["href"]).path: a["href"] for a in page.all("a")
           if a["href"].split("?")[0] in ("/", "/tabelle")}
    assert query_of(nav["/tabelle"]) == {"themenfeld": "2", "kreis": WARENDORF}
    assert query_of(nav["/"]) == {"themenfeld": "2", "kreis": WARENDORF}


def test_title_names_the_chosen_kreis(ro_client):
    html = html_of(ro_client, f"/?kreis={WARENDORF}")
    assert re.search(r"<title>OZG-Landkarte: Warendorf – ozgmap</title>", html)


def test_legend_describes_themenfeld_view_and_stage(ro_client, ro_store):
    name = next(t["name"] for t in ro_store.themenfelder() if t["id"] == 6)
    legend = section(html_of(ro_client, "/?themenfeld=6&ansicht=eigene&status=in%20Bearbeitung"),
                     "legend-title")
    assert str(escape(name)) in legend
    assert "nur eigene Angebote" in legend and "in Bearbeitung" in legend


def test_legend_for_one_leistung_names_it(ro_client, ro_store):
    leistung = ro_store.leistungen()[0]
    legend = section(html_of(ro_client, f"/?leistung={leistung['ozg_id']}"), "legend-title")
    assert "Ist die Leistung" in legend and leistung["name"] in legend


def leistung_choices(html: str) -> dict[str, str]:
    """OZG-ID -> name offered by the Leistung field's suggestion list."""
    part = html[html.index('<datalist id="leistungen-liste">'):]
    part = part[:part.index("</datalist>")]
    return {i: unescape(n) for i, n in re.findall(r'<option value="(\d+)">([^<]*)</option>', part)}


def test_leistung_choices_are_those_of_the_chosen_themenfeld(ro_client, ro_store):
    listed = leistung_choices(html_of(ro_client, "/tabelle?themenfeld=9"))
    assert listed == {r["ozg_id"]: r["name"] for r in ro_store.leistungen()
                      if r["themenfeld_id"] == 9}
    assert len(leistung_choices(html_of(ro_client, "/tabelle"))) == 557
    for page in ("/statistik?themenfeld=9", "/einbetten?themenfeld=9",
                 "/nachbarn?ags=05570044&themenfeld=9"):
        assert leistung_choices(html_of(ro_client, page)) == listed, page


def test_kreis_choices_are_the_53_kreise(ro_client, ro_store):
    html = html_of(ro_client, "/")
    m = re.search(r'<select id="f-kreis" name="kreis">(.*?)</select>', html, re.S)
    values = [v for v in re.findall(r'<option value="(\d*)"', m.group(1)) if v]
    assert sorted(values) == sorted(g["ags"] for g in ro_store.gebiete() if g["ebene"] == "kreis")
    assert len(values) == 53


@pytest.mark.parametrize("url", PAGES)
def test_sample_data_notice_is_shown_while_beispieldaten_are_loaded(ro_page, url):
    assert "Beispieldaten:" in ro_page(url)[0]


@pytest.mark.parametrize("url", ["/?nur_echt=1", f"/tabelle?nur_echt=1&kreis={WARENDORF}"])
def test_sample_data_notice_is_hidden_with_nur_echt(ro_page, url):
    assert 'class="notice sample"' not in ro_page(url)[0]


# --- pages: parameters and errors -----------------------------------------------------------

@pytest.mark.parametrize("url", ["/?utm_source=newsletter&themenfeld=2",
                                 "/tabelle?fbclid=abc&themenfeld=2",
                                 "/tabelle.csv?utm_campaign=x&themenfeld=2",
                                 "/suche?q=zzzz&ref=mail&themenfeld=2",
                                 "/daten?utm_source=x", "/?x=" + "y" * 500 + "&themenfeld=2",
                                 "/?utm=1&utm=2&themenfeld=2"])
def test_pages_ignore_unknown_parameters(ro_client, url):
    resp = ro_client.get(url)
    assert resp.status_code == 200
    if "themenfeld=2" in url and resp.mimetype == "text/html":
        form = Page(resp.get_data(as_text=True)).controls.get("filters")
        if form is not None:
            assert form["themenfeld"] == ["2"]


def test_table_csv_ignores_unknown_parameters_but_keeps_the_filter(ro_client):
    text = ro_client.get("/tabelle.csv?utm=1&kreis=" + WARENDORF).get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))) == 1 + 13


PAGE_ERRORS = [("themenfeld", "15", "Themenfeld"), ("themenfeld", "x", "Themenfeld"),
               ("leistung", "99999", "Leistung"), ("leistung", "abc", "Leistung"),
               ("kreis", "12345", "Kreis"), ("kreis", "0557", "Kreis"),
               ("status", "fertig", "Status"), ("ansicht", "alle", "Ansicht"),
               ("nur_echt", "vielleicht", "nur_echt")]


@pytest.mark.parametrize("route", FILTER_PAGES)
@pytest.mark.parametrize("name,value,word", PAGE_ERRORS)
def test_bad_filter_on_a_page_is_a_german_html_400(ro_client, route, name, value, word):
    resp = ro_client.get(route, query_string={name: value, "q": "Telgte"})
    html = resp.get_data(as_text=True)
    if route == "/" and name == "leistung" and not value.isdigit():
        # a name that fits no Leistung keeps the map and says so (tests/test_lookup.py)
        assert resp.status_code == 200 and 'id="leistung-fehler"' in html
        return
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    assert '<html lang="de">' in html and "Fehlercode 400" in html
    assert f"<code>{name}</code>" in html
    assert word in re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)


@pytest.mark.parametrize("route", FILTER_PAGES)
def test_repeated_parameter_on_a_page_is_400(ro_client, route):
    resp = ro_client.get(route + "?themenfeld=1&themenfeld=2")
    assert resp.status_code == 400 and "<code>themenfeld</code>" in resp.get_data(as_text=True)
    assert "nur einmal" in resp.get_data(as_text=True)


@pytest.mark.parametrize("route", FILTER_PAGES)
def test_oversized_parameter_on_a_page_is_400(ro_client, route):
    resp = ro_client.get(route, query_string={"leistung": "1" * 201})
    assert resp.status_code == 400 and "zu lang" in resp.get_data(as_text=True)


@pytest.mark.parametrize("gebiet,word", [("abc", "AGS"), ("0557004", "AGS"),
                                         ("05999999", "Kein Gebiet")])
def test_bad_gebiet_on_the_map_is_a_400_naming_gebiet(ro_client, gebiet, word):
    html = html_of(ro_client, f"/?gebiet={gebiet}", status=400)
    assert "<code>gebiet</code>" in html and word in html


def test_page_errors_are_json_for_clients_that_ask_for_json(ro_client):
    resp = ro_client.get("/?themenfeld=99", headers={"Accept": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["error"]["parameter"] == "themenfeld"


def test_unknown_page_is_a_german_404(ro_client):
    html = html_of(ro_client, "/gibtesnicht", status=404)
    assert "Fehlercode 404" in html and "gibt es nicht" in html


def test_tabelle_with_unknown_sort_column_is_400(ro_client):
    html = html_of(ro_client, "/tabelle?sort=einwohner", status=400)
    assert "<code>sort</code>" in html and "Sortierspalte" in html


NASTY = ["%00", "%ff", "'", "\"", "<script>", "%E2%80%AE", "%F0%9F%98%80", "1e3", "%C2%B2"]
# every parameter a page reads, on a page that reads it
PAGE_PARAMS = [("/", n) for n in ("themenfeld", "leistung", "kreis", "status", "ansicht",
                                  "nur_echt", "gebiet")] + [
    ("/tabelle", "sort"), ("/tabelle", "richtung"), ("/tabelle", "kreis"),
    ("/tabelle.csv", "themenfeld"), ("/suche?q=a", "themenfeld"), ("/suche", "q")]


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("route,name", PAGE_PARAMS)
def test_odd_values_on_pages_never_give_a_server_error(ro_client, route, name, value):
    sep = "&" if "?" in route else "?"
    resp = ro_client.get(f"{route}{sep}{name}={value}")
    assert resp.status_code in (200, 300, 302, 400), resp.status_code  # 300: choose


# --- the table ----------------------------------------------------------------------------



def test_table_has_a_row_per_gemeinde_with_the_figures_of_the_api(ro_client, ro_page):
    rows = ro_page("/tabelle")[1].rows
    figs = api_figures(ro_client)
    assert len(rows) == 396
    assert {r["cells"][2] for r in rows} == set(figs)
    for r in rows:
        name, kreis, ags, online, anteil = r["cells"][:5]
        f = figs[ags]
        assert (name, kreis) == (f["name"], f["kreis"])
        assert online == f"{f['online']} / {f['leistungen_im_filter']}"
        assert anteil == pct(f["anteil"])


def test_table_themenfeld_columns_show_the_per_themenfeld_share(ro_client, ro_page):
    page = ro_page("/tabelle")[1]
    assert len(page.headers) == 5 + 14
    themen = {r["ags"]: r["themen"] for r in ro_client.get("/api/tabelle").get_json()["gebiete"]}
    for r in page.rows:
        want = ["–" if v is None else "%.0f" % (v * 100)
                for v in (themen[r["cells"][2]][str(i)] for i in range(1, 15))]
        assert r["cells"][5:] == want


def test_table_caption_counts_the_rows(ro_client):
    assert "<caption id=\"tcap\">13 Gemeinden." in html_of(ro_client, f"/tabelle?kreis={WARENDORF}")


def test_table_default_order_is_by_name(ro_client, ro_page):
    names = [r["cells"][0] for r in ro_page("/tabelle")[1].rows]
    assert names == sorted(names, key=str.casefold)


def _sorted_key(rows, figs, key):
    return [figs[r["cells"][2]][key] for r in rows]


def test_table_sort_anteil_ab_orders_rows_by_share_descending(ro_client, ro_page):
    rows = ro_page("/tabelle?sort=anteil&richtung=ab&ansicht=eigene")[1].rows
    shares = _sorted_key(rows, api_figures(ro_client, "?ansicht=eigene"), "anteil")
    known = [s for s in shares if s is not None]
    assert len(shares) == 396 and len(set(known)) > 10
    assert known == sorted(known, reverse=True)
    assert shares == known + [None] * (len(shares) - len(known))


def test_table_sort_anteil_auf_orders_rows_by_share_ascending(ro_client, ro_page):
    rows = ro_page("/tabelle?sort=anteil&richtung=auf")[1].rows
    shares = _sorted_key(rows, api_figures(ro_client), "anteil")
    assert shares == sorted(shares)


def test_table_sort_online_ab_orders_by_count(ro_client, ro_page):
    rows = ro_page(f"/tabelle?sort=online&richtung=ab&kreis={WARENDORF}")[1].rows
    counts = _sorted_key(rows, api_figures(ro_client, f"?kreis={WARENDORF}"), "online")
    assert len(counts) == 13 and counts == sorted(counts, reverse=True)


def test_table_sort_by_themenfeld_column(ro_client, ro_page):
    rows = ro_page("/tabelle?sort=tf3&richtung=ab")[1].rows
    shares = _sorted_key(rows, api_figures(ro_client, "?themenfeld=3"), "anteil")
    assert shares == sorted(shares, reverse=True)


@pytest.mark.parametrize("col,idx", [("name", 0), ("kreis", 1), ("ags", 2)])
def test_table_sort_by_text_columns_both_ways(ro_store, col, idx, ro_page):
    one = ro_store.leistungen()[0]["ozg_id"]   # one Leistung: no Themenfeld columns, quicker
    up = [r["cells"][idx].casefold()
          for r in ro_page(f"/tabelle?leistung={one}&sort={col}")[1].rows]
    down = [r["cells"][idx].casefold()
            for r in ro_page(f"/tabelle?leistung={one}&sort={col}&richtung=ab")[1].rows]
    assert len(up) == len(down) == 396
    assert up == sorted(up) and down == sorted(down, reverse=True)


def test_table_marks_the_sorted_column_for_screen_readers(ro_client):
    heads = Page(html_of(ro_client, "/tabelle?sort=anteil&richtung=ab")).headers
    marked = [(h["text"], h["aria-sort"]) for h in heads if h["aria-sort"]]
    assert marked == [("Anteil ▼", "descending")]


def test_table_header_links_keep_the_filter_and_toggle_direction(ro_client):
    heads = Page(html_of(ro_client, f"/tabelle?kreis={WARENDORF}&themenfeld=2&sort=anteil"
                                    "&richtung=ab")).headers
    links = {h["text"].split(" ")[0]: query_of(h["href"]) for h in heads}
    assert links["Anteil"] == {"kreis": WARENDORF, "themenfeld": "2", "sort": "anteil",
                               "richtung": "auf"}
    assert links["Gemeinde"]["richtung"] == "auf" and links["online"]["richtung"] == "ab"
    assert all(q["kreis"] == WARENDORF and q["themenfeld"] == "2" for q in links.values())


def test_table_links_carry_the_filter(ro_client):
    query = f"themenfeld=2&kreis={WARENDORF}&ansicht=eigene"
    page = Page(html_of(ro_client, f"/tabelle?{query}"))
    want = {"themenfeld": "2", "kreis": WARENDORF, "ansicht": "eigene"}
    hrefs = [a["href"] for a in page.all("a")]
    for path in ("/tabelle.csv", "/api/tabelle", "/"):
        assert any(urlsplit(h).path == path and query_of(h) == want for h in hrefs), path
    assert len(page.rows) == 13
    for r in page.rows:
        assert query_of(r["links"][0]) == {**want, "gebiet": r["cells"][2]}


def test_table_row_links_open_that_gemeinde_on_the_map(ro_client, ro_page):
    row = ro_page(f"/tabelle?kreis={WARENDORF}")[1].rows[0]
    detail = section(html_of(ro_client, row["links"][0]), "detail")
    assert f'<h2 id="detail-title">{row["cells"][0]} ' in detail


def test_table_shows_keine_daten_as_a_dash(ro_client, ro_page):
    # own offers, real data only: Gemeinden without real records of their own have no data
    rows = ro_page("/tabelle?nur_echt=1&ansicht=eigene")[1].rows
    figs = api_figures(ro_client, "?nur_echt=1&ansicht=eigene")
    themen = {r["ags"]: r["themen"] for r in ro_client.get(
        "/api/tabelle?nur_echt=1&ansicht=eigene").get_json()["gebiete"]}
    assert len(rows) == 396 and any(f["anteil"] is None for f in figs.values())
    for r in rows:
        f = figs[r["cells"][2]]
        assert (r["cells"][3] == "–") == (f["online"] is None)
        assert (r["cells"][4] == "–") == (f["anteil"] is None)
        assert [c == "–" for c in r["cells"][5:]] == [
            themen[r["cells"][2]][str(i)] is None for i in range(1, 15)]


def test_table_with_one_leistung_has_no_themenfeld_columns(ro_client, ro_store):
    ozg_id = ro_store.leistungen()[0]["ozg_id"]
    page = Page(html_of(ro_client, f"/tabelle?leistung={ozg_id}"))
    assert [h["text"].split(" ")[0] for h in page.headers] == [
        "Gemeinde", "Kreis", "AGS", "online", "Anteil"]
    assert all(r["cells"][3] in ("0 / 1", "1 / 1") for r in page.rows)


# --- /tabelle.csv -------------------------------------------------------------------------

def read_csv(client, url) -> list[list[str]]:
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_table_csv_is_an_attachment(ro_client):
    resp = ro_client.get("/tabelle.csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    assert ".csv" in resp.headers["Content-Disposition"]


def test_table_csv_header_names_the_14_themenfelder(ro_client, ro_store):
    header = read_csv(ro_client, "/tabelle.csv")[0]
    assert header[:6] == ["AGS", "Gemeinde", "Kreis", "Leistungen im Filter", "online", "Anteil"]
    assert header[6:] == [t["name"] for t in ro_store.themenfelder()]


@pytest.mark.parametrize("query", ["", "?ansicht=eigene&status=offen", "?nur_echt=1"])
def test_table_csv_rows_equal_the_table_and_the_api(ro_client, query, ro_page):
    rows = read_csv(ro_client, "/tabelle.csv" + query)[1:]
    figs = api_figures(ro_client, query)
    themen = {r["ags"]: r["themen"] for r in
              ro_client.get("/api/tabelle" + query).get_json()["gebiete"]}
    html_rows = {r["cells"][2]: r["cells"] for r in ro_page("/tabelle" + query)[1].rows}
    assert len(rows) == 396 and {r[0] for r in rows} == set(figs) == set(html_rows)
    for r in rows:
        f = figs[r[0]]
        assert r[1:6] == ["" if v is None else str(v) for v in (
            f["name"], f["kreis"], f["leistungen_im_filter"], f["online"], f["anteil"])]
        assert r[6:] == ["" if themen[r[0]][str(i)] is None else str(themen[r[0]][str(i)])
                         for i in range(1, 15)]
        cells = html_rows[r[0]]
        assert cells[4] == pct(None if r[5] == "" else float(r[5]))
        assert cells[3] == ("–" if r[4] == "" else f"{r[4]} / {r[3]}")


def test_table_csv_follows_the_filter(ro_client, ro_store):
    rows = read_csv(ro_client, f"/tabelle.csv?kreis={WARENDORF}&themenfeld=5")
    name = next(t["name"] for t in ro_store.themenfelder() if t["id"] == 5)
    assert rows[0][6:] == [name]
    assert len(rows) == 1 + 13 and {r[2] for r in rows[1:]} == {"Warendorf"}


# --- search -------------------------------------------------------------------------------

def hits_for(gemeinden, q):
    return [a for a, g in gemeinden.items() if q.casefold() in g["name"].casefold()]


def test_search_with_one_hit_redirects_to_the_map_with_that_gemeinde(ro_client, gemeinden):
    assert hits_for(gemeinden, "telg") == [TELGTE]
    resp = ro_client.get("/suche?q=telg")
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/?gebiet={TELGTE}"


def test_search_redirect_keeps_the_filters(ro_client):
    resp = ro_client.get("/suche?q=Telgte&themenfeld=2&ansicht=eigene&status=offen&utm=1")
    assert resp.status_code == 302
    loc = resp.headers["Location"]
    assert urlsplit(loc).path == "/"
    assert query_of(loc) == {"themenfeld": "2", "ansicht": "eigene", "status": "offen",
                             "gebiet": TELGTE}


def test_search_by_ags_redirects(ro_client):
    resp = ro_client.get(f"/suche?q={TELGTE}")
    assert resp.status_code == 302 and query_of(resp.headers["Location"]) == {"gebiet": TELGTE}


def test_search_is_case_and_space_insensitive(ro_client):
    resp = ro_client.get("/suche?q=%20%20tElGtE%20")
    assert resp.status_code == 302 and query_of(resp.headers["Location"])["gebiet"] == TELGTE


def test_search_for_an_exact_name_wins_over_longer_names(ro_client, gemeinden):
    name, ags = next((g["name"], a) for a, g in sorted(gemeinden.items())
                     if len(hits_for(gemeinden, g["name"])) > 1
                     and sum(x["name"].casefold() == g["name"].casefold()
                             for x in gemeinden.values()) == 1)
    resp = ro_client.get("/suche", query_string={"q": name})
    assert resp.status_code == 302 and query_of(resp.headers["Location"])["gebiet"] == ags


def test_search_with_several_hits_lists_them_with_links_keeping_the_filter(ro_client,
                                                                          gemeinden):
    want = hits_for(gemeinden, "berg")
    assert len(want) > 1
    html = html_of(ro_client, "/suche?q=berg&themenfeld=2")
    assert f"{len(want)} Treffer für „berg“" in html
    links = [a["href"] for a in Page(html).all("a") if "gebiet=" in a["href"]]
    assert sorted(query_of(h)["gebiet"] for h in links) == sorted(want)
    assert all(query_of(h)["themenfeld"] == "2" for h in links)
    listed = re.findall(r'<li><a href="[^"]*gebiet=\d+">([^<]*)</a> \((\d{8})\)</li>', html)
    assert [n for n, _ in listed] == [str(escape(n)) for n in sorted(
        gemeinden[a]["name"] for a in want)]


def test_search_form_keeps_query_and_filter(ro_client):
    page = Page(html_of(ro_client, "/suche?q=berg&kreis=" + WARENDORF))
    form = next(f for f in page.controls.values() if "q" in f)
    assert form == {"q": ["berg"], "kreis": [WARENDORF]}


def test_search_without_hit_says_so(ro_client):
    html = html_of(ro_client, "/suche?q=Atlantis")
    assert "0 Treffer für „Atlantis“" in html


def test_search_without_query_shows_the_form(ro_client):
    html = html_of(ro_client, "/suche")
    assert 'name="q"' in html and "Treffer" not in html


def test_search_redirect_opens_the_gemeinde_on_the_map(ro_client):
    resp = ro_client.get("/suche?q=Telgte", follow_redirects=True)
    assert resp.status_code == 200
    assert '<h2 id="detail-title">Telgte ' in resp.get_data(as_text=True)


def test_search_redirect_drops_a_kreis_filter_that_excludes_the_hit(ro_client):
    loc = ro_client.get("/suche?q=Telgte&kreis=05111").headers["Location"]
    assert query_of(loc).get("kreis") in (None, WARENDORF)


# --- /daten and /vorlage.csv --------------------------------------------------------------

def test_daten_names_sources_licences_and_how_figures_are_counted(ro_client):
    html = html_of(ro_client, "/daten")
    for text in ("BKG", "dl-de/by-2-0", "KDN OZG-Datenbank NRW", "MIT", "keine Daten",
                 "eigene Angebote", "für Einwohner verfügbar", "557"):
        assert text.casefold() in html.casefold(), text
    hrefs = {a["href"] for a in Page(html).all("a")}
    assert {ozg_config.CREDIT_BOUNDARIES_URL, ozg_config.LICENCE_BOUNDARIES_URL,
            ozg_config.CREDIT_CATALOG_URL} <= hrefs


def test_daten_download_links_work(ro_client):
    hrefs = [a["href"] for a in Page(html_of(ro_client, "/daten")).all("a")
             if a["href"].startswith(("/api/", "/vorlage"))]
    assert any(h.startswith("/api/umsetzung?format=csv") for h in hrefs)
    for h in hrefs:
        assert ro_client.get(h).status_code == 200, h


def test_daten_lists_the_latest_imports(ro_client, ro_store):
    imports = ro_store.imports()
    assert imports
    html = html_of(ro_client, "/daten")
    assert "Letzte Importe" in html
    for run in imports[-10:]:
        assert run["am"].strftime("%d.%m.%Y %H:%M") in html


def test_vorlage_csv_is_the_import_template(ro_client):
    importer = pytest.importorskip("ozgmap.importer")
    if not hasattr(importer, "template_csv"):
        pytest.skip("no import template in this version")
    resp = ro_client.get("/vorlage.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff") and not text.startswith("\ufeff\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == importer.OZGMAP_COLUMNS
    assert all(len(r) == len(rows[0]) for r in rows[1:]) and len(rows) >= 2


def test_vorlage_example_row_refers_to_a_known_gemeinde_and_leistung(ro_client, ro_store):
    pytest.importorskip("ozgmap.importer")
    text = ro_client.get("/vorlage.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows
    for row in rows:
        assert row["ags"] in {g["ags"] for g in ro_store.gebiete()}
        assert row["ozg_id"] in {r["ozg_id"] for r in ro_store.leistungen()}


# --- escaping -----------------------------------------------------------------------------

def assert_no_raw(html: str, *evil: str):
    for e in evil:
        assert e not in html, e
    assert "<script>alert" not in html and "<img src=x" not in html


def test_gemeinde_name_is_escaped_in_the_map_detail(evil):
    html = html_of(evil["client"], f"/?gebiet={TELGTE}")
    assert_no_raw(html, EVIL_NAME)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;${x}" in section(html, "detail")


def test_kreis_name_is_escaped_in_title_detail_and_choices(evil):
    html = html_of(evil["client"], f"/?kreis={WARENDORF}&gebiet={TELGTE}")
    assert_no_raw(html, EVIL_KREIS, "</title><script>")
    assert "<title>OZG-Landkarte: Warendorf&lt;/title&gt;&lt;script&gt;" in html
    assert html.count("<title>") == 1 and html.count("</title>") == 1


def test_gemeinde_names_are_escaped_in_the_table(evil):
    html = html_of(evil["client"], f"/tabelle?kreis={WARENDORF}")
    assert_no_raw(html, EVIL_NAME, EVIL_NAME_2, EVIL_KREIS)
    names = {r["cells"][0] for r in Page(html).rows}
    assert {EVIL_NAME, EVIL_NAME_2} <= names   # the text is shown, as text


def test_gemeinde_names_are_escaped_in_search_results(evil):
    html = html_of(evil["client"], "/suche", query_string={"q": "<script>"})
    assert_no_raw(html, EVIL_NAME, EVIL_NAME_2)
    assert "2 Treffer" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;${x}" in html


def test_search_for_a_hostile_name_with_one_hit_redirects(evil):
    resp = evil["client"].get("/suche", query_string={"q": "alert(2)"})
    assert resp.status_code == 302 and query_of(resp.headers["Location"]) == {
        "gebiet": evil["other"]}


def test_search_query_is_reflected_escaped(ro_client):
    q = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    html = html_of(ro_client, "/suche", query_string={"q": q})
    assert_no_raw(html, q)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert Page(html).controls and any(
        f.get("q") == [q] for f in Page(html).controls.values())  # value survives intact


def test_config_json_cannot_break_out_of_its_script_element(evil):
    html = html_of(evil["client"], "/")
    raw, cfg = config_of(html)
    assert "<" not in raw and ">" not in raw
    assert "<!--" not in raw
    assert_no_raw(html, EVIL_NAME, EVIL_NAME_2)


def test_record_source_and_office_are_escaped_in_the_detail(evil):
    html = html_of(evil["client"], f"/?ansicht=eigene&gebiet={TELGTE}")
    assert_no_raw(html, EVIL_QUELLE, EVIL_STELLE)
    detail = section(html, "detail")
    assert "Quelle: &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in detail
    assert "&lt;b onmouseover=alert(1)&gt;Amt&lt;/b&gt;" in detail
    assert not [a for t, a in Page(detail).tags if t in ("img", "b", "script")]


def test_link_with_quotes_cannot_break_out_of_its_href(evil):
    detail = section(html_of(evil["client"], f"/?ansicht=eigene&gebiet={TELGTE}"), "detail")
    links = [a for a in Page(detail).all("a") if a["href"].startswith("https://x.example/")]
    assert [a["href"] for a in links] == [QUOTE_URL]
    assert all(set(a) == {"href", "target", "rel"} for a in links)


def test_javascript_url_of_a_record_is_not_rendered_as_a_link(evil):
    detail = section(html_of(evil["client"], f"/?ansicht=eigene&gebiet={TELGTE}"), "detail")
    hrefs = [a["href"].strip().lower() for a in Page(detail).all("a")]
    assert hrefs and not [h for h in hrefs if not h.startswith(("https://", "http://"))]
    name = next(r["name"] for r in evil["store"].leistungen() if r["ozg_id"] == evil["js"])
    assert str(escape(name)) in detail   # the offer is still listed, as text


def test_import_file_and_person_are_escaped_on_daten(evil):
    html = html_of(evil["client"], "/daten")
    assert_no_raw(html, EVIL_FILE, EVIL_BY)
    assert "&lt;img src=x onerror=alert(4)&gt;.csv" in html
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in html


def test_hostile_names_come_back_verbatim_from_the_json_api(evil):
    rows = evil["client"].get(f"/api/umsetzung?kreis={WARENDORF}").get_json()["gebiete"]
    assert {EVIL_NAME, EVIL_NAME_2} <= {r["name"] for r in rows}
    assert {r["kreis"] for r in rows} == {EVIL_KREIS}


# --- security headers, inline hashes, origins ----------------------------------------------------

@pytest.mark.parametrize("url", [f"/?gebiet={TELGTE}", f"/nachbarn?ags={TELGTE}",
                                 f"/embed?kreis={WARENDORF}", "/tabelle"])
def test_a_script_in_a_name_stays_text_and_gets_no_hash(evil, url):
    """Hashes come from what the templates write, never from scanning the answer: the
    hostile names show as text, and the CSP allows exactly the app's own blocks."""
    resp = evil["client"].get(url)
    assert_no_raw(resp.get_data(as_text=True), EVIL_NAME, EVIL_NAME_2, EVIL_KREIS)
    assert assert_inline_blocks_allowed_by_hash(resp) >= 1


def test_map_page_has_no_inline_handlers_style_attributes_or_script_urls(ro_client):
    page = Page(html_of(ro_client, f"/?gebiet={TELGTE}"))
    for tag, attrs in page.tags:
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        assert "style" not in attrs, (tag, attrs)      # CSP without unsafe-inline blocks it
        for k in ("href", "src", "action"):
            assert not attrs.get(k, "").strip().lower().startswith("javascript:"), (tag, attrs)


@pytest.mark.parametrize("url", PAGES + [f"/?gebiet={TELGTE}&kreis={WARENDORF}"])
def test_pages_load_scripts_styles_and_images_only_from_their_own_origin(ro_client, url):
    page = Page(html_of(ro_client, url))
    for tag, attrs in page.tags:
        if tag in ("script", "link", "img", "iframe", "source", "embed", "object", "video",
                   "audio", "form"):
            for k in ("src", "href", "data", "action", "srcset"):
                if k in attrs:
                    assert same_origin(attrs[k]), (tag, attrs)
    for _a, css in page.styles:
        assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import", css), css


def test_map_inline_scripts_name_no_other_host(ro_client):
    page = Page(html_of(ro_client, "/"))
    for attrs, body in page.scripts:
        if attrs.get("type") == "application/json":
            continue
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", body), body[:300]


def test_external_links_on_the_map_are_the_credits_only(ro_client):
    page = Page(html_of(ro_client, "/"))
    external = {a["href"] for a in page.all("a") if not same_origin(a.get("href", ""))}
    credits = {ozg_config.CREDIT_BOUNDARIES_URL, ozg_config.LICENCE_BOUNDARIES_URL,
               ozg_config.CREDIT_CATALOG_URL}
    assert external and external <= credits


def test_scripts_and_stylesheets_of_the_map_are_served_and_import_nothing_foreign(ro_client):
    page = Page(html_of(ro_client, "/"))
    urls = [a["src"] for a in page.all("script") if "src" in a] + [
        a["href"] for a in page.all("link") if "stylesheet" in a.get("rel", "")]
    paths = [u.split("?", 1)[0] for u in urls]
    assert any(p.endswith("leaflet.js") for p in paths) and any(p.endswith(".css") for p in paths)
    for u, path in zip(urls, paths):
        resp = ro_client.get(u)
        assert resp.status_code == 200, u
        if path.endswith(".css"):
            css = resp.get_data(as_text=True)
            assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import\s", css), u


def test_pages_are_gzipped_when_asked(ro_client):
    resp = ro_client.get(f"/tabelle?kreis={WARENDORF}", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(resp.data).decode()
    assert "<table" in html and html.count("<tr>") == 1 + 13


def test_sample_source_label_is_the_configured_one(ro_client):
    # the detail panel labels Beispieldaten with the source name the store uses
    assert f"Quelle: {SAMPLE_SOURCE}" in section(html_of(ro_client, f"/?gebiet={TELGTE}"),
                                                 "detail")
