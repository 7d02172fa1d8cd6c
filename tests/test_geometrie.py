"""The map's geometry levels (TopoJSON): exact, complete, borders stored once, served right."""
from __future__ import annotations

import gzip
import json
from collections import Counter

import geopandas as gpd
import pytest
import shapely

from ozgmap import boundaries as bd
from ozgmap.config import PROJECT_ROOT

DIR = PROJECT_ROOT / "boundaries"


@pytest.fixture(scope="module")
def b() -> bd.Boundaries:
    return bd.Boundaries.load(DIR, "nrw")


@pytest.fixture(scope="module")
def karte(b) -> dict:
    return json.loads(b.topojson_bytes("karte-05"))


@pytest.fixture(scope="module")
def uebersicht(b) -> dict:
    return json.loads(b.topojson_bytes("uebersicht"))


def shapes(features: list[dict]):
    return shapely.normalize(shapely.from_geojson([json.dumps(f["geometry"])
                                                   for f in features]))


def arc_uses(topo: dict, name: str) -> Counter:
    """How often each arc (either direction) is used by the object's rings."""
    uses: Counter = Counter()
    for g in topo["objects"][name]["geometries"]:
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        for ring in (r for p in polys for r in p):
            uses.update(i if i >= 0 else ~i for i in ring)
    return uses


def test_detailed_level_decodes_to_exactly_the_shipped_geojson(b, karte):
    for level in ("gemeinden", "kreise"):
        shipped = list(b.features(level).values())
        decoded = bd.topology_features(karte, level)
        assert [f["properties"] for f in decoded] == [f["properties"] for f in shipped]
        assert shapely.equals_exact(shapes(decoded), shapes(shipped), tolerance=1e-9).all()


def test_shipped_topojson_is_what_the_encoder_builds_from_the_geojson(b):
    built = bd.topology_bytes(bd.level_topology(b, "karte-05"))
    assert (DIR / "nrw_karte-05.topojson").read_bytes() == built


def test_every_border_is_stored_once_and_kreise_reuse_gemeinde_borders(karte):
    gem, kreise = arc_uses(karte, "gemeinden"), arc_uses(karte, "kreise")
    assert set(gem.values()) == {1, 2}  # the Land's outline once, shared borders twice
    assert sum(n == 2 for n in gem.values()) > len(karte["objects"]["gemeinden"]["geometries"])
    assert set(kreise) <= set(gem)      # no Kreis border of its own
    assert set(gem) == set(range(len(karte["arcs"])))


def test_overview_has_every_gemeinde_valid_close_and_without_overlaps(b, uebersicht):
    decoded = bd.topology_features(uebersicht, "gemeinden")
    assert [f["properties"] for f in decoded] == [f["properties"]
                                                  for f in b.features("gemeinden").values()]
    geoms = gpd.GeoSeries(shapes(decoded), crs=bd.WEB_CRS).to_crs(bd.METRIC_CRS).values
    assert shapely.is_valid(geoms).all()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    assert shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]])).max() < 1
    detailed = b.metric_gemeinden.geometry.values
    assert shapely.hausdorff_distance(geoms, detailed).max() < 1500  # m, see DETAIL_ZOOM
    assert (abs(shapely.area(geoms) / shapely.area(detailed) - 1)).max() < 0.05


def test_overview_kreise_are_the_union_of_their_gemeinden(b, uebersicht):
    gem = gpd.GeoDataFrame(
        [f["properties"] for f in bd.topology_features(uebersicht, "gemeinden")],
        geometry=shapes(bd.topology_features(uebersicht, "gemeinden")), crs=bd.WEB_CRS)
    kreise = bd.topology_features(uebersicht, "kreise")
    assert [k["properties"]["ags"] for k in kreise] == list(b.kreise.ags)
    for k, geom in zip(kreise, shapes(kreise)):
        union = shapely.union_all(gem[gem.kreis_ags == k["properties"]["ags"]].geometry.values)
        assert shapely.symmetric_difference(geom, union).area < 1e-9, k["properties"]["ags"]


def test_overview_points_to_the_detailed_part_of_each_land(b, uebersicht):
    detail = uebersicht["detail"]
    assert detail["ab_zoom"] == bd.DETAIL_ZOOM
    assert set(detail["teile"]) == {"05"}
    west, south, east, north = detail["teile"]["05"]
    minx, miny, maxx, maxy = b.gemeinden.total_bounds
    assert west <= minx and south <= miny and east >= maxx and north >= maxy


def test_encoder_round_trips_holes_enclaves_and_multipolygons():
    ring = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]]
    feats = [
        {"type": "Feature", "properties": {"ags": "a"},
         "geometry": {"type": "Polygon", "coordinates": [ring, hole]}},
        {"type": "Feature", "properties": {"ags": "enclave"},
         "geometry": {"type": "Polygon", "coordinates": [hole[::-1]]}},
        {"type": "Feature", "properties": {"ags": "multi"},
         "geometry": {"type": "MultiPolygon", "coordinates": [
             [[[4, 0], [6, 0], [6, 2], [4, 2], [4, 0]]], [[[7, 7], [8, 7], [8, 8], [7, 7]]]]}}]
    topo = bd.to_topology({"x": feats}, scale=0.5)
    decoded = bd.topology_features(topo, "x")
    assert shapely.equals_exact(shapes(decoded), shapes(feats), tolerance=1e-9).all()
    uses = arc_uses(topo, "x")
    assert uses.most_common(1)[0][1] == 2  # the enclave's ring is the hole, stored once


def test_topojson_levels_are_served_compressed_and_cacheable(client):
    resp = client.get("/api/geometrie/uebersicht.topojson?v=3",
                      headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert "max-age=86400" in resp.headers["Cache-Control"]
    topo = json.loads(gzip.decompress(resp.data))
    assert len(topo["objects"]["gemeinden"]["geometries"]) == 396
    parts = [json.loads(client.get(f"/api/geometrie/karte-{land}.topojson").data)
             for land in topo["detail"]["teile"]]
    assert sum(len(p["objects"]["gemeinden"]["geometries"]) for p in parts) == 396


@pytest.mark.parametrize("url, status, parameter", [
    ("/api/geometrie/karte-06.topojson", 404, None),
    ("/api/geometrie/..%2Fnrw_gemeinden.topojson", 404, None),
    ("/api/geometrie/uebersicht.topojson?themenfeld=1", 400, "themenfeld"),
])
def test_unknown_topojson_level_or_parameter_is_refused(client, url, status, parameter):
    resp = client.get(url)
    assert resp.status_code == status
    error = resp.get_json()["error"]
    assert error["status"] == status and error.get("parameter") == parameter
