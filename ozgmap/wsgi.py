"""WSGI entry point for gunicorn: ``gunicorn ozgmap.wsgi:app``."""
from . import create_app
from .app_services import warm

app = create_app()


def ready() -> None:
    """Called by ``ozgmap serve``'s worker before it accepts connections (ozgmap.server)."""
    warm(app)
