"""Schema migrations (Alembic): a fresh database and an old one end at the same schema, and
upgrading keeps the data."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from ozgmap import schema as schema_mod
from ozgmap import store as store_mod
from ozgmap.store import Store

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def empty_url(backend, request, tmp_path):
    if backend == "postgresql":
        with request.getfixturevalue("pg").database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'm.sqlite'}"


def _alembic(conn) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(store_mod.Path(store_mod.__file__).parent
                                                / "migrations"))
    cfg.attributes["connection"] = conn
    return cfg


def test_fresh_database_matches_the_models(empty_url):
    s = Store(empty_url)
    s.create_schema()
    with s.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                schema_mod.metadata)
    s.engine.dispose()
    assert diff == []


def test_upgrade_from_first_release_keeps_data(empty_url):
    eng = sa.create_engine(empty_url.replace("postgresql://", "postgresql+psycopg://"))
    with eng.begin() as conn:
        command.upgrade(_alembic(conn), "0001")
    row = {"ags": "05570044", "ozg_id": "10116", "leika_key": "", "status": "umgesetzt",
           "reifegrad": 3, "url": "https://www.telgte.de/x", "seit": dt.date(2024, 1, 2),
           "flaechendeckung": "", "quelle": "alt", "stelle": "", "erfasst_von": "a",
           "erfasst_am": dt.datetime(2024, 1, 2, 3, 4, 5), "import_id": None}
    with eng.begin() as conn:
        assert not sa.inspect(conn).has_table("api_token")
        conn.execute(store_mod.umsetzung.insert().values(row))
    eng.dispose()
    s = Store(empty_url)
    s.create_schema()  # what `ozgmap init` does on an existing installation
    [kept] = s.records()
    assert {k: kept[k] for k in row} == row
    assert s.tokens() == []  # the new table exists
    s.engine.dispose()
