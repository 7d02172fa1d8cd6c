"""The ``ozgmap`` command: set up the store, import data, run the service."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from . import create_app
from .commands import COMMANDS


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False,
             help="ozgmap – die OZG-Landkarte. Datenbank einrichten, Daten importieren, "
                  "Dienst starten. Einstellungen über Umgebungsvariablen OZGMAP_* (README).")
def main() -> None:
    pass


for _command in COMMANDS:
    main.add_command(_command)
