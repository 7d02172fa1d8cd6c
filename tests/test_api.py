"""The filter API: catalogue, figures per Gemeinde (JSON, CSV, GeoJSON), one body, geometry,
the table twin; strict parameters, JSON errors, ETag/Last-Modified/gzip, and the join of an
import into the figures.

Expected figures are recomputed here from the store (``store.records()``,
``store.leistungen()``, ``store.gebiete()``) following the README ("How the Umsetzungsgrad is
counted"), never copied from the app. Read-only tests share one app per module (``ro_*``
fixtures) to stay fast; tests that write get the fresh per-test ``app``/``client``/``store``.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
from collections import defaultdict
from email.utils import parsedate_to_datetime

import pytest

from ozgmap import services
from ozgmap.web import api
from ozgmap.config import SAMPLE_SOURCE

from helpers import error_of

STATUSES = ["offen", "in Planung", "in Bearbeitung", "umgesetzt"]
RANK = {s: i for i, s in enumerate(STATUSES)}
BACKENDS = ("sqlite", "postgresql")  # tests using the per-test `app`/`client` run on both
TELGTE, WARENDORF, LAND, BUND = "05570044", "05570", "05", "00"
FIGURE_KEYS = {"ags", "name", "bez", "kreis_ags", "kreis", "leistungen_im_filter", "online",
               "anteil", "eigene", "vom_kreis", "vom_land_bund", "beispieldaten"}
DATA_ROUTES = ["/api/themenfelder", "/api/leistungen", "/api/umsetzung", "/api/gebiete",
               f"/api/gebiete/{TELGTE}", "/api/tabelle"]
FILTER_ROUTES = ["/api/umsetzung", "/api/gebiete", f"/api/gebiete/{TELGTE}", "/api/tabelle"]


# --- fixtures and helpers -----------------------------------------------------------------

@pytest.fixture(scope="module")
def cat(ro_store):
    """The catalogue and bodies, read once from the store."""
    leistungen = {r["ozg_id"]: r for r in ro_store.leistungen()}
    gebiete = {g["ags"]: g for g in ro_store.gebiete()}
    by_ags = defaultdict(list)
    for r in ro_store.records():
        by_ags[r["ags"]].append(r)
    for ags, recs in by_ags.items():  # real beats sample: a body with real records shows
        if any(r["quelle"] != SAMPLE_SOURCE for r in recs):  # none of its Beispieldaten
            by_ags[ags] = [r for r in recs if r["quelle"] != SAMPLE_SOURCE]
    return {"leistungen": leistungen, "gebiete": gebiete, "records": by_ags,
            "kommunal": {o for o, r in leistungen.items() if r["kommunal"]},
            "gemeinden": sorted(a for a, g in gebiete.items() if g["ebene"] == "gemeinde")}


def get_json(client, url, status=200, **kw):
    resp = client.get(url, **kw)
    assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    return resp.get_json()


def figures(client, query="") -> dict[str, dict]:
    data = get_json(client, "/api/umsetzung" + query)
    return {r["ags"]: r for r in data["gebiete"]}


def record(ags, ozg_id, **kw) -> dict:
    """A record as ``store.apply`` takes it (not Beispieldaten)."""
    return {"ags": ags, "ozg_id": ozg_id, "leika_key": "", "status": "umgesetzt",
            "reifegrad": 3, "url": "https://test.example/" + ozg_id, "seit": None,
            "flaechendeckung": "", "quelle": "Testquelle", "stelle": "", **kw}


def providers(gebiete, ags, ansicht):
    if ansicht == "eigene":
        return [ags]
    return [ags, gebiete[ags]["kreis_ags"], LAND, BUND]


def expected(records_by_ags, gebiete, ags, wanted, *, status="umgesetzt",
             ansicht="einwohner", nur_echt=False):
    """(online, anteil) per the README: None, None where nothing is recorded."""
    recs = [r for p in providers(gebiete, ags, ansicht) for r in records_by_ags.get(p, ())
            if not (nur_echt and r["quelle"] == SAMPLE_SOURCE)]
    if not recs:
        return None, None
    online = {r["ozg_id"] for r in recs if RANK[r["status"]] >= RANK[status]} & set(wanted)
    return len(online), round(len(online) / len(wanted), 4)


# --- catalogue ----------------------------------------------------------------------------

def test_themenfelder_lists_the_14_themenfelder_of_the_store(ro_client, ro_store):
    data = get_json(ro_client, "/api/themenfelder")
    assert len(data["themenfelder"]) == 14
    assert [(t["id"], t["name"]) for t in data["themenfelder"]] == [
        (t["id"], t["name"]) for t in ro_store.themenfelder()]


def test_themenfelder_count_leistungen_and_kommunal_leistungen_per_themenfeld(ro_client, cat):
    data = get_json(ro_client, "/api/themenfelder")
    for t in data["themenfelder"]:
        mine = [r for r in cat["leistungen"].values() if r["themenfeld_id"] == t["id"]]
        assert t["leistungen"] == len(mine)
        assert t["kommunal"] == sum(1 for r in mine if r["kommunal"])
    # documented: 405 of the 557 OZG-Leistungen are of kommunal Vollzug
    assert sum(t["leistungen"] for t in data["themenfelder"]) == 557
    assert sum(t["kommunal"] for t in data["themenfelder"]) == 405


def test_themenfelder_lists_the_status_stages_in_order(ro_client):
    assert get_json(ro_client, "/api/themenfelder")["status"] == STATUSES


def test_leistungen_without_filter_lists_the_whole_catalogue(ro_client, cat):
    data = get_json(ro_client, "/api/leistungen")
    assert data["anzahl"] == len(data["leistungen"]) == len(cat["leistungen"]) == 557
    assert {r["ozg_id"] for r in data["leistungen"]} == set(cat["leistungen"])
    for r in data["leistungen"]:
        src = cat["leistungen"][r["ozg_id"]]
        assert (r["name"], r["themenfeld_id"], r["kommunal"]) == (
            src["name"], src["themenfeld_id"], bool(src["kommunal"]))


def test_leistungen_are_sorted_by_name(ro_client):
    names = [r["name"].casefold() for r in get_json(ro_client, "/api/leistungen")["leistungen"]]
    assert names == sorted(names)


@pytest.mark.parametrize("tf", [1, 8, 14])
def test_leistungen_themenfeld_filter_returns_exactly_that_themenfelds_leistungen(
        ro_client, cat, tf):
    data = get_json(ro_client, f"/api/leistungen?themenfeld={tf}")
    want = {o for o, r in cat["leistungen"].items() if r["themenfeld_id"] == tf}
    assert want and {r["ozg_id"] for r in data["leistungen"]} == want
    assert data["anzahl"] == len(want)


def test_leistungen_q_matches_names_case_insensitively(ro_client, cat):
    q = "GENEHMIGUNG"
    data = get_json(ro_client, f"/api/leistungen?q={q}")
    want = {o for o, r in cat["leistungen"].items() if q.casefold() in r["name"].casefold()}
    assert len(want) > 1 and {r["ozg_id"] for r in data["leistungen"]} == want


def test_leistungen_q_finds_an_ozg_id(ro_client, cat):
    ozg_id = sorted(cat["leistungen"])[10]
    data = get_json(ro_client, f"/api/leistungen?q={ozg_id}")
    assert ozg_id in {r["ozg_id"] for r in data["leistungen"]}
    assert all(r["ozg_id"] == ozg_id or ozg_id in r["name"] for r in data["leistungen"])


def test_leistungen_q_and_themenfeld_combine(ro_client, cat):
    data = get_json(ro_client, "/api/leistungen?themenfeld=2&q=bau")
    want = {o for o, r in cat["leistungen"].items()
            if r["themenfeld_id"] == 2 and "bau" in r["name"].casefold()}
    assert want and {r["ozg_id"] for r in data["leistungen"]} == want


def test_leistungen_q_without_match_is_an_empty_list(ro_client):
    data = get_json(ro_client, "/api/leistungen?q=gibtesnichtxyz")
    assert data["anzahl"] == 0 and data["leistungen"] == []


def test_leistungen_unknown_themenfeld_is_400(ro_client):
    error_of(ro_client.get("/api/leistungen?themenfeld=15"), 400, "themenfeld")


def test_leistungen_rejects_parameters_it_does_not_take(ro_client):
    error_of(ro_client.get("/api/leistungen?kreis=05570"), 400, "kreis")


# --- /api/umsetzung: the figures ----------------------------------------------------------

def test_umsetzung_lists_every_one_of_the_396_gemeinden_once(ro_client, cat):
    rows = get_json(ro_client, "/api/umsetzung")["gebiete"]
    assert len(rows) == 396
    assert [r["ags"] for r in rows] == cat["gemeinden"]
    assert all(set(r) == FIGURE_KEYS for r in rows)


def test_umsetzung_names_and_kreise_come_from_the_store(ro_client, cat):
    for r in get_json(ro_client, "/api/umsetzung")["gebiete"]:
        g = cat["gebiete"][r["ags"]]
        assert (r["name"], r["bez"], r["kreis_ags"]) == (g["name"], g["bez"], g["kreis_ags"])
        assert r["kreis"] == cat["gebiete"][g["kreis_ags"]]["name"]


def test_umsetzung_denominator_is_every_kommunal_leistung(ro_client, cat):
    rows = get_json(ro_client, "/api/umsetzung")["gebiete"]
    assert len(cat["kommunal"]) == 405
    assert {r["leistungen_im_filter"] for r in rows} == {len(cat["kommunal"])}


def test_umsetzung_for_residents_matches_the_store_for_every_gemeinde(ro_client, cat):
    got = figures(ro_client)
    for ags in cat["gemeinden"]:
        online, anteil = expected(cat["records"], cat["gebiete"], ags, cat["kommunal"])
        assert (got[ags]["online"], got[ags]["anteil"]) == (online, anteil), ags


def test_umsetzung_own_view_matches_the_store_for_every_gemeinde(ro_client, cat):
    got = figures(ro_client, "?ansicht=eigene")
    for ags in cat["gemeinden"]:
        online, anteil = expected(cat["records"], cat["gebiete"], ags, cat["kommunal"],
                                  ansicht="eigene")
        assert (got[ags]["online"], got[ags]["anteil"]) == (online, anteil), ags


def test_umsetzung_splits_online_into_own_kreis_and_land_bund_offers(ro_client, cat):
    rows = get_json(ro_client, "/api/umsetzung")["gebiete"]
    own = figures(ro_client, "?ansicht=eigene")
    for r in rows:
        assert r["online"] == r["eigene"] + r["vom_kreis"] + r["vom_land_bund"]
        assert r["eigene"] == own[r["ags"]]["online"]
    t = next(r for r in rows if r["ags"] == TELGTE)
    recs, kom = cat["records"], cat["kommunal"]

    def done(ags):
        return {r["ozg_id"] for r in recs[ags] if r["status"] == "umgesetzt"} & kom
    assert t["eigene"] == len(done(TELGTE))
    assert t["vom_kreis"] == len(done(WARENDORF) - done(TELGTE))
    assert t["vom_land_bund"] == len((done(LAND) | done(BUND)) - done(TELGTE) - done(WARENDORF))


def test_umsetzung_anteil_is_online_over_leistungen_im_filter(ro_client):
    for r in get_json(ro_client, "/api/umsetzung?themenfeld=5")["gebiete"]:
        assert r["anteil"] == round(r["online"] / r["leistungen_im_filter"], 4)
        assert 0 <= r["anteil"] <= 1


def test_umsetzung_meta_names_filter_view_sources_and_sample_data(ro_client):
    data = get_json(ro_client, "/api/umsetzung?themenfeld=2&ansicht=eigene")
    assert data["filter"] == {"themenfeld": "2", "ansicht": "eigene"}
    assert data["ansicht"] == "eigene Angebote"
    assert data["beispieldaten"] is True
    assert "BKG" in data["quellen"]["grenzen"] and "dl-de/by-2-0" in data["quellen"]["grenzen"]
    assert "KDN" in data["quellen"]["katalog"]
    assert data["datenstand"]


@pytest.mark.parametrize("felder", ["anteil", "online,anteil,leistungen_im_filter",
                                    "kreis, name", "ags"])
def test_felder_keeps_the_asked_columns_with_their_values(ro_client, felder):
    full = get_json(ro_client, "/api/umsetzung?themenfeld=3")
    part = get_json(ro_client, f"/api/umsetzung?themenfeld=3&felder={felder}")
    asked = {f.strip() for f in felder.split(",")} | {"ags"}
    assert [set(r) for r in part["gebiete"]] == [asked] * 396
    assert part["gebiete"] == [{k: r[k] for k in r if k in asked} for r in full["gebiete"]]
    assert {k: v for k, v in part.items() if k != "gebiete"} == \
        {k: v for k, v in full.items() if k != "gebiete"}


def test_felder_chooses_the_csv_columns_too(ro_client):
    text = ro_client.get("/api/umsetzung?format=csv&felder=anteil,name").get_data(as_text=True)
    assert text.lstrip("\ufeff").splitlines()[0] == "ags,name,anteil"


@pytest.mark.parametrize("felder", ["geometry", "anteil,,name", "Anteil", "anteil;name"])
def test_unknown_felder_is_400_naming_the_allowed_ones(ro_client, felder):
    err = error_of(ro_client.get(f"/api/umsetzung?felder={felder}"), 400, "felder")
    assert "leistungen_im_filter" in err["message"]


def test_kreis_filter_gives_exactly_the_13_gemeinden_of_kreis_warendorf(ro_client, cat):
    rows = get_json(ro_client, f"/api/umsetzung?kreis={WARENDORF}")["gebiete"]
    want = sorted(a for a in cat["gemeinden"] if cat["gebiete"][a]["kreis_ags"] == WARENDORF)
    assert len(want) == 13 and TELGTE in want
    assert [r["ags"] for r in rows] == want


def test_kreis_filter_leaves_each_gemeindes_figures_unchanged(ro_client):
    everywhere = figures(ro_client)
    for ags, r in figures(ro_client, f"?kreis={WARENDORF}").items():
        assert r == everywhere[ags]


def test_kreis_filter_with_a_kreisfreie_stadt_gives_its_gemeinde(ro_client, cat):
    stadt = next(g for g in cat["gebiete"].values() if g["bez"] == "Kreisfreie Stadt")
    rows = get_json(ro_client, f"/api/umsetzung?kreis={stadt['ags']}")["gebiete"]
    assert [r["ags"] for r in rows] == [a for a in cat["gemeinden"]
                                        if cat["gebiete"][a]["kreis_ags"] == stadt["ags"]]
    assert len(rows) >= 1


@pytest.mark.parametrize("tf", range(1, 15))
def test_themenfeld_restricts_denominator_to_its_kommunal_leistungen(ro_client, cat, tf):
    want = {o for o in cat["kommunal"] if cat["leistungen"][o]["themenfeld_id"] == tf}
    rows = get_json(ro_client, f"/api/umsetzung?themenfeld={tf}")["gebiete"]
    assert {r["leistungen_im_filter"] for r in rows} == {len(want)}


def test_themenfeld_counts_only_that_themenfelds_offers(ro_client, cat):
    for tf in (2, 9):
        want = {o for o in cat["kommunal"] if cat["leistungen"][o]["themenfeld_id"] == tf}
        for ansicht in ("einwohner", "eigene"):
            got = figures(ro_client, f"?themenfeld={tf}&ansicht={ansicht}&kreis={WARENDORF}")
            for ags, r in got.items():
                assert (r["online"], r["anteil"]) == expected(
                    cat["records"], cat["gebiete"], ags, want, ansicht=ansicht), (tf, ags)


def test_leistung_filter_makes_the_denominator_one(ro_client, cat):
    ozg_id = sorted(cat["kommunal"])[0]
    rows = get_json(ro_client, f"/api/umsetzung?leistung={ozg_id}")["gebiete"]
    assert {r["leistungen_im_filter"] for r in rows} == {1}
    assert {r["online"] for r in rows} <= {0, 1, None}


def test_leistung_filter_online_is_one_exactly_where_it_is_offered(ro_client, cat):
    # a kommunal Leistung Telgte itself has online: some Gemeinden have it, others not
    ozg_id = sorted(r["ozg_id"] for r in cat["records"][TELGTE]
                    if r["status"] == "umgesetzt" and r["ozg_id"] in cat["kommunal"])[0]
    for ansicht in ("eigene", "einwohner"):
        got = figures(ro_client, f"?leistung={ozg_id}&ansicht={ansicht}")
        assert got[TELGTE]["online"] == 1 and got[TELGTE]["anteil"] == 1.0
        for ags in cat["gemeinden"]:
            assert (got[ags]["online"], got[ags]["anteil"]) == expected(
                cat["records"], cat["gebiete"], ags, {ozg_id}, ansicht=ansicht), ags


def test_leistung_filter_also_counts_a_leistung_outside_kommunal_vollzug(ro_client, cat):
    ozg_id = sorted(set(cat["leistungen"]) - cat["kommunal"])[0]
    got = figures(ro_client, f"?leistung={ozg_id}")
    assert {r["leistungen_im_filter"] for r in got.values()} == {1}
    for ags in cat["gemeinden"][:40]:
        assert got[ags]["online"] == expected(cat["records"], cat["gebiete"], ags,
                                              {ozg_id})[0]


@pytest.mark.parametrize("status", STATUSES)
def test_status_counts_records_of_at_least_that_stage(ro_client, cat, status):
    got = figures(ro_client, f"?status={status}&ansicht=eigene")
    for ags in cat["gemeinden"]:
        assert (got[ags]["online"], got[ags]["anteil"]) == expected(
            cat["records"], cat["gebiete"], ags, cat["kommunal"], status=status,
            ansicht="eigene"), (status, ags)


def test_status_offen_counts_every_recorded_kommunal_leistung_of_telgte(ro_client, cat):
    got = figures(ro_client, "?status=offen&ansicht=eigene")[TELGTE]
    assert got["online"] == len({r["ozg_id"] for r in cat["records"][TELGTE]} & cat["kommunal"])


def test_lower_status_threshold_never_lowers_a_figure(ro_client, cat):
    by_status = [figures(ro_client, f"?status={s}") for s in STATUSES]
    for ags in cat["gemeinden"]:
        counts = [f[ags]["online"] for f in by_status]
        assert counts == sorted(counts, reverse=True), ags
    # and the sample data does hold records below "umgesetzt", so the stages differ somewhere
    assert any(by_status[0][a]["online"] != by_status[3][a]["online"] for a in cat["gemeinden"])


def test_ansicht_eigene_for_telgte_counts_only_telgtes_own_records(ro_client, cat):
    got = figures(ro_client, "?ansicht=eigene")[TELGTE]
    own = {r["ozg_id"] for r in cat["records"][TELGTE] if r["status"] == "umgesetzt"}
    assert got["online"] == len(own & cat["kommunal"])
    assert got["vom_kreis"] == got["vom_land_bund"] == 0


def test_ansicht_einwohner_for_telgte_adds_kreis_land_and_bund(ro_client, cat):
    got = figures(ro_client)[TELGTE]
    offered = {r["ozg_id"] for a in (TELGTE, WARENDORF, LAND, BUND)
               for r in cat["records"][a] if r["status"] == "umgesetzt"}
    assert got["online"] == len(offered & cat["kommunal"])
    assert got["online"] > figures(ro_client, "?ansicht=eigene")[TELGTE]["online"]


def test_residents_view_is_never_below_the_own_view(ro_client, cat):
    einwohner, eigene = figures(ro_client), figures(ro_client, "?ansicht=eigene")
    for ags in cat["gemeinden"]:
        if eigene[ags]["online"] is not None:
            assert einwohner[ags]["online"] >= eigene[ags]["online"]


@pytest.mark.parametrize("view", ["einwohner", "eigene"])
def test_nur_echt_counts_only_real_records_for_every_gemeinde(ro_client, cat, view):
    data = get_json(ro_client, f"/api/umsetzung?nur_echt=1&ansicht={view}")
    assert data["beispieldaten"] is False and len(data["gebiete"]) == 396
    for r in data["gebiete"]:
        assert (r["online"], r["anteil"]) == expected(
            cat["records"], cat["gebiete"], r["ags"], cat["kommunal"], ansicht=view,
            nur_echt=True), r["ags"]


def test_nur_echt_with_only_sample_data_gives_keine_daten_for_every_gemeinde(client, store):
    # `ozgmap init` may load real (Land-wide) data: remove every real source in one write each
    for quelle in {r["quelle"] for r in store.records()} - {SAMPLE_SOURCE}:
        assert store.apply([], by="test", replace_source=quelle).deleted
    assert {r["quelle"] for r in store.records()} == {SAMPLE_SOURCE}
    for query in ("?nur_echt=1", "?nur_echt=1&ansicht=eigene", "?nur_echt=ja&themenfeld=3"):
        data = get_json(client, "/api/umsetzung" + query)
        assert len(data["gebiete"]) == 396
        for r in data["gebiete"]:
            assert r["anteil"] is None and r["online"] is None, (query, r)
            assert r["leistungen_im_filter"] > 0
        assert data["beispieldaten"] is False
    # without nur_echt the same Gemeinden do have figures: "keine Daten" is not 0
    assert all(r["anteil"] is not None for r in get_json(client, "/api/umsetzung")["gebiete"])


def test_nur_echt_0_is_the_same_as_no_parameter(ro_client):
    assert figures(ro_client, "?nur_echt=0") == figures(ro_client)


# --- /api/umsetzung?format=csv ------------------------------------------------------------

def test_format_csv_is_an_excel_friendly_download(ro_client):
    resp = ro_client.get("/api/umsetzung?format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith("\ufeff".encode()) and not resp.data.startswith(
        ("\ufeff" * 2).encode())


@pytest.mark.parametrize("query", ["", "&themenfeld=4&ansicht=eigene", f"&kreis={WARENDORF}",
                                   "&nur_echt=1"])
def test_format_csv_has_the_same_figures_as_json(ro_client, query):
    js = get_json(ro_client, "/api/umsetzung?" + query.lstrip("&"))["gebiete"]
    text = ro_client.get("/api/umsetzung?format=csv" + query).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == len(js)
    assert list(rows[0]) == list(js[0])
    for c, j in zip(rows, js):
        assert c == {k: "" if v is None else str(v) for k, v in j.items()}


# --- /api/gebiete: GeoJSON with the figures -------------------------------------------------

def test_gebiete_is_a_geojson_featurecollection_of_the_396_gemeinden(ro_client, cat):
    resp = ro_client.get("/api/gebiete")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    data = json.loads(resp.data)
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == 396
    assert sorted(f["properties"]["ags"] for f in data["features"]) == cat["gemeinden"]
    for feat in data["features"]:
        assert feat["type"] == "Feature" and feat["id"] == feat["properties"]["ags"]
        assert feat["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feat["geometry"]["coordinates"]


@pytest.mark.parametrize("query", ["", "?themenfeld=7&status=in%20Planung",
                                   "?ansicht=eigene&nur_echt=1"])
def test_gebiete_properties_carry_the_same_figures_as_umsetzung(ro_client, query):
    feats = json.loads(ro_client.get("/api/gebiete" + query).data)["features"]
    assert {f["properties"]["ags"]: f["properties"] for f in feats} == figures(ro_client, query)


def test_gebiete_kreis_filter_gives_the_13_features_of_warendorf(ro_client):
    data = json.loads(ro_client.get(f"/api/gebiete?kreis={WARENDORF}").data)
    assert len(data["features"]) == 13
    assert {f["properties"]["kreis_ags"] for f in data["features"]} == {WARENDORF}
    assert data["filter"] == {"kreis": WARENDORF}


def test_gebiete_rejects_format_parameter(ro_client):
    error_of(ro_client.get("/api/gebiete?format=csv"), 400, "format")


# --- /api/gebiete/<ags>: one body ---------------------------------------------------------

def offers(body) -> list[tuple[str, str, str]]:
    """The body's offers as sorted (provider, OZG-ID, LeiKa key): one per stored record."""
    return sorted((o["anbieter_ags"], o["ozg_id"], o["leika_key"]) for t in body["themenfelder"]
                  for o in t["leistungen"])


def expected_offers(cat, ags, ansicht="einwohner", status="umgesetzt", themenfeld=None,
                    nur_echt=False):
    provs = [ags] if ansicht == "eigene" else {
        "gemeinde": [ags, cat["gebiete"][ags]["kreis_ags"], LAND, BUND],
        "kreis": [ags, LAND, BUND], "land": [ags, BUND], "bund": [ags]}[
            cat["gebiete"][ags]["ebene"]]
    return sorted((p, r["ozg_id"], r["leika_key"]) for p in provs for r in cat["records"][p]
                  if RANK[r["status"]] >= RANK[status] and r["ozg_id"] in cat["leistungen"]
                  and not (nur_echt and r["quelle"] == SAMPLE_SOURCE)
                  and (themenfeld is None
                       or cat["leistungen"][r["ozg_id"]]["themenfeld_id"] == themenfeld))


def test_body_of_telgte_lists_offers_of_gemeinde_kreis_land_and_bund(ro_client, cat):
    body = get_json(ro_client, f"/api/gebiete/{TELGTE}")
    assert (body["ags"], body["name"], body["ebene"], body["kreis_ags"], body["kreis"]) == (
        TELGTE, "Telgte", "gemeinde", WARENDORF, cat["gebiete"][WARENDORF]["name"])
    assert offers(body) == expected_offers(cat, TELGTE)
    assert body["anzahl"] == len(offers(body))
    labels = {o["anbieter_ags"]: o["anbieter"] for t in body["themenfelder"]
              for o in t["leistungen"]}
    assert labels[TELGTE] == "Gemeinde" and labels[WARENDORF] == "Kreis"
    assert labels.get(LAND, "Land") == "Land" and labels.get(BUND, "Bund") == "Bund"


def test_body_offers_carry_provider_link_status_reifegrad_and_source(ro_client, cat):
    body = get_json(ro_client, f"/api/gebiete/{TELGTE}")
    stored = {(r["ags"], r["ozg_id"], r["leika_key"]): r for a in (TELGTE, WARENDORF, LAND, BUND)
              for r in cat["records"][a]}
    for t in body["themenfelder"]:
        for o in t["leistungen"]:
            r = stored[(o["anbieter_ags"], o["ozg_id"], o["leika_key"])]
            assert (o["url"], o["status"], o["reifegrad"], o["quelle"], o["stelle"]) == (
                r["url"], r["status"], r["reifegrad"], r["quelle"], r["stelle"])
            assert o["leistung"] == cat["leistungen"][o["ozg_id"]]["name"]
            assert o["beispieldaten"] is (r["quelle"] == SAMPLE_SOURCE)
            assert cat["leistungen"][o["ozg_id"]]["themenfeld_id"] == t["id"]


def test_body_groups_offers_by_themenfeld_in_catalogue_order(ro_client):
    ids = [t["id"] for t in get_json(ro_client, f"/api/gebiete/{TELGTE}")["themenfelder"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids))


def test_body_in_own_view_lists_only_the_gemeindes_own_offers(ro_client, cat):
    body = get_json(ro_client, f"/api/gebiete/{TELGTE}?ansicht=eigene")
    assert offers(body) == expected_offers(cat, TELGTE, "eigene")
    assert {a for a, _, _ in offers(body)} == {TELGTE}


def test_body_follows_themenfeld_and_status_filters(ro_client, cat):
    body = get_json(ro_client, f"/api/gebiete/{TELGTE}?themenfeld=6&status=offen")
    assert offers(body) == expected_offers(cat, TELGTE, status="offen", themenfeld=6)
    assert [t["id"] for t in body["themenfelder"]] in ([6], [])


def test_body_with_nur_echt_hides_beispieldaten(ro_client, cat):
    body = get_json(ro_client, f"/api/gebiete/{TELGTE}?nur_echt=1")
    assert offers(body) == expected_offers(cat, TELGTE, nur_echt=True)
    assert not any(o["beispieldaten"] for t in body["themenfelder"] for o in t["leistungen"])
    assert body["beispieldaten"] is False
    assert get_json(ro_client, f"/api/gebiete/{TELGTE}?nur_echt=1&ansicht=eigene")[
        "anzahl"] == len(expected_offers(cat, TELGTE, "eigene", nur_echt=True))


def test_body_of_kreis_warendorf(ro_client, cat):
    body = get_json(ro_client, f"/api/gebiete/{WARENDORF}")
    assert (body["ebene"], body["name"]) == ("kreis", cat["gebiete"][WARENDORF]["name"])
    assert offers(body) == expected_offers(cat, WARENDORF)
    assert {a for a, _, _ in offers(body)} <= {WARENDORF, LAND, BUND}


def test_body_of_land_nrw(ro_client, cat):
    body = get_json(ro_client, f"/api/gebiete/{LAND}")
    assert (body["ebene"], body["name"]) == ("land", "Nordrhein-Westfalen")
    assert offers(body) == expected_offers(cat, LAND) and offers(body)


def test_body_of_bund(ro_client, cat):
    body = get_json(ro_client, f"/api/gebiete/{BUND}")
    assert (body["ebene"], body["name"]) == ("bund", "Bund")
    assert offers(body) == expected_offers(cat, BUND) and offers(body)
    assert {o["anbieter"] for t in body["themenfelder"] for o in t["leistungen"]} == {"Bund"}


@pytest.mark.parametrize("ags", ["abc", "1", "123", "0557004", "055700444", "05570O44",
                                 "05570044x", "-5570044"])
def test_body_with_malformed_ags_is_400(ro_client, ags):
    error_of(ro_client.get(f"/api/gebiete/{ags}"), 400, "ags")


@pytest.mark.parametrize("ags", ["05999999", "05999", "09", "99"])
def test_body_with_unknown_ags_is_404(ro_client, ags):
    err = error_of(ro_client.get(f"/api/gebiete/{ags}"), 404)
    assert ags in err["message"]


def test_body_with_non_ascii_digits_is_malformed(ro_client):
    error_of(ro_client.get("/api/gebiete/\u0660\u0665"), 400, "ags")


# --- geometry -----------------------------------------------------------------------------

def test_geometrie_gemeinden_has_the_396_gemeinden_without_figures(ro_client, cat):
    resp = ro_client.get("/api/geometrie/gemeinden.geojson")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    data = json.loads(resp.data)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 396
    assert sorted(f["properties"]["ags"] for f in data["features"]) == cat["gemeinden"]
    assert not any("anteil" in f["properties"] for f in data["features"])


def test_geometrie_kreise_has_the_53_kreise(ro_client, cat):
    data = json.loads(ro_client.get("/api/geometrie/kreise.geojson").data)
    kreise = sorted(a for a, g in cat["gebiete"].items() if g["ebene"] == "kreis")
    assert len(kreise) == 53
    assert sorted(f["properties"]["ags"] for f in data["features"]) == kreise


def test_geometrie_is_cacheable_and_takes_the_version_parameter(ro_client):
    resp = ro_client.get("/api/geometrie/kreise.geojson?v=7")
    assert resp.status_code == 200
    assert resp.cache_control.public and resp.cache_control.max_age >= 3600
    assert resp.headers.get("ETag")


def test_geometrie_unknown_level_is_404(ro_client):
    error_of(ro_client.get("/api/geometrie/laender.geojson"), 404)


def test_geometrie_rejects_unknown_parameters(ro_client):
    error_of(ro_client.get("/api/geometrie/kreise.geojson?themenfeld=1"), 400, "themenfeld")


# --- /api/tabelle -------------------------------------------------------------------------

def test_api_tabelle_has_a_row_per_gemeinde_and_a_column_per_themenfeld(ro_client, cat):
    data = get_json(ro_client, "/api/tabelle")
    assert [t["id"] for t in data["themenfelder"]] == list(range(1, 15))
    assert [r["ags"] for r in data["gebiete"]] == cat["gemeinden"]
    assert all(set(r["themen"]) == {str(i) for i in range(1, 15)} for r in data["gebiete"])


def test_api_tabelle_overall_figures_equal_umsetzung(ro_client):
    rows = get_json(ro_client, "/api/tabelle?ansicht=eigene")["gebiete"]
    got = figures(ro_client, "?ansicht=eigene")
    for r in rows:
        assert {k: v for k, v in r.items() if k != "themen"} == got[r["ags"]]


def test_api_tabelle_themenfeld_columns_equal_umsetzung_per_themenfeld(ro_client):
    rows = get_json(ro_client, "/api/tabelle")["gebiete"]
    for tf in range(1, 15):
        got = figures(ro_client, f"?themenfeld={tf}")
        assert all(r["themen"][str(tf)] == got[r["ags"]]["anteil"] for r in rows), tf


def test_api_tabelle_follows_the_filter(ro_client):
    data = get_json(ro_client, f"/api/tabelle?themenfeld=3&kreis={WARENDORF}")
    assert [t["id"] for t in data["themenfelder"]] == [3]
    assert len(data["gebiete"]) == 13
    data = get_json(ro_client, "/api/tabelle?leistung=" + get_json(
        ro_client, "/api/leistungen")["leistungen"][0]["ozg_id"])
    assert data["themenfelder"] == [] and all(r["themen"] == {} for r in data["gebiete"])


# --- parameter errors ---------------------------------------------------------------------

BAD_VALUES = [
    ("themenfeld", "0"), ("themenfeld", "15"), ("themenfeld", "abc"), ("themenfeld", "-1"),
    ("themenfeld", "1.5"), ("leistung", "99999999"), ("leistung", "abc"),
    ("leistung", "123456789"), ("kreis", "0557"), ("kreis", "05570044"), ("kreis", "05999"),
    ("kreis", TELGTE[:5] + "x"), ("kreis", "05"), ("status", "fertig"),
    ("status", "Umgesetzt"), ("ansicht", "alle"), ("nur_echt", "2"), ("nur_echt", "vielleicht"),
]


@pytest.mark.parametrize("route", FILTER_ROUTES)
@pytest.mark.parametrize("name,value", BAD_VALUES)
def test_bad_filter_value_is_400_naming_the_parameter(ro_client, route, name, value):
    error_of(ro_client.get(route, query_string={name: value}), 400, name)


def test_unknown_themenfeld_message_is_german_and_explains_the_range(ro_client):
    err = error_of(ro_client.get("/api/umsetzung?themenfeld=99"), 400, "themenfeld")
    assert "Themenfeld" in err["message"] and "14" in err["message"]


def test_unknown_leistung_is_400(ro_client):
    err = error_of(ro_client.get("/api/umsetzung?leistung=99999"), 400, "leistung")
    assert "99999" in err["message"]


@pytest.mark.parametrize("route", DATA_ROUTES)
def test_repeated_parameter_is_400(ro_client, route):
    name = "q" if route == "/api/leistungen" else "themenfeld"
    error_of(ro_client.get(route + f"?{name}=1&{name}=2"), 400, name)


@pytest.mark.parametrize("route", FILTER_ROUTES)
def test_repeated_identical_parameter_is_400_too(ro_client, route):
    error_of(ro_client.get(route + f"?kreis={WARENDORF}&kreis={WARENDORF}"), 400, "kreis")


@pytest.mark.parametrize("route", DATA_ROUTES)
def test_oversized_value_is_400(ro_client, route):
    name = "q" if route == "/api/leistungen" else "leistung"
    error_of(ro_client.get(route, query_string={name: "1" * 201}), 400, name)


def test_value_of_200_characters_is_not_oversized(ro_client):
    data = get_json(ro_client, "/api/leistungen", query_string={"q": "x" * 200})
    assert data["anzahl"] == 0


@pytest.mark.parametrize("route", DATA_ROUTES + ["/api/geometrie/gemeinden.geojson"])
def test_unknown_parameter_is_400_on_the_api(ro_client, route):
    err = error_of(ro_client.get(route + "?utm_source=newsletter"), 400, "utm_source")
    assert "utm_source" in err["message"]


@pytest.mark.parametrize("fmt", ["xml", "CSV", "geojson", "1"])
def test_bad_format_is_400(ro_client, fmt):
    error_of(ro_client.get(f"/api/umsetzung?format={fmt}"), 400, "format")


def test_format_json_is_the_default(ro_client):
    assert get_json(ro_client, "/api/umsetzung?format=json") == get_json(ro_client,
                                                                          "/api/umsetzung")


def test_empty_and_padded_values_mean_the_default(ro_client):
    assert figures(ro_client, "?themenfeld=&status=&ansicht=") == figures(ro_client)
    assert figures(ro_client, "?themenfeld=%202%20") == figures(ro_client, "?themenfeld=2")


def test_unknown_api_path_is_a_json_404(ro_client):
    error_of(ro_client.get("/api/gibtesnicht"), 404)


def test_post_to_the_api_is_405_with_allow_header(ro_client):
    resp = ro_client.post("/api/umsetzung")
    error_of(resp, 405)
    assert "GET" in resp.headers["Allow"]


def test_head_gives_the_headers_without_body(ro_client):
    resp = ro_client.head("/api/umsetzung")
    assert resp.status_code == 200 and resp.data == b"" and resp.headers.get("ETag")


NASTY = ["%00", "%ff", "%C2%A0", "'", "\"", "<script>", "1%0a", "%E2%80%AE", "1e3", "0x1",
         "%F0%9F%98%80", "NaN", "00000000000001", "%C2%B2", "%D9%A3", "+1", "1,2", "%20"]


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("name", ["themenfeld", "leistung", "kreis", "status", "ansicht",
                                  "nur_echt", "format"])
def test_odd_values_never_give_a_server_error(ro_client, name, value):
    resp = ro_client.get(f"/api/umsetzung?{name}={value}")
    assert resp.status_code in (200, 400), resp.status_code
    if resp.status_code == 400:
        error_of(resp, 400, name)


@pytest.mark.parametrize("value", ["²", "①"])
def test_superscript_digit_themenfeld_is_400(ro_client, value):
    error_of(ro_client.get("/api/umsetzung", query_string={"themenfeld": value}), 400,
             "themenfeld")


def test_unknown_empty_named_parameter_is_named_in_the_error(ro_client):
    err = error_of(ro_client.get("/api/umsetzung?=1"), 400)
    assert "parameter" in err and err["parameter"] == ""


# --- caching and compression --------------------------------------------------------------

@pytest.mark.parametrize("route", DATA_ROUTES)
def test_api_responses_carry_etag_and_last_modified(ro_client, ro_store, route):
    resp = ro_client.get(route)
    assert resp.status_code == 200
    assert resp.headers.get("ETag")
    assert parsedate_to_datetime(resp.headers["Last-Modified"]) == ro_store.changed_at()


def test_csv_figures_carry_last_modified_like_the_json(ro_client):
    assert ro_client.get("/api/umsetzung?format=csv").headers.get("Last-Modified")


@pytest.mark.parametrize("route", DATA_ROUTES + ["/api/umsetzung?format=csv",
                                                 "/api/geometrie/kreise.geojson"])
def test_if_none_match_with_the_etag_gives_304_without_body(ro_client, route):
    etag = ro_client.get(route).headers["ETag"]
    resp = ro_client.get(route, headers={"If-None-Match": etag})
    assert resp.status_code == 304 and resp.data == b""
    assert resp.headers["ETag"] == etag


def test_if_none_match_with_another_etag_gives_the_full_response(ro_client):
    resp = ro_client.get("/api/umsetzung", headers={"If-None-Match": '"nicht-aktuell"'})
    assert resp.status_code == 200 and len(resp.get_json()["gebiete"]) == 396


def test_etag_differs_per_filter(ro_client):
    a = ro_client.get("/api/umsetzung").headers["ETag"]
    b = ro_client.get("/api/umsetzung?themenfeld=1").headers["ETag"]
    assert a != b


def test_etag_is_stable_between_identical_requests(ro_client):
    assert ro_client.get("/api/gebiete").headers["ETag"] == ro_client.get(
        "/api/gebiete").headers["ETag"]


@pytest.mark.parametrize("route", ["/api/umsetzung", "/api/gebiete", "/api/tabelle",
                                   f"/api/gebiete/{TELGTE}"])
def test_gzip_when_asked_and_the_body_gunzips_to_the_same_json(ro_client, route):
    plain = ro_client.get(route)
    packed = ro_client.get(route, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data)
    assert json.loads(gzip.decompress(packed.data)) == json.loads(plain.data)


def test_no_gzip_unless_asked(ro_client):
    resp = ro_client.get("/api/gebiete")
    assert "Content-Encoding" not in resp.headers
    json.loads(resp.data)


def test_gzip_csv_gunzips_to_the_same_csv(ro_client):
    plain = ro_client.get("/api/umsetzung?format=csv").data
    packed = ro_client.get("/api/umsetzung?format=csv", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain


def test_gzip_etag_revalidates_to_304(ro_client):
    hdr = {"Accept-Encoding": "gzip"}
    etag = ro_client.get("/api/umsetzung", headers=hdr).headers["ETag"]
    resp = ro_client.get("/api/umsetzung", headers={**hdr, "If-None-Match": etag})
    assert resp.status_code == 304 and resp.data == b""


def test_gzip_refused_with_q0_is_not_sent(ro_client):
    resp = ro_client.get("/api/umsetzung", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in resp.headers


def test_etag_and_last_modified_change_after_a_data_change(client, store):
    before = client.get("/api/umsetzung?ansicht=eigene")
    etag = before.headers["ETag"]
    store.apply([record(TELGTE, _fresh_leistungen(store, TELGTE)[0])], by="test")
    after = client.get("/api/umsetzung?ansicht=eigene")
    assert after.headers["ETag"] != etag
    assert parsedate_to_datetime(after.headers["Last-Modified"]) == store.changed_at()
    assert client.get("/api/umsetzung?ansicht=eigene",
                      headers={"If-None-Match": etag}).status_code == 200


# --- security headers on the API ----------------------------------------------------------

def test_api_json_is_served_as_json_in_utf8(ro_client):
    resp = ro_client.get(f"/api/gebiete/{TELGTE}")
    assert resp.mimetype == "application/json"
    assert "Münster" in ro_client.get("/api/umsetzung").get_data(as_text=True)


# --- the join: an import changes exactly one Gemeinde ----------------------------------------

def _fresh_leistungen(store, ags, n=1):
    """Kommunal Leistungen nothing is recorded for, neither for *ags* nor its providers."""
    g = {x["ags"]: x for x in store.gebiete()}[ags]
    taken = {r["ozg_id"] for p in (ags, g["kreis_ags"], LAND, BUND)
             for r in store.records(ags=p)}
    free = sorted(r["ozg_id"] for r in store.leistungen()
                  if r["kommunal"] and r["ozg_id"] not in taken)
    assert len(free) >= n, "not enough free kommunal Leistungen for the test"
    return free[:n]


@pytest.fixture(scope="module")
def joined(app_copy):
    """A copy of the DB after one import of two real records for Telgte: Leistung ``done``
    umgesetzt, Leistung ``planned`` in Planung (both unknown before for Telgte's providers)."""
    app = app_copy("api_joined")
    store = services(app).store
    done, planned = _fresh_leistungen(store, TELGTE, 2)
    res = store.apply([record(TELGTE, done, stelle="Bürgerbüro"),
                       record(TELGTE, planned, status="in Planung")], by="test")
    assert res.added == 2
    yield {"client": app.test_client(), "store": store, "done": done, "planned": planned}
    store.engine.dispose()


def test_cached_answers_and_the_cached_map_page_change_with_the_data(app_copy):
    """Figures, their JSON and the map page are kept per data version: a write shows at
    once, and the page's old ETag no longer matches (no stale 304)."""
    app = app_copy("api_cache_version")
    client, store = app.test_client(), services(app).store
    before = figures(client, "")
    page = client.get("/")
    assert client.get("/", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    (done,) = _fresh_leistungen(store, TELGTE, 1)
    store.apply([record(TELGTE, done)], by="test")
    after = figures(client, "")
    # real beats sample: Telgte's own figure is now its one real record
    assert after[TELGTE] != before[TELGTE] and after[TELGTE]["eigene"] == 1
    again = client.get("/", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != page.headers["ETag"]
    store.engine.dispose()


@pytest.mark.parametrize("view", ["eigene", "einwohner"])
def test_import_for_one_gemeinde_replaces_exactly_its_beispieldaten(ro_client, joined, view):
    old, new = figures(ro_client, f"?ansicht={view}"), figures(joined["client"],
                                                               f"?ansicht={view}")
    assert len(new) == 396
    assert old[TELGTE]["eigene"] > 1 and old[TELGTE]["beispieldaten"] is True
    assert new[TELGTE]["eigene"] == 1  # its real record (umgesetzt); the sample is not shown
    if view == "eigene":
        assert new[TELGTE]["beispieldaten"] is False
    assert [a for a in new if new[a] != old[a]] == [TELGTE]


def test_imported_record_shows_in_the_body_as_the_gemeindes_own_offer(joined):
    body = get_json(joined["client"], f"/api/gebiete/{TELGTE}?ansicht=eigene")
    mine = [o for t in body["themenfelder"] for o in t["leistungen"]
            if o["ozg_id"] == joined["done"]]
    assert len(mine) == 1
    assert (mine[0]["anbieter"], mine[0]["quelle"], mine[0]["stelle"], mine[0]["url"],
            mine[0]["beispieldaten"]) == ("Gemeinde", "Testquelle", "Bürgerbüro",
                                          "https://test.example/" + joined["done"], False)
    assert joined["planned"] not in {o["ozg_id"] for t in body["themenfelder"]
                                     for o in t["leistungen"]}


def test_imported_record_in_planung_counts_only_from_that_stage_down(joined):
    got = {s: figures(joined["client"], f"?ansicht=eigene&status={s}")[TELGTE]["online"]
           for s in STATUSES}
    assert got == {"offen": 2, "in Planung": 2, "in Bearbeitung": 1, "umgesetzt": 1}


@pytest.mark.parametrize("view", ["eigene", "einwohner"])
def test_nur_echt_counts_the_imported_real_records(joined, view):
    got = figures(joined["client"], f"?nur_echt=1&ansicht={view}")
    store = joined["store"]
    recs = defaultdict(list)
    for r in store.records():
        recs[r["ags"]].append(r)
    gebiete = {g["ags"]: g for g in store.gebiete()}
    kom = {r["ozg_id"] for r in store.leistungen() if r["kommunal"]}
    for ags, r in got.items():
        assert (r["online"], r["anteil"]) == expected(recs, gebiete, ags, kom, ansicht=view,
                                                      nur_echt=True), ags
    if view == "eigene":   # only Telgte has real records of its own: one of them umgesetzt
        t = got[TELGTE]
        assert (t["online"], t["anteil"]) == (1, round(1 / t["leistungen_im_filter"], 4))
        assert all(r["online"] is None for a, r in got.items() if a != TELGTE)


def test_real_record_below_the_stage_gives_zero_not_keine_daten(joined):
    got = figures(joined["client"], f"?nur_echt=1&ansicht=eigene&leistung={joined['planned']}")
    assert (got[TELGTE]["online"], got[TELGTE]["anteil"]) == (0, 0.0)
    assert got[TELGTE]["leistungen_im_filter"] == 1


def test_real_kreis_record_counts_for_its_gemeinden_residents_only(client, store):
    (ozg_id,) = _fresh_leistungen(store, TELGTE)
    store.apply([record(WARENDORF, ozg_id)], by="test")
    residents = figures(client, f"?nur_echt=1&leistung={ozg_id}")
    own = figures(client, f"?nur_echt=1&leistung={ozg_id}&ansicht=eigene")
    warendorf = [a for a, r in residents.items() if r["kreis_ags"] == WARENDORF]
    assert len(warendorf) == 13
    for a, r in residents.items():
        if a in warendorf:
            assert (r["online"], r["anteil"], r["vom_kreis"], r["eigene"]) == (1, 1.0, 1, 0)
        else:   # 0 where other real data exist for the residents (e.g. Land-wide), else None
            assert r["online"] in (0, None) and r["anteil"] in (0.0, None)
        assert own[a]["online"] in (0, None)   # a Kreis offer is never the Gemeinde's own
    assert all(own[a]["online"] is None for a in warendorf)


def test_real_land_record_gives_every_gemeinde_data_for_residents(client, store):
    (ozg_id,) = _fresh_leistungen(store, TELGTE)
    store.apply([record(LAND, ozg_id)], by="test")
    rows = figures(client, f"?nur_echt=1&leistung={ozg_id}")
    assert len(rows) == 396
    assert all((r["online"], r["anteil"], r["vom_land_bund"]) == (1, 1.0, 1)
               for r in rows.values())


def test_figure_and_body_agree_for_a_leistung_outside_the_chosen_themenfeld(ro_client, cat):
    ozg_id = sorted(r["ozg_id"] for r in cat["records"][TELGTE]
                    if r["status"] == "umgesetzt" and r["ozg_id"] in cat["kommunal"])[0]
    tf = cat["leistungen"][ozg_id]["themenfeld_id"]
    query = f"?leistung={ozg_id}&themenfeld={1 if tf != 1 else 2}&ansicht=eigene"
    resp = ro_client.get("/api/umsetzung" + query)
    if resp.status_code == 400:  # rejecting the contradiction is a fine fix too
        error_of(resp, 400)
        return
    fig = {r["ags"]: r for r in resp.get_json()["gebiete"]}[TELGTE]
    body = get_json(ro_client, f"/api/gebiete/{TELGTE}" + query)
    assert fig["online"] == body["anzahl"]


def test_gebiete_geojson_too_large_without_kreis_is_400(ro_client, monkeypatch):
    monkeypatch.setattr(api, "MAX_GEBIETE", 100)  # all of Germany has 11,000 Gemeinden
    resp = ro_client.get("/api/gebiete")
    assert resp.status_code == 400 and resp.get_json()["error"]["parameter"] == "kreis"
    ok = ro_client.get(f"/api/gebiete?kreis={WARENDORF}")
    assert ok.status_code == 200 and len(ok.get_json()["features"]) == 13
