"""The implementations store and `ozgmap init`: history kept, writes all-or-nothing, idempotent."""
from __future__ import annotations

import datetime as dt

import pytest

from ozgmap import sample, services
from ozgmap.config import SAMPLE_SOURCE
from ozgmap.store import Store

BACKENDS = ("sqlite", "postgresql")


def _record(store, ags="05570044", **over):
    lst = next(r for r in store.leistungen() if r["kommunal"])
    rec = {"ags": ags, "ozg_id": lst["ozg_id"], "leika_key": "", "status": "umgesetzt",
           "reifegrad": 3, "url": "https://www.telgte.de/online", "seit": dt.date(2024, 5, 1),
           "flaechendeckung": "", "quelle": "Test", "stelle": ""}
    rec.update(over)
    return rec


def test_init_loads_boundaries_catalogue_and_sample(store):
    gebiete = store.gebiete()
    by_level = {lvl: [g for g in gebiete if g["ebene"] == lvl]
                for lvl in ("gemeinde", "kreis", "land", "bund")}
    assert len(by_level["gemeinde"]) == 396 and len(by_level["kreis"]) == 53
    assert [g["ags"] for g in by_level["land"]] == ["05"]
    assert [g["ags"] for g in by_level["bund"]] == ["00"]
    assert len(store.themenfelder()) == 14 and len(store.leistungen()) == 557
    assert len(store.leika_rows()) == 5249
    recs = [r for r in store.records() if r["quelle"] == SAMPLE_SOURCE]
    assert recs
    kommunal = {r["ozg_id"] for r in store.leistungen() if r["kommunal"]}
    assert all(r["ozg_id"] in kommunal for r in recs
               if len(r["ags"]) in (5, 8))  # Kommunen only get kommunal Leistungen
    assert all(r["url"].startswith("https://beispieldaten.example/") for r in recs)
    real = [r for r in store.records() if r["quelle"] != SAMPLE_SOURCE]
    assert real and {r["ags"] for r in real} == {"05"}  # the WSP.NRW list, Land-wide


def test_init_is_idempotent(app, store):
    before = store.records()
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "0 neu, 0 geändert" in result.output
    assert store.records() == before


def test_init_no_sample_on_empty_database(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["init", "--no-sample", "--no-wsp"])
    assert result.exit_code == 0, result.output
    store = services(empty_app).store
    assert store.records() == [] and len(store.leistungen()) == 557


def test_sample_is_reproducible_and_is_what_init_stored(store):
    gebiete, leistungen = store.gebiete(), store.leistungen()
    covered = sample.real_land_offers(store.records(ags="05"))
    first = sample.generate(gebiete, leistungen, exclude_land=covered)
    assert sample.generate(list(reversed(gebiete)), list(reversed(leistungen)),
                           exclude_land=covered) == first
    assert sample.generate(gebiete, leistungen, seed=1, exclude_land=covered) != first
    assert not [r for r in first if r["ags"] == "05" and r["ozg_id"] in covered["05"]]
    keys = ("ags", "ozg_id", "leika_key", "status", "reifegrad", "url", "seit",
            "flaechendeckung", "quelle")
    stored = sorted(tuple(r[k] for k in keys) for r in store.records()
                    if r["quelle"] == SAMPLE_SOURCE)
    assert stored == sorted(tuple(r[k] for k in keys) for r in first)


def test_update_keeps_history(store):
    rec = _record(store)
    assert store.apply([rec], by="anna").added == 1
    res = store.apply([{**rec, "url": "https://www.telgte.de/neu"}], by="ben")
    assert (res.added, res.updated, res.unchanged) == (0, 1, 0)
    hist = store.history(ags="05570044", ozg_id=rec["ozg_id"], leika_key="")
    assert [(h["aktion"], h["url"], h["erfasst_von"]) for h in hist][-2:] == [
        ("angelegt", "https://www.telgte.de/online", "anna"),
        ("geändert", "https://www.telgte.de/neu", "ben")]
    assert store.records(ags="05570044", ozg_id=rec["ozg_id"], quelle="Test")[0]["url"] == \
        "https://www.telgte.de/neu"


def test_same_record_twice_is_unchanged_and_does_not_bump_version(store):
    rec = _record(store)
    store.apply([rec], by="anna")
    v = store.data_version()
    res = store.apply([rec], by="anna")
    assert (res.added, res.updated, res.unchanged) == (0, 0, 1)
    assert store.data_version() == v


def test_failed_write_leaves_store_unchanged(store):
    before, v = store.records(), store.data_version()
    good = _record(store)
    bad = _record(store, ags=None)  # violates NOT NULL inside the same transaction
    with pytest.raises(Exception):
        store.apply([good, bad], by="x")
    assert store.records() == before and store.data_version() == v


def test_delete_keeps_history(store):
    rec = _record(store)
    store.apply([rec], by="anna")
    res = store.delete([(rec["ags"], rec["ozg_id"], "")], by="ben")
    assert res.deleted == 1
    assert not store.records(ags=rec["ags"], ozg_id=rec["ozg_id"], quelle="Test")
    assert store.history(ags=rec["ags"], ozg_id=rec["ozg_id"])[-1]["aktion"] == "gelöscht"


def test_every_land_gets_its_name(tmp_path):

    store = Store(f"sqlite:///{tmp_path / 'laender.sqlite'}")
    store.create_schema()
    store.load_gebiete([{"ags": "09162000", "name": "München", "bez": "Stadt",
                         "kreis_ags": "09162"},
                        {"ags": "05570044", "name": "Telgte", "bez": "Stadt",
                         "kreis_ags": "05570"}],
                       [{"ags": "09162", "name": "München", "bez": "Kreisfreie Stadt"},
                        {"ags": "05570", "name": "Warendorf", "bez": "Kreis"}])
    names = {g["ags"]: g["name"] for g in store.gebiete() if g["ebene"] == "land"}
    assert names == {"05": "Nordrhein-Westfalen", "09": "Bayern"}
