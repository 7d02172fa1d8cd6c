"""The Open-PVOG client (ozgmap.sources.dashboard) against the fake API on loopback: paths of
both forms, paging, includeAbove/includeBelow, retries and backoff, timeouts, the polite
interval, German errors naming URL and status."""
from __future__ import annotations

import pytest
from fake_pvog import BUND_ARS, NRW_ARS, WARENDORF_ARS, FakePvog, gemeinde_ars

from ozgmap.sources.dashboard import DashboardClient, DashboardError, ExportTooLarge
from ozgmap.sources.sync import pages_to_csv

TELGTE_ARS = gemeinde_ars("05570044")


def row(ars: str, key: str, **more) -> dict:
    base = {"leika_key": key, "leika_name": "L", "leika_bezeichnung": "L", "ars": ars,
            "ars_name": "N", "ars_federal_state": "05", "bundesland": "NRW", "ozgid": "10559",
            "ozg_bezeichnung": "O", "url": "https://portal.example/x", "online_status": "ok",
            "aktiv": "", "art_flaechendeckung": "in mind. einer Kommune verfügbar",
            "begruendung_nicht_beruecksichtigt": "", "datenstand_pvog_import": "2026-11-28",
            "export_datum": ""}
    return {**base, **more}


ROWS = [row(TELGTE_ARS, "99115003012000"), row(gemeinde_ars("05570008"), "99115003012000"),
        row(WARENDORF_ARS, "99115003012001"), row(NRW_ARS, "99115003012002"),
        row(BUND_ARS, "99115003012003", ozgid="")]


@pytest.fixture
def api(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with FakePvog(list(ROWS), export_limit=4) as fake:
        yield fake


@pytest.fixture
def sleeps():
    return []


def client(api, sleeps, **kw) -> DashboardClient:
    opts = {"interval": 0, "backoff": 0.5, "retries": 2, "timeout": 1, "page_size": 2,
            "sleep": sleeps.append, **kw}
    return DashboardClient(api.url, **opts)


def test_regions_paged(api, sleeps):
    with client(api, sleeps) as c:
        regions = c.regions()
    assert [r["ars"] for r in regions] == sorted(r["ars"] for r in api.regions)
    assert [r["query"]["page"] for r in api.requests] == ["0", "1", "2"]
    assert all(r["query"]["size"] == "2" and r["path"] == "/api/v1/ars" for r in api.requests)


def test_include_above_and_below(api, sleeps):
    with client(api, sleeps, page_size=100) as c:
        def keys(**kw):
            (_n, page), = list(c.record_pages(WARENDORF_ARS, **kw))
            return sorted(r["ars"] for r in page["content"])
        assert keys(include_above=False, include_below=False) == [WARENDORF_ARS]
        assert keys(include_above=True, include_below=False) == [
            BUND_ARS, NRW_ARS, WARENDORF_ARS]
        assert keys(include_above=False, include_below=True) == sorted(
            [WARENDORF_ARS, TELGTE_ARS, gemeinde_ars("05570008")])
        body = c.export(TELGTE_ARS, include_above=True, include_below=False, filetype="xlsx")
        assert body[:4] == b"PK\x03\x04"
        with pytest.raises(ExportTooLarge):
            c.export(WARENDORF_ARS, include_above=True, include_below=True)
    assert api.requests[-1]["status"] == 413
    assert api.requests[-1]["query"] == {"filetype": "csv", "includeAbove": "true",
                                         "includeBelow": "true"}


def test_json_pages_to_export_layout(api, sleeps):
    with client(api, sleeps) as c:
        pages = [p for _n, p in c.record_pages(NRW_ARS, include_above=True,
                                               include_below=True)]
    assert len(pages) == 3 and pages[-1]["last"] is True
    text = pages_to_csv(pages).decode()
    lines = text.splitlines()
    assert lines[0].startswith("leika_key;leika_name;") and lines[0].endswith(
        "datenstand_pvog_import;export_datum")
    assert len(lines) == 1 + len(ROWS)
    bund = next(line for line in lines if f";{BUND_ARS};" in line)
    assert ";;" in bund  # ozgid null -> empty, aktiv null -> empty


def test_camel_case_fields_of_the_data_hub():
    page = {"content": [{"leikaKey": "99115003012000", "ars": TELGTE_ARS, "ozgid": 10559,
                         "onlineStatus": "ok", "artFlaechendeckung": "x",
                         "datenstandPvogImport": "2026-11-28"}]}
    header, line = pages_to_csv([page]).decode().splitlines()
    values = dict(zip(header.split(";"), line.split(";")))
    assert (values["leika_key"], values["ozgid"], values["online_status"],
            values["datenstand_pvog_import"]) == ("99115003012000", "10559", "ok",
                                                  "2026-11-28")


def test_datahub_paths_and_accept_header(api, sleeps):
    with client(api, sleeps, form="datahub", page_size=100) as c:
        c.regions()
        list(c.record_pages(TELGTE_ARS, include_above=False, include_below=False))
        assert c.export(TELGTE_ARS, include_above=False, include_below=False).startswith(
            b"leika_key;")
    assert [(r["path"], r["accept"]) for r in api.requests] == [
        ("/api/public/v1/dash/open-ars", "application/json"),
        (f"/api/public/v1/dash/open-pvog/{TELGTE_ARS}", "application/json"),
        (f"/api/public/v1/dash/open-pvog/{TELGTE_ARS}/export", "application/octet-stream")]


def test_retries_with_backoff_on_500_and_429(api, sleeps):
    api.fail = [500, 429]
    with client(api, sleeps) as c:
        assert c.export(TELGTE_ARS, include_above=False, include_below=False)
    assert [r["status"] for r in api.requests] == [500, 429, 200]
    assert sleeps == [0.5, 1.0]  # exponential


def test_slow_answer_times_out_and_is_retried(api, sleeps):
    calls = []

    def slow(path, q):
        calls.append(path)
        return 3 if len(calls) == 1 else 0
    api.slow = slow
    with client(api, sleeps, timeout=0.5) as c:
        assert c.export(TELGTE_ARS, include_above=False, include_below=False)
    assert len(calls) == 2 and sleeps == [0.5]


def test_gives_up_with_german_message(api, sleeps):
    api.always = 500
    with client(api, sleeps) as c, pytest.raises(DashboardError) as err:
        c.export(TELGTE_ARS, include_above=False, include_below=False)
    assert str(err.value) == (
        "Dashboard-API antwortet nicht richtig, aufgegeben nach 3 Versuchen: "
        f"{api.url}v1/data/{TELGTE_ARS}?filetype=csv&includeAbove=false&includeBelow=false"
        " – HTTP 500 Internal Server Error")
    assert len(api.requests) == 3


def test_client_errors_are_not_retried(api, sleeps):
    with client(api, sleeps) as c, pytest.raises(DashboardError) as err:
        c.get("v1/data/123", {})
    assert "lehnt die Anfrage ab" in str(err.value) and "HTTP 400 Bad Request" in str(err.value)
    assert len(api.requests) == 1


def test_unreachable_server(sleeps):
    with DashboardClient("http://127.0.0.1:1/api/", retries=1, backoff=0, interval=0,
                         sleep=sleeps.append) as c, pytest.raises(DashboardError) as err:
        c.regions()
    assert "http://127.0.0.1:1/api/v1/ars?order=asc&page=0&size=500" in str(err.value)
    assert "nicht erreichbar (ConnectError" in str(err.value)


def test_polite_interval(api, sleeps):
    with client(api, sleeps, interval=10) as c:
        c.regions()
    # three requests: the second and third wait (almost) the whole interval
    assert len(sleeps) == 2 and all(9 < s <= 10 for s in sleeps)


def test_bad_settings():
    with pytest.raises(DashboardError, match="OZGMAP_DASHBOARD_FORM muss „v1“ oder"):
        DashboardClient(form="v2")
    with pytest.raises(DashboardError, match="OZGMAP_DASHBOARD_API muss mit http"):
        DashboardClient("ftp://x/api/")
