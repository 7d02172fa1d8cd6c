"""Shared fixtures: a store initialised once per session (real boundaries, real catalogue,
Beispieldaten), copied afresh for every test so tests never see each other's writes.

Modules that list ``BACKENDS = ("sqlite", "postgresql")`` run every test that uses the
``app`` fixture against both databases: PostgreSQL is a real server started for the session
(tests/pgserver.py), each test gets its own database cloned from an initialised template.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import pgserver
from ozgmap import create_app, services

ROOT = Path(__file__).resolve().parent.parent


def _app_for(url_or_path, tmp: Path, **extra):
    url = url_or_path if isinstance(url_or_path, str) else f"sqlite:///{url_or_path}"
    return create_app({"TESTING": True,
                       "OZGMAP_RELOAD_INTERVAL": 0,  # every write seen by the next read
                       "OZGMAP_DATABASE_URL": url,
                       "OZGMAP_INSTANCE_DIR": str(tmp),
                       "OZGMAP_CACHE_DIR": str(tmp / "cache"),
                       **extra})


def _init(app) -> None:
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    services(app).store.engine.dispose()


def pytest_generate_tests(metafunc):
    backends = getattr(metafunc.module, "BACKENDS", ("sqlite",))
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """An `ozgmap init` SQLite database (with Beispieldaten), built once per test session."""
    tmp = tmp_path_factory.mktemp("template")
    db = tmp / "ozgmap.sqlite"
    _init(_app_for(db, tmp))
    return db


@pytest.fixture(scope="session")
def pg():
    """A running PostgreSQL server with an initialised template database."""
    if not pgserver.available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL fehlt: `make test` installiert es (Debian postgresql).")
        pytest.skip("PostgreSQL ist nicht installiert (make test installiert es)")
    with pgserver.PgServer() as server:
        server.sql("CREATE DATABASE ozgmap_template")
        _init(_app_for(server.url("ozgmap_template"), Path(server.dir)))
        yield server


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def db_url(backend, request, tmp_path) -> str:
    """URL of a fresh copy of the initialised database on the chosen backend."""
    if backend == "postgresql":
        with request.getfixturevalue("pg").database(template="ozgmap_template") as url:
            yield url
    else:
        db = tmp_path / "ozgmap.sqlite"
        shutil.copy(request.getfixturevalue("template_db"), db)
        yield f"sqlite:///{db}"


@pytest.fixture
def app(db_url, tmp_path):
    app = _app_for(db_url, tmp_path)
    yield app
    services(app).store.engine.dispose()


@pytest.fixture(scope="session")
def app_copy(template_db, tmp_path_factory):
    """Factory ``app_copy(name, **config)``: a new app over its own copy of the initialised
    SQLite database (for module-scoped apps that many tests share)."""
    apps = []

    def make(name: str = "copy", **config):
        tmp = tmp_path_factory.mktemp(name)
        db = tmp / "ozgmap.sqlite"
        shutil.copy(template_db, db)
        apps.append(_app_for(db, tmp, **config))
        return apps[-1]
    yield make
    for made in apps:
        services(made).store.engine.dispose()


@pytest.fixture(scope="module")
def ro_app(app_copy):
    """One app per test module for read-only tests; fails if any of them wrote to it."""
    app = app_copy("ro")
    store = services(app).store
    version = store.data_version()
    yield app
    assert store.data_version() == version, "a read-only test wrote to the shared store"


@pytest.fixture(scope="module")
def ro_client(ro_app):
    return ro_app.test_client()


@pytest.fixture(scope="module")
def ro_store(ro_app):
    return services(ro_app).store


@pytest.fixture
def empty_app(tmp_path):
    """An app whose (SQLite) database has not been initialised."""
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
