"""Nachnutzung: who near a Gemeinde offers a Leistung (rings, then km), the gap list, and
their JSON/CSV twins — computed from the real boundaries."""
from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from ozgmap.boundaries import Boundaries
from ozgmap.config import PROJECT_ROOT, SAMPLE_SOURCE
from ozgmap.snapshot import NOT_COUNTED, SOME_KOMMUNEN

TELGTE, WARENDORF, MUENSTER = "05570044", "05570", "05515000"


@pytest.fixture(scope="module")
def b() -> Boundaries:
    return Boundaries.load(PROJECT_ROOT / "boundaries", "nrw")


def _offers(store, ags: str, status_ok=("umgesetzt",), residents: bool = False) -> set[str]:
    """What *ags* offers, by the counting rule (docs/import.md): records "nicht in Auswertung
    berücksichtigt" count nowhere; a body with real records has its Beispieldaten ignored; with
    *residents*, a Kreis's or Land's record "in mind. einer Kommune verfügbar" is no offer for
    every resident."""
    recs = [r for r in store.records(ags=ags) if r["flaechendeckung"] != NOT_COUNTED]
    if any(r["quelle"] != SAMPLE_SOURCE for r in recs):
        recs = [r for r in recs if r["quelle"] != SAMPLE_SOURCE]
    if residents and len(ags) < 8:
        recs = [r for r in recs if r["flaechendeckung"] != SOME_KOMMUNEN]
    return {r["ozg_id"] for r in recs if r["status"] in status_ok}


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
                            ("gemeinde", "kreis")) if a not in (TELGTE, WARENDORF)
                and o in _offers(ro_store, a)}  # its own Kreis offers to Telgte's residents
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


def _residents_have(store, ags: str = TELGTE) -> dict[str, set[str]]:
    """OZG-ID -> the bodies offering it to the residents of a Gemeinde (itself, Kreis, Land,
    Bund), straight from the store."""
    catalogue = {r["ozg_id"] for r in store.leistungen()}
    out: dict[str, set[str]] = {}
    for p in (ags, ags[:5], ags[:2], "00"):
        for o in _offers(store, p, residents=True) & catalogue:
            out.setdefault(o, set()).add(p)
    return out


def _neighbour_offers(store, b, min_n: int = 2) -> dict[str, list[str]]:
    catalogue = {r["ozg_id"] for r in store.leistungen()}
    found: dict[str, list[str]] = {}
    for n in sorted(b.adjacency[TELGTE]):
        for o in _offers(store, n) & catalogue:
            found.setdefault(o, []).append(n)
    return {o: ns for o, ns in found.items() if len(ns) >= min_n}


def test_gap_list_leaves_out_what_telgtes_residents_already_have(ro_client, ro_store, b):
    data = ro_client.get(f"/api/luecken?ags={TELGTE}&min=2").get_json()
    have = _residents_have(ro_store)
    offered = _neighbour_offers(ro_store, b)
    got = {i["ozg_id"]: [n["ags"] for n in i["nachbarn"]] for i in data["luecken"]}
    assert got == {o: ns for o, ns in offered.items() if o not in have}
    assert not set(got) & set(have)             # nothing Gemeinde, Kreis, Land or Bund offer
    left_out = set(offered) & set(have)
    assert data["ausgelassen"] == len(left_out) > 0
    # the two the issue names: Arbeitslosengeld II from the Kreis, WSP.NRW from the Land
    assert {"10082", "10294"} <= left_out
    assert sum(data["ausgelassen_nach"].values()) == len(left_out)
    assert data["ausgelassen_nach"]["Land Nordrhein-Westfalen"] == sum(
        1 for o in left_out if TELGTE not in have[o] and WARENDORF not in have[o])
    assert data["ausgelassen_satz"].startswith(f"{len(left_out)} Leistungen ausgelassen, die "
                                               "die Einwohner schon haben (")
    assert all(i["abgedeckt_durch"] == [] for i in data["luecken"])
    assert {n["ags"] for n in data["nachbarn"]} == set(b.adjacency[TELGTE])


def test_gap_list_with_alle_marks_who_covers_each(ro_client, ro_store, b):
    data = ro_client.get(f"/api/luecken?ags={TELGTE}&min=2&alle=1").get_json()
    have = _residents_have(ro_store)
    offered = _neighbour_offers(ro_store, b)
    assert {i["ozg_id"] for i in data["luecken"]} == set(offered)
    assert data["ausgelassen"] == 0 and data["alle"] is True
    for i in data["luecken"]:
        assert {p["ags"] for p in i["abgedeckt_durch"]} == have.get(i["ozg_id"], set()), i
        assert i["kreis_bietet_an"] == (WARENDORF in have.get(i["ozg_id"], set()))
    by_id = {i["ozg_id"]: i for i in data["luecken"]}
    assert [p["bezeichnung"] for p in by_id["10082"]["abgedeckt_durch"]] == ["Kreis Warendorf"]
    assert "Land Nordrhein-Westfalen" in [p["bezeichnung"]
                                          for p in by_id["10294"]["abgedeckt_durch"]]
    # the CSV twin: same rows, the coverage in its own column
    resp = ro_client.get(f"/api/luecken?ags={TELGTE}&min=2&alle=1&format=csv")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["ozg_id"] for r in rows] == [i["ozg_id"] for i in data["luecken"]]
    assert {r["ozg_id"]: r["abgedeckt_durch"] for r in rows}["10082"] == "Kreis Warendorf"
    assert all(r["abgedeckt_durch"] == "" for r in rows if r["ozg_id"] not in have)
    default = ro_client.get(f"/api/luecken?ags={TELGTE}&min=2&format=csv")
    ids = [r["ozg_id"] for r in csv.DictReader(
        io.StringIO(default.get_data(as_text=True).lstrip("\ufeff")))]
    assert ids and not set(ids) & set(have)


def test_gap_list_ranks_by_neighbours_then_themenfeld_then_name(ro_client):
    items = ro_client.get(f"/api/luecken?ags={TELGTE}&min=1&alle=1").get_json()["luecken"]
    keys = [(-i["anzahl_nachbarn"], i["themenfeld_id"], i["leistung"].casefold())
            for i in items]
    assert keys == sorted(keys)
    assert len({k[0] for k in keys}) > 1 and len({k[1] for k in keys}) > 1


def test_gap_page_says_what_it_left_out_and_alle_lists_them_marked(ro_client, ro_store):
    html = ro_client.get(f"/nachbarn?ags={TELGTE}").get_data(as_text=True)
    n = ro_client.get(f"/api/luecken?ags={TELGTE}").get_json()["ausgelassen"]
    assert f"{n} Leistungen ausgelassen, die die Einwohner schon haben" in html
    assert 'name="alle" value="1"' in html and "Haben die Einwohner schon" not in html
    html = ro_client.get(f"/nachbarn?ags={TELGTE}&alle=1&min=2").get_data(as_text=True)
    assert "Haben die Einwohner schon: Kreis Warendorf" in html
    assert "ausgelassen" not in html


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


def test_nachbarn_page_shows_answer_map_list_and_gap_list(ro_client, ro_store):
    o = _common_leistung(ro_store)
    html = ro_client.get(f"/nachbarn?ags={TELGTE}&leistung={o}").get_data(as_text=True)
    api = ro_client.get(f"/api/nachbarn?ags={TELGTE}&leistung={o}").get_json()
    assert html.index(api["antwort"]["satz"].split(":")[0]) < html.index('id="weitere"')
    assert "Weitere Stellen" in html and "Was bieten unsere Nachbarn" in html
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
    resp = ro_client.get(f"/nachbarn?ags={TELGTE}&leistung=10092&seite=zwei")
    assert resp.status_code == 400 and "Seitenzahl" in resp.get_data(as_text=True)
    resp = ro_client.get(f"/api/luecken?ags={TELGTE}&alle=vielleicht")
    assert resp.status_code == 400 and resp.get_json()["error"]["parameter"] == "alle"
    resp = ro_client.get("/nachbarn?ags=abc")
    assert resp.status_code == 400 and "text/html" in resp.content_type
    assert "AGS muss" in resp.get_data(as_text=True)


# --- the one-line answer ---------------------------------------------------------------------

def _answer(client, query: str) -> dict:
    resp = client.get(f"/api/nachbarn?ags={TELGTE}&{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["antwort"]


def test_answer_when_no_direct_neighbour_has_it(ro_client, ro_store, b):
    wohngeld = "10092"
    assert not any(wohngeld in _offers(ro_store, n) for n in b.adjacency[TELGTE])
    a = _answer(ro_client, f"leistung={wohngeld}")
    assert a["satz"] == ("Keiner der 5 direkten Nachbarn bietet Wohngeld online an. "
                         "Nächste Stelle: Saerbeck (2. Ring, 24 km).")
    assert a["direkt_mit_loesung"] == 0 and a["naechste"]["name"] == "Saerbeck"
    assert a["eigene"] == [] and a["eigene_satz"] is None
    html = ro_client.get(f"/nachbarn?ags={TELGTE}&leistung={wohngeld}").get_data(as_text=True)
    assert html.index(a["satz"]) < html.index('class="nb-map"')
    assert 'id="direkt"' not in html            # no cards: nobody to show


def test_answer_when_some_direct_neighbours_have_it(ro_client, ro_store, b):
    have = _residents_have(ro_store)
    ring1 = sorted(b.adjacency[TELGTE])
    counts = _neighbour_offers(ro_store, b, min_n=1)
    o = min(o for o, ns in counts.items() if 1 < len(ns) <= 3 and o not in have)
    names = {g["ags"]: g["name"] for g in ro_store.gebiete()}
    km = b.distances_km(TELGTE, counts[o])
    order = sorted(counts[o], key=lambda a: (round(km[a], 1), names[a]))
    lst = {r["ozg_id"]: r["name"] for r in ro_store.leistungen()}[o]
    a = _answer(ro_client, f"leistung={o}")
    assert a["satz"] == (f"{len(order)} von {len(ring1)} direkten Nachbarn bieten {lst} "
                         f"online an: {', '.join(names[x] for x in order)}.")
    html = ro_client.get(f"/nachbarn?ags={TELGTE}&leistung={o}").get_data(as_text=True)
    cards = html[html.index('class="nb-cards"'):html.index('class="nb-map"')]
    for x in order:                              # one card each, with the record's source
        assert f'id="karte-{x}"' in cards
    assert cards.count('class="nb-card"') == len(order) and "Quelle: " in cards
    assert "Ohne Lösung: " in cards


def test_answer_when_the_own_body_has_it(ro_client, ro_store):
    have = _residents_have(ro_store)
    names = {r["ozg_id"]: r["name"] for r in ro_store.leistungen()}
    own = min(o for o, by in have.items() if TELGTE in by)
    a = _answer(ro_client, f"leistung={own}")
    assert a["eigene_satz"] == f"Telgte bietet {names[own]} bereits selbst an."
    assert a["eigene"][0]["durch"][0]["ags"] == TELGTE
    url = next(r["url"] for r in ro_store.records(ags=TELGTE) if r["ozg_id"] == own)
    html = ro_client.get(f"/nachbarn?ags={TELGTE}&leistung={own}").get_data(as_text=True)
    top = html[html.index('id="eigene"'):html.index('class="nb-search"')]
    assert a["eigene_satz"] in top and f'href="{url}"' in top
    assert html.index('id="eigene"') < html.index('id="luecken"')
    by_kreis = min(o for o, by in have.items() if by == {WARENDORF})
    a = _answer(ro_client, f"leistung={by_kreis}")
    assert a["eigene_satz"] == (f"Die Einwohner von Telgte haben {names[by_kreis]} bereits "
                                "– Anbieter: Kreis Warendorf.")


def test_answer_for_a_themenfeld_counts_neighbours_with_any_of_it(ro_client, ro_store, b):
    tf = {r["ozg_id"] for r in ro_store.leistungen() if r["themenfeld_id"] == 6}
    with_it = [n for n in b.adjacency[TELGTE] if _offers(ro_store, n) & tf]
    a = _answer(ro_client, "themenfeld=6")
    assert a["direkt_mit_loesung"] == len(with_it) and a["direkte_nachbarn"] == 5
    assert a["satz"].startswith(f"{len(with_it)} von 5 direkten Nachbarn bieten Leistungen "
                                "im Themenfeld „Familie & Kind“ online an")


def test_leistung_by_name_on_the_page(ro_client):
    resp = ro_client.get(f"/nachbarn?ags={TELGTE}&leistung=Wohngeld")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Keiner der 5 direkten Nachbarn bietet Wohngeld online an." in html
    assert 'value="Wohngeld"' in html                       # the field shows the name
    assert "/api/nachbarn?ags=05570044&amp;leistung=10092" in html  # links carry the id
    resp = ro_client.get(f"/nachbarn?ags={TELGTE}&themenfeld=Familie%20%26%20Kind")
    assert resp.status_code == 200 and "„Familie &amp; Kind“" in resp.get_data(as_text=True)


# --- paging and the export --------------------------------------------------------------------

def test_lists_are_paged_with_links_that_need_no_script(ro_client):
    q = f"ags={TELGTE}&themenfeld=6"
    api = ro_client.get(f"/api/nachbarn?{q}").get_json()
    assert api["anzahl"] >= 50
    first = ro_client.get(f"/nachbarn?{q}").get_data(as_text=True)
    cards = first.count('class="nb-card"')
    rows = first[first.index('class="nb-list"'):].split("</ol>")[0].count("<li>")
    assert cards + rows == 10
    assert f'href="/nachbarn?ags={TELGTE}&amp;themenfeld=6&amp;seite=2#weitere"' in first
    second = ro_client.get(f"/nachbarn?{q}&seite=2").get_data(as_text=True)
    assert 'start="' + str(rows + 1) + '"' in second
    gaps = ro_client.get(f"/api/luecken?ags={TELGTE}&min=1").get_json()["luecken"]
    assert len(gaps) > 10
    page = ro_client.get(f"/nachbarn?ags={TELGTE}&min=1").get_data(as_text=True)
    listed = page[page.index('class="nb-gaps"'):].split("</ol>")[0]
    assert listed.count("<li") == 10 and gaps[0]["leistung"] in listed
    page2 = ro_client.get(f"/nachbarn?ags={TELGTE}&min=1&lseite=2").get_data(as_text=True)
    assert gaps[10]["leistung"] in page2.split('class="nb-gaps"')[1].split("</ol>")[0]


def test_export_page_prints_both_lists_whole(ro_client):
    q = f"ags={TELGTE}&leistung=10092"
    html = ro_client.get(f"/nachbarn/export?{q}").get_data(as_text=True)
    api = ro_client.get(f"/api/nachbarn?{q}").get_json()
    gaps = ro_client.get(f"/api/luecken?ags={TELGTE}").get_json()
    assert api["antwort"]["satz"] in html
    assert html.count('<tr id="ags-') == api["anzahl"]
    assert html.split('class="nb-gaps"')[1].split("</ol>")[0].count("<li") == \
        len(gaps["luecken"])
    assert "nachbarn.css" in html and "Beispieldaten" in html
    css = ro_client.get("/static/nachbarn.css").get_data(as_text=True)
    assert "@media print" in css


def test_export_xlsx_holds_the_gap_list_and_the_offers(ro_client):
    q = f"ags={TELGTE}&leistung=10092"
    resp = ro_client.get(f"/nachbarn/export.xlsx?{q}")
    assert resp.status_code == 200 and "nachnutzung-05570044.xlsx" in \
        resp.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True)
    assert wb.sheetnames == ["Lückenliste", "Angebote der Nachbarn"]
    gap_rows = list(wb["Lückenliste"].iter_rows(values_only=True))
    gap_csv = list(csv.reader(io.StringIO(ro_client.get(
        f"/api/luecken?ags={TELGTE}&format=csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[0] for r in gap_rows] == [r[0] for r in gap_csv]
    offers = list(wb["Angebote der Nachbarn"].iter_rows(values_only=True))
    api = ro_client.get(f"/api/nachbarn?{q}").get_json()
    assert len(offers) - 1 == sum(len(t["angebote"]) for t in api["treffer"])
    assert offers[1][1] == "Saerbeck" and offers[0][-1] == "stelle"


def test_readme_documents_the_gap_lists_default_and_coverage_field(ro_client):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `/api/luecken"))
    assert "Default: what the residents already have is left out" in row
    data = ro_client.get(f"/api/luecken?ags={TELGTE}&alle=1").get_json()
    for key in ("ausgelassen", "ausgelassen_nach", "ausgelassen_satz", "alle=1"):
        assert f"`{key}`" in row
    for key in ("abgedeckt_durch", "kreis_bietet_an"):
        assert f"`{key}`" in row and key in data["luecken"][0]
    covered = next(i for i in data["luecken"] if i["abgedeckt_durch"])
    for key in ("ebene", "ags", "name", "bezeichnung"):
        assert f"`{key}`" in row and key in covered["abgedeckt_durch"][0]


def nb_config(page: str) -> dict:
    """The neighbour map's data for the page's module (names, views) out of the HTML."""
    start = page.index('<script type="application/json" id="nb-config">')
    return json.loads(page[page.index(">", start) + 1:page.index("</script>", start)])


def test_map_outlines_the_body_asked_about_in_red(ro_client):
    red = '{"color": "#d7301f", "fill": false, "weight": 4}'   # maps.OWN_OUTLINE, a line
    kreis = ro_client.get(f"/nachbarn?ags={WARENDORF}&leistung=10092").get_data(as_text=True)
    assert kreis.count(red) == 1
    own = [(lb["ags"], lb["name"]) for lb in nb_config(kreis)["labels"] if lb["kind"] == "own"]
    assert own == [(WARENDORF, "Warendorf")]                # named on the map
    gemeinde = ro_client.get(f"/nachbarn?ags={TELGTE}&leistung=10092").get_data(as_text=True)
    assert red not in gemeinde and '"color": "#d7301f"' in gemeinde  # its own shape instead
    own = [(lb["ags"], lb["name"]) for lb in nb_config(gemeinde)["labels"] if lb["kind"] == "own"]
    assert own == [(TELGTE, "Telgte")]


def test_map_names_ranked_for_the_label_layer(ro_client):
    """Who keeps a name when space is short: own, direct neighbours with a solution, the
    others listed, direct neighbours without; each name sits inside its shape's bounds."""
    cfg = nb_config(ro_client.get(f"/nachbarn?ags={TELGTE}&themenfeld=6").get_data(as_text=True))
    api = ro_client.get(f"/api/nachbarn?ags={TELGTE}&themenfeld=6").get_json()
    direct_with = {t["ags"] for t in api["treffer"] if t["ring"] == 1 and t["ebene"] == "gemeinde"}
    kinds = {lb["ags"]: lb["kind"] for lb in cfg["labels"]}
    assert kinds[TELGTE] == "own" and direct_with and all(kinds[a] == "hit" for a in direct_with)
    assert {a for a, k in kinds.items() if k == "plain"}.isdisjoint(direct_with)
    ranks = {lb["kind"]: lb["rank"] for lb in cfg["labels"]}
    assert ranks["own"] > ranks["hit"] > ranks["listed"] > ranks["plain"]  # Everswinkel: plain
    for lb in cfg["labels"]:
        (s, w), (n, e) = lb["bounds"]
        assert s <= lb["latlng"][0] <= n and w <= lb["latlng"][1] <= e, lb["name"]
    # the small map's view: Telgte and its direct neighbours inside the wider focus
    (s, w), (n, e) = cfg["bounds"]
    (ns, nw), (nn, ne) = cfg["near"]
    assert s <= ns and w <= nw and nn <= n and ne <= e and (nn - ns) < (n - s)
