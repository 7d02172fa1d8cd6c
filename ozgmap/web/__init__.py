"""Web layer: blueprints for pages and the JSON API, and the HTTP manners they share."""
from __future__ import annotations

from flask import Flask

from . import api, ogc, pages, statistik, write
from .http import register_http


def register(app: Flask) -> None:
    register_http(app)
    for module in (pages, api, write, statistik, ogc):
        app.register_blueprint(module.bp)
