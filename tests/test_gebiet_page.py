"""The full list page /gebiet/<ags> and its twins .json and .csv: readable without
JavaScript, printable, German; the same numbers as the map (/api/umsetzung) and the panel
(/api/gebiete/<ags>); the Beispieldaten label only where sample data is shown.
"""
from __future__ import annotations

import csv
import io
import re
from html import unescape
from pathlib import Path

import pytest

TELGTE, WARENDORF = "05570044", "05570"
ROOT = Path(__file__).resolve().parent.parent


def html(client, url, status=200):
    resp = client.get(url)
    assert resp.status_code == status, (url, resp.status_code)
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def umsetzung_row(client, ags, query=""):
    rows = client.get(f"/api/umsetzung?{query}").get_json()["gebiete"]
    return next(r for r in rows if r["ags"] == ags)


def sections(page: str) -> dict[int, str]:
    return {int(i): body for i, body in
            re.findall(r'<section class="tf-list" id="tf-(\d+)"(.*?)</section>', page, re.DOTALL)}


@pytest.mark.parametrize("query", ["", "themenfeld=6", "ansicht=eigene&status=in+Planung"])
def test_headline_is_the_maps_figure(ro_client, query):
    row = umsetzung_row(ro_client, TELGTE, query)
    page = html(ro_client, f"/gebiet/{TELGTE}?{query}")
    pct = int(row["anteil"] * 100 + 0.5)  # as the tooltip: Math.round
    want = f"{row['online']} von {row['leistungen_im_filter']} online ({pct} %)"
    assert re.search(r'<p class="headline" id="headline"><strong>(.*?)</strong>', page).group(1) \
        == want
    assert "<h1>Telgte" in page and '<html lang="de">' in page


def test_every_themenfeld_lists_online_and_not_online_with_links(ro_client):
    body = ro_client.get(f"/api/gebiete/{TELGTE}").get_json()
    page = html(ro_client, f"/gebiet/{TELGTE}")
    secs = sections(page)
    assert list(secs) == [t["id"] for t in body["uebersicht"]]
    for t in body["uebersicht"]:
        sec = unescape(secs[t["id"]])
        assert f"{t['online']} von {t['im_filter']} online" in sec
        assert ('<ul class="online-list">' in sec) == bool(t["online_leistungen"])
        for o in t["online_leistungen"]:
            if o["url"]:
                assert f'<a href="{o["url"]}" rel="noopener noreferrer">{o["name"]}</a>' in sec
            else:
                assert o["name"] in sec
        opened = re.search(r'<ul class="open-list">(.*?)</ul>', sec, re.DOTALL)
        assert len(re.findall(r"<li>", opened.group(1))) == len(t["offen_leistungen"])
        for o in t["offen_leistungen"]:
            assert f'{o["name"]} <a class="noprint" href="{o["nachbarn_url"]}">Wer in der Nähe ' \
                   "hat es?</a>" in opened.group(1)


def test_works_without_javascript_and_prints(ro_client):
    page = html(ro_client, f"/gebiet/{TELGTE}")
    assert "<script" not in page  # nothing to run: the whole list is in the HTML
    css = re.search(r'<link rel="stylesheet" href="(/static/pages\.css\?v=\w+)">', page)
    assert css
    text = ro_client.get(css.group(1)).get_data(as_text=True)
    assert "@media print" in text and ".noprint" in text


def test_beispieldaten_label_only_with_sample_data(ro_client):
    assert "Hinweis: Beispieldaten" in html(ro_client, f"/gebiet/{TELGTE}")
    real = html(ro_client, f"/gebiet/{TELGTE}?nur_echt=1")
    assert "Hinweis: Beispieldaten" not in real and "source sample" not in real


def test_json_twin_is_the_api(ro_client):
    for query in ("", "?themenfeld=6&nur_echt=1"):
        twin = ro_client.get(f"/gebiet/{TELGTE}.json{query}")
        assert twin.status_code == 200 and twin.mimetype == "application/json"
        assert twin.get_json() == ro_client.get(f"/api/gebiete/{TELGTE}{query}").get_json()


def test_csv_twin_has_a_row_per_leistung_in_the_filter(ro_client):
    resp = ro_client.get(f"/gebiet/{TELGTE}.csv?themenfeld=6")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert f'filename="gebiet-{TELGTE}.csv"' in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    row = umsetzung_row(ro_client, TELGTE, "themenfeld=6")
    assert len(rows) == row["leistungen_im_filter"]
    assert sum(r["online"] == "ja" for r in rows) == row["online"]
    assert {r["themenfeld"] for r in rows} == {"Familie & Kind"}
    assert {r["anbieter"] for r in rows if r["online"] == "ja"} <= {"Gemeinde", "Kreis", "Land",
                                                                      "Bund"}


def test_names_resolve_and_other_bodies_work(ro_client):
    page = html(ro_client, f"/gebiet/{TELGTE}?leistung=Wohngeld")
    assert len(sections(page)) == 1 and "Wohngeld" in page
    assert "Warendorf" in html(ro_client, f"/gebiet/{WARENDORF}")
    land = html(ro_client, "/gebiet/05")
    assert "Wer in der Nähe hat es?" not in land  # Nachbarn are for Gemeinden and Kreise


@pytest.mark.parametrize("path,status", [("/gebiet/0557004", 400), ("/gebiet/05570999", 404),
                                         ("/gebiet/%3Cscript%3E", 400)])
def test_bad_keys_are_german_errors(ro_client, path, status):
    page = html(ro_client, path, status)
    assert f"Fehlercode {status}" in page and "<script>" not in page
    resp = ro_client.get(path + ".json")
    assert resp.status_code == status and resp.get_json()["error"]["status"] == status


def test_readme_names_the_page():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "`/gebiet/<ags>?…`" in readme and "/gebiet/<ags>.csv" in readme
