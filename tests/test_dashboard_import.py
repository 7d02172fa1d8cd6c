"""`ozgmap import --dashboard` and `ozgmap refresh` against the fake Open-PVOG API on loopback:
pages after a 413, one all-or-nothing import, the cache and resuming, the refresh guard, the
counting rule, real beats sample per body, German errors."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_pvog import STAND, WARENDORF_ARS, FakePvog, gemeinde_ars, warendorf_rows

from ozgmap import create_app, importer, services

TELGTE, ASCHEBERG = "05570044", "05558004"
TELGTE_ARS = gemeinde_ars(TELGTE)
STAND_TEXT = "Stand der PVOG-Daten: 28.11.2026"


@pytest.fixture
def rows(store):
    return warendorf_rows(store)


@pytest.fixture
def api(app, rows, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakePvog(rows) as fake:
        app.config.update(OZGMAP_DASHBOARD_API=fake.url, OZGMAP_DASHBOARD_INTERVAL=0,
                          OZGMAP_DASHBOARD_BACKOFF=0.01, OZGMAP_DASHBOARD_RETRIES=2,
                          OZGMAP_DASHBOARD_TIMEOUT=2, OZGMAP_DASHBOARD_PAGE_SIZE=100)
        yield fake


def run(runner, *args):
    result = runner.invoke(args=[str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def state(store) -> tuple:
    return store.records(), store.imports(), store.data_version(), store.get_meta(
        "dashboard_abruf")


def data_requests(api) -> list[tuple]:
    return [(r["path"], r["query"].get("filetype"), r["query"].get("page"))
            for r in api.requests]


def test_kreis_through_pages_after_413(runner, store, client, api, rows, tmp_path):
    result = run(runner, "import", "--dashboard", "05570")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Region 1 von 1: Warendorf (055700000000, mit übergeordneten und mit " \
           "untergeordneten Gebieten)" in out
    assert "Export zu groß (HTTP 413): lese die Datensätze seitenweise" in out
    assert "Seite 3 von 3: 280 Datensätze" in out and f"{len(rows)} Zeilen" in out
    export, *pages = [r for r in api.requests]
    assert (export["path"], export["query"]["filetype"], export["status"]) == (
        f"/api/v1/data/{WARENDORF_ARS}", "csv", 413)
    assert export["query"]["includeAbove"] == export["query"]["includeBelow"] == "true"
    assert [p["query"]["page"] for p in pages] == ["0", "1", "2"]
    # one import of everything, the Kreis, its 13 Gemeinden, the Land and the Bund
    assert len(rows) == 280
    (run_,) = [i for i in store.imports() if i["format"] == "dashboard"]
    assert run_["added"] + run_["updated"] == len(rows)
    assert run_["datei"].startswith("Open-PVOG 05570 (")
    pvog = store.records(quelle=importer.PVOG_SOURCE)
    assert len(pvog) == len(rows)
    bodies = {r["ags"] for r in pvog}
    assert len({a for a in bodies if len(a) == 8}) == 13
    assert {"05570", "05", "00"} <= bodies
    assert {r["stand"] for r in pvog} == {dt.date(2026, 11, 28)}
    # the cache holds the pages and the joined CSV, under today's date
    day = tmp_path / "cache" / "dashboard" / dt.date.today().isoformat()
    assert sorted(p.name for p in (day / f"{WARENDORF_ARS}-oben-unten.seiten").iterdir()) == [
        "00000.json", "00001.json", "00002.json"]
    assert (day / f"{WARENDORF_ARS}-oben-unten.csv").is_file()

    # the API: real figures for Telgte with the PVOG Stand, no Beispieldaten
    body = client.get(f"/api/gebiete/{TELGTE}").get_json()
    assert body["daten"] == "echt" and body["beispieldaten"] is False
    assert body["stand"] == [{"quelle": importer.PVOG_SOURCE, "stand": STAND,
                              "text": STAND_TEXT}]
    items = [i for t in body["themenfelder"] for i in t["leistungen"]]
    assert items and not any(i["beispieldaten"] for i in items)
    # ... while a Gemeinde of another Kreis still shows labelled sample data
    other = client.get(f"/api/gebiete/{ASCHEBERG}").get_json()
    assert other["daten"] == "Beispieldaten" and other["beispieldaten"] is True
    figures = {r["ags"]: r for r in client.get("/api/umsetzung").get_json()["gebiete"]}
    assert figures[TELGTE]["beispieldaten"] is False
    assert figures[ASCHEBERG]["beispieldaten"] is True

    # the list page says the same
    page = client.get(f"/gebiet/{TELGTE}").get_data(as_text=True)
    assert STAND_TEXT in page and "Die Angaben hier sind" not in page
    assert "Die Angaben hier sind teils erzeugte" in client.get(
        f"/gebiet/{ASCHEBERG}").get_data(as_text=True)
    # the data page names the source with its Stand
    daten = client.get("/daten").get_data(as_text=True)
    assert f"Echte Umsetzungsdaten: {importer.PVOG_SOURCE} ({STAND_TEXT})" in daten
    # the map page: the Stand in Telgte's panel, no Beispieldaten notice there
    html = client.get(f"/?gebiet={TELGTE}").get_data(as_text=True)
    detail = _detail_of(html)
    assert STAND_TEXT in detail and "Beispieldaten" not in detail
    html = client.get(f"/?gebiet={ASCHEBERG}").get_data(as_text=True)
    detail = _detail_of(html)
    # its own offers are sample, the Land's and the Bund's real now
    assert "<strong>Beispieldaten:</strong> Die Angaben hier sind teils erzeugte" in detail


def _detail_of(html: str) -> str:
    """The selection panel of a map page (its section, without the filters beside it)."""
    start = html.index('id="detail"')
    return html[start:html.index("</section>", start)]


def _expected_online(store, ags: str) -> set[str]:
    """A Gemeinde's figure from the stored records by the documented rule, independently:
    every provider is real here (Gemeinde, Kreis, Land: PVOG and WSP.NRW, Bund)."""
    kommunal = {lst["ozg_id"] for lst in store.leistungen() if lst["kommunal"]}
    out = set()
    for p in (ags, ags[:5], ags[:2], "00"):
        for r in store.records(ags=p):
            if r["quelle"] == "Beispieldaten" or r["status"] != "umgesetzt":
                continue
            if r["flaechendeckung"] == "nicht in Auswertung berücksichtigt":
                continue
            if r["flaechendeckung"] == "in mind. einer Kommune verfügbar" and p != ags:
                continue
            out.add(r["ozg_id"])
    return out & kommunal


def test_counting_rule(runner, store, client, api, rows):
    assert run(runner, "import", "--dashboard", "05570").exit_code == 0
    # the fixture has what the rule is about: partial Kreis offers not offered otherwise
    kreis_partial = {r["ozgid"] for r in rows if r["ars"] == WARENDORF_ARS
                     and r["art_flaechendeckung"] == "in mind. einer Kommune verfügbar"}
    expected = _expected_online(store, TELGTE)
    assert kreis_partial - expected
    fig = next(r for r in client.get("/api/umsetzung").get_json()["gebiete"]
               if r["ags"] == TELGTE)
    assert fig["online"] == len(expected)
    stats = client.get(f"/api/statistik?ags={TELGTE}").get_json()  # same rule in the stats
    assert stats["zusammenfassung"]["online"] == stats["importe"][-1]["online"] == len(expected)
    body = client.get(f"/api/gebiete/{TELGTE}").get_json()
    items = [i for t in body["themenfelder"] for i in t["leistungen"]]
    assert not any(i["anbieter"] == "Kreis" and
                   i["flaechendeckung"] == "in mind. einer Kommune verfügbar" for i in items)
    (skipped,) = [i for i in items if not i["gezaehlt"]]
    assert skipped["flaechendeckung"] == "nicht in Auswertung berücksichtigt"
    assert skipped["hinweis"] == "Onlinedienst nur für Verwaltungsmitarbeitende"
    assert body["nicht_gezaehlt"] == 1 and body["anzahl"] == len(items) - 1
    # the Kreis's own panel lists its partial offers
    kreis = client.get("/api/gebiete/05570?ansicht=eigene").get_json()
    assert any(i["flaechendeckung"] == "in mind. einer Kommune verfügbar"
               for t in kreis["themenfelder"] for i in t["leistungen"])
    html = client.get(f"/?gebiet={TELGTE}").get_data(as_text=True)
    assert "nicht gezählt: nicht in Auswertung berücksichtigt – Onlinedienst nur für " \
           "Verwaltungsmitarbeitende" in html
    # the rule is stated in the legend's help text
    assert "„in mind. einer Kommune verfügbar“" in html


def test_all_columns_of_the_export(runner, store, api, rows):
    assert run(runner, "import", "--dashboard", "05570").exit_code == 0
    telgte = {r["leika_key"]: r for r in store.records(ags=TELGTE)}
    by_key = {r["leika_key"]: r for r in rows if r["ars"] == TELGTE_ARS}
    no_aktiv = next(k for k, r in by_key.items() if r["aktiv"] == "")
    assert telgte[no_aktiv]["status"] == "umgesetzt"
    no_ozgid = next(k for k, r in by_key.items() if r["ozgid"] == "")
    assert telgte[no_ozgid]["ozg_id"] == by_key[no_ozgid]["ozgid"] or telgte[no_ozgid]["ozg_id"]
    unknown = next(k for k, r in by_key.items() if r["ozgid"] == "99998")
    assert telgte[unknown]["ozg_id"] == ""  # kept by its LeiKa key, not on the map
    skipped = next(k for k, r in by_key.items() if r["begruendung_nicht_beruecksichtigt"])
    assert telgte[skipped]["hinweis"] == "Onlinedienst nur für Verwaltungsmitarbeitende"


def test_gemeinde_by_ags_as_one_csv_export_with_commas(runner, store, api):
    api.delimiter = ","
    result = run(runner, "import", "--dashboard", TELGTE)
    assert result.exit_code == 0, result.output
    paths = [r["path"] for r in api.requests]
    assert paths[0] == "/api/v1/ars"  # the AGS's ARS (with its Gemeindeverband) from the list
    assert paths[1:] == [f"/api/v1/data/{TELGTE_ARS}"]
    assert api.requests[1]["query"] == {"filetype": "csv", "includeAbove": "true",
                                        "includeBelow": "false"}
    assert len(store.records(ags=TELGTE, quelle=importer.PVOG_SOURCE)) == 22
    assert not store.records(ags="05570008", quelle=importer.PVOG_SOURCE)


def test_datahub_form_and_xlsx(app, runner, store, api):
    app.config["OZGMAP_DASHBOARD_FORM"] = "datahub"
    result = run(runner, "import", "--dashboard", "055700044044", "--dry-run")
    assert result.exit_code == 0, result.output
    (req,) = api.requests
    assert req["path"] == f"/api/public/v1/dash/open-pvog/{TELGTE_ARS}/export"
    assert req["accept"] == "application/octet-stream" and req["status"] == 200
    api.export_limit = 0  # now only the JSON pages
    app.config["OZGMAP_DASHBOARD_FORM"] = "v1"
    result = run(runner, "import", "--dashboard", "05570", "--neu")
    assert result.exit_code == 0, result.output
    assert len(store.records(quelle=importer.PVOG_SOURCE)) == 280


def test_dry_run_shows_what_would_change(runner, store, api, rows):
    before = state(store)
    result = run(runner, "import", "--dashboard", "05570", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"Würde importieren: {len(rows) - 1} neu, 1 geändert, 0 unverändert." in result.output
    assert state(store) == before
    # the second run takes everything from the cache and imports it
    n = len(api.requests)
    result = run(runner, "import", "--dashboard", "05570")
    assert result.exit_code == 0 and f"Importiert: {len(rows) - 1} neu" in result.output
    assert api.requests[n:] == []  # the joined pages are in the cache
    assert "1 Abrufe" not in result.output and "0 Abrufe, 1 aus dem Cache" in result.output


def test_failed_run_resumes_from_the_cache(runner, store, api):
    api.slow = lambda path, q: 5 if q.get("page") == "2" else 0  # > timeout, every time
    before = state(store)
    result = run(runner, "import", "--dashboard", "05570")
    assert result.exit_code == 1
    assert "Nichts importiert: Dashboard-API antwortet nicht richtig, aufgegeben nach 3 " \
           "Versuchen: http://127.0.0.1:" in result.output
    assert "page=2" in result.output and "keine Antwort (Zeitüberschreitung)" in result.output
    assert state(store) == before
    api.slow = lambda path, q: 0
    n = len(api.requests)
    result = run(runner, "import", "--dashboard", "05570")
    assert result.exit_code == 0, result.output
    assert [(r["query"].get("filetype"), r["query"].get("page")) for r in api.requests[n:]] \
        == [("csv", None), (None, "2")]


def test_killed_run_resumes_from_the_cache(app, store, api, tmp_path):
    """A real process, killed while it waits for page 3; the next run asks only for that."""
    api.slow = lambda path, q: 60 if q.get("page") == "2" else 0
    env = {**os.environ, "OZGMAP_DATABASE_URL": app.config["OZGMAP_DATABASE_URL"],
           "OZGMAP_INSTANCE_DIR": str(tmp_path), "OZGMAP_CACHE_DIR": str(tmp_path / "cache"),
           "OZGMAP_DASHBOARD_API": api.url, "OZGMAP_DASHBOARD_INTERVAL": "0",
           "OZGMAP_DASHBOARD_TIMEOUT": "120", "OZGMAP_DASHBOARD_PAGE_SIZE": "100",
           "no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"}
    before = state(store)
    proc = subprocess.Popen([str(Path(sys.executable).parent / "ozgmap"), "import",
                             "--dashboard", "05570"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not any(r["query"].get("page") == "2" for r in api.requests):
            assert time.monotonic() < deadline and proc.poll() is None, proc.stdout.read()
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    assert state(store) == before
    api.slow = lambda path, q: 0
    n = len(api.requests)
    result = app.test_cli_runner().invoke(args=["import", "--dashboard", "05570"])
    assert result.exit_code == 0, result.output
    assert [r["query"].get("page") for r in api.requests[n:]] == [None, "2"]
    assert len(store.records(quelle=importer.PVOG_SOURCE)) == 280


def test_refresh_guard(runner, store, api, rows, tmp_path):
    assert run(runner, "import", "--dashboard", "05570").exit_code == 0
    last = json.loads(store.get_meta("dashboard_abruf"))
    assert last["regionen"] == ["05570"] and last["zeilen"] == {
        f"{WARENDORF_ARS}-oben-unten": len(rows)}
    api.rows = rows[::2]  # the upstream export lost half its rows
    before = state(store)
    result = run(runner, "refresh")
    assert result.exit_code == 1
    reason = (f"Warendorf ({WARENDORF_ARS}, mit übergeordneten und mit untergeordneten "
              f"Gebieten): 140 statt 280 Zeilen beim letzten Import (50% weniger, erlaubt 20%)")
    assert "Aktualisierung angehalten, nichts geschrieben (mit --force trotzdem " \
           f"importieren): {reason}" in result.output
    assert state(store) == before
    log = (tmp_path / "cache" / "dashboard" / "abruf.log").read_text(encoding="utf-8")
    assert f"Aktualisierung angehalten: {reason}" in log
    # a looser limit lets it through; --force too
    result = run(runner, "refresh", "--max-rueckgang", "60", "--dry-run")
    assert result.exit_code == 0 and "Würde importieren: 0 neu" in result.output
    result = run(runner, "refresh", "--force")
    assert result.exit_code == 0, result.output
    assert json.loads(store.get_meta("dashboard_abruf"))["zeilen"][
        f"{WARENDORF_ARS}-oben-unten"] == 140


def test_refresh_without_a_previous_import(runner):
    result = run(runner, "refresh")
    assert result.exit_code == 1 and "Noch kein Import aus der Dashboard-API" in result.output


def test_server_that_keeps_failing(runner, store, api):
    api.always = 503
    before = state(store)
    result = run(runner, "import", "--dashboard", "05570")
    assert result.exit_code == 1
    assert (f"Nichts importiert: Dashboard-API antwortet nicht richtig, aufgegeben nach 3 "
            f"Versuchen: {api.url}v1/data/{WARENDORF_ARS}?filetype=csv&includeAbove=true&"
            f"includeBelow=true – HTTP 503 Service Unavailable") in result.output
    assert len(api.requests) == 3
    assert state(store) == before


def test_bad_keys(runner, store, api):
    before = state(store)
    for key, message in [("0557", "„0557“ ist kein Regionalschlüssel"),
                         ("09162", "„09162“: AGS 09162 ist kein Gebiet in der Datenbank"),
                         ("05570999", "AGS 05570999: keine Region dieses Schlüssels")]:
        result = run(runner, "import", "--dashboard", key)
        assert result.exit_code == 1 and message in result.output, result.output
    assert state(store) == before


def test_land_key_fetches_land_and_each_kreis(runner, store, api):
    result = run(runner, "import", "--dashboard", "05", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Region 1 von 2: Nordrhein-Westfalen (050000000000, mit übergeordneten)" \
        in result.output
    assert "Region 2 von 2: Warendorf (055700000000, mit untergeordneten Gebieten)" \
        in result.output
    assert "Würde importieren: 279 neu" in result.output


def test_invalid_rows_write_nothing(runner, store, api, rows):
    rows[5]["online_status"] = "vielleicht"
    before = state(store)
    result = run(runner, "import", "--dashboard", "05570")
    assert result.exit_code == 1
    assert "-oben-unten.csv, Zeile 7, Spalte online_status: 'vielleicht'" in result.output
    assert "Nichts importiert: 1 Fehler." in result.output
    assert state(store) == before


def test_real_beats_sample_keeps_sample_in_store(runner, store, client, api):
    sample_before = store.records(ags=TELGTE, quelle="Beispieldaten")
    assert sample_before
    assert run(runner, "import", "--dashboard", "05570").exit_code == 0
    assert store.records(ags=TELGTE, quelle="Beispieldaten") == sample_before
    body = client.get(f"/api/gebiete/{TELGTE}").get_json()
    assert not any(i["quelle"] == "Beispieldaten"
                   for t in body["themenfelder"] for i in t["leistungen"])
    assert services(client.application).coverage.snapshot().has_sample  # Ascheberg & co.


def _new_stand_only_moves_the_stand(app, api, rows):
    """A later Stand of the same content: unchanged, the Stand moved, no history row."""
    runner, store = app.test_cli_runner(), services(app).store
    assert run(runner, "import", "--dashboard", "05570").exit_code == 0
    history = len(store.history())
    for r in rows:
        r["datenstand_pvog_import"] = "2026-11-30 02:00:00"
    result = run(runner, "import", "--dashboard", "05570", "--neu")
    assert result.exit_code == 0, result.output
    assert f"Importiert: 0 neu, 0 geändert, {len(rows)} unverändert." in result.output
    assert {r["stand"] for r in store.records(quelle=importer.PVOG_SOURCE)} == {
        dt.date(2026, 11, 30)}
    assert len(store.history()) == history
    body = app.test_client().get(f"/api/gebiete/{TELGTE}").get_json()
    assert body["stand"][0]["text"] == "Stand der PVOG-Daten: 30.11.2026"


def test_new_stand_only_moves_the_stand(app, api, rows):
    _new_stand_only_moves_the_stand(app, api, rows)


def test_import_on_postgresql(request, tmp_path, rows, monkeypatch):
    server = request.getfixturevalue("pg")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with server.database(template="ozgmap_template") as url, FakePvog(rows) as api:
        app = create_app({"TESTING": True, "OZGMAP_DATABASE_URL": url,
                          "OZGMAP_INSTANCE_DIR": str(tmp_path),
                          "OZGMAP_CACHE_DIR": str(tmp_path / "cache"),
                          "OZGMAP_DASHBOARD_API": api.url, "OZGMAP_DASHBOARD_INTERVAL": 0,
                          "OZGMAP_DASHBOARD_PAGE_SIZE": 100})
        try:
            _new_stand_only_moves_the_stand(app, api, rows)
        finally:
            services(app).store.engine.dispose()
