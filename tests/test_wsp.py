"""Real Land-level data: the Wirtschafts-Service-Portal.NRW list of live services.

Every expected figure is read from the list itself (openpyxl) and the store's catalogue, never
typed in. The session database (conftest: ``ozgmap init``) already holds the list.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from ozgmap import config, importer, sample, services

TELGTE = "05570044"
LAND = "05"
#: Stelle texts that say a row is no service of its own in NRW (docs/import.md, layout 3)
NOT_NRW = ("Keine Zuständigkeit in NRW", "mit abgedeckt")


def _mirror() -> Path:
    path = Path(config.default_data_dir() or "") / config.WSP_FILE
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"WSP.NRW-Liste fehlt: {path}")
        pytest.skip(f"WSP.NRW-Liste nicht im Datenverzeichnis: {path}")
    return path


@pytest.fixture(scope="module")
def wsp_file() -> Path:
    return _mirror()


@pytest.fixture(scope="module")
def wsp_rows(wsp_file) -> list[dict]:
    """The data rows of the list, keyed by the lower-cased header, with their row number."""
    wb = openpyxl.load_workbook(wsp_file, read_only=True, data_only=True)
    rows = wb["Live WSP 11.11"].iter_rows(values_only=True)
    header = [str(h).strip().lower() for h in next(rows)]
    out = []
    for line, values in enumerate(rows, start=2):
        if any(v not in (None, "") for v in values):
            out.append({**dict(zip(header, values)), "zeile": line})
    wb.close()
    return out


def _link(row: dict) -> str:
    path = row["landingpage"] or row["direktlink (nur ods ohne landingpage)"] or ""
    return config.WSP_BASE_URL + path if path else ""


@pytest.fixture(scope="module")
def expected(wsp_rows) -> dict[str, dict]:
    """The rows that become records, by LeiKa key (a key listed twice counts once)."""
    out: dict[str, dict] = {}
    for r in wsp_rows:
        if not any(s in r["stelle"] for s in NOT_NRW):
            out.setdefault(str(r["nummer"]), r)
    return out


@pytest.fixture
def leika(store) -> dict[str, str]:
    """The catalogue's LeiKa key -> OZG-ID ('' where it links none)."""
    return {r["leika_key"]: r["ozg_id"] or "" for r in store.leika_rows() if r["leika_key"]}


def wsp_records(store) -> list[dict]:
    return [r for r in store.records(ags=LAND) if r["quelle"] == config.WSP_SOURCE]


def items(body: dict) -> list[dict]:
    return [o for t in body["themenfelder"] for o in t["leistungen"]]


# --- the import --------------------------------------------------------------------------------

def test_init_loads_every_row_as_a_land_record(store, wsp_rows, expected, leika):
    recs = {r["leika_key"]: r for r in wsp_records(store)}
    assert set(recs) == set(expected) and len(recs) < len(wsp_rows)
    for key, row in expected.items():
        r = recs[key]
        assert (r["ozg_id"], r["flaechendeckung"], r["url"], r["stelle"]) == (
            leika.get(key, ""), "landesweit flächendeckend", _link(row),
            " ".join(row["stelle"].split()))
        no_ap = "keine AP" in row["stelle"] or row["live"] != "Ja"
        assert r["status"] == ("in Bearbeitung" if no_ap else "umgesetzt")
        assert r["seit"] == (None if no_ap else config.WSP_STAND)


def test_import_reports_rows_and_unknown_leika_keys(app, runner, store, wsp_file, expected,
                                                    leika):
    unknown = sorted(k for k in expected if not leika.get(k))
    assert 0 < len(unknown) < len(expected)
    report = importer.import_file(store, wsp_file, by="t", dry_run=True)
    assert (report.layout, report.rows, report.unknown_leika) == (
        "wsp", len(expected), len(unknown))
    assert len([r for r in wsp_records(store) if r["ozg_id"] == ""]) == len(unknown)
    result = runner.invoke(args=["import", str(wsp_file)])
    assert result.exit_code == 0, result.output
    first = min(unknown, key=lambda k: expected[k]["zeile"])
    assert (f"Hinweis: {importer.german_int(len(unknown))} Zeilen mit LeiKa-Schlüssel"
            in result.output)
    assert f"Zeile {expected[first]['zeile']}: {first}" in result.output


def test_rows_of_no_nrw_service_and_repeated_rows_are_reported(store, wsp_file, wsp_rows,
                                                               expected):
    report = importer.import_file(store, wsp_file, by="t", dry_run=True)
    text = "\n".join(report.notes)
    skipped = [r for r in wsp_rows if any(s in r["stelle"] for s in NOT_NRW)]
    repeated = len(wsp_rows) - len(skipped) - len(expected)
    assert skipped and repeated
    for r in skipped:
        assert f"Zeile {r['zeile']}: {r['nummer']}" in text
    assert f"{repeated} Zeile{'n' if repeated > 1 else ''} doppelt" in text


def test_reimport_of_the_same_list_changes_nothing(runner, store, wsp_file, expected):
    before = (store.records(), store.history(), store.data_version())
    result = runner.invoke(args=["import", str(wsp_file)])
    assert result.exit_code == 0, result.output
    n = importer.german_int(len(expected))
    assert f"Importiert: 0 neu, 0 geändert, {n} unverändert." in result.output
    assert (store.records(), store.history(), store.data_version()) == before


def test_detect_layout_from_the_real_header(wsp_file):
    layout, header, rows = importer.read_table(wsp_file)
    assert layout == "wsp" and importer.detect_layout(header) == "wsp"
    with pytest.raises(importer.ImportFailed, match="Pflichtspalten fehlen: stelle"):
        importer.detect_layout([h for h in header if h != "stelle"], file="x.xlsx")


def _copy_with(tmp_path: Path, wsp_file: Path, changes: dict[int, dict]) -> Path:
    """The real list with some cells changed (row number -> {column: value})."""
    wb = openpyxl.load_workbook(wsp_file)
    ws = wb["Live WSP 11.11"]
    header = [str(c.value).strip().lower() for c in ws[1]]
    for line, cells in changes.items():
        for col, value in cells.items():
            ws.cell(row=line, column=header.index(col) + 1, value=value)
    path = tmp_path / "Live-kopie.xlsx"
    wb.save(path)
    return path


def test_bad_rows_are_refused_with_line_and_column(runner, store, tmp_path, wsp_file,
                                                   expected):
    a, b, c = [r["zeile"] for r in expected.values()][:3]
    bad = _copy_with(tmp_path, wsp_file, {a: {"live": "vielleicht"}, b: {"nummer": "123"},
                                          c: {"landingpage": "antrag ohne schrägstrich"}})
    before = (store.records(), store.data_version())
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 1
    assert f"Live-kopie.xlsx, Zeile {a}, Spalte live: 'vielleicht'" in result.output
    assert f"Live-kopie.xlsx, Zeile {b}, Spalte nummer: '123'" in result.output
    assert f"Live-kopie.xlsx, Zeile {c}, Spalte landingpage:" in result.output
    assert "Nichts importiert: 3 Fehler." in result.output
    assert (store.records(), store.data_version()) == before


def test_other_list_versions_name_their_file_and_live_nein_is_in_bearbeitung(
        store, tmp_path, wsp_file, expected):
    key, row = next((k, r) for k, r in expected.items()
                    if r["live"] == "Ja" and "keine AP" not in r["stelle"])
    path = _copy_with(tmp_path, wsp_file, {row["zeile"]: {"live": "Nein"}})
    layout, records = importer.validate(store, path)
    assert layout == "wsp" and len(records) == len(expected)
    assert {r["quelle"] for r in records} == {
        importer.WSP_OTHER_SOURCE.format(name=path.name)}
    assert all(r["seit"] is None for r in records)  # Stand unknown for another file
    rec = next(r for r in records if r["leika_key"] == key)
    assert rec["status"] == "in Bearbeitung"


# --- what the map, table and API show -----------------------------------------------------

@pytest.fixture
def shown(store) -> list[dict]:
    """WSP records that count on the map: umgesetzt and mapped to an OZG-Leistung."""
    return [r for r in wsp_records(store) if r["ozg_id"] and r["status"] == "umgesetzt"]


def test_telgte_gets_wsp_services_for_residents_not_as_own_offers(client, shown):
    assert shown
    body = client.get(f"/api/gebiete/{TELGTE}").get_json()
    got = {(o["anbieter_ags"], o["ozg_id"], o["leika_key"]) for o in items(body)
           if o["quelle"] == config.WSP_SOURCE}
    assert got == {(LAND, r["ozg_id"], r["leika_key"]) for r in shown}
    wsp = [o for o in items(body) if o["quelle"] == config.WSP_SOURCE]
    assert all(o["beispieldaten"] is False and o["anbieter"] == "Land" for o in wsp)
    assert any(o["beispieldaten"] for o in items(body))  # sample data still there, labelled
    own = client.get(f"/api/gebiete/{TELGTE}?ansicht=eigene").get_json()
    assert not [o for o in items(own) if o["quelle"] == config.WSP_SOURCE]
    assert {o["anbieter_ags"] for o in items(own)} <= {TELGTE}


def test_detail_html_credits_real_and_labels_sample_records(client, shown):
    html = client.get(f"/?gebiet={TELGTE}").get_data(as_text=True)
    assert config.CREDIT_WSP in html
    assert '<span class="source sample">Quelle: Beispieldaten</span>' in html
    assert shown[0]["url"] in html and f"LeiKa {shown[0]['leika_key']}" in html


def test_nur_echt_leaves_only_the_real_records(client, store, shown):
    body = client.get(f"/api/gebiete/{TELGTE}?nur_echt=1").get_json()
    assert {(o["anbieter_ags"], o["ozg_id"], o["leika_key"]) for o in items(body)} == {
        (LAND, r["ozg_id"], r["leika_key"]) for r in shown}
    assert {o["quelle"] for o in items(body)} == {config.WSP_SOURCE}
    kommunal = {lst["ozg_id"] for lst in store.leistungen() if lst["kommunal"]}
    online = len({r["ozg_id"] for r in shown} & kommunal)
    fig = {r["ags"]: r for r in client.get("/api/umsetzung?nur_echt=1").get_json()["gebiete"]}
    assert (fig[TELGTE]["online"], fig[TELGTE]["eigene"], fig[TELGTE]["vom_land_bund"]) == (
        online, 0, online)
    geo = client.get("/api/gebiete?nur_echt=1").get_json()
    props = next(f["properties"] for f in geo["features"] if f["properties"]["ags"] == TELGTE)
    assert props["online"] == online
    table = client.get("/api/tabelle?nur_echt=1").get_json()
    assert next(r for r in table["gebiete"] if r["ags"] == TELGTE)["online"] == online
    own = client.get("/api/umsetzung?nur_echt=1&ansicht=eigene").get_json()["gebiete"]
    assert all(r["online"] is None for r in own)  # no real own offers anywhere: "keine Daten"
    full = {r["ags"]: r for r in client.get("/api/umsetzung").get_json()["gebiete"]}
    assert full[TELGTE]["online"] >= online


# --- Beispieldaten -------------------------------------------------------------------------

def test_sample_invents_no_land_offer_the_list_covers(store, shown):
    covered = {r["ozg_id"] for r in wsp_records(store) if r["ozg_id"]}
    sample_land = {r["ozg_id"] for r in store.records(ags=LAND)
                   if r["quelle"] == config.SAMPLE_SOURCE}
    assert covered and sample_land and not covered & sample_land
    gebiete, leistungen = store.gebiete(), store.leistungen()
    real = sample.real_land_offers(store.records(ags=LAND))
    assert real == {LAND: covered}
    plain = sample.generate(gebiete, leistungen)
    assert [r for r in plain if r["ags"] == LAND and r["ozg_id"] in covered]
    assert sample.generate(gebiete, leistungen, exclude_land=real) == [
        r for r in plain if not (r["ags"] == LAND and r["ozg_id"] in covered)]


# --- init with and without the mirror ------------------------------------------------------

def test_init_skips_missing_list_and_refuses_a_wrong_one(empty_app, tmp_path, wsp_file,
                                                         expected):
    data = tmp_path / "data"
    (data / config.CATALOG_FILE).parent.mkdir(parents=True)
    shutil.copy(wsp_file.parent.parent / config.CATALOG_FILE, data / config.CATALOG_FILE)
    empty_app.config["OZGMAP_DATA_DIR"] = str(data)
    runner = empty_app.test_cli_runner()
    store = services(empty_app).store
    result = runner.invoke(args=["init", "--no-sample"])
    assert result.exit_code == 0, result.output
    assert "WSP.NRW-Liste: wsp-nrw/Live-11.11-1.xlsx nicht im Datenverzeichnis" in result.output
    assert store.records() == []
    (data / config.WSP_FILE).parent.mkdir()
    raw = wsp_file.read_bytes()
    (data / config.WSP_FILE).write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))  # one bit off
    result = runner.invoke(args=["init", "--no-sample"])
    assert result.exit_code == 1 and "sha256" in result.output
    assert store.records() == []
    shutil.copy(wsp_file, data / config.WSP_FILE)
    result = runner.invoke(args=["init", "--no-sample"])
    assert result.exit_code == 0, result.output
    n = importer.german_int(len(expected))
    assert f"{n} Dienste landesweit: {n} neu" in result.output
    assert {r["leika_key"] for r in store.records()} == set(expected)
    before = (store.records(), store.history())
    result = runner.invoke(args=["init", "--no-sample"])
    assert f"{n} Dienste landesweit: 0 neu, 0 geändert, {n} unverändert" in result.output
    assert (store.records(), store.history()) == before
