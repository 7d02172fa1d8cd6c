"""ozgmap: the OZG-Landkarte — which OZG-Leistungen each Kreis, Stadt and Gemeinde offers online."""
from __future__ import annotations

from flask import Flask, current_app

from .config import PROJECT_ROOT, load_config


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: settings from the environment, then *test_config* on top."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                static_folder="static")
    app.config.from_mapping(load_config())
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from .cli import register_commands
    from .web import register
    register(app)
    register_commands(app)
    return app


class Services:
    """The store, the boundaries and the coverage cache of one app (one per process)."""

    def __init__(self, config: dict):
        from .boundaries import Boundaries
        from .coverage import Coverage
        from .store import Store
        self.config = config
        self.store = Store(config["OZGMAP_DATABASE_URL"])
        self._boundaries: Boundaries | None = None
        self.coverage = Coverage(self.store)

    @property
    def boundaries(self):
        from .boundaries import Boundaries
        if self._boundaries is None:
            self._boundaries = Boundaries.load(self.config["OZGMAP_BOUNDARIES_DIR"],
                                               self.config["OZGMAP_BOUNDARIES"])
        return self._boundaries


def services(app: Flask | None = None) -> Services:
    """The :class:`Services` of *app* (default: the current app), created on first use."""
    app = app or current_app
    if "ozgmap" not in app.extensions:
        app.extensions["ozgmap"] = Services(app.config)
    return app.extensions["ozgmap"]
