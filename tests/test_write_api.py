"""The write API /api/umsetzungen: tokens, per-body rights, validation, all-or-nothing."""
from __future__ import annotations

import pytest

from ozgmap import create_app, services

BACKENDS = ("sqlite", "postgresql")
TELGTE, WARENDORF_KREIS, MUENSTER = "05570044", "05570", "05515000"


@pytest.fixture
def kommunal(store) -> list[str]:
    return sorted(r["ozg_id"] for r in store.leistungen() if r["kommunal"])


def _token(store, *bereich: str) -> dict:
    _id, token = store.create_token("Test " + ",".join(bereich), list(bereich), by="test")
    return {"Authorization": f"Bearer {token}"}


def _free_leistung(store, ags: str, kommunal: list[str]) -> str:
    taken = {r["ozg_id"] for r in store.records(ags=ags)}
    return next(o for o in kommunal if o not in taken)


def _rec(ags: str, ozg_id: str, **over) -> dict:
    return {"ags": ags, "ozg_id": ozg_id, "status": "umgesetzt", "reifegrad": 3,
            "url": f"https://www.example.org/{ags}/{ozg_id}", "seit": "2025-03-01", **over}


def test_post_creates_and_records_author_in_history(client, store, kommunal):
    o = _free_leistung(store, TELGTE, kommunal)
    r = client.post("/api/umsetzungen", json=_rec(TELGTE, o), headers=_token(store, TELGTE))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["ergebnis"]["added"] == 1
    [rec] = store.records(ags=TELGTE, ozg_id=o)
    assert rec["status"] == "umgesetzt" and rec["quelle"].startswith("API (")
    assert store.history(ags=TELGTE, ozg_id=o)[-1]["erfasst_von"].startswith("token:")


def test_post_existing_is_409_and_put_replaces_keeping_history(client, store, kommunal):
    o = _free_leistung(store, TELGTE, kommunal)
    h = _token(store, TELGTE)
    assert client.post("/api/umsetzungen", json=[_rec(TELGTE, o)], headers=h).status_code == 201
    again = client.post("/api/umsetzungen", json=[_rec(TELGTE, o)], headers=h)
    assert again.status_code == 409
    put = client.put("/api/umsetzungen", json={"umsetzungen": [
        _rec(TELGTE, o, status="in Bearbeitung")]}, headers=h)
    assert put.status_code == 200 and put.get_json()["ergebnis"]["updated"] == 1
    assert [h_["status"] for h_ in store.history(ags=TELGTE, ozg_id=o)] == [
        "umgesetzt", "in Bearbeitung"]


def test_delete_removes_and_keeps_history(client, store, kommunal):
    o = _free_leistung(store, TELGTE, kommunal)
    h = _token(store, TELGTE)
    client.post("/api/umsetzungen", json=_rec(TELGTE, o), headers=h)
    r = client.delete("/api/umsetzungen", json={"ags": TELGTE, "ozg_id": o}, headers=h)
    assert r.status_code == 200 and r.get_json()["ergebnis"]["deleted"] == 1
    assert not store.records(ags=TELGTE, ozg_id=o)
    assert store.history(ags=TELGTE, ozg_id=o)[-1]["aktion"] == "gelöscht"
    missing = client.delete("/api/umsetzungen", json={"ags": TELGTE, "ozg_id": o}, headers=h)
    assert missing.status_code == 404


def test_kreis_token_writes_kreis_and_its_gemeinden(client, store, kommunal):
    h = _token(store, WARENDORF_KREIS)
    batch = [_rec(WARENDORF_KREIS, _free_leistung(store, WARENDORF_KREIS, kommunal)),
             _rec(TELGTE, _free_leistung(store, TELGTE, kommunal))]
    r = client.post("/api/umsetzungen", json=batch, headers=h)
    assert r.status_code == 201 and r.get_json()["ergebnis"]["added"] == 2


@pytest.mark.parametrize("bereich,target", [
    (TELGTE, "05570052"),            # Gemeinde token, neighbouring Gemeinde
    (TELGTE, WARENDORF_KREIS),       # Gemeinde token, its own Kreis
    (WARENDORF_KREIS, MUENSTER),     # Kreis token, Gemeinde of another Kreis
    (WARENDORF_KREIS, "05"),         # Kreis token, the Land
    (WARENDORF_KREIS, "00"),         # Kreis token, the Bund
])
def test_writing_outside_the_token_is_403_for_every_method(client, store, kommunal,
                                                          bereich, target):
    h = _token(store, bereich)
    v = store.data_version()  # every write bumps it
    o = _free_leistung(store, target, kommunal)
    for method in (client.post, client.put):
        r = method("/api/umsetzungen", json=_rec(target, o), headers=h)
        assert r.status_code == 403, r.get_json()
        assert target in r.get_json()["error"]["message"]
    existing = store.records(ags=target)
    if existing:
        r = client.delete("/api/umsetzungen", json={"ags": target,
                          "ozg_id": existing[0]["ozg_id"]}, headers=h)
        assert r.status_code == 403
    assert store.data_version() == v and not store.records(ags=target, ozg_id=o)


def test_one_forbidden_record_in_a_batch_writes_nothing(client, store, kommunal):
    h = _token(store, TELGTE)
    before = store.records()
    batch = [_rec(TELGTE, _free_leistung(store, TELGTE, kommunal)),
             _rec(MUENSTER, _free_leistung(store, MUENSTER, kommunal))]
    assert client.post("/api/umsetzungen", json=batch, headers=h).status_code == 403
    assert store.records() == before


def test_invalid_records_are_422_with_every_issue_and_nothing_written(client, store,
                                                                      kommunal):
    h = _token(store, TELGTE)
    before = store.records()
    batch = [_rec(TELGTE, _free_leistung(store, TELGTE, kommunal)),
             _rec(TELGTE, "99999", status="fertig", url="javascript:alert(1)")]
    r = client.post("/api/umsetzungen", json=batch, headers=h)
    assert r.status_code == 422
    fields = {d["feld"] for d in r.get_json()["error"]["details"]}
    assert {"ozg_id", "status", "url"} <= fields
    assert all(d["eintrag"] == 2 for d in r.get_json()["error"]["details"])
    assert store.records() == before


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer falsch"},
                                     {"Authorization": "Basic dXNlcjpwdw=="}])
def test_missing_or_wrong_token_is_401(client, store, headers):
    r = client.post("/api/umsetzungen", json=_rec(TELGTE, "10116"), headers=headers)
    assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"]


def test_revoked_token_is_401(client, store, runner, kommunal):
    h = _token(store, TELGTE)
    tid = store.tokens()[-1]["id"]
    assert runner.invoke(args=["token", "revoke", str(tid)]).exit_code == 0
    r = client.post("/api/umsetzungen", json=_rec(TELGTE, kommunal[0]), headers=h)
    assert r.status_code == 401


@pytest.mark.parametrize("kwargs,status", [
    ({"data": "ags=1", "content_type": "application/x-www-form-urlencoded"}, 415),
    ({"data": "{kaputt", "content_type": "application/json"}, 400),
    ({"json": []}, 400),
    ({"json": [1, 2]}, 400),
])
def test_bad_bodies(client, store, kwargs, status):
    r = client.post("/api/umsetzungen", headers=_token(store, TELGTE), **kwargs)
    assert r.status_code == status and r.get_json()["error"]["message"]


def test_token_cli_stores_only_a_hash(runner, store):
    result = runner.invoke(args=["token", "create", "--ags", TELGTE, "--name", "Telgte"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("ozg_")
    row = store.tokens()[-1]
    assert token not in str(row) and row["bereich"] == TELGTE
    assert store.token(token)["id"] == row["id"]
    bad = runner.invoke(args=["token", "create", "--ags", "99999999"])
    assert bad.exit_code != 0 and "unbekannte AGS" in bad.output


def test_write_changes_the_map_figure(client, store, kommunal):
    o = _free_leistung(store, TELGTE, kommunal)
    url = f"/api/umsetzung?kreis=05570&ansicht=eigene&leistung={o}"
    before = {g["ags"]: g["online"] for g in client.get(url).get_json()["gebiete"]}
    client.post("/api/umsetzungen", json=_rec(TELGTE, o), headers=_token(store, TELGTE))
    after = {g["ags"]: g["online"] for g in client.get(url).get_json()["gebiete"]}
    assert after[TELGTE] == 1 and before[TELGTE] == 0
    assert {a: v for a, v in after.items() if a != TELGTE} == \
        {a: v for a, v in before.items() if a != TELGTE}


def test_init_never_overwrites_loaded_data_with_sample(app, client, store):
    sample = next(r for r in store.records(ags=TELGTE))
    h = _token(store, TELGTE)
    client.put("/api/umsetzungen", json=_rec(TELGTE, sample["ozg_id"],
                                             url="https://www.telgte.de/echt"), headers=h)
    assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
    [rec] = store.records(ags=TELGTE, ozg_id=sample["ozg_id"])
    assert rec["url"] == "https://www.telgte.de/echt" and rec["quelle"] != "Beispieldaten"
    assert services(app).store is store


def test_a_write_through_one_worker_is_seen_by_another(app, db_url, tmp_path, store, kommunal):
    """Two app instances on one database stand for two gunicorn workers: the second one's
    cached figures are invalidated by the first one's write (data_version)."""
    other = create_app({"TESTING": True, "OZGMAP_DATABASE_URL": db_url,
                        "OZGMAP_RELOAD_INTERVAL": 0,
                        "OZGMAP_CACHE_DIR": str(tmp_path / "c2")})
    o = _free_leistung(store, TELGTE, kommunal)
    url = f"/api/umsetzung?kreis=05570&ansicht=eigene&leistung={o}"
    figure = {g["ags"]: g["online"] for g in other.test_client().get(url).get_json()["gebiete"]}
    assert figure[TELGTE] == 0
    r = app.test_client().post("/api/umsetzungen", json=_rec(TELGTE, o),
                               headers=_token(store, TELGTE))
    assert r.status_code == 201
    figure = {g["ags"]: g["online"] for g in other.test_client().get(url).get_json()["gebiete"]}
    assert figure[TELGTE] == 1
    services(other).store.engine.dispose()
