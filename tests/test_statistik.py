"""The dashboard /statistik and its twins: figures against a small known data set, the history
over two imports on different days, side-by-side comparison, and every error case."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil

import pytest

from ozgmap import create_app, services, svg
from ozgmap.config import SAMPLE_SOURCE
from ozgmap.store import import_run, umsetzung_history

A, B, D = "05570044", "05570004", "05570008"   # Telgte, Ahlen, Beckum (Kreis Warendorf)
C = "05558004"                                 # Ascheberg (Kreis Coesfeld)
WAF, COE = "05570", "05558"
PARTNER = "05570,05558,05515000,05915000"
STATUS = ["offen", "in Planung", "in Bearbeitung", "umgesetzt"]
TODAY = dt.date.today()


def _app(url: str, tmp):
    return create_app({"TESTING": True, "OZGMAP_DATABASE_URL": url,
                       "OZGMAP_RELOAD_INTERVAL": 0,
                       "OZGMAP_INSTANCE_DIR": str(tmp), "OZGMAP_CACHE_DIR": str(tmp / "cache")})


@pytest.fixture(scope="module")
def bare_db(tmp_path_factory):
    """`ozgmap init --no-sample --no-wsp`: boundaries and catalogue, no records; built once."""
    tmp = tmp_path_factory.mktemp("bare")
    app = _app(f"sqlite:///{tmp / 'bare.sqlite'}", tmp)
    result = app.test_cli_runner().invoke(args=["init", "--no-sample", "--no-wsp"])
    assert result.exit_code == 0, result.output
    services(app).store.engine.dispose()
    return tmp / "bare.sqlite"


@pytest.fixture
def bare(bare_db, tmp_path):
    db = tmp_path / "s.sqlite"
    shutil.copy(bare_db, db)
    app = _app(f"sqlite:///{db}", tmp_path)
    yield app
    services(app).store.engine.dispose()


def _rec(ags, ozg_id, status="umgesetzt", seit=None, quelle="Test"):
    return {"ags": ags, "ozg_id": ozg_id, "leika_key": "", "status": status, "reifegrad": None,
            "url": "https://example.org/x", "seit": seit, "flaechendeckung": "",
            "quelle": quelle, "stelle": ""}


def _catalogue(store):
    kommunal = [r for r in store.leistungen() if r["kommunal"]]
    by_tf: dict[int, list[str]] = {}
    for r in sorted(kommunal, key=lambda r: r["ozg_id"]):
        by_tf.setdefault(r["themenfeld_id"], []).append(r["ozg_id"])
    return kommunal, by_tf


@pytest.fixture
def known(bare):
    """Telgte: two Leistungen of Themenfeld a online, one of b in Planung; Ahlen: one;
    Kreis Warendorf: one of b for all its Gemeinden; Ascheberg: one; Beckum: one Beispieldaten
    record."""
    store = services(bare).store
    kommunal, by_tf = _catalogue(store)
    ta, tb = sorted(by_tf)[:2]
    l1, l2, l5 = by_tf[ta][:3]
    l3, l4 = by_tf[tb][:2]
    records = [_rec(A, l1, seit=dt.date(2024, 3, 5)), _rec(A, l2, seit=dt.date(2025, 7, 1)),
               _rec(A, l3, "in Planung"), _rec(B, l1, seit=dt.date(2024, 3, 20)),
               _rec(WAF, l4, seit=dt.date(2023, 1, 10)), _rec(C, l1, seit=dt.date(2025, 1, 1)),
               _rec(D, l5, seit=dt.date(2025, 2, 2), quelle=SAMPLE_SOURCE)]
    store.apply(records, by="test")
    return {"app": bare, "client": bare.test_client(), "records": records, "ta": ta, "tb": tb,
            "kommunal": {r["ozg_id"] for r in kommunal},
            "tf_of": {r["ozg_id"]: r["themenfeld_id"] for r in kommunal},
            "gemeinden": {g["ags"]: g for g in store.gebiete() if g["ebene"] == "gemeinde"}}


# --- a reference of the published definitions, written independently of ozgmap.stats ----

def _online(k, ags, themenfeld=None, min_status="umgesetzt", nur_echt=False, eigene=False):
    """(online, total) of one body, or (None, total) without data, from the known records."""
    g = k["gemeinden"].get(ags)
    providers = {ags} if eigene else {ags, "05", "00"} | ({g["kreis_ags"]} if g else set())
    wanted = {o for o in k["kommunal"] if themenfeld is None or k["tf_of"][o] == themenfeld}
    mine = [r for r in k["records"] if r["ags"] in providers
            and not (nur_echt and r["quelle"] == SAMPLE_SOURCE)]
    if not mine:
        return None, len(wanted)
    online = {r["ozg_id"] for r in mine
              if STATUS.index(r["status"]) >= STATUS.index(min_status)} & wanted
    return len(online), len(wanted)


def _share(k, ags, **kw):
    online, total = _online(k, ags, **kw)
    return None if online is None else round(online / total, 4)


def _mean(values):
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def _kreis_mean(k, kreis, **kw):
    return _mean(_share(k, a, **kw) for a, g in k["gemeinden"].items() if g["kreis_ags"] == kreis)


def _get(client, url, status=200):
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    return resp


def _csv(resp):
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


# --- figures against the store ------------------------------------------------------------

def test_kreis_figures_are_the_mean_over_its_gemeinden(known):
    k = known
    data = _get(k["client"], f"/api/statistik?kreis={WAF}").get_json()
    assert data["bereich"] == {"art": "kreis", "ags": WAF, "name": "Kreis Warendorf"}
    z = data["zusammenfassung"]
    assert z["anteil"] == pytest.approx(_kreis_mean(k, WAF), abs=1e-4)
    assert z["gemeinden"] == z["mit_daten"] == 13   # the Kreis offer counts for all 13
    tf = {t["id"]: t for t in data["themenfelder"]}
    assert len(tf) == 14
    for t in (k["ta"], k["tb"]):
        assert tf[t]["anteil"] == pytest.approx(_kreis_mean(k, WAF, themenfeld=t), abs=1e-4)
    assert tf[k["ta"]]["anteil"] > 0 and tf[k["tb"]]["anteil"] > 0
    # Telgte 3; Ahlen 2 and Beckum 2 (one of them Beispieldaten) share rank 2; the rest 1
    assert [(r["ags"], r["rang"]) for r in data["gemeinden"][:4]] == [
        (A, 1), (B, 2), (D, 2), (data["gemeinden"][3]["ags"], 4)]
    assert [r["online"] for r in data["gemeinden"]] == sorted(
        (_online(k, a)[0] for a, g in k["gemeinden"].items() if g["kreis_ags"] == WAF),
        reverse=True)


def test_kreise_ranked_and_without_data_last(known):
    k = known
    kreise = _get(k["client"], "/api/statistik/kreise").get_json()["kreise"]
    assert [r["ags"] for r in kreise[:2]] == [WAF, COE]
    assert kreise[0]["anteil"] == pytest.approx(_kreis_mean(k, WAF), abs=1e-4)
    assert kreise[1]["anteil"] == pytest.approx(_share(k, C), abs=1e-4)
    assert kreise[1]["mit_daten"] == 1 and kreise[1]["gemeinden"] == 11
    assert all(r["anteil"] is None and r["rang"] is None for r in kreise[2:])
    assert len(kreise) == 53


def test_one_body_counts_its_own_figure_in_every_view(known):
    k, c = known, known["client"]
    for query, kw in [("", {}), ("&ansicht=eigene", {"eigene": True}),
                      ("&status=in%20Planung", {"min_status": "in Planung"})]:
        z = _get(c, f"/api/statistik?ags={A}{query}").get_json()["zusammenfassung"]
        online, total = _online(k, A, **kw)
        assert (z["online"], z["leistungen_im_filter"]) == (online, total), query
    z = _get(c, f"/api/statistik?ags={WAF}").get_json()["zusammenfassung"]
    assert (z["online"], z["art"]) == (1, "Kreis")   # the Kreis's own offer
    gem = _get(c, f"/api/umsetzung?kreis={WAF}").get_json()["gebiete"]
    assert next(r for r in gem if r["ags"] == A)["anteil"] == \
        _get(c, f"/api/statistik?ags={A}").get_json()["zusammenfassung"]["anteil"]


def test_nur_echt_hides_beispieldaten_and_the_page_labels_them(known):
    k, c = known, known["client"]
    with_sample = _get(c, f"/api/statistik/gemeinden?kreis={WAF}").get_json()["gemeinden"]
    real = _get(c, f"/api/statistik/gemeinden?kreis={WAF}&nur_echt=1").get_json()["gemeinden"]
    beckum = {r["ags"]: r for r in with_sample}[D], {r["ags"]: r for r in real}[D]
    assert beckum[0]["online"] == _online(k, D)[0] == 2
    assert beckum[1]["online"] == _online(k, D, nur_echt=True)[0] == 1
    page = _get(c, f"/statistik?kreis={WAF}").get_data(as_text=True)
    assert "Beispieldaten:" in page
    assert "Beispieldaten:" not in _get(c, f"/statistik?kreis={WAF}&nur_echt=1").get_data(
        as_text=True)


def test_csv_twins_hold_the_json_numbers(known):
    c = known["client"]
    for teil in ("themenfelder", "kreise", "gemeinden"):
        js = _get(c, f"/api/statistik/{teil}?kreis={WAF}").get_json()[teil]
        resp = _get(c, f"/api/statistik/{teil}?kreis={WAF}&format=csv")
        assert resp.mimetype == "text/csv"
        rows = _csv(resp)
        assert len(rows) == len(js)
        for row, item in zip(rows, js):
            assert row.get("ags", row.get("id")) == str(item.get("ags", item.get("id")))
            assert (float(row["anteil"]) if row["anteil"] else None) == item["anteil"]


def test_page_shows_charts_with_tables_and_permalinks(known):
    c = known["client"]
    html = _get(c, f"/statistik?kreis={WAF}&ags={A}&tage=90&utm_source=x").get_data(as_text=True)
    charts = re.findall(r"<svg class=\"chart\"[^>]*>", html)
    assert len(charts) >= 5
    assert all('role="img"' in s and "aria-labelledby" in s for s in charts)
    assert html.count("<title id=") == len(charts) and html.count("<desc id=") == len(charts)
    assert " style=" not in html                       # the CSP forbids style attributes
    assert html.count("<table") >= 5
    link = re.search(r'href="(/api/statistik/themenfelder\?[^"]*format=csv[^"]*)"', html)[1]
    assert {f"kreis={WAF}", f"ags={A}", "tage=90"} <= set(link.replace("&amp;", "&")
                                                           .split("?")[1].split("&"))
    assert "utm_source" not in html
    assert 'aria-current="page">Statistik' in html


def test_empty_store_says_so_instead_of_drawing(bare):
    c = bare.test_client()
    data = _get(c, "/api/statistik").get_json()
    assert data["zusammenfassung"]["anteil"] is None and data["zusammenfassung"]["mit_daten"] == 0
    assert data["importe"] == [] and data["verlauf"]["punkte"] == [] and data["neu"]["anzahl"] == 0
    html = _get(c, "/statistik").get_data(as_text=True)
    assert 'id="c-kreise"' not in html and 'id="c-gemeinden' not in html
    assert "Für diesen Filter liegen keine Daten vor." in html
    assert "Noch kein Import." in html and "Beispieldaten:" not in html


# --- history: two imports on different days -----------------------------------------------

def _move_run(store, run_id: int, day: dt.date) -> None:
    when = dt.datetime.combine(day, dt.time(10, 0))
    with store.engine.begin() as conn:
        conn.execute(import_run.update().where(import_run.c.id == run_id).values(am=when))
        conn.execute(umsetzung_history.update().where(umsetzung_history.c.import_id == run_id)
                     .values(erfasst_am=when))


@pytest.fixture
def two_imports(bare):
    """Import 1 (100 days ago): Telgte L1 online (no date), L2 in Bearbeitung.
    Import 2 (20 days ago): Telgte L2 online (no date), Ahlen L1 online since 40 days ago."""
    store = services(bare).store
    _, by_tf = _catalogue(store)
    l1, l2 = by_tf[sorted(by_tf)[0]][:2]
    day1, day2 = TODAY - dt.timedelta(days=100), TODAY - dt.timedelta(days=20)
    r1 = store.apply([_rec(A, l1), _rec(A, l2, "in Bearbeitung")], by="anna")
    _move_run(store, r1.import_id, day1)
    r2 = store.apply([_rec(A, l2), _rec(B, l1, seit=TODAY - dt.timedelta(days=40))], by="ben")
    _move_run(store, r2.import_id, day2)
    return {"client": bare.test_client(), "day1": day1, "day2": day2,
            "total": sum(len(v) for v in by_tf.values())}


def test_import_history_per_day(two_imports):
    t, c = two_imports, two_imports["client"]
    body = _get(c, f"/api/statistik/importe?ags={A}").get_json()["importe"]
    assert [(x["datum"], x["online"], x["angelegt"], x["geaendert"]) for x in body] == [
        (t["day1"].isoformat(), 1, 2, 0), (t["day2"].isoformat(), 2, 0, 1)]
    kreis = _get(c, f"/api/statistik/importe?kreis={WAF}").get_json()["importe"]
    assert [(x["online"], x["angelegt"], x["geaendert"]) for x in kreis] == [(1, 2, 0), (3, 1, 1)]
    planung = _get(c, f"/api/statistik/importe?ags={A}&status=in%20Planung").get_json()
    assert [x["online"] for x in planung["importe"]] == [2, 2]
    rows = _csv(_get(c, f"/api/statistik/importe?ags={A}&format=csv"))
    assert [r["datum"] for r in rows] == [t["day1"].isoformat(), t["day2"].isoformat()]


def test_course_over_time_by_online_date(two_imports):
    t, c = two_imports, two_imports["client"]
    # Telgte: L1 online since import 1 (no 'seit'), L2 since import 2, when it became umgesetzt
    dates = [t["day1"], t["day2"]]
    points = _get(c, f"/api/statistik/verlauf?ags={A}").get_json()["verlauf"]["punkte"]
    assert points[0]["monat"] == t["day1"].strftime("%Y-%m")
    assert points[-1]["monat"] == TODAY.strftime("%Y-%m")
    for p in points:
        end = dt.date.fromisoformat(p["stichtag"])
        assert p["anteil"] == round(sum(d <= end for d in dates) / t["total"], 4)
        assert p["neu"] == sum(d.strftime("%Y-%m") == p["monat"] for d in dates)
    # at least 'in Planung': L2 counts from import 1 on
    planung = _get(c, f"/api/statistik/verlauf?ags={A}&status=in%20Planung").get_json()
    assert planung["verlauf"]["punkte"][0]["anteil"] == round(2 / t["total"], 4)


def test_newly_online_in_30_and_90_days(two_imports):
    t, c = two_imports, two_imports["client"]
    neu30 = _get(c, f"/api/statistik/neu?kreis={WAF}").get_json()["neu"]
    assert neu30["tage"] == 30 and neu30["anzahl"] == 1   # Telgte L2 (20 days ago)
    assert neu30["kreise"][0]["name"] == "Kreis Warendorf"
    assert [(i["ags"], i["datum"]) for i in neu30["kreise"][0]["angebote"]] == [
        (A, t["day2"].isoformat())]
    neu90 = _get(c, f"/api/statistik/neu?kreis={WAF}&tage=90").get_json()["neu"]
    # Ahlen's 'seit' (40 days ago) wins over the day it was imported; Telgte L1 is too old
    assert {(i["ags"], i["datum"]) for i in neu90["kreise"][0]["angebote"]} == {
        (B, (TODAY - dt.timedelta(days=40)).isoformat()), (A, t["day2"].isoformat())}
    nrw = _get(c, "/api/statistik/neu?tage=90").get_json()["neu"]
    assert len(nrw["kreise"]) == 53 and nrw["kreise"][0]["ags"] == WAF
    assert sum(g["anzahl"] for g in nrw["kreise"]) == 2
    html = _get(c, f"/statistik?kreis={WAF}&tage=90").get_data(as_text=True)
    assert t["day1"].strftime("%d.%m.%Y") in html and t["day2"].strftime("%d.%m.%Y") in html
    assert "2 Angebote gingen" in html


# --- bodies side by side --------------------------------------------------------------------

def test_comparison_side_by_side_with_caution(known):
    k, c = known, known["client"]
    data = _get(c, f"/api/statistik/vergleich?vergleich={WAF},{COE},{A},{WAF}").get_json()
    v = data["vergleich"]
    assert [b["ags"] for b in v["gebiete"]] == [WAF, COE, A]       # duplicates dropped
    waf, coe, telgte = v["gebiete"]
    assert (waf["online"], waf["art"]) == (1, "Kreis") and coe["anteil"] is None
    assert telgte["anteil"] == _share(k, A) and telgte["art"] == "kreisangehörige Gemeinde"
    assert waf["mittel_gemeinden"] == pytest.approx(_kreis_mean(k, WAF), abs=1e-4)
    assert telgte["themen"][str(k["ta"])] == _share(k, A, themenfeld=k["ta"])
    assert v["hinweis"] and "nicht direkt vergleichbar" in v["hinweis"]
    same = _get(c, f"/api/statistik/vergleich?vergleich={A},{B}").get_json()["vergleich"]
    assert same["hinweis"] is None
    html = _get(c, f"/statistik?vergleich={PARTNER}").get_data(as_text=True)
    assert "Vorsicht beim Vergleich" in html and "Kreis Coesfeld" in html
    assert html.count('id="c-vergleich"') == 1
    rows = _csv(_get(c, f"/api/statistik/vergleich?vergleich={PARTNER}&format=csv"))
    assert [r["ags"] for r in rows] == PARTNER.split(",")


def test_partner_link_on_the_page(known):
    html = _get(known["client"], "/statistik").get_data(as_text=True)
    assert f"vergleich={PARTNER}" in html.replace("%2C", ",")


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("query,parameter", [
    ("vergleich=0557", "vergleich"), ("vergleich=05570,,05558", "vergleich"),
    ("vergleich=05", "vergleich"), ("vergleich=" + ",".join(["05570004", "05570008", "05570012",
                                    "05570016", "05570020", "05570024", "05570028",
                                    "05570032", "05570036"]), "vergleich"),
    ("vergleich=05570,%D9%A0%D9%A5%D9%A5%D9%A7%D9%A0", "vergleich"), ("ags=123", "ags"),
    (f"ags={C}&kreis={WAF}", "ags"), ("tage=7", "tage"),
    ("tage=30&tage=90", "tage"), ("themenfeld=99", "themenfeld"), ("kreis=5570", "kreis"),
    ("status=fertig", "status"), ("unbekannt=1", "unbekannt")])
def test_bad_parameters_give_400_naming_them(known, query, parameter):
    c = known["client"]
    err = _get(c, f"/api/statistik?{query}", 400).get_json()["error"]
    assert err["parameter"] == parameter
    if parameter != "unbekannt":   # pages ignore unknown parameters
        page = _get(c, f"/statistik?{query}", 400)
        assert page.mimetype == "text/html" and f"<code>{parameter}</code>" in \
            page.get_data(as_text=True)


def test_unknown_bodies_404_in_the_api_400_on_the_page(known):
    c = known["client"]
    for q in ("vergleich=05570,05999", "ags=05570999"):
        assert _get(c, f"/api/statistik?{q}", 404).get_json()["error"]["status"] == 404
        assert "Kein Gebiet" in _get(c, f"/statistik?{q}", 400).get_data(as_text=True)
    assert _get(c, "/statistik?utm_source=x").status_code == 200


def test_parts_and_formats(known):
    c = known["client"]
    assert _get(c, "/api/statistik/gibtsnicht", 404).get_json()["error"]["status"] == 404
    err = _get(c, "/api/statistik/kreise?format=xml", 400).get_json()["error"]
    assert err["parameter"] == "format"
    assert _get(c, "/api/statistik/vergleich", 400).get_json()["error"]["parameter"] == \
        "vergleich"
    assert _get(c, "/api/statistik?format=csv", 400).get_json()["error"]["parameter"] == \
        "format"


# --- charts ----------------------------------------------------------------------------------

def _contrast(a: str, b: str = "#ffffff") -> float:
    def lum(h):
        c = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_chart_labels_are_escaped_and_colours_meet_aa():
    bars = [svg.Bar('<script>alert("x")</script> & Co', 0.5, "50 %", True),
            svg.Bar("b", None, "keine Daten")]
    out = str(svg.bar_chart("t1", "Titel <b>", "Beschreibung & mehr", bars, (0.3, "Mittel")))
    out += str(svg.grouped_bar_chart("t2", "T", "D", [("Gruppe", [(0.2, "20 %")] * 8)]))
    out += str(svg.line_chart("t3", "T", "D", [dt.date(2024, m, 28) for m in range(1, 4)],
                              [0.1, 0.2, 0.3]))
    out += str(svg.column_chart("t4", "T", "D", ["01.01.2026", "02.01.2026"], [3, 7]))
    assert "<script>" not in out and "&lt;script&gt;" in out and "Titel &lt;b&gt;" in out
    assert " style=" not in out
    for tag, colour in re.findall(r"<(text|rect|line|circle|polyline)[^>]*?"
                                  r"(?:fill|stroke)=\"(#[0-9a-f]{6})\"", out):
        if colour == svg.TRACK:
            continue   # the 0–100 % track is decoration
        assert _contrast(colour) >= (4.5 if tag == "text" else 3.0), (tag, colour)


# --- on the full Beispieldaten store --------------------------------------------------------

def test_sample_store_figures_agree_across_views(client):
    data = _get(client, f"/api/statistik?ags={A}&vergleich={PARTNER}").get_json()
    z = data["zusammenfassung"]
    assert data["beispieldaten"] is True
    row = next(r for r in _get(client, f"/api/umsetzung?kreis={WAF}").get_json()["gebiete"]
               if r["ags"] == A)
    assert (z["online"], z["anteil"]) == (row["online"], row["anteil"])
    assert data["importe"][-1]["online"] == z["online"]     # the stock now = the figure now
    assert data["verlauf"]["punkte"][-1]["anteil"] <= z["anteil"]
    assert [b["ags"] for b in data["vergleich"]["gebiete"]] == PARTNER.split(",")
    html = _get(client, "/statistik").get_data(as_text=True)
    assert "Beispieldaten:" in html and html.count('role="img"') >= 6
