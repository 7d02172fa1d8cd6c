"""WSGI entry point for gunicorn: ``gunicorn ozgmap.wsgi:app``."""
from . import create_app
from .app_services import services, warm

app = create_app()


def ready() -> None:
    """Called by ``ozgmap serve``'s worker before it accepts connections (ozgmap.server), and
    by its master before it forks them (ozgmap.gunicorn_conf)."""
    warm(app)


def forget_connections() -> None:
    """Drop the database connections this process inherited (after a fork), unclosed: they
    belong to the process that opened them."""
    services(app).store.engine.dispose(close=False)
