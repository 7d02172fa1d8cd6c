"""`ozgmap import`: both layouts, CSV variants and XLSX, validation, all-or-nothing, download."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
from pathlib import Path

import openpyxl
import pytest

from ozgmap import commands, create_app, importer, services

BACKENDS = ("sqlite", "postgresql")  # every test using the `app` fixture runs on both

OWN = importer.OZGMAP_COLUMNS
DASH = importer.DASHBOARD_COLUMNS
TELGTE, WARENDORF = "05570044", "05570"
TELGTE_ARS, WARENDORF_ARS, NRW_ARS = "055700044044", "055700000000", "050000000000"


# --- helpers -------------------------------------------------------------------------------

def write_csv(path: Path, header: list[str], rows: list[dict], *, delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[dict], *, notes_sheet: bool = False
               ) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if notes_sheet:  # a first sheet without the table: the importer must find the right one
        ws.title = "Hinweise"
        ws.append(["Bitte die Tabelle im nächsten Blatt ausfüllen."])
        ws = wb.create_sheet("Daten")
    ws.append(header)
    for row in rows:
        ws.append([row.get(c) for c in header])
    wb.save(path)
    return path


def snapshot(store) -> tuple:
    """Everything a refused import must leave as it was (history only grows with records)."""
    return store.records(), store.imports(), store.data_version()


def run(runner, *args):
    result = runner.invoke(args=["import", *map(str, args)])
    # bad input must never surface as a Python traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def cat(store):
    """Real catalogue entries: LeiKa rows with distinct OZG-IDs, an unknown key and ID."""
    rows, seen = [], set()
    for r in store.leika_rows():
        if r["leika_key"] and r["ozg_id"] and r["ozg_id"] not in seen:
            rows.append(r)
            seen.add(r["ozg_id"])
    keys = {r["leika_key"] for r in store.leika_rows() if r["leika_key"]}
    ozg_ids = {lst["ozg_id"] for lst in store.leistungen()}
    unknown_key = next(k for k in (str(int(max(keys)) + i).zfill(14) for i in range(1, 99))
                       if k not in keys)
    unknown_ozg = next(str(i) for i in range(99999, 0, -1) if str(i) not in ozg_ids)
    return {"leika": rows, "unknown_key": unknown_key, "unknown_ozg": unknown_ozg}


def own(ags: str, *, ozg_id: str = "", leika_key: str = "", status: str = "umgesetzt",
        **more) -> dict:
    return {"ags": ags, "ozg_id": ozg_id, "leika_key": leika_key, "status": status, **more}


def dash(ars: str, leika: dict, *, online: str = "ok", aktiv: str = "ja",
         flaeche: str = "in mind. einer Kommune verfügbar", ozgid: str | None = None,
         url: str = "https://portal.example/antrag") -> dict:
    return {"leika_key": leika["leika_key"], "leika_name": leika["name"],
            "leika_bezeichnung": leika["name"], "ars": ars, "ars_name": "x",
            "ars_federal_state": "05", "bundesland": "Nordrhein-Westfalen",
            "ozgid": leika["ozg_id"] if ozgid is None else ozgid, "ozg_bezeichnung": "y",
            "url": url, "online_status": online, "aktiv": aktiv,
            "art_flaechendeckung": flaeche}


def key_exists(store, ags, ozg_id, leika_key="") -> bool:
    return bool(store.records(ags=ags, ozg_id=ozg_id, leika_key=leika_key))


# --- ozgmap layout: success, update, history -----------------------------------------------

def test_good_csv_is_imported_and_reimport_is_unchanged(runner, store, cat, tmp_path):
    a, b, c = cat["leika"][:3]
    rows = [own(TELGTE, ozg_id=a["ozg_id"], reifegrad="3", url="https://www.example.org/a",
                seit="01.03.2024", stelle="Bürgerbüro"),
            own(TELGTE, leika_key=b["leika_key"], status="in Planung", quelle="Stadt Telgte"),
            own(WARENDORF, ozg_id=c["ozg_id"], leika_key=c["leika_key"],
                flaechendeckung="kreisweit flächendeckend")]
    path = write_csv(tmp_path / "daten.csv", OWN, rows)
    before = {(r["ags"], r["ozg_id"], r["leika_key"]) for r in store.records()}
    keys = [(TELGTE, a["ozg_id"], ""), (TELGTE, b["ozg_id"], b["leika_key"]),
            (WARENDORF, c["ozg_id"], c["leika_key"])]
    added = sum(k not in before for k in keys)

    result = run(runner, path, "--by", "Test Person")
    assert result.exit_code == 0, result.output
    assert f"Importiert: {added} neu, {3 - added} geändert, 0 unverändert." in result.output

    rec = store.records(ags=TELGTE, ozg_id=a["ozg_id"], leika_key="")[0]
    assert (rec["status"], rec["reifegrad"], rec["url"], rec["seit"], rec["stelle"],
            rec["quelle"], rec["flaechendeckung"], rec["erfasst_von"]) == (
        "umgesetzt", 3, "https://www.example.org/a", dt.date(2024, 3, 1), "Bürgerbüro",
        "daten.csv", "", "Test Person")
    rec = store.records(ags=TELGTE, leika_key=b["leika_key"])[0]
    assert (rec["ozg_id"], rec["status"], rec["reifegrad"], rec["seit"], rec["quelle"]) == (
        b["ozg_id"], "in Planung", None, None, "Stadt Telgte")
    rec = store.records(ags=WARENDORF, leika_key=c["leika_key"])[0]
    assert rec["flaechendeckung"] == "kreisweit flächendeckend"
    run_row = store.imports()[-1]
    assert (run_row["datei"], run_row["format"], run_row["von"], run_row["sha256"]) == (
        "daten.csv", "ozgmap", "Test Person", hashlib.sha256(path.read_bytes()).hexdigest())

    version = store.data_version()
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert "Importiert: 0 neu, 0 geändert, 3 unverändert." in result.output
    assert store.data_version() == version


def test_by_defaults_to_current_user(runner, store, cat, tmp_path):
    leika = cat["leika"][0]
    path = write_csv(tmp_path / "d.csv", OWN, [own(TELGTE, leika_key=leika["leika_key"])])
    assert run(runner, path).exit_code == 0
    assert store.records(ags=TELGTE, leika_key=leika["leika_key"])[0]["erfasst_von"] == \
        commands.whoami()


def test_update_keeps_history(runner, store, cat, tmp_path):
    leika = cat["leika"][0]
    key = {"ags": TELGTE, "ozg_id": leika["ozg_id"], "leika_key": leika["leika_key"]}
    first = write_csv(tmp_path / "v1.csv", OWN, [own(TELGTE, leika_key=leika["leika_key"],
                                                     status="in Planung")])
    second = write_csv(tmp_path / "v2.csv", OWN, [own(TELGTE, leika_key=leika["leika_key"],
                                                      status="umgesetzt", reifegrad="4")])
    assert run(runner, first).exit_code == 0
    result = run(runner, second)
    assert "Importiert: 0 neu, 1 geändert, 0 unverändert." in result.output
    assert store.records(**key)[0]["status"] == "umgesetzt"
    hist = store.history(**key)
    assert [(h["aktion"], h["status"], h["reifegrad"], h["quelle"]) for h in hist] == [
        ("angelegt", "in Planung", None, "v1.csv"), ("geändert", "umgesetzt", 4, "v2.csv")]


def test_template_is_valid_against_the_real_catalogue(store, tmp_path):
    text = importer.template_csv()
    assert text.splitlines()[0] == ";".join(OWN)
    path = tmp_path / "vorlage.csv"
    path.write_bytes(text.encode("utf-8-sig"))
    layout, records = importer.validate(store, path)
    assert layout == "ozgmap" and len(records) == 1
    assert records[0]["ags"] == TELGTE and records[0]["stelle"] == "Bürgerbüro"


@pytest.mark.parametrize("encoding, delimiter", [("cp1252", ";"), ("utf-8-sig", ";"),
                                                 ("utf-8", "\t"), ("utf-8-sig", ",")])
def test_csv_variants_excel_german(runner, store, cat, tmp_path, encoding, delimiter):
    leika = cat["leika"][0]
    rows = [own(WARENDORF, leika_key=leika["leika_key"], stelle="Bürgerbüro Straßenverkehr",
                flaechendeckung="kreisweit flächendeckend", quelle="Kreis Warendorf, Öffentlich")]
    path = write_csv(tmp_path / "Übersicht.csv", OWN, rows, delimiter=delimiter,
                     encoding=encoding)
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    rec = store.records(ags=WARENDORF, leika_key=leika["leika_key"])[0]
    assert (rec["stelle"], rec["flaechendeckung"], rec["quelle"]) == (
        "Bürgerbüro Straßenverkehr", "kreisweit flächendeckend", "Kreis Warendorf, Öffentlich")


def test_xlsx_own_layout_finds_sheet_and_converts_cells(runner, store, cat, tmp_path):
    leika = cat["leika"][0]
    rows = [own(TELGTE, leika_key=leika["leika_key"], reifegrad=2, seit=dt.date(2023, 5, 4),
                url="https://www.example.org/x")]
    path = write_xlsx(tmp_path / "daten.xlsx", OWN, rows, notes_sheet=True)
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    rec = store.records(ags=TELGTE, leika_key=leika["leika_key"])[0]
    assert (rec["reifegrad"], rec["seit"], rec["quelle"]) == (2, dt.date(2023, 5, 4),
                                                              "daten.xlsx")
    assert store.imports()[-1]["format"] == "ozgmap"


def test_xlsx_errors_name_the_row(runner, store, cat, tmp_path):
    leika = cat["leika"][0]
    rows = [own(TELGTE, leika_key=leika["leika_key"]), {}, own("5570044", ozg_id=leika["ozg_id"])]
    path = write_xlsx(tmp_path / "daten.xlsx", OWN, rows)
    result = run(runner, path)
    assert result.exit_code == 1
    assert ("daten.xlsx, Zeile 4, Spalte ags: '5570044' – AGS muss 8 (Gemeinde), 5 (Kreis) "
            "oder 2 (Land) Ziffern haben") in result.output


# --- all or nothing and error reporting ----------------------------------------------------

def test_one_bad_row_writes_nothing(runner, store, cat, tmp_path):
    a, b = cat["leika"][:2]
    rows = [own(TELGTE, leika_key=a["leika_key"]), own("0557004", ozg_id=b["ozg_id"]),
            own(WARENDORF, ozg_id=b["ozg_id"])]
    path = write_csv(tmp_path / "daten.csv", OWN, rows)
    before = snapshot(store)
    result = run(runner, path)
    assert result.exit_code == 1
    assert ("daten.csv, Zeile 3, Spalte ags: '0557004' – AGS muss 8 (Gemeinde), 5 (Kreis) "
            "oder 2 (Land) Ziffern haben") in result.output
    assert "Nichts importiert: 1 Fehler." in result.output
    assert snapshot(store) == before


def test_several_errors_reported_at_once(runner, store, cat, tmp_path):
    a, b = cat["leika"][:2]
    future = (dt.date.today() + dt.timedelta(days=30)).strftime("%d.%m.%Y")
    rows = [
        own("05570099", ozg_id=a["ozg_id"]),                                   # 2 unknown AGS
        own(TELGTE, ozg_id=cat["unknown_ozg"]),                                # 3
        own(TELGTE, ozg_id=a["ozg_id"], status="fertig"),                      # 4
        own(TELGTE, ozg_id=a["ozg_id"], leika_key=a["leika_key"], reifegrad="7"),  # 5
        own(TELGTE, ozg_id=b["ozg_id"], url="ftp://files.example/x"),          # 6
        own(WARENDORF, ozg_id=a["ozg_id"], seit="31.02.2024"),                 # 7
        own(WARENDORF, ozg_id=b["ozg_id"], seit=future),                       # 8
        own("05", ozg_id=a["ozg_id"], quelle="Beispieldaten"),                 # 9
        own("05", ozg_id=a["ozg_id"], leika_key=b["leika_key"]),               # 10 mismatch
        own("00", ozg_id="", status=""),                                       # 11 two errors
        own("05", ozg_id=b["ozg_id"], flaechendeckung="überall"),              # 12
        own("05", ozg_id=b["ozg_id"], leika_key=b["leika_key"],
            url="https://" + "x" * 2000 + ".example"),                         # 13
    ]
    path = write_csv(tmp_path / "daten.csv", OWN, rows)
    before = snapshot(store)
    result = run(runner, path)
    assert result.exit_code == 1
    out = result.output
    expected = [
        "Zeile 2, Spalte ags: '05570099' – AGS unbekannt",
        f"Zeile 3, Spalte ozg_id: '{cat['unknown_ozg']}' – OZG-ID unbekannt",
        "Zeile 4, Spalte status: 'fertig' – Status muss einer von offen, in Planung, "
        "in Bearbeitung, umgesetzt sein",
        "Zeile 5, Spalte reifegrad: '7' – Reifegrad muss leer oder eine Zahl von 0 bis 4 sein",
        "Zeile 6, Spalte url: 'ftp://files.example/x' – URL muss mit http:// oder https://",
        "Zeile 7, Spalte seit: '31.02.2024' – Datum muss die Form",
        f"Zeile 8, Spalte seit: '{future}' – Datum liegt in der Zukunft",
        "Zeile 9, Spalte quelle: 'Beispieldaten' – „Beispieldaten“ ist für erzeugte",
        f"Zeile 10, Spalte ozg_id: '{a['ozg_id']}' – passt nicht zum LeiKa-Schlüssel "
        f"{b['leika_key']} (gehört zur OZG-ID {b['ozg_id']})",
        "Zeile 11, Spalte ozg_id: '' – ozg_id oder leika_key muss angegeben sein",
        "Zeile 11, Spalte status: '' – Pflichtfeld ist leer",
        "Zeile 12, Spalte flaechendeckung: 'überall' – Flächendeckung muss leer oder eines von",
        "Zeile 13, Spalte url: 'https://xxx",
    ]
    for text in expected:
        assert f"daten.csv, {text}" in out, text
    assert "URL ist länger als 2000 Zeichen" in out
    assert f"Nichts importiert: {len(expected)} Fehler." in out
    assert snapshot(store) == before


def test_unknown_and_malformed_leika_key(runner, store, cat, tmp_path):
    rows = [own(TELGTE, leika_key=cat["unknown_key"]), own(TELGTE, leika_key="9901200100")]
    path = write_csv(tmp_path / "daten.csv", OWN, rows)
    result = run(runner, path)
    assert result.exit_code == 1
    assert (f"daten.csv, Zeile 2, Spalte leika_key: '{cat['unknown_key']}' – "
            "LeiKa-Schlüssel unbekannt (nicht im OZG-Katalog)") in result.output
    assert ("daten.csv, Zeile 3, Spalte leika_key: '9901200100' – LeiKa-Schlüssel muss "
            "14 Ziffern haben") in result.output
    assert "ozg_id oder leika_key" not in result.output
    assert "Nichts importiert: 2 Fehler." in result.output


def test_duplicates_in_own_layout(runner, store, cat, tmp_path):
    a = cat["leika"][0]
    rows = [own(TELGTE, ozg_id=a["ozg_id"]), own(TELGTE, leika_key=a["leika_key"]),
            own(TELGTE, ozg_id=a["ozg_id"], status="offen"),
            own(TELGTE, ozg_id=a["ozg_id"], leika_key=a["leika_key"])]
    path = write_csv(tmp_path / "daten.csv", OWN, rows)
    result = run(runner, path)
    assert result.exit_code == 1
    assert (f"daten.csv, Zeile 4, Spalte ags, ozg_id, leika_key: '{TELGTE} / {a['ozg_id']} / ' "
            "– doppelter Eintrag: gleicher Schlüssel wie Zeile 2") in result.output
    assert ("Zeile 5, Spalte ags, ozg_id, leika_key: "
            f"'{TELGTE} / {a['ozg_id']} / {a['leika_key']}' – doppelter Eintrag: gleicher "
            "Schlüssel wie Zeile 3") in result.output
    assert "Nichts importiert: 2 Fehler." in result.output


def test_multiline_cells_are_refused_naming_the_line_they_start_on(runner, store, cat,
                                                                   tmp_path):
    """A field with line breaks is mostly a stray quote that swallowed the next lines
    (issue 19): refused, naming the file line where the field starts."""
    a = cat["leika"][0]
    rows = [own(TELGTE, ozg_id=a["ozg_id"], status="kaputt"),
            own(TELGTE, ozg_id=a["ozg_id"], stelle="Bürgerbüro\nRathaus\nRaum 1")]
    path = write_csv(tmp_path / "daten.csv", OWN, rows)
    result = run(runner, path)
    assert result.exit_code == 1
    assert "daten.csv, Zeile 3: Feld mit Zeilenumbruch" in result.output


def test_row_with_more_values_than_header(runner, store, cat, tmp_path):
    a = cat["leika"][0]
    path = tmp_path / "daten.csv"
    path.write_text(f"ags,ozg_id,status\n{TELGTE},{a['ozg_id']},umgesetzt,zuviel\n",
                    encoding="utf-8")
    result = run(runner, path)
    assert result.exit_code == 1
    assert ("daten.csv, Zeile 2: 'zuviel' – Zeile hat mehr Werte als die Kopfzeile Spalten"
            in result.output)


# --- file-level errors ---------------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    (b"", "daten.csv: Datei ist leer – Datei enthält keine Datenzeilen"),
    (b"\r\n\r\n", "daten.csv: Datei ist leer – Datei enthält keine Datenzeilen"),
    (b"ags;ozg_id;status\r\n", "daten.csv: Datei enthält keine Datenzeilen (nur die Kopfzeile)"),
    (b"ags;ozg_id;status\r\n;;\r\n",
     "daten.csv: Datei enthält keine Datenzeilen (nur die Kopfzeile)"),
    (b"Name,Nummer,Live\nx,1,Ja\n", "daten.csv, Zeile 1: Kopfzeile nicht erkannt"),
    (b";;\n05570044;;umgesetzt\n", "daten.csv, Zeile 1: Kopfzeile nicht erkannt"),
    (b"ags,ozg_id,status,reifgrad\n", "daten.csv, Zeile 1, Spalte 4: 'reifgrad' – unbekannte "
                                      "Spalte (erlaubt: ags, ozg_id,"),
    (b"ags,url,ags\n", "daten.csv, Zeile 1, Spalte 3: 'ags' – Spalte kommt mehrfach vor"),
    (b"ags,url\n", "daten.csv, Zeile 1: Pflichtspalten fehlen: status, ozg_id oder leika_key"),
    (b"ars,leika_key,ozgid\n", "daten.csv, Zeile 1: Pflichtspalten fehlen: url, online_status, "
                               "aktiv, art_flaechendeckung"),
    (random.Random(1).randbytes(5000),
     "daten.csv: Datei ist weder eine CSV-Textdatei (UTF-8 oder Windows-1252) noch eine "
     "Excel-Datei (XLSX)"),
    (b"PK\x03\x04" + random.Random(2).randbytes(500),
     "daten.csv: Excel-Datei lässt sich nicht lesen"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Altes Excel-Format (.xls)"),
    ("ags,status\n".encode("utf-16"), "UTF-16-Text wird nicht unterstützt"),
])
def test_file_level_errors(runner, store, tmp_path, content, message):
    path = tmp_path / "daten.csv"
    path.write_bytes(content)
    before = snapshot(store)
    result = run(runner, path)
    assert result.exit_code == 1
    assert message in result.output
    assert "Nichts importiert:" in result.output
    assert snapshot(store) == before


def test_too_many_rows_and_too_large(runner, store, cat, tmp_path, monkeypatch):
    a = cat["leika"][0]
    path = write_csv(tmp_path / "gross.csv", OWN,
                     [own(g, ozg_id=a["ozg_id"]) for g in (TELGTE, WARENDORF, "05", "00")])
    monkeypatch.setattr(importer.base, "MAX_ROWS", 3)
    result = run(runner, path)
    assert result.exit_code == 1
    assert "gross.csv: Datei hat mehr als 3 Datenzeilen" in result.output
    monkeypatch.setattr(importer.base, "MAX_ROWS", 200_000)
    monkeypatch.setattr(importer.base, "MAX_BYTES", 100)
    result = run(runner, path)
    assert result.exit_code == 1
    assert "gross.csv: Datei ist größer als" in result.output


def test_cli_usage_errors(runner, tmp_path):
    result = run(runner)
    assert result.exit_code == 1
    assert "Bitte genau eine Datei angeben (oder --dashboard ARS…)." in result.output
    result = run(runner, "--dashboard")
    assert result.exit_code == 1
    assert "Bitte mindestens ein Gebiet angeben" in result.output
    result = run(runner, tmp_path / "fehlt.csv")
    assert result.exit_code == 1
    assert "Datei nicht gefunden" in result.output


def test_dry_run_writes_nothing(runner, store, cat, tmp_path):
    a, b = cat["leika"][:2]
    rows = [own(TELGTE, leika_key=a["leika_key"]), own(TELGTE, leika_key=b["leika_key"])]
    path = write_csv(tmp_path / "daten.csv", OWN, rows)
    assert run(runner, write_csv(tmp_path / "eins.csv", OWN, rows[:1])).exit_code == 0
    before = snapshot(store)
    result = run(runner, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert ("Probelauf ohne Fehler, nichts geschrieben. Würde importieren: 1 neu, 1 geändert, "
            "0 unverändert.") in result.output  # row 1 differs in its quelle (file name)
    assert snapshot(store) == before
    report = importer.import_file(store, path, by="t", dry_run=True)
    assert (report.layout, report.rows, report.added, report.updated, report.dry_run) == (
        "ozgmap", 2, 1, 1, True)
    assert snapshot(store) == before


# --- dashboard layout ----------------------------------------------------------------------

def test_ars_to_ags():
    assert importer.ars_to_ags(TELGTE_ARS) == TELGTE
    assert importer.ars_to_ags(WARENDORF_ARS) == WARENDORF
    assert importer.ars_to_ags("055150000000") == "05515"  # Münster, kreisfreie Stadt
    assert importer.ars_to_ags(NRW_ARS) == "05"
    assert importer.ars_to_ags("000000000000") == "00"


def test_dashboard_csv_mapping(runner, store, cat, tmp_path):
    a, b, c, d = cat["leika"][:4]
    rows = [dash(TELGTE_ARS, a),
            dash(TELGTE_ARS, b, online="nicht ok"),
            dash(WARENDORF_ARS, c, aktiv="nein", flaeche="kreisweit flächendeckend", url=""),
            dash(NRW_ARS, d, flaeche="landesweit flächendeckend"),
            dash("000000000000", a, ozgid="", flaeche="bundesweit flächendeckend")]
    path = write_csv(tmp_path / "export.csv", DASH, rows, delimiter=";")
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert "Importiert: 5 neu, 0 geändert, 0 unverändert." in result.output
    quelle = "Dashboard Digitale Verwaltung (Export export.csv)"
    expected = [(TELGTE, a, "umgesetzt", "in mind. einer Kommune verfügbar"),
                (TELGTE, b, "in Bearbeitung", "in mind. einer Kommune verfügbar"),
                (WARENDORF, c, "in Bearbeitung", "kreisweit flächendeckend"),
                ("05", d, "umgesetzt", "landesweit flächendeckend"),
                ("00", a, "umgesetzt", "bundesweit flächendeckend")]  # OZG-ID via LeiKa
    for ags, leika, status, flaeche in expected:
        (rec,) = store.records(ags=ags, leika_key=leika["leika_key"])
        assert (rec["ozg_id"], rec["status"], rec["flaechendeckung"], rec["quelle"],
                rec["reifegrad"], rec["seit"], rec["stelle"]) == (
            leika["ozg_id"], status, flaeche, quelle, None, None, ""), ags
    assert store.records(ags=WARENDORF, leika_key=c["leika_key"])[0]["url"] == ""
    assert store.imports()[-1]["format"] == "dashboard"


def test_dashboard_xlsx(runner, store, cat, tmp_path):
    a = cat["leika"][0]
    path = write_xlsx(tmp_path / "export.xlsx", DASH, [dash(TELGTE_ARS, a)])
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    (rec,) = store.records(ags=TELGTE, leika_key=a["leika_key"])
    assert rec["status"] == "umgesetzt"
    assert rec["quelle"] == "Dashboard Digitale Verwaltung (Export export.xlsx)"


def test_dashboard_errors(runner, store, cat, tmp_path):
    a, b = cat["leika"][:2]
    rows = [dash(TELGTE_ARS, a),
            dash("091620000000", a),                # 3: Land Bayern is not in the database
            dash("05570004404", a),                 # 4: 11 digits
            dash(TELGTE_ARS, dict(a, leika_key="", ozg_id=cat["unknown_ozg"])),  # 5
            dash(TELGTE_ARS, b, online="vielleicht", aktiv="j"),  # 6
            dash(TELGTE_ARS, a, url="https://other.example/"),    # 7: duplicate of line 2
            dash(WARENDORF_ARS, b, flaeche="irgendwo")]           # 8
    path = write_csv(tmp_path / "export.csv", DASH, rows)
    before = snapshot(store)
    result = run(runner, path)
    assert result.exit_code == 1
    out = result.output
    for text in [
        "Zeile 3, Spalte ars: '091620000000' – ARS unbekannt: AGS 09162 ist kein Gebiet",
        "Zeile 4, Spalte ars: '05570004404' – ARS (Regionalschlüssel) muss 12 Ziffern haben",
        f"Zeile 5, Spalte ozgid: '{cat['unknown_ozg']}' – OZG-ID unbekannt (nicht im "
        "OZG-Katalog) und kein LeiKa-Schlüssel",
        "Zeile 6, Spalte online_status: 'vielleicht' – online_status muss „ok“ oder",
        "Zeile 6, Spalte aktiv: 'j' – aktiv muss leer, „ja“ oder „nein“ sein",
        f"Zeile 7, Spalte ars, ozgid, leika_key: '{TELGTE} / {a['ozg_id']} / {a['leika_key']}'"
        " – doppelter Eintrag: gleicher Schlüssel wie Zeile 2",
        "Zeile 8, Spalte art_flaechendeckung: 'irgendwo' – Flächendeckung muss leer",
    ]:
        assert f"export.csv, {text}" in out, text
    assert "Nichts importiert: 7 Fehler." in out
    assert snapshot(store) == before


def test_read_table_and_detect_layout(cat, tmp_path):
    a = cat["leika"][0]
    path = write_csv(tmp_path / "export.csv", [c.upper() for c in DASH],
                     [{c.upper(): v for c, v in dash(TELGTE_ARS, a).items()}])
    layout, header, rows = importer.read_table(path)
    assert (layout, header) == ("dashboard", DASH)
    assert rows[0][0] == 2 and rows[0][1]["ars"] == TELGTE_ARS
    assert importer.detect_layout(["ags", "ozg_id", "status"]) == "ozgmap"
    with pytest.raises(importer.ImportFailed) as err:
        importer.detect_layout(["foo", "bar"], file="x.csv")
    assert err.value.issues[0].line == 1 and str(err.value.issues[0]).startswith("x.csv, Zeile 1")


def test_issue_str():
    issue = importer.ImportIssue("daten.csv", 7, "ags", "0557004",
                                 "AGS muss 8 (Gemeinde), 5 (Kreis) oder 2 (Land) Ziffern haben")
    assert str(issue) == ("daten.csv, Zeile 7, Spalte ags: '0557004' – AGS muss 8 (Gemeinde), "
                          "5 (Kreis) oder 2 (Land) Ziffern haben")


# --- PostgreSQL ----------------------------------------------------------------------------

@pytest.fixture
def pg_app(request, tmp_path):
    """An app on a fresh copy of the initialised PostgreSQL template (skipped without it)."""
    server = request.getfixturevalue("pg")
    server.sql("CREATE DATABASE importer_pg TEMPLATE ozgmap_template")
    app = create_app({"TESTING": True, "OZGMAP_DATABASE_URL": server.url("importer_pg"),
                      "OZGMAP_RELOAD_INTERVAL": 0,
                      "OZGMAP_INSTANCE_DIR": str(tmp_path),
                      "OZGMAP_CACHE_DIR": str(tmp_path / "cache")})
    yield app
    services(app).store.engine.dispose()
    server.sql("DROP DATABASE IF EXISTS importer_pg WITH (FORCE)")


def test_all_or_nothing_on_postgresql(pg_app, tmp_path):
    runner, store = pg_app.test_cli_runner(), services(pg_app).store
    a, b = [r for r in store.leika_rows() if r["leika_key"] and r["ozg_id"]][:2]
    good = [own(TELGTE, leika_key=a["leika_key"], seit="2024-03-01", reifegrad="2"),
            own(WARENDORF, leika_key=b["leika_key"])]
    before = snapshot(store)
    result = run(runner, write_csv(tmp_path / "bad.csv", OWN, good + [own("0557", ozg_id="x")]))
    assert result.exit_code == 1 and "Nichts importiert: 2 Fehler." in result.output
    assert snapshot(store) == before
    result = run(runner, write_csv(tmp_path / "good.csv", OWN, good))
    assert result.exit_code == 0, result.output
    assert "Importiert: 2 neu, 0 geändert, 0 unverändert." in result.output
    (rec,) = store.records(ags=TELGTE, leika_key=a["leika_key"])
    assert (rec["ozg_id"], rec["seit"], rec["reifegrad"]) == (a["ozg_id"], dt.date(2024, 3, 1), 2)
