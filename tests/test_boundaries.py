"""The shipped NRW boundaries: complete, valid, non-overlapping, with working adjacency."""
from __future__ import annotations

import json

import pytest
import shapely

from ozgmap.boundaries import Boundaries
from ozgmap.config import PROJECT_ROOT

WARENDORF = {"05570004": "Ahlen", "05570008": "Beckum", "05570012": "Beelen",
             "05570016": "Drensteinfurt", "05570020": "Ennigerloh", "05570024": "Everswinkel",
             "05570028": "Oelde", "05570032": "Ostbevern", "05570036": "Sassenberg",
             "05570040": "Sendenhorst", "05570044": "Telgte", "05570048": "Wadersloh",
             "05570052": "Warendorf"}


@pytest.fixture(scope="module")
def b() -> Boundaries:
    return Boundaries.load(PROJECT_ROOT / "boundaries", "nrw")


def test_all_396_gemeinden_and_53_kreise(b):
    assert len(b.gemeinden) == 396 and b.gemeinden.ags.is_unique
    assert len(b.kreise) == 53 and b.kreise.ags.is_unique
    assert b.gemeinden.ags.str.fullmatch(r"05\d{6}").all()
    assert set(b.gemeinden.kreis_ags) == set(b.kreise.ags)
    assert set(b.gemeinden.bez) == {"Stadt", "Gemeinde"}
    assert set(b.kreise.bez) == {"Kreis", "Kreisfreie Stadt"}


def test_kreis_warendorf_has_its_13_gemeinden_with_names(b):
    got = b.gemeinden[b.gemeinden.kreis_ags == "05570"]
    assert dict(zip(got.ags, got.name)) == WARENDORF


def test_every_polygon_is_valid(b):
    assert shapely.is_valid(b.gemeinden.geometry.values).all()
    assert shapely.is_valid(b.kreise.geometry.values).all()


def test_gemeinden_do_not_overlap(b):
    geoms = b.metric_gemeinden.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    assert overlap.max() < 1.0  # m²: shared borders only


def test_kreise_are_the_union_of_their_gemeinden(b):
    metric_kreise = b.kreise.to_crs("EPSG:25832").set_index("ags")
    for kreis_ags, part in b.metric_gemeinden.groupby("kreis_ags"):
        diff = metric_kreise.loc[kreis_ags].geometry.symmetric_difference(part.union_all())
        assert diff.area < 1.0, kreis_ags


def test_adjacency_crosses_kreis_borders(b):
    telgte = b.adjacency["05570044"]
    assert {"05570024", "05570052", "05570032"} <= telgte   # Everswinkel, Warendorf, Ostbevern
    assert "05515000" in telgte                              # Münster, kreisfreie Stadt
    assert any(not a.startswith("05570") and a != "05515000" for a in telgte)  # Kreis Steinfurt


def test_adjacency_is_symmetric_and_every_gemeinde_has_neighbours(b):
    for a, ns in b.adjacency.items():
        assert ns, a
        for n in ns:
            assert a in b.adjacency[n]


def test_rings_and_distances(b):
    rings = b.rings("05570044", max_ring=2)
    assert {a for a, r in rings.items() if r == 1} == set(b.adjacency["05570044"])
    assert all(r in (1, 2) for r in rings.values())
    d = b.distances_km("05570044", ["05515000", "05570004"])
    assert 5 < d["05515000"] < 20 and d["05515000"] < d["05570004"]


def test_geojson_files_are_web_crs_with_required_properties():
    for name, props in (("nrw_gemeinden", {"ags", "name", "bez", "kreis_ags"}),
                        ("nrw_kreise", {"ags", "name", "bez"})):
        data = json.loads((PROJECT_ROOT / "boundaries" / f"{name}.geojson").read_text())
        for feat in data["features"]:
            assert set(feat["properties"]) == props
            lon, lat = feat["geometry"]["coordinates"][0][0][:2] if \
                feat["geometry"]["type"] == "Polygon" else \
                feat["geometry"]["coordinates"][0][0][0][:2]
            assert 5.8 < lon < 9.5 and 50.3 < lat < 52.6


def test_source_md_names_licence_and_credit():
    text = (PROJECT_ROOT / "boundaries" / "SOURCE.md").read_text()
    assert "dl-de/by-2-0" in text and "© GeoBasis-DE / BKG 2016 (Daten verändert)" in text
