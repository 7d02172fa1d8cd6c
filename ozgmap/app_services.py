"""The store, the boundaries and the coverage cache of one app, shared by the web layer and
the CLI (one :class:`Services` per app and process)."""
from __future__ import annotations

from flask import Flask, current_app

from .boundaries import KREISWEISE_AB, Boundaries
from .coverage import Coverage
from .filters import Filter
from .store import Store


class Services:
    """The store, the boundaries and the coverage cache of one app (one per process)."""

    def __init__(self, config: dict):
        self.config = config
        self.store = Store(config["OZGMAP_DATABASE_URL"])
        self._boundaries: Boundaries | None = None
        self.coverage = Coverage(self.store, float(config["OZGMAP_RELOAD_INTERVAL"]),
                                 config.get("OZGMAP_SNAPSHOT_DIR") or None)

    @property
    def boundaries(self) -> Boundaries:
        if self._boundaries is None:
            self._boundaries = Boundaries.load(
                self.config["OZGMAP_BOUNDARIES_DIR"], self.config["OZGMAP_BOUNDARIES"],
                kreisweise_ab=self.config.get("OZGMAP_KREISWEISE_AB", KREISWEISE_AB))
        return self._boundaries


def services(app: Flask | None = None) -> Services:
    """The :class:`Services` of *app* (default: the current app), created on first use."""
    app = app or current_app
    if "ozgmap" not in app.extensions:
        app.extensions["ozgmap"] = Services(app.config)
    return app.extensions["ozgmap"]


def warm(app: Flask) -> None:
    """Load what the first request of a process would (the data snapshot, the map page), so
    that no visitor waits for it; nothing happens for a store not yet initialised."""
    with app.app_context():
        if not services(app).store.is_initialised():
            return
        services(app).coverage.figure_columns(Filter())  # the default filter's figures
    app.test_client().get("/", headers={"Accept-Encoding": "gzip"})
