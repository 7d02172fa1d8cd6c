"""Fixtures of the unit tests: the tiny hand-made store of :mod:`tiny`, its snapshot and
coverage."""
from __future__ import annotations

import pytest
from tiny import RECORDS, TinyStore

from ozgmap.coverage import Coverage
from ozgmap.snapshot import Snapshot


@pytest.fixture(scope="module")
def tiny_store() -> TinyStore:
    return TinyStore(RECORDS)


@pytest.fixture(scope="module")
def snap(tiny_store) -> Snapshot:
    return Snapshot.load(tiny_store)


@pytest.fixture(scope="module")
def cov(tiny_store) -> Coverage:
    return Coverage(tiny_store)
