"""Shared fixtures: a store initialised once per session (real boundaries, real catalogue,
Beispieldaten), copied afresh for every test so tests never see each other's writes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ozgmap import create_app, services

ROOT = Path(__file__).resolve().parent.parent


def _app_for(db_path: Path, tmp: Path, **extra):
    return create_app({"TESTING": True,
                       "OZGMAP_DATABASE_URL": f"sqlite:///{db_path}",
                       "OZGMAP_INSTANCE_DIR": str(tmp),
                       "OZGMAP_CACHE_DIR": str(tmp / "cache"),
                       **extra})


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """An `ozgmap init` database (with Beispieldaten), built once per test session."""
    tmp = tmp_path_factory.mktemp("template")
    db = tmp / "ozgmap.sqlite"
    app = _app_for(db, tmp)
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    services(app).store.engine.dispose()
    return db


@pytest.fixture
def app(template_db, tmp_path):
    db = tmp_path / "ozgmap.sqlite"
    shutil.copy(template_db, db)
    app = _app_for(db, tmp_path)
    yield app
    services(app).store.engine.dispose()


@pytest.fixture
def empty_app(tmp_path):
    """An app whose database has not been initialised."""
    app = _app_for(tmp_path / "ozgmap.sqlite", tmp_path)
    yield app
    services(app).store.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def store(app):
    return services(app).store
