"""Names for ids: ``ozgmap.lookup`` resolves a typed Leistung, Themenfeld or Lage, and every
page that takes ``leistung`` resolves names with it (a choice list for several matches, a
German message for none; the map stays a map), while the API stays strict (OZG-IDs only).

Expected ids are looked up in the catalogue of the same app, never copied.
"""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from ozgmap import lookup, services

TELGTE = "05570044"


@pytest.fixture(scope="module")
def snap(ro_app):
    with ro_app.app_context():
        return services().coverage.snapshot()


@pytest.fixture(scope="module")
def by_name(snap):
    return {r["name"]: o for o, r in snap.leistungen.items()}


def config_of(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="ozgmap-config">(.*?)</script>', html,
                  re.DOTALL)
    assert m, "no map config"
    return json.loads(m.group(1))


def choice_links(html: str) -> list[tuple[str, str]]:
    """(link, name) of the entries of a choice list."""
    block = re.search(r'<ul class="choices"[^>]*>(.*?)</ul>', html, re.DOTALL)
    assert block, html[:500]
    return [(unescape(href), unescape(name))
            for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', block.group(1))]


# --- the resolver ---------------------------------------------------------------------------

def test_digits_are_the_ozg_id_unchanged(snap):
    assert lookup.resolve_leistung(snap, "10092") == "10092"
    assert lookup.resolve_leistung(snap, " 99999 ") == "99999"  # existence: the caller's job


@pytest.mark.parametrize("typed", ["Wohngeld", "wohngeld", "  WOHNGELD ",
                                   "\uff37\uff4f\uff48\uff4e\uff47\uff45\uff4c\uff44"])
def test_exact_name_ignores_case_space_and_unicode_form(snap, by_name, typed):
    assert lookup.resolve_leistung(snap, typed) == by_name["Wohngeld"]


@pytest.mark.parametrize("typed", ["Führerschein", "Fuehrerschein", "Fuhrerschein",
                                   "FÜHRERSCHEIN", "Fu\u0308hrerschein"])
def test_umlauts_may_be_written_out_dropped_or_decomposed(snap, by_name, typed):
    assert lookup.resolve_leistung(snap, typed) == by_name["Führerschein"]


def test_exact_name_wins_over_a_longer_name_containing_it(snap, by_name):
    assert "Pflegewohngeld" in by_name  # "wohngeld" is a part of it too
    assert lookup.resolve_leistung(snap, "wohngeld") == by_name["Wohngeld"]


def test_a_unique_part_of_a_name_finds_it(snap, by_name):
    hits = [n for n in by_name if "eheschlie" in n.casefold()]
    assert len(hits) == 1
    assert lookup.resolve_leistung(snap, "Eheschliessung") == by_name[hits[0]]


def test_several_matches_carry_every_candidate(snap, by_name):
    with pytest.raises(lookup.AmbiguousName) as exc:
        lookup.resolve_leistung(snap, "geld")
    want = sorted(((o, n) for n, o in by_name.items() if "geld" in n.casefold()),
                  key=lambda c: c[1].casefold())
    assert len(want) > 2 and exc.value.candidates == want
    assert "Mehrere OZG-Leistungen passen zu „geld“" in exc.value.message


def test_words_in_any_order_are_the_last_resort(snap, by_name):
    name = "Anerkennung ausländischer Berufsqualifikationen"
    assert lookup.resolve_leistung(snap, "berufsqualifikationen auslaendischer") == \
        by_name[name]


def test_nothing_matching_is_a_german_message(snap):
    with pytest.raises(lookup.UnknownName) as exc:
        lookup.resolve_leistung(snap, "Xylophonstimmung")
    assert exc.value.candidates == []
    assert exc.value.message.startswith("Keine OZG-Leistung passt zu „Xylophonstimmung“")


def test_themenfeld_and_lage_by_name(snap):
    tf = {t["name"]: str(t["id"]) for t in snap.themenfelder}
    assert lookup.resolve_themenfeld(snap, "Familie & Kind") == tf["Familie & Kind"]
    assert lookup.resolve_themenfeld(snap, "familie und kind") == tf["Familie & Kind"]
    assert lookup.resolve_themenfeld(snap, "3") == "3"
    lagen = {r["name"]: str(i) for i, r in snap.lagen.items()}
    assert lookup.resolve_lage(snap, "führerschein") == lagen["Führerschein"]
    with pytest.raises(lookup.AmbiguousName) as exc:
        lookup.resolve_lage(snap, "Querschnitt")
    assert {n for _, n in exc.value.candidates} == {"Querschnitt Bürger",
                                                     "Querschnitt Unternehmen"}
    with pytest.raises(lookup.UnknownName, match="Kein Themenfeld passt"):
        lookup.resolve_themenfeld(snap, "Raumfahrt")


# --- pages resolve, the API does not ---------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/embed"])
def test_map_shows_a_leistung_typed_by_name(ro_client, by_name, path):
    resp = ro_client.get(f"{path}?leistung=Wohngeld")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    cfg = config_of(html)
    assert cfg["filter"]["leistung"] == by_name["Wohngeld"]
    assert parse_qs(urlsplit(cfg["figures"]).query)["leistung"] == [by_name["Wohngeld"]]
    if path == "/":  # the embed has no filter form
        assert re.search(r'<p class="chosen" id="leistung-name">Wohngeld</p>', html)
        assert f'value="{by_name["Wohngeld"]}"' in html
    assert "Ist die Leistung „Wohngeld“ online?" in html  # the legend says what is counted
    # the figures the map then loads are Wohngeld's
    figures = ro_client.get(cfg["figures"])
    assert figures.status_code == 200
    assert figures.get_json()["filter"]["leistung"] == by_name["Wohngeld"]


def test_map_with_an_unknown_name_stays_a_map_and_says_why(ro_client):
    resp = ro_client.get("/?leistung=Xylophonstimmung&kreis=05570")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'class="folium-map"' in html
    msg = re.search(r'<p class="notice field-error" id="leistung-fehler" role="alert">(.*?)</p>',
                    html, re.DOTALL)
    assert msg and "Keine OZG-Leistung passt zu „Xylophonstimmung“" in unescape(msg.group(1))
    cfg = config_of(html)
    assert "leistung" not in cfg["filter"] and cfg["filter"]["kreis"] == "05570"
    assert "leistung" not in parse_qs(urlsplit(cfg["figures"]).query)


@pytest.mark.parametrize("path", ["/", "/tabelle", "/embed", "/statistik", "/einbetten",
                                  f"/nachbarn?ags={TELGTE}"])
def test_several_matches_give_a_choice_list_of_links_to_the_same_page(ro_client, by_name,
                                                                         path):
    url = path + ("&" if "?" in path else "?") + "leistung=geld&status=in+Planung"
    resp = ro_client.get(url)
    assert resp.status_code == 300 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "Mehrere OZG-Leistungen passen zu „geld“" in html
    links = choice_links(html)
    want = {o for n, o in by_name.items() if "geld" in n.casefold()}
    assert {parse_qs(urlsplit(href).query)["leistung"][0] for href, _ in links} == want
    for href, name in links:
        parts = urlsplit(href)
        q = parse_qs(parts.query)
        assert parts.path == urlsplit(path).path and q["status"] == ["in Planung"]
        assert by_name[name] == q["leistung"][0]
        if "ags=" in path:
            assert q["ags"] == [TELGTE]
    # and each link opens the page with that Leistung
    assert ro_client.get(links[0][0]).status_code == 200


@pytest.mark.parametrize("path", ["/tabelle", "/statistik", "/einbetten", "/tabelle.csv",
                                  f"/nachbarn?ags={TELGTE}"])
def test_no_match_on_other_pages_is_a_german_400_with_a_way_on(ro_client, path):
    url = path + ("&" if "?" in path else "?") + "leistung=Xylophonstimmung"
    resp = ro_client.get(url)
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    html = unescape(resp.get_data(as_text=True))
    assert "<h1>Keine OZG-Leistung passt zu „Xylophonstimmung“" in html
    back = re.search(r'<a href="([^"]+)">Seite ohne diese Angabe öffnen</a>', html)
    assert back and "leistung" not in back.group(1)
    assert ro_client.get(back.group(1)).status_code == 200


def test_nachbarn_resolves_wohngeld(ro_client, by_name):
    resp = ro_client.get(f"/nachbarn?ags={TELGTE}&leistung=Wohngeld")
    assert resp.status_code == 200
    html = unescape(resp.get_data(as_text=True))
    assert "Keiner der 5 direkten Nachbarn bietet Wohngeld online an." in html
    o = by_name["Wohngeld"]
    assert f'value="{o}"' in html
    # the twins linked from the page carry the OZG-ID, so the strict API answers them
    csv_link = re.search(r'<a href="(/api/nachbarn\?[^"]+)" download>Angebote</a>', html)
    assert csv_link and parse_qs(urlsplit(csv_link.group(1)).query)["leistung"] == [o]
    assert ro_client.get(csv_link.group(1)).status_code == 200
    api = ro_client.get(f"/api/nachbarn?ags={TELGTE}&leistung={o}").get_json()
    assert api["gefragt"]["leistung"] == o
    assert api["antwort"]["satz"] in html and f"Weitere Stellen ({api['anzahl']})" in html


def test_nachbarn_takes_lage_and_themenfeld_by_name(ro_client, snap):
    lage = next(i for i, r in snap.lagen.items() if r["name"] == "Führerschein")
    by_name_page = ro_client.get(f"/nachbarn?ags={TELGTE}&lage=Fuehrerschein")
    by_id_page = ro_client.get(f"/nachbarn?ags={TELGTE}&lage={lage}")
    assert by_name_page.status_code == 200

    def shown(resp):  # the answer and the list, without folium's random element ids
        html = resp.get_data(as_text=True)
        return [re.search(pattern, html, re.DOTALL).group(0) for pattern in
                (r'<p class="nb-answer".*?</p>', r'<ol class="nb-list".*?</ol>')]
    assert shown(by_name_page) == shown(by_id_page)
    assert f'<option value="{lage}" selected>' in by_name_page.get_data(as_text=True)
    resp = ro_client.get(f"/nachbarn?ags={TELGTE}&themenfeld=Familie")
    assert resp.status_code == 200


def test_api_stays_strict(ro_client):
    for url in ("/api/umsetzung?leistung=Wohngeld", f"/api/nachbarn?ags={TELGTE}&leistung=Wohngeld",
                "/api/umsetzung?themenfeld=Bildung", f"/api/nachbarn?ags={TELGTE}&lage=Tod"):
        resp = ro_client.get(url)
        assert resp.status_code == 400 and resp.mimetype == "application/json", url
        err = resp.get_json()["error"]
        assert err["parameter"] in ("leistung", "themenfeld", "lage")


def test_page_asked_for_json_gets_a_json_error(ro_client):
    resp = ro_client.get("/tabelle?leistung=geld", headers={"Accept": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["error"]["parameter"] == "leistung"
