"""WSGI entry point for gunicorn: ``gunicorn ozgmap.wsgi:app``."""
from . import create_app

app = create_app()
