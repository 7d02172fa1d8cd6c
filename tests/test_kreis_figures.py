"""The map's national view (issue 20): ``/api/umsetzung?ebene=kreise`` (a Kreis's figure from
its Gemeinden) and ``land`` (the Gemeinden of one Land), the same filter as every other
figure; and the map page carrying its first figures and overview geometry inline."""
from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from helpers import error_of

from ozgmap import boundaries as bd
from ozgmap.aggregate import KREIS_COLUMNS, kreis_figures

WARENDORF = "05570"
BOUNDARIES = Path(__file__).resolve().parent.parent / "boundaries"


def rows_of(client, url: str) -> list[dict]:
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_json()["gebiete"]


@pytest.mark.parametrize("query", ["", "&themenfeld=2", "&ansicht=eigene"])
def test_a_kreis_figure_sums_online_and_leistungen_over_its_gemeinden(ro_client, query):
    gemeinden = rows_of(ro_client, "/api/umsetzung?" + query.lstrip("&"))
    kreise = rows_of(ro_client, f"/api/umsetzung?ebene=kreise{query}")
    by_kreis = defaultdict(list)
    for g in gemeinden:
        by_kreis[g["kreis_ags"]].append(g)
    assert [k["ags"] for k in kreise] == sorted(by_kreis) and len(kreise) == 53
    for k in kreise:
        mine = [g for g in by_kreis[k["ags"]] if g["online"] is not None]
        assert k["gemeinden"] == len(by_kreis[k["ags"]])
        assert k["gemeinden_mit_daten"] == len(mine)
        assert k["online"] == sum(g["online"] for g in mine)
        assert k["leistungen_im_filter"] == sum(g["leistungen_im_filter"] for g in mine)
        assert k["anteil"] == round(k["online"] / k["leistungen_im_filter"], 4)
        # every Gemeinde counts the same Leistungen: the Kreis's share is their mean
        assert k["anteil"] == pytest.approx(sum(g["anteil"] for g in mine) / len(mine), abs=1e-4)
        assert k["name"] == by_kreis[k["ags"]][0]["kreis"]
        assert list(k) == KREIS_COLUMNS


def test_kreis_figures_of_a_kreis_without_data_say_so():
    rows = [{"ags": "05570004", "kreis_ags": "05570", "kreis": "Warendorf",
             "leistungen_im_filter": 10, "online": None, "beispieldaten": None},
            {"ags": "05570008", "kreis_ags": "05570", "kreis": "Warendorf",
             "leistungen_im_filter": 10, "online": None, "beispieldaten": None}]
    (k,) = kreis_figures(rows)
    assert (k["gemeinden"], k["gemeinden_mit_daten"], k["online"], k["anteil"],
            k["beispieldaten"]) == (2, 0, None, None, None)


def test_land_gives_the_gemeinden_of_that_land_and_felder_the_columns(ro_client):
    full = rows_of(ro_client, "/api/umsetzung?felder=online,anteil")
    assert rows_of(ro_client, "/api/umsetzung?felder=online,anteil&land=05") == full
    kreise = rows_of(ro_client, "/api/umsetzung?ebene=kreise&land=05&felder=anteil")
    assert len(kreise) == 53 and all(list(k) == ["ags", "anteil"] for k in kreise)


def test_kreis_figures_as_csv(ro_client):
    text = ro_client.get("/api/umsetzung?ebene=kreise&format=csv").get_data(as_text=True)
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == ",".join(KREIS_COLUMNS) and len(lines) == 54


@pytest.mark.parametrize("query, param", [
    ("ebene=laender", "ebene"), ("ebene=", None), ("land=5", "land"), ("land=06", "land"),
    ("land=ab", "land"), ("ebene=kreise&felder=kreis_ags", "felder"),
    ("land=05&land=05", "land")])
def test_bad_ebene_land_or_kreis_felder_are_400_naming_the_parameter(ro_client, query, param):
    if param is None:  # empty: the default
        assert ro_client.get(f"/api/umsetzung?{query}").status_code == 200
        return
    err = error_of(ro_client.get(f"/api/umsetzung?{query}"), 400, param)
    assert err["message"]


def test_the_map_page_carries_its_figures_and_overview_as_the_api_answers_them(ro_client):
    html = ro_client.get("/").get_data(as_text=True)
    cfg = json.loads(re.search(r'id="ozgmap-config">(.*?)</script>', html, re.S).group(1))
    inline = json.loads(re.search(r'id="ozgmap-figures">(.*?)</script>', html, re.S).group(1))
    api = ro_client.get(cfg["figures"]).get_json()
    assert inline == {k: api[k] for k in ("legende", "ebene", "gebiete")}
    topo = json.loads(re.search(r'id="ozgmap-uebersicht">(.*?)</script>', html, re.S).group(1))
    assert topo == ro_client.get(cfg["topojson"].replace("NAME", "uebersicht")).get_json()
    assert cfg["kreisweise"] is False and "ebene" not in cfg["figures"]
    # the scripts of the first drawing are asked for from the head, before the data
    head = html.split("</head>")[0]
    assert 'rel="preload" href="/static/vendor/leaflet/leaflet.js' in head
    assert re.search(r'rel="modulepreload" href="/static/ozgmap\.js\?v=', head)


def test_a_kreisweise_map_page_starts_with_kreis_figures(app_copy):
    app = app_copy("kreisweise", OZGMAP_KREISWEISE_AB="100")
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    cfg = json.loads(re.search(r'id="ozgmap-config">(.*?)</script>', html, re.S).group(1))
    inline = json.loads(re.search(r'id="ozgmap-figures">(.*?)</script>', html, re.S).group(1))
    assert cfg["kreisweise"] is True and inline["ebene"] == "kreise"
    assert len(inline["gebiete"]) == 53
    topo = json.loads(re.search(r'id="ozgmap-uebersicht">(.*?)</script>', html, re.S).group(1))
    assert set(topo["objects"]) == {"kreise", "laender"}
    assert topo["gemeinden"]["teile"].keys() == {"05"} and topo["gemeinden"]["ab_zoom"] == 7
    part = client.get(cfg["topojson"].replace("NAME", "gemeinden-05")).get_json()
    assert len(part["objects"]["gemeinden"]["geometries"]) == 396
    assert "Je Kreis: Mittel seiner Gemeinden" in html


def test_a_bad_kreisweise_setting_is_a_clear_error(app_copy):
    with pytest.raises(ValueError, match="OZGMAP_KREISWEISE_AB muss eine ganze Zahl sein"):
        app_copy("kreisweise-bad", OZGMAP_KREISWEISE_AB="viele")


def test_a_kreisweise_overview_is_built_when_the_written_one_predates_it(tmp_path):
    """Files written before the ``gemeinden-<Land>`` levels existed: the old overview (all
    Gemeinden) is not served; the detailed parts are read as written."""
    for name in ("gemeinden.geojson", "kreise.geojson", "uebersicht.topojson",
                 "karte-05.topojson"):
        shutil.copy(BOUNDARIES / f"nrw_{name}", tmp_path / f"nrw_{name}")
    b = bd.Boundaries.load(tmp_path, "nrw", kreisweise_ab=100)
    assert b.topo_names == ["uebersicht", "gemeinden-05", "karte-05"]
    assert not b.levels_written()
    topo = json.loads(b.topojson_bytes("uebersicht"))
    assert set(topo["objects"]) == {"kreise", "laender"}
    assert len(topo["objects"]["kreise"]["geometries"]) == 53
    assert topo["objects"]["laender"]["geometries"][0]["properties"] == {
        "ags": "05", "name": "Nordrhein-Westfalen"}
    assert b.topojson_bytes("karte-05") == (tmp_path / "nrw_karte-05.topojson").read_bytes()
    # written, they are read back as they are
    bd.write_levels(b, tmp_path)
    again = bd.Boundaries.load(tmp_path, "nrw", kreisweise_ab=100)
    assert again.levels_written()
    assert json.loads(again.topojson_bytes("uebersicht")) == topo
    # and the default (396 Gemeinden, not kreisweise) keeps NRW's overview of its Gemeinden
    nrw = bd.Boundaries.load(BOUNDARIES, "nrw")
    assert nrw.topo_names == ["uebersicht", "karte-05"] and not nrw.kreisweise
