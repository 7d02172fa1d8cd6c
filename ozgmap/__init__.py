"""ozgmap: the OZG-Landkarte — which OZG-Leistungen each Kreis, Stadt and Gemeinde offers online."""
from __future__ import annotations

from flask import Flask

from .app_services import Services, services
from .commands import register_commands
from .config import PROJECT_ROOT, load_config
from .web import register

__all__ = ["Services", "create_app", "services"]


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: settings from the environment, then *test_config* on top."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                static_folder="static")
    app.config.from_mapping(load_config())
    if test_config:
        app.config.update(test_config)
    if not str(app.config["OZGMAP_KREISWEISE_AB"]).strip().isdigit():
        raise ValueError("OZGMAP_KREISWEISE_AB muss eine ganze Zahl sein, nicht "
                         f"'{str(app.config['OZGMAP_KREISWEISE_AB'])[:40]}'.")
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    register(app)
    register_commands(app)
    return app
