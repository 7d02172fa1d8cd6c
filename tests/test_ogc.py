"""OGC API - Features at /ogc and the downloads of /daten, through the test client.

Expected values come from the store and the boundary files (feature counts, geometry
intersections with geopandas, Kreis aggregates recomputed from the Gemeinde figures of
``/api/umsetzung`` and the Kreis's own records), never from constants.
"""
from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import openpyxl
import pytest
import shapely

from ozgmap import services
from ozgmap.config import (CREDIT_BOUNDARIES, CREDIT_CATALOG, LICENCE_BOUNDARIES,
                           SAMPLE_SOURCE)

from helpers import error_of

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
TELGTE, WARENDORF = "05570044", "05570"


@pytest.fixture(scope="module")
def ro(ro_app):
    return ro_app.test_client()


@pytest.fixture(scope="module")
def gebiete(ro_app):
    return {g["ags"]: g for g in services(ro_app).store.gebiete()}


@pytest.fixture(scope="module")
def shapes():
    """The shipped boundary files, read independently of the app."""
    return {level: gpd.read_file(ROOT / "boundaries" / f"nrw_{level}.geojson")
            for level in ("gemeinden", "kreise")}


def get(client, url, status=200, mimetype="application/json", **kw):
    resp = client.get(url, **kw)
    assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == mimetype, (url, resp.mimetype)
    return resp


def links(doc, rel) -> list[dict]:
    return [lk for lk in doc["links"] if lk["rel"] == rel]


def local(href: str) -> str:
    """An absolute link of the app as a path for the test client."""
    parts = urlsplit(href)
    return parts.path + ("?" + parts.query if parts.query else "")


# --- landing page, conformance, OpenAPI --------------------------------------------------

@pytest.mark.parametrize("path", ["/ogc", "/ogc/"])
def test_landing_page_links_api_description_conformance_and_data(ro, path):
    doc = get(ro, path).get_json()
    desc = links(doc, "service-desc")
    assert [lk["type"] for lk in desc] == [OPENAPI] and local(desc[0]["href"]) == "/ogc/api"
    assert local(links(doc, "conformance")[0]["href"]) == "/ogc/conformance"
    assert local(links(doc, "data")[0]["href"]) == "/ogc/collections"
    assert links(doc, "self") and links(doc, "alternate")[0]["type"] == "text/html"
    assert any(lk["title"].endswith(f"{CREDIT_BOUNDARIES}, {LICENCE_BOUNDARIES}")
               for lk in links(doc, "license"))


def test_conformance_declares_core_geojson_and_oas30(ro):
    classes = get(ro, "/ogc/conformance").get_json()["conformsTo"]
    base = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
    assert {base + c for c in ("core", "geojson", "oas30")} <= set(classes)


def test_openapi_document_describes_every_route_with_the_limit_maximum(ro):
    resp = ro.get("/ogc/api")
    assert resp.status_code == 200 and resp.content_type == OPENAPI
    doc = json.loads(resp.data)
    assert doc["openapi"].startswith("3.0")
    assert {"/", "/conformance", "/collections", "/collections/{collectionId}",
            "/collections/{collectionId}/items",
            "/collections/{collectionId}/items/{featureId}"} <= set(doc["paths"])
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 1000, 10)
    assert local(doc["servers"][0]["url"]) == "/ogc"
    # every $ref points at something that exists
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        node = doc
        for key in ref.removeprefix("#/").split("/"):
            node = node[key]


# --- collections ---------------------------------------------------------------------------

def test_collections_list_gemeinden_and_kreise_with_extent_and_items_link(ro, shapes):
    doc = get(ro, "/ogc/collections").get_json()
    cols = {c["id"]: c for c in doc["collections"]}
    assert list(cols) == ["gemeinden", "kreise"]
    for cid, col in cols.items():
        assert col["itemType"] == "feature"
        expected = [round(float(v), 5) for v in shapes[cid].total_bounds]
        assert col["extent"]["spatial"]["bbox"] == [pytest.approx(expected, abs=1e-5)]
        items = [lk for lk in links(col, "items") if lk["type"] == "application/geo+json"]
        assert local(items[0]["href"]) == f"/ogc/collections/{cid}/items"
        assert get(ro, f"/ogc/collections/{cid}").get_json()["id"] == cid


def test_unknown_collection_and_feature_are_404_json(ro):
    error_of(ro.get("/ogc/collections/laender"), 404)
    error_of(ro.get("/ogc/collections/laender/items"), 404)
    error_of(ro.get("/ogc/collections/gemeinden/items/99999999"), 404)
    error_of(ro.get(f"/ogc/collections/kreise/items/{TELGTE}"), 404)


# --- items -----------------------------------------------------------------------------

def test_items_default_page_is_ten_gemeinden_in_ags_order_with_the_figures(ro, gebiete):
    resp = get(ro, "/ogc/collections/gemeinden/items", mimetype="application/geo+json")
    doc = resp.get_json()
    all_ags = sorted(a for a, g in gebiete.items() if g["ebene"] == "gemeinde")
    assert doc["type"] == "FeatureCollection"
    assert (doc["numberMatched"], doc["numberReturned"]) == (len(all_ags), 10)
    assert [f["id"] for f in doc["features"]] == all_ags[:10]
    figures = {r["ags"]: r for r in get(ro, "/api/umsetzung").get_json()["gebiete"]}
    for feat in doc["features"]:
        assert feat["properties"] == figures[feat["id"]]
        assert feat["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert doc["timeStamp"].endswith("Z") and doc["beispieldaten"] is True
    nxt = parse_qs(urlsplit(links(doc, "next")[0]["href"]).query)
    assert (nxt["offset"], nxt["limit"]) == (["10"], ["10"])
    assert not links(doc, "prev")


def test_paging_by_next_links_returns_every_gemeinde_once(ro, gebiete):
    url, seen, pages = "/ogc/collections/gemeinden/items?limit=100", [], 0
    while url:
        doc = get(ro, url, mimetype="application/geo+json").get_json()
        seen += [f["id"] for f in doc["features"]]
        assert doc["numberReturned"] == len(doc["features"]) <= 100
        assert bool(links(doc, "prev")) == (pages > 0)
        nxt = links(doc, "next")
        url = local(nxt[0]["href"]) if nxt else None
        pages += 1
    assert seen == sorted(a for a, g in gebiete.items() if g["ebene"] == "gemeinde")
    assert pages == -(-len(seen) // 100)


def test_offset_past_the_end_is_an_empty_page_and_limit_above_maximum_is_capped(ro, gebiete):
    n = sum(g["ebene"] == "kreis" for g in gebiete.values())
    doc = get(ro, f"/ogc/collections/kreise/items?offset={n}",
              mimetype="application/geo+json").get_json()
    assert (doc["numberMatched"], doc["numberReturned"], doc["features"]) == (n, 0, [])
    prev = parse_qs(urlsplit(links(doc, "prev")[0]["href"]).query)
    assert prev["offset"] == [str(n - 10)]
    doc = get(ro, "/ogc/collections/kreise/items?limit=5000",
              mimetype="application/geo+json").get_json()
    assert doc["numberReturned"] == n and not links(doc, "next")


@pytest.mark.parametrize("cid", ["gemeinden", "kreise"])
@pytest.mark.parametrize("bbox", [(7.8, 51.9, 8.0, 52.0), (6.0, 50.0, 6.2, 50.5),
                                  (0.0, 0.0, 1.0, 1.0)])
def test_bbox_returns_exactly_the_features_intersecting_it(ro, shapes, cid, bbox):
    gdf = shapes[cid]
    expected = sorted(gdf[gdf.intersects(shapely.box(*bbox))]["ags"])
    doc = get(ro, f"/ogc/collections/{cid}/items?limit=1000&bbox=" + ",".join(map(str, bbox)),
              mimetype="application/geo+json").get_json()
    assert [f["id"] for f in doc["features"]] == expected
    assert doc["numberMatched"] == len(expected)


def test_bbox_with_heights_uses_the_horizontal_box(ro):
    two = get(ro, "/ogc/collections/gemeinden/items?bbox=7.8,51.9,8.0,52.0",
              mimetype="application/geo+json").get_json()
    three = get(ro, "/ogc/collections/gemeinden/items?bbox=7.8,51.9,0,8.0,52.0,100",
                mimetype="application/geo+json").get_json()
    assert [f["id"] for f in three["features"]] == [f["id"] for f in two["features"]]


def test_item_by_id_is_the_feature_with_its_figures(ro):
    resp = get(ro, f"/ogc/collections/gemeinden/items/{TELGTE}",
               mimetype="application/geo+json")
    feat = resp.get_json()
    figures = {r["ags"]: r for r in get(ro, "/api/umsetzung").get_json()["gebiete"]}
    assert feat["type"] == "Feature" and feat["id"] == TELGTE
    assert feat["properties"] == figures[TELGTE]
    assert local(links(feat, "collection")[0]["href"]) == "/ogc/collections/gemeinden"


def test_kreis_properties_aggregate_its_gemeinden_and_count_its_own_offers(ro, ro_app,
                                                                          gebiete):
    figures = get(ro, "/api/umsetzung").get_json()["gebiete"]
    store = services(ro_app).store
    kommunal = {r["ozg_id"] for r in store.leistungen() if r["kommunal"]}
    doc = get(ro, "/ogc/collections/kreise/items?limit=100",
              mimetype="application/geo+json").get_json()
    assert doc["numberMatched"] == sum(g["ebene"] == "kreis" for g in gebiete.values())
    for feat in doc["features"]:
        k = feat["id"]
        rows = [r for r in figures if r["kreis_ags"] == k]
        shares = [r["anteil"] for r in rows if r["anteil"] is not None]
        own = store.records(ags=k)
        p = feat["properties"]
        assert (p["ags"], p["name"]) == (k, gebiete[k]["name"])
        assert (p["gemeinden"], p["gemeinden_mit_daten"]) == (len(rows), len(shares))
        assert p["anteil_mittel"] == (pytest.approx(statistics.fmean(shares), abs=6e-5)
                                      if shares else None)
        assert p["anteil_median"] == (pytest.approx(statistics.median(shares), abs=6e-5)
                                      if shares else None)
        assert p["eigene"] == (len({r["ozg_id"] for r in own if r["status"] == "umgesetzt"}
                                   & kommunal) if own else None)
    assert any(f["properties"]["eigene"] for f in doc["features"])


def test_items_take_the_map_filters(ro):
    doc = get(ro, "/ogc/collections/gemeinden/items?limit=1000&themenfeld=2&ansicht=eigene",
              mimetype="application/geo+json").get_json()
    figures = {r["ags"]: r for r in get(
        ro, "/api/umsetzung?themenfeld=2&ansicht=eigene").get_json()["gebiete"]}
    assert {f["id"]: f["properties"] for f in doc["features"]} == figures
    assert doc["filter"] == {"themenfeld": "2", "ansicht": "eigene"}
    nxt = get(ro, "/ogc/collections/gemeinden/items?limit=2&status=offen",
              mimetype="application/geo+json").get_json()
    assert "status=offen" in links(nxt, "next")[0]["href"]
    feat = get(ro, f"/ogc/collections/gemeinden/items/{TELGTE}?themenfeld=2&ansicht=eigene",
               mimetype="application/geo+json").get_json()
    assert feat["properties"] == figures[TELGTE]


@pytest.mark.parametrize("query, parameter", [
    ("bbox=abc", "bbox"), ("bbox=1,2,3", "bbox"), ("bbox=1,2,3,4,5", "bbox"),
    ("bbox=8,51,7,52", "bbox"), ("bbox=7,52,8,51", "bbox"), ("bbox=7,nan,8,52", "bbox"),
    ("bbox=7,51,8,inf", "bbox"), ("bbox=7,-95,8,52", "bbox"), ("bbox=" + "1" * 201, "bbox"),
    ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=zehn", "limit"),
    ("limit=1.5", "limit"), ("limit=1&limit=2", "limit"), ("limit=%C2%B2", "limit"),
    ("offset=-1", "offset"), ("offset=x", "offset"), ("offset=%D9%A3", "offset"),
    ("bbox=1_0,51,11,52", "bbox"), ("bbox=7,51,8,infinity", "bbox"), ("f=xml", "f"),
    ("f=json&f=html", "f"), ("foo=1", "foo"),
    ("kreis=05570", "kreis"), ("datetime=2024-01-01T00:00:00Z", "datetime"),
    ("themenfeld=99", "themenfeld"), ("status=fertig", "status"), ("nur_echt=vielleicht",
                                                                   "nur_echt"),
])
def test_bad_item_parameters_are_400_json_naming_the_parameter(ro, query, parameter):
    error_of(ro.get("/ogc/collections/gemeinden/items?" + query), 400, parameter)


@pytest.mark.parametrize("url", ["/ogc?foo=1", "/ogc/conformance?limit=1",
                                 "/ogc/collections?bbox=1,2,3,4", "/ogc/collections/kreise?f=x",
                                 "/ogc/api?f=html", f"/ogc/collections/kreise/items/{WARENDORF}"
                                 "?bbox=1,2,3,4"])
def test_other_routes_refuse_unknown_or_bad_parameters(ro, url):
    error_of(ro.get(url), 400)


# --- HTML ----------------------------------------------------------------------------------

def test_html_by_parameter_or_accept_header_shows_the_features(ro):
    page = get(ro, "/ogc/collections/gemeinden/items?f=html&limit=3", mimetype="text/html")
    doc = get(ro, "/ogc/collections/gemeinden/items?limit=3",
              mimetype="application/geo+json").get_json()
    text = page.get_data(as_text=True)
    for feat in doc["features"]:
        assert feat["properties"]["name"] in text
    assert "nächste Seite" in text
    negotiated = get(ro, "/ogc/collections", mimetype="text/html",
                     headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert "Accept" in negotiated.headers.get("Vary", "")
    assert get(ro, "/ogc/collections", headers={"Accept": "*/*"}).get_json()["collections"]
    item = get(ro, f"/ogc/collections/kreise/items/{WARENDORF}?f=html", mimetype="text/html")
    assert "Warendorf" in item.get_data(as_text=True)


# --- downloads of /daten ---------------------------------------------------------------

def test_daten_page_links_the_downloads_with_licence_and_credits(ro):
    text = get(ro, "/daten", mimetype="text/html").get_data(as_text=True)
    for name in ("umsetzungen.csv", "umsetzungen.xlsx", "gemeinden.geojson",
                 "kreise.geojson"):
        assert f'href="/daten/{name}"' in text
    assert CREDIT_BOUNDARIES in text and LICENCE_BOUNDARIES in text
    assert CREDIT_CATALOG in text and "Beispieldaten" in text
    assert 'href="/ogc"' in text


def _record_row(r, gebiete, leistungen, themenfelder):
    lst = leistungen.get(r["ozg_id"], {})
    return [r["ags"], gebiete[r["ags"]]["name"], gebiete[r["ags"]]["ebene"], r["ozg_id"],
            lst.get("name", ""), themenfelder.get(lst.get("themenfeld_id"), ""),
            r["leika_key"], r["status"], r["reifegrad"], r["url"],
            r["seit"].isoformat() if r["seit"] else None, r["flaechendeckung"], r["quelle"],
            r["stelle"], "ja" if r["quelle"] == SAMPLE_SOURCE else "nein",
            r["erfasst_am"].isoformat()]


def test_csv_download_has_one_row_per_record(ro, ro_app, gebiete):
    resp = get(ro, "/daten/umsetzungen.csv", mimetype="text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    store = services(ro_app).store
    leistungen = {r["ozg_id"]: r for r in store.leistungen()}
    themen = {t["id"]: t["name"] for t in store.themenfelder()}
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["ags", "gebiet", "ebene"]
    records = store.records()
    assert len(rows) - 1 == len(records) > 1000
    for got, r in zip(rows[1:], records):
        want = _record_row(r, gebiete, leistungen, themen)
        assert got == ["" if v is None else str(v) for v in want]


@pytest.mark.parametrize("level", ["gemeinden", "kreise"])
def test_geojson_download_is_the_whole_collection_with_licence(ro, level):
    resp = get(ro, f"/daten/{level}.geojson", mimetype="application/geo+json")
    assert "attachment" in resp.headers["Content-Disposition"]
    doc = json.loads(resp.data)
    items = get(ro, f"/ogc/collections/{level}/items?limit=1000",
                mimetype="application/geo+json").get_json()
    assert [f["id"] for f in doc["features"]] == [f["id"] for f in items["features"]]
    assert [f["properties"] for f in doc["features"]] == [
        f["properties"] for f in items["features"]]
    assert LICENCE_BOUNDARIES in doc["lizenz"]["grenzen"]
    assert CREDIT_CATALOG in doc["lizenz"]["katalog"]


def test_unknown_download_is_404(ro):
    resp = ro.get("/daten/passwoerter.csv")
    assert resp.status_code == 404 and resp.mimetype == "text/html"


def test_xlsx_download_holds_exactly_the_store_records(client, store, app):
    """A small store (Beispieldaten removed, three own records added) read back cell by
    cell."""
    store.apply([], by="test", replace_source=SAMPLE_SOURCE)
    mine = [
        {"ags": TELGTE, "ozg_id": "10559", "leika_key": "", "status": "umgesetzt",
         "reifegrad": 3, "url": "https://telgte.example/a?b=1&c=<2>", "seit": None,
         "flaechendeckung": "", "quelle": "Test & Co <Import>", "stelle": "Bürgerbüro"},
        {"ags": WARENDORF, "ozg_id": "10559", "leika_key": "", "status": "in Planung",
         "reifegrad": None, "url": "", "seit": None, "flaechendeckung": "",
         "quelle": "Kreis", "stelle": ""},
        {"ags": "05", "ozg_id": "10010", "leika_key": "", "status": "umgesetzt",
         "reifegrad": 4, "url": "https://land.example/", "seit": None,
         "flaechendeckung": "landesweit flächendeckend", "quelle": "Land", "stelle": ""},
    ]
    store.apply(mine, by="test")
    resp = get(client, "/daten/umsetzungen.xlsx",
               mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["Angebote", "Umsetzungsgrad Gemeinden", "Kennzahlen Kreise",
                             "Hinweise"]
    gebiete = {g["ags"]: g for g in store.gebiete()}
    leistungen = {r["ozg_id"]: r for r in store.leistungen()}
    themen = {t["id"]: t["name"] for t in store.themenfelder()}
    rows = [list(r) for r in wb["Angebote"].iter_rows(values_only=True)]
    records = store.records()
    keys = {(r["ags"], r["ozg_id"]) for r in records}
    assert {(m["ags"], m["ozg_id"]) for m in mine} <= keys and len(records) < 5000
    assert rows[1:] == [[None if v == "" else v for v in _record_row(r, gebiete, leistungen,
                                                                     themen)]
                        for r in records]
    telgte_row = next(r for r in rows if r[0] == TELGTE)  # text AGS keeps its leading zero
    assert telgte_row[8] == 3 and telgte_row[9] == mine[0]["url"]  # number, escaped text
    assert telgte_row[12] == mine[0]["quelle"]
    figures = get(client, "/api/umsetzung").get_json()["gebiete"]
    fig_rows = [list(r) for r in wb["Umsetzungsgrad Gemeinden"].iter_rows(values_only=True)]
    assert [r[0] for r in fig_rows[1:]] == [f["ags"] for f in figures]
    telgte = fig_rows[1 + [f["ags"] for f in figures].index(TELGTE)]
    assert dict(zip(fig_rows[0], telgte))["online"] == {
        f["ags"]: f for f in figures}[TELGTE]["online"]
    kreise = [list(r) for r in wb["Kennzahlen Kreise"].iter_rows(values_only=True)]
    assert len(kreise) - 1 == sum(g["ebene"] == "kreis" for g in gebiete.values())
    notes = " ".join(str(c) for r in wb["Hinweise"].iter_rows(values_only=True) for c in r
                     if c)
    assert CREDIT_BOUNDARIES in notes and LICENCE_BOUNDARIES in notes
    assert CREDIT_CATALOG in notes and "Beispieldaten" not in notes


def test_xlsx_download_of_the_sample_data_counts_every_record(ro, ro_app):
    resp = get(ro, "/daten/umsetzungen.xlsx",
               mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True)
    assert wb["Angebote"].max_row == len(services(ro_app).store.records()) + 1
    notes = [r for r in wb["Hinweise"].iter_rows(values_only=True)]
    assert any(r[0] == "Beispieldaten" for r in notes)
