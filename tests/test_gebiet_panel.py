"""/api/gebiete/<ags> for the selection panel: ``kopf`` (the headline figure, the same
numbers as /api/umsetzung, i.e. the map's tooltip and colour) and ``uebersicht`` (per
Themenfeld the OZG-Leistungen online, LeiKa variants folded, and those not online yet).

Pinned over all 396 Gemeinden for several filters; the expectations come from other routes of
the same app (/api/umsetzung, /api/leistungen, the record list ``themenfelder``).
"""
from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from ozgmap.filters import STATUS_ORDER

WARENDORF, TELGTE = "05570", "05570044"
LEVELS = ["gemeinde", "kreis", "land", "bund"]
FILTERS = ["", "themenfeld=6", "ansicht=eigene", "nur_echt=1", "status=in+Planung",
           "themenfeld=14&ansicht=eigene&nur_echt=1"]


@pytest.fixture(scope="module")
def catalogue(ro_client):
    return {r["ozg_id"]: r for r in ro_client.get("/api/leistungen").get_json()["leistungen"]}


def in_filter(catalogue, query: str) -> set[str]:
    q = parse_qs(query)
    if "leistung" in q:
        return {q["leistung"][0]}
    tf = int(q["themenfeld"][0]) if "themenfeld" in q else None
    return {o for o, r in catalogue.items()
            if r["kommunal"] and (tf is None or r["themenfeld_id"] == tf)}


def get(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:300])
    return resp.get_json()


def check_panel(body: dict, row: dict, wanted: set[str], catalogue: dict, query: str):
    kopf, ueb = body["kopf"], body["uebersicht"]
    # the headline is the map's figure
    for k in ("leistungen_im_filter", "online", "anteil"):
        assert kopf[k] == row[k], (body["ags"], query, k)
    assert kopf["leistungen_im_filter"] == len(wanted)
    # Themenfelder: every one with Leistungen in the filter, once, in catalogue order
    tf_of = {o: catalogue[o]["themenfeld_id"] for o in wanted}
    assert [t["id"] for t in ueb] == sorted(set(tf_of.values()))
    assert sum(t["im_filter"] for t in ueb) == kopf["leistungen_im_filter"]
    online_ids, open_ids = set(), set()
    for t in ueb:
        on = [o["ozg_id"] for o in t["online_leistungen"]]
        off = [o["ozg_id"] for o in t["offen_leistungen"]]
        assert len(on) + len(off) == t["im_filter"]
        assert set(on) | set(off) == {o for o, tf in tf_of.items() if tf == t["id"]}
        assert t["online"] == (len(on) if kopf["online"] is not None else None)
        online_ids |= set(on)
        open_ids |= set(off)
    assert not online_ids & open_ids
    if kopf["online"] is None:  # keine Daten
        assert not online_ids and set(kopf["anbieter"].values()) == {None}
        return
    assert len(online_ids) == kopf["online"]
    # online means: a record of a provider of this body in the filter (the record list)
    listed = {r["ozg_id"] for tf in body["themenfelder"] for r in tf["leistungen"]}
    assert online_ids == listed & wanted
    # who provides: each online OZG-Leistung once, for its nearest provider
    assert set(kopf["anbieter"]) == set(LEVELS)
    assert sum(kopf["anbieter"].values()) == kopf["online"]
    assert kopf["anbieter"]["gemeinde"] == row["eigene"]
    assert kopf["anbieter"]["kreis"] == row["vom_kreis"]
    assert kopf["anbieter"]["land"] + kopf["anbieter"]["bund"] == row["vom_land_bund"]
    counted = {lv: 0 for lv in LEVELS}
    for t in ueb:
        for o in t["online_leistungen"]:
            counted[o["anbieter"]] += 1
            levels = [v["anbieter"] for v in o["varianten"]]
            assert levels and levels[0] == o["anbieter"]
            assert levels == sorted(levels, key=LEVELS.index)  # nearest provider first
            assert {v["status"] for v in o["varianten"]} <= set(STATUS_ORDER)
    assert counted == kopf["anbieter"]


@pytest.mark.parametrize("query", FILTERS)
def test_panel_equals_the_map_for_every_gemeinde(ro_client, catalogue, query):
    rows = get(ro_client, f"/api/umsetzung?{query}")["gebiete"]
    assert len(rows) == 396
    wanted = in_filter(catalogue, query)
    for row in rows:
        body = get(ro_client, f"/api/gebiete/{row['ags']}?{query}")
        check_panel(body, row, wanted, catalogue, query)


def test_panel_for_one_leistung_and_within_a_kreis(ro_client, catalogue):
    one = next(iter(sorted(o for o, r in catalogue.items() if r["kommunal"])))
    query = f"leistung={one}&kreis={WARENDORF}"
    rows = get(ro_client, f"/api/umsetzung?{query}")["gebiete"]
    assert rows and all(r["kreis_ags"] == WARENDORF for r in rows)
    for row in rows:
        body = get(ro_client, f"/api/gebiete/{row['ags']}?{query}")
        check_panel(body, row, {one}, catalogue, query)
        assert len(body["uebersicht"]) == 1


def test_variants_of_one_leistung_are_folded_under_it(ro_client):
    body = get(ro_client, f"/api/gebiete/{TELGTE}")
    entries = [o for t in body["uebersicht"] for o in t["online_leistungen"]]
    assert len({o["ozg_id"] for o in entries}) == len(entries)  # one line per OZG-Leistung
    folded = max(entries, key=lambda o: len(o["varianten"]))
    assert len(folded["varianten"]) > 1
    records = [r for tf in body["themenfelder"] for r in tf["leistungen"]
               if r["ozg_id"] == folded["ozg_id"]]
    assert len(folded["varianten"]) == len(records)
    assert {(v["anbieter_ags"], v["leika_key"]) for v in folded["varianten"]} == {
        (r["anbieter_ags"], r["leika_key"]) for r in records}
    for v in folded["varianten"]:
        for k in ("leika_key", "name", "url", "status", "quelle", "seit", "beispieldaten"):
            assert k in v
    nearest = [v for v in folded["varianten"] if v["anbieter"] == folded["anbieter"]]
    assert folded["url"] in {v["url"] for v in nearest}


def test_not_online_ones_link_to_the_neighbours_who_have_it(ro_client):
    body = get(ro_client, f"/api/gebiete/{TELGTE}?themenfeld=6")
    offen = body["uebersicht"][0]["offen_leistungen"]
    assert offen
    for o in offen[:3]:
        assert o["nachbarn_url"] == f"/nachbarn?ags={TELGTE}&leistung={o['ozg_id']}"
        assert ro_client.get(o["nachbarn_url"]).status_code == 200
    land = get(ro_client, "/api/gebiete/05")
    assert all(o["nachbarn_url"] is None for t in land["uebersicht"]
               for o in t["offen_leistungen"])


def test_beispieldaten_only_when_the_figures_rest_on_them(ro_client):
    assert get(ro_client, f"/api/gebiete/{TELGTE}")["kopf"]["beispieldaten"] is True
    assert get(ro_client, f"/api/gebiete/{TELGTE}?nur_echt=1")["kopf"]["beispieldaten"] is False


def test_existing_fields_stay(ro_client):
    body = get(ro_client, f"/api/gebiete/{TELGTE}")
    for k in ("ags", "name", "bez", "ebene", "kreis_ags", "kreis", "ansicht", "themenfelder",
              "anzahl", "datenstand", "beispieldaten", "filter", "legende"):
        assert k in body
    assert body["anzahl"] == sum(len(t["leistungen"]) for t in body["themenfelder"])
