"""Web layer: blueprints for pages and the JSON API."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from . import api, pages
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
