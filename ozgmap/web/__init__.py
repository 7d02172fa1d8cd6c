"""Web layer: blueprints for pages and the JSON API, and the HTTP manners they share."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from . import api, pages
    from .http import register_http
    register_http(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    from . import write
    app.register_blueprint(write.bp)
    from . import stats
    app.register_blueprint(stats.bp)
    from . import ogc
    app.register_blueprint(ogc.bp)
