"""Nachnutzung: who near a Gemeinde offers a Leistung (rings, then km), the gap list, and
their JSON/CSV twins — computed from the real boundaries."""
from __future__ import annotations

import csv
import io

import pytest

from ozgmap.boundaries import Boundaries
from ozgmap.config import PROJECT_ROOT

TELGTE, WARENDORF, MUENSTER = "05570044", "05570", "05515000"


@pytest.fixture(scope="module")
def b() -> Boundaries:
    return Boundaries.load(PROJECT_ROOT / "boundaries", "nrw")


def _offers(store, ags: str, status_ok=("umgesetzt",)) -> set[str]:
    return {r["ozg_id"] for r in store.records(ags=ags) if r["status"] in status_ok}


def _common_leistung(store) -> str:
    """A kommunal Leistung that many Gemeinden offer in the sample, but not Telgte."""
    count: dict[str, int] = {}
    for r in store.records():
        if len(r["ags"]) == 8 and r["status"] == "umgesetzt":
            count[r["ozg_id"]] = count.get(r["ozg_id"], 0) + 1
    mine = _offers(store, TELGTE, ("offen", "in Planung", "in Bearbeitung", "umgesetzt"))
    return max((o for o in count if o not in mine), key=count.get)


def test_direct_neighbours_cross_kreis_borders(b):
    ring1 = b.adjacency[TELGTE]
    assert MUENSTER in ring1                                   # kreisfreie Stadt
    assert any(a[:5] not in (WARENDORF, "05515") for a in ring1)  # Kreis Steinfurt
    assert any(a[:5] == WARENDORF for a in ring1)


def test_nachbarn_lists_providers_nearest_first(ro_client, ro_store, b):
    o = _common_leistung(ro_store)
    data = ro_client.get(f"/api/nachbarn?ags={TELGTE}&leistung={o}").get_json()
    hits = data["treffer"]
    expected = {a for a in (g["ags"] for g in ro_store.gebiete() if g["ebene"] in
                            ("gemeinde", "kreis")) if a != TELGTE and o in _offers(ro_store, a)}
    assert len(hits) == min(50, len(expected)) and {h["ags"] for h in hits} <= expected
    rings = b.rings(TELGTE, max_ring=2)
    for h in hits:
        if h["ebene"] == "gemeinde":
            assert h["ring"] == rings.get(h["ags"])
    order = [(h["ring"] or 99, h["entfernung_km"]) for h in hits]
    assert order == sorted(order)                # ring 1, ring 2, then by distance
    ring1 = {h["ags"] for h in hits if h["ring"] == 1}
    assert ring1 == {a for a in b.adjacency[TELGTE] if o in _offers(ro_store, a)}
    km = b.distances_km(TELGTE, [h["ags"] for h in hits])
    assert all(abs(h["entfernung_km"] - km[h["ags"]]) < 0.06 for h in hits)
    assert all(o in {x["ozg_id"] for x in h["angebote"]} for h in hits)


def test_nachbarn_by_themenfeld_and_for_a_kreis(ro_client, ro_store):
    data = ro_client.get(f"/api/nachbarn?ags={WARENDORF}&themenfeld=2").get_json()
    assert data["treffer"] and all(not h["ags"].startswith(WARENDORF) for h in data["treffer"])
    tf2 = {r["ozg_id"] for r in ro_store.leistungen() if r["themenfeld_id"] == 2}
    assert all({x["ozg_id"] for x in h["angebote"]} <= tf2 for h in data["treffer"])
    assert data["gefragt"]["anzahl_leistungen"] == len(tf2)


def test_nachbarn_csv_has_the_same_rows(ro_client, ro_store):
    o = _common_leistung(ro_store)
    js = ro_client.get(f"/api/nachbarn?ags={TELGTE}&leistung={o}").get_json()
    resp = ro_client.get(f"/api/nachbarn?ags={TELGTE}&leistung={o}&format=csv")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["ags"] for r in rows] == [h["ags"] for h in js["treffer"] for _ in h["angebote"]]


def test_gap_list_counts_neighbours_that_offer_what_we_lack(ro_client, ro_store, b):
    data = ro_client.get(f"/api/luecken?ags={TELGTE}&min=2").get_json()
    own = _offers(ro_store, TELGTE)
    neighbours = sorted(b.adjacency[TELGTE])
    expected = {}
    for n in neighbours:
        for o in _offers(ro_store, n) - own:
            expected.setdefault(o, []).append(n)
    expected = {o: ns for o, ns in expected.items() if len(ns) >= 2}
    got = {i["ozg_id"]: [n["ags"] for n in i["nachbarn"]] for i in data["luecken"]}
    assert got == expected
    counts = [i["anzahl_nachbarn"] for i in data["luecken"]]
    assert counts == sorted(counts, reverse=True)
    assert {n["ags"] for n in data["nachbarn"]} == set(neighbours)


def test_gap_list_grows_when_min_falls(ro_client):
    sizes = [len(ro_client.get(f"/api/luecken?ags={TELGTE}&min={m}").get_json()["luecken"])
             for m in (1, 2, 3, 5)]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]


def test_an_offer_by_telgte_closes_the_gap(client, store):
    gap = client.get(f"/api/luecken?ags={TELGTE}&min=1").get_json()["luecken"][0]["ozg_id"]
    store.apply([{"ags": TELGTE, "ozg_id": gap, "leika_key": "", "status": "umgesetzt",
                  "reifegrad": 3, "url": "https://www.telgte.de/x", "seit": None,
                  "flaechendeckung": "", "quelle": "Test", "stelle": ""}], by="test")
    after = client.get(f"/api/luecken?ags={TELGTE}&min=1").get_json()["luecken"]
    assert gap not in {i["ozg_id"] for i in after}


def test_nachbarn_page_shows_map_list_and_gap_list(ro_client, ro_store):
    o = _common_leistung(ro_store)
    html = ro_client.get(f"/nachbarn?ags={TELGTE}&leistung={o}").get_data(as_text=True)
    assert "Stellen mit Lösung in der Nähe von Telgte" in html
    assert "direkter Nachbar" in html and "Was bieten unsere Nachbarn" in html
    assert 'class="folium-map"' in html and "Münster" in html
    assert ro_client.get("/nachbarn").status_code == 200


@pytest.mark.parametrize("query,status,param", [
    ("leistung=10116", 400, "ags"),
    ("ags=0557&leistung=10116", 400, "ags"),
    ("ags=05570999&leistung=10116", 404, None),
    ("ags=05&leistung=10116", 400, "ags"),
    (f"ags={TELGTE}", 400, "leistung"),
    (f"ags={TELGTE}&leistung=99999", 400, "leistung"),
    (f"ags={TELGTE}&lage=9999", 400, "lage"),
    (f"ags={TELGTE}&leistung=10116&format=xml", 400, "format"),
    (f"ags={TELGTE}&leistung=10116&leistung=10110", 400, "leistung"),
])
def test_nachbarn_errors(ro_client, query, status, param):
    resp = ro_client.get(f"/api/nachbarn?{query}")
    assert resp.status_code == status
    assert resp.get_json()["error"].get("parameter") == param


@pytest.mark.parametrize("query,param", [("ags=05570044&min=0", "min"),
                                         ("ags=05570044&min=zwei", "min"),
                                         ("ags=05570044&min=²", "min"),
                                         ("min=2", "ags")])
def test_luecken_errors(ro_client, query, param):
    resp = ro_client.get(f"/api/luecken?{query}")
    assert resp.status_code == 400 and resp.get_json()["error"]["parameter"] == param


def test_page_errors_are_german_html(ro_client):
    resp = ro_client.get("/nachbarn?ags=abc")
    assert resp.status_code == 400 and "text/html" in resp.content_type
    assert "AGS muss" in resp.get_data(as_text=True)
