"""The ``ozgmap`` command: set up the store, import data, run the service."""
from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app, services
from . import catalog as catalog_mod
from . import config as cfg


def _say(msg: str) -> None:
    click.echo(msg, err=False)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False,
             help="ozgmap – die OZG-Landkarte. Datenbank einrichten, Daten importieren, "
                  "Dienst starten. Einstellungen über Umgebungsvariablen OZGMAP_* (README).")
def main() -> None:
    pass


@main.command("init")
@click.option("--no-sample", is_flag=True, help="Keine Beispieldaten laden.")
@click.option("--catalog", "catalog_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Eigener Katalog (Katalog-CSV oder KDN-Dump) statt des "
              "gepinnten KDN-Katalogs.")
@with_appcontext
def init_command(no_sample: bool, catalog_file: Path | None) -> None:
    """Datenbank anlegen und Grenzen, OZG-Katalog und Beispieldaten laden (wiederholbar)."""
    from . import sample
    svc = services()
    store, conf = svc.store, current_app.config
    _say(f"Datenbank: {_safe_url(store.url)}")
    store.create_schema()
    _say("Lade Gemeinde- und Kreisgrenzen …")
    b = svc.boundaries
    store.load_gebiete(b.gemeinden.drop(columns="geometry").to_dict("records"),
                       b.kreise.drop(columns="geometry").to_dict("records"))
    _say(f"  {len(b.gemeinden)} Gemeinden, {len(b.kreise)} Kreise/kreisfreie Städte")
    if catalog_file is None:
        try:
            catalog_file = catalog_mod.reference_file(
                cfg.CATALOG_FILE, conf["OZGMAP_DATA_DIR"] or None, conf["OZGMAP_CACHE_DIR"])
        except catalog_mod.DataFileError as exc:
            raise click.ClickException(str(exc))
        _say(f"OZG-Katalog: {catalog_file} (sha256 geprüft)")
    else:
        _say(f"OZG-Katalog: {catalog_file}")
    try:
        cat = catalog_mod.load_catalog(catalog_file)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    if store.get_meta("catalog_sha256") != cat.sha256:
        store.load_catalog(cat)
    _say(f"  {len(cat.themenfelder)} Themenfelder, {len(cat.lagen)} Lagen, "
         f"{len(cat.leistungen)} OZG-Leistungen, {len(cat.leika)} LeiKa-Leistungen")
    if not no_sample:
        _say("Erzeuge Beispieldaten …")
        records = sample.generate(store.gebiete(), store.leistungen())
        res = store.apply(records, by="ozgmap init", datei="Beispieldaten", format="sample",
                          replace_source=cfg.SAMPLE_SOURCE)
        _say(f"  Beispieldaten: {res.added} neu, {res.updated} geändert, "
             f"{res.unchanged} unverändert, {res.deleted} entfernt")
    _say("Fertig.")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port.")
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn-Worker.")
def serve_command(host: str, port: int, workers: int) -> None:
    """Dienst mit gunicorn starten (so auch im Betrieb)."""
    args = ["gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
            "--access-logfile", "-", "ozgmap.wsgi:app"]
    _say(f"ozgmap läuft auf http://{host}:{port}/  (Strg+C beendet)")
    os.execvp(sys.executable, [sys.executable, "-m"] + args)


def _safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return "unbekannt"
