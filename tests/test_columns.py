"""The records as shared columns (ozgmap.columns) and the figures as array operations: the
map's figures equal a plain computation over the stored records, for every kind of filter,
and a second process maps the files the first one wrote instead of reading the store again.
"""
from __future__ import annotations

import numpy as np
import pytest

from ozgmap import columns, services
from ozgmap.config import SAMPLE_SOURCE
from ozgmap.filters import STATUS_ORDER
from ozgmap.snapshot import NOT_COUNTED, SOME_KOMMUNEN, Snapshot

TELGTE, WARENDORF_KREIS = "05570044", "05570"
BACKENDS = ("sqlite", "postgresql")  # the store streams the records through each driver


def _record(ags: str, ozg_id: str, status: str = "umgesetzt", flaeche: str = "",
            quelle: str = "Test") -> dict:
    return {"ags": ags, "ozg_id": ozg_id, "leika_key": "", "status": status, "reifegrad": 3,
            "url": f"https://{ags}.example/{ozg_id}", "seit": None,
            "flaechendeckung": flaeche, "quelle": quelle, "stelle": ""}


def _reference(store, ags: str, f: dict, wanted: set[str], gebiete: dict) -> dict | None:
    """The rule of the README in plain Python over full records: the providers for the
    residents (itself, its Kreis, Land and Bund), records of at least the status that count
    for every resident; a body with real records shows no Beispieldaten."""
    def records(p: str) -> list[dict]:
        recs = store.records(ags=p)
        if any(r["quelle"] != SAMPLE_SOURCE for r in recs):
            recs = [r for r in recs if r["quelle"] != SAMPLE_SOURCE]
        if f.get("nur_echt"):
            recs = [r for r in recs if r["quelle"] != SAMPLE_SOURCE]
        return recs
    g = gebiete[ags]
    providers = {"gemeinde": ags}
    if f.get("ansicht") != "eigene":
        if g["kreis_ags"] in gebiete:
            providers["kreis"] = g["kreis_ags"]
        providers.update(land=ags[:2], bund="00")
    min_rank = STATUS_ORDER.index(f.get("status", "umgesetzt"))
    offers, has, sample = {}, False, False
    for level, p in providers.items():
        recs = records(p)
        has = has or bool(recs)
        ok = [r for r in recs if r["status"] in STATUS_ORDER
              and STATUS_ORDER.index(r["status"]) >= min_rank
              and r["flaechendeckung"] != NOT_COUNTED
              and not (r["flaechendeckung"] == SOME_KOMMUNEN and len(p) < 8)
              and r["ozg_id"] in wanted]
        offers[level] = {r["ozg_id"] for r in ok}
        sample = sample or any(r["quelle"] == SAMPLE_SOURCE for r in ok)
    if not has:
        return None
    own, kreis = offers["gemeinde"], offers.get("kreis", set()) - offers["gemeinde"]
    land_bund = (offers.get("land", set()) | offers.get("bund", set())) - own - kreis
    return {"online": len(own | kreis | land_bund), "eigene": len(own),
            "vom_kreis": len(kreis), "vom_land_bund": len(land_bund), "beispieldaten": sample}


@pytest.mark.parametrize("query", [
    {}, {"themenfeld": "6"}, {"status": "in Planung"}, {"nur_echt": "1"},
    {"ansicht": "eigene"}, {"status": "in Bearbeitung", "themenfeld": "3"}])
def test_figures_equal_a_plain_computation_over_the_records(client, store, query):
    snap = services(client.application).coverage.snapshot()
    o = sorted(o for o, lst in snap.leistungen.items() if lst["kommunal"])
    # real records of every kind next to the Beispieldaten: Telgte real (its sample hidden),
    # the Kreis with one offer for all and one only "in mind. einer Kommune", one not counted
    store.apply([_record(TELGTE, o[0]), _record(TELGTE, o[1], "in Bearbeitung"),
                 _record(TELGTE, o[2], flaeche=NOT_COUNTED),
                 _record(WARENDORF_KREIS, o[3], flaeche="kreisweit flächendeckend"),
                 _record(WARENDORF_KREIS, o[4], flaeche=SOME_KOMMUNEN),
                 _record("05", o[5], "in Planung")], by="test")
    j = client.get("/api/umsetzung", query_string={**query, "kreis": WARENDORF_KREIS}).get_json()
    snap = services(client.application).coverage.snapshot()
    f = {k: v for k, v in query.items() if k != "themenfeld"}
    tf = int(query["themenfeld"]) if "themenfeld" in query else None
    wanted = {x for x, lst in snap.leistungen.items() if lst["kommunal"]
              and (tf is None or lst["themenfeld_id"] == tf)}
    assert len(j["gebiete"]) == 13  # the Gemeinden of Kreis Warendorf
    for row in j["gebiete"]:
        ref = _reference(store, row["ags"], f, wanted, snap.gebiete)
        got = None if row["online"] is None else {k: row[k] for k in (
            "online", "eigene", "vom_kreis", "vom_land_bund", "beispieldaten")}
        assert got == ref, row["name"]
        assert row["leistungen_im_filter"] == len(wanted)
    telgte = next(r for r in j["gebiete"] if r["ags"] == TELGTE)
    assert telgte["beispieldaten"] is False or query.get("ansicht") != "eigene"


def test_a_second_process_maps_the_files_the_first_wrote(app, tmp_path, monkeypatch):
    store = services(app).store
    first = Snapshot.load(store, tmp_path)
    built = [d for d in tmp_path.iterdir() if d.is_dir()]
    assert len(built) == 1 and (built[0] / "body.npy").exists()

    def no_build(*_a, **_k):
        raise AssertionError("the store was read again")
    monkeypatch.setattr(columns.Columns, "build", no_build)
    second = Snapshot.load(store, tmp_path)
    assert isinstance(second.cols.body, np.memmap)  # pages of the file, shared
    assert len(second.cols) == len(first.cols) > 100_000 // 100
    assert np.array_equal(second.cols.ozg, first.cols.ozg)
    monkeypatch.undo()
    # every new data version gets its own files; older ones beyond KEEP are removed
    for i in range(columns.KEEP + 1):
        store.apply([_record(TELGTE, sorted(first.leistungen)[i])], by="test")
        Snapshot.load(store, tmp_path)
    versions = [d.name for d in tmp_path.iterdir() if d.is_dir()]
    assert len(versions) == columns.KEEP
    assert f"v{store.data_version()}-" in " ".join(versions)


def test_records_of_a_body_read_from_the_columns(app):
    snap = services(app).coverage.snapshot()
    store = services(app).store
    stored = [(r["ozg_id"], r["leika_key"], r["status"], r["quelle"])
              for r in store.records(ags=TELGTE)]
    assert [(r.ozg_id, r.leika_key, r.status, r.quelle) for r in snap.records_of(TELGTE)] \
        == stored
    assert snap.records_of("99999999") == []
