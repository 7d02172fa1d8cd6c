"""Record ids are never reused (issue 19, defect 4): the history of an id is the history of one
record, on both databases, and the migration that makes it so keeps the data."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from test_migrations import _alembic, empty_url  # noqa: F401 - the fixture

from ozgmap import store as store_mod
from ozgmap.store import Store

BACKENDS = ("sqlite", "postgresql")
TELGTE = "05570044"


def _token(store) -> dict:
    _id, token = store.create_token("ids", [TELGTE], by="test")
    return {"Authorization": f"Bearer {token}"}


def test_put_delete_put_never_gives_a_new_record_an_old_id(client, store):
    h = _token(store)
    free = [r["ozg_id"] for r in store.leistungen() if r["kommunal"]
            and r["ozg_id"] not in {x["ozg_id"] for x in store.records(ags=TELGTE)}]
    a, b = free[:2]
    put = client.put("/api/umsetzungen", json={"ags": TELGTE, "ozg_id": a,
                                                "status": "umgesetzt"}, headers=h)
    assert put.status_code == 200
    [rec_a] = store.records(ags=TELGTE, ozg_id=a)
    assert client.delete("/api/umsetzungen", json={"ags": TELGTE, "ozg_id": a},
                         headers=h).status_code == 200
    put = client.put("/api/umsetzungen", json={"ags": TELGTE, "ozg_id": b,
                                                "status": "umgesetzt"}, headers=h)
    assert put.status_code == 200
    [rec_b] = store.records(ags=TELGTE, ozg_id=b)
    assert rec_b["id"] != rec_a["id"]
    assert [(h_["ozg_id"], h_["aktion"]) for h_ in store.history(umsetzung_id=rec_a["id"])] == [
        (a, "angelegt"), (a, "gelöscht")]


def test_migration_to_never_reused_ids_keeps_the_data(empty_url):  # noqa: F811
    eng = sa.create_engine(empty_url.replace("postgresql://", "postgresql+psycopg://"))
    with eng.begin() as conn:
        command.upgrade(_alembic(conn), "0002")
    rows = [{"id": i, "ags": TELGTE, "ozg_id": str(10000 + i), "leika_key": "",
             "status": "umgesetzt", "reifegrad": None, "url": "", "seit": None,
             "flaechendeckung": "", "quelle": "alt", "stelle": "", "erfasst_von": "a",
             "erfasst_am": dt.datetime(2024, 1, 2, 3, 4, 5), "import_id": None} for i in (1, 2, 3)]
    with eng.begin() as conn:
        conn.execute(store_mod.umsetzung.insert(), rows)
        conn.execute(store_mod.umsetzung_history.insert(), [
            {**{k: v for k, v in r.items() if k != "id"}, "umsetzung_id": r["id"],
             "aktion": "angelegt"} for r in rows] + [
            {**{k: v for k, v in rows[0].items() if k != "id"}, "umsetzung_id": 7,
             "aktion": "gelöscht"}])  # id 7 existed once and was deleted
    eng.dispose()
    s = Store(empty_url)
    s.create_schema()
    assert [{k: r[k] for k in rows[0]} for r in s.records()] == rows
    with s.engine.begin() as conn:
        conn.execute(store_mod.umsetzung.delete().where(store_mod.umsetzung.c.id == 3))
        new_id = conn.execute(store_mod.umsetzung.insert().values(
            {**{k: v for k, v in rows[0].items() if k != "id"}, "ozg_id": "20000"})
        ).inserted_primary_key[0]
    assert new_id > 7  # neither the deleted 3 nor the 7 of the history
    s.engine.dispose()
