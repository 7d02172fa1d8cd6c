"""The commands of ``ozgmap`` (init, import, refresh, serve, token): thin wrappers over the
domain.

They are registered on every app's ``app.cli`` (:func:`register_commands`) and on the
``ozgmap`` console script (:mod:`ozgmap.cli`).
"""
from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from . import catalog as catalog_mod
from . import config as cfg
from . import importer, sample, server
from .app_services import services
from .sources import sync
from .sources.dashboard import DashboardClient, DashboardError
from .store import WriteConflict


def _say(msg: str) -> None:
    click.echo(msg, err=False)


@click.command("init")
@click.option("--no-sample", is_flag=True, help="Keine Beispieldaten laden.")
@click.option("--no-wsp", is_flag=True, help="Die WSP.NRW-Liste der Live-Dienste nicht laden.")
@click.option("--catalog", "catalog_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Eigener Katalog (Katalog-CSV oder KDN-Dump) statt des "
              "gepinnten KDN-Katalogs.")
@with_appcontext
def init_command(no_sample: bool, no_wsp: bool, catalog_file: Path | None) -> None:
    """Datenbank anlegen und Grenzen, OZG-Katalog, die WSP.NRW-Liste (echte Daten, wenn
    vorhanden) und Beispieldaten laden (wiederholbar)."""
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
    if not no_wsp:
        _load_wsp(store, conf)
    if not no_sample:
        _say("Erzeuge Beispieldaten …")
        gebiete = store.gebiete()
        real = [r for g in gebiete if g["ebene"] == "land" for r in store.records(ags=g["ags"])]
        records = sample.generate(gebiete, store.leistungen(),
                                  exclude_land=sample.real_land_offers(real))
        res = store.apply(records, by="ozgmap init", datei="Beispieldaten", format="sample",
                          replace_source=cfg.SAMPLE_SOURCE)
        _say(f"  Beispieldaten: {res.added} neu, {res.updated} geändert, "
             f"{res.unchanged} unverändert, {res.deleted} entfernt")
    _say("Fertig.")


def _load_wsp(store, conf) -> None:
    """Import the WSP.NRW list of live services from the mirror (sha256 checked), if there.

    There is no upstream URL: without a mirror copy the list is skipped with a note. The
    import writes only when something would change, so a repeated init logs no empty run.
    """
    dirs = [d for d in (conf["OZGMAP_DATA_DIR"], conf["OZGMAP_CACHE_DIR"]) if d]
    try:
        path = catalog_mod.reference_file(cfg.WSP_FILE, conf["OZGMAP_DATA_DIR"] or None,
                                          conf["OZGMAP_CACHE_DIR"], download=False)
    except catalog_mod.DataFileError as exc:
        if any((Path(d) / cfg.WSP_FILE).is_file() for d in dirs):
            raise click.ClickException(str(exc))  # present but wrong: never load it
        _say(f"WSP.NRW-Liste: {cfg.WSP_FILE} nicht im Datenverzeichnis (OZGMAP_DATA_DIR) – "
             "übersprungen")
        return
    _say(f"WSP.NRW-Liste der Live-Dienste: {path} (sha256 geprüft)")
    try:
        report = importer.import_file(store, path, by="ozgmap init", dry_run=True)
        if report.added or report.updated:
            report = importer.import_file(store, path, by="ozgmap init")
    except importer.ImportFailed as exc:
        raise click.ClickException(f"WSP.NRW-Liste nicht geladen: {exc}")
    n = importer.german_int
    _say(f"  {n(report.rows)} Dienste landesweit: {n(report.added)} neu, "
         f"{n(report.updated)} geändert, {n(report.unchanged)} unverändert")
    for note in report.notes:
        _say(f"  Hinweis: {note}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port.")
@click.option("--workers", type=int, help="gunicorn-Worker (Standard: einer je CPU, "
              "mindestens 2).")
@click.option("--threads", type=int, help=f"Threads je Worker (Standard: {server.THREADS}).")
def serve_command(host: str, port: int, workers: int | None, threads: int | None) -> None:
    """Dienst mit gunicorn starten (so auch im Betrieb, hinter nginx: README)."""
    args = server.gunicorn_args(host, port, workers, threads)
    _say(f"ozgmap läuft auf http://{host}:{port}/  (Strg+C beendet)")
    os.execvp(sys.executable, [sys.executable, "-m"] + args)


def _safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return "unbekannt"


@click.command("import")
@click.argument("items", nargs=-1, metavar="DATEI | ARS…")
@click.option("--dashboard", is_flag=True,
              help="Die Gebiete ARS… (ARS mit 12 Ziffern oder AGS: 05 = Land mit allem "
                   "darunter, 05570 = Kreis mit seinen Gemeinden, 05570044 = Gemeinde) aus "
                   "der Open-PVOG-Daten-API laden (OZGMAP_DASHBOARD_API) und als ein "
                   "Import übernehmen.")
@click.option("--neu", "fresh", is_flag=True,
              help="Mit --dashboard: alles neu herunterladen, auch was heute schon im "
                   "Cache liegt.")
@click.option("--dry-run", is_flag=True, help="Nur prüfen und zählen, nichts schreiben.")
@click.option("--by", metavar="NAME", help="Wer importiert (Standard: der angemeldete Benutzer).")
@with_appcontext
def import_command(items: tuple[str, ...], dashboard: bool, fresh: bool, dry_run: bool,
                   by: str | None) -> None:
    """Umsetzungsdaten aus DATEI (CSV oder XLSX) importieren – alles oder nichts.

    Erkannt werden die ozgmap-Vorlage (docs/import.md), der Export des Dashboards
    Digitale Verwaltung und die WSP.NRW-Liste. Jede Zeile wird geprüft; bei einem Fehler
    wird nichts geschrieben und jeder Fehler mit Datei, Zeile, Spalte und Wert gemeldet.
    Mit --dashboard ARS…: die Gebiete aus der Open-PVOG-Daten-API.
    """
    store = _initialised_store()
    if dashboard:
        if not items:
            _fail("Bitte mindestens ein Gebiet angeben: --dashboard ARS… (z. B. 05570).")
        _import_dashboard(store, list(items), by=by or whoami(), dry_run=dry_run,
                          fresh=fresh)
        return
    if len(items) != 1:
        _fail("Bitte genau eine Datei angeben (oder --dashboard ARS…).")
    file = Path(items[0])
    if not file.is_file():
        _fail(f"Nichts importiert: Datei nicht gefunden: {file}")
    _say(f"Lese {file.name} …")
    try:
        report = importer.import_file(store, file, by=by or whoami(), dry_run=dry_run,
                                      progress=_say)
    except importer.ImportFailed as exc:
        _refused(exc)
    except WriteConflict as exc:
        _conflict(exc)
    _print_report(report)


@click.command("refresh")
@click.option("--force", is_flag=True, help="Auch importieren, wenn die Zeilenzahl einer "
              "Region stark gefallen ist.")
@click.option("--max-rueckgang", "max_drop", type=click.FloatRange(0, 100), default=None,
              help="Erlaubter Rückgang der Zeilen je Region in Prozent (Standard: "
                   "OZGMAP_REFRESH_MAX_DROP, 20).")
@click.option("--dry-run", is_flag=True, help="Nur abrufen, prüfen und zählen.")
@with_appcontext
def refresh_command(force: bool, max_drop: float | None, dry_run: bool) -> None:
    """Die zuletzt aus der Open-PVOG-Daten-API importierten Gebiete neu abrufen und
    importieren (für einen täglichen Timer). Fällt die Zeilenzahl einer Region um mehr als
    den erlaubten Anteil gegenüber dem letzten Import, wird nichts geschrieben (außer mit
    --force); der Grund wird ausgegeben und protokolliert."""
    store = _initialised_store()
    last = sync.last_fetch(store)
    if not last:
        _fail("Noch kein Import aus der Dashboard-API – zuerst „ozgmap import --dashboard "
              "ARS…“ ausführen.")
    conf = current_app.config
    drop = (conf["OZGMAP_REFRESH_MAX_DROP"] if max_drop is None else max_drop) / 100
    _say(f"Aktualisiere {', '.join(last['regionen'])} (letzter Import {last['am']}) …")
    _import_dashboard(store, last["regionen"], by="ozgmap refresh", dry_run=dry_run,
                      fresh=True, max_drop=drop, force=force)


def _fail(msg: str) -> NoReturn:
    click.echo(msg, err=True)
    click.get_current_context().exit(1)
    raise AssertionError  # exit() raises; for the type checker


def _initialised_store():
    store = services().store
    if not store.is_initialised():
        _fail("Die Datenbank ist noch nicht eingerichtet – zuerst „ozgmap init“ ausführen.")
    return store


def _refused(exc: importer.ImportFailed) -> NoReturn:
    for issue in exc.issues:
        click.echo(str(issue), err=True)
    n = importer.german_int
    if exc.total > len(exc.issues):
        click.echo(f"… und {n(exc.total - len(exc.issues))} weitere Fehler (nur die ersten "
                   f"{n(len(exc.issues))} sind aufgeführt).", err=True)
    _fail(f"Nichts importiert: {n(exc.total)} Fehler.")


def _conflict(exc: WriteConflict) -> NoReturn:
    _fail("Nichts importiert: Dieselben Einträge wurden gleichzeitig anders geändert "
          f"(z. B. über die Schreib-API; {exc}). Bitte den Import wiederholen.")


def _print_report(report: importer.ImportReport) -> None:
    n = importer.german_int
    counts = f"{n(report.added)} neu, {n(report.updated)} geändert, {n(report.unchanged)} " \
             "unverändert."
    if report.dry_run:
        _say(f"Probelauf ohne Fehler, nichts geschrieben. Würde importieren: {counts}")
    else:
        _say(f"Importiert: {counts}")
    for note in report.notes:
        _say(f"Hinweis: {note}")


def dashboard_client(conf) -> DashboardClient:
    """A client of the Open-PVOG data API with the app's settings."""
    return DashboardClient(conf["OZGMAP_DASHBOARD_API"], conf["OZGMAP_DASHBOARD_FORM"],
                           timeout=conf["OZGMAP_DASHBOARD_TIMEOUT"],
                           retries=conf["OZGMAP_DASHBOARD_RETRIES"],
                           backoff=conf["OZGMAP_DASHBOARD_BACKOFF"],
                           interval=conf["OZGMAP_DASHBOARD_INTERVAL"],
                           page_size=conf["OZGMAP_DASHBOARD_PAGE_SIZE"])


def _import_dashboard(store, keys: list[str], *, by: str, dry_run: bool, fresh: bool,
                      max_drop: float | None = None, force: bool = False) -> None:
    conf = current_app.config
    cache = Path(conf["OZGMAP_CACHE_DIR"]) / "dashboard"
    _log_to(cache / "abruf.log")
    try:
        with dashboard_client(conf) as client:
            _say(f"Dashboard-API: {client.base} (Form {conf['OZGMAP_DASHBOARD_FORM']})")
            result = sync.import_regions(store, client, keys, cache, by=by, progress=_say,
                                         dry_run=dry_run, fresh=fresh, max_drop=max_drop,
                                         force=force)
    except (DashboardError, sync.SyncError) as exc:
        sync.log.error("Nichts importiert: %s", exc)
        _fail(f"Nichts importiert: {exc}")
    except importer.ImportFailed as exc:
        sync.log.error("Nichts importiert: %s", exc)
        _refused(exc)
    except WriteConflict as exc:
        sync.log.error("Nichts importiert: %s", exc)
        _conflict(exc)
    n, d = len(result.units), result.downloads
    _say(f"{n} {'Region' if n == 1 else 'Regionen'}, {d} {'Abruf' if d == 1 else 'Abrufe'}, "
         f"{result.from_cache} aus dem Cache.")
    sync.log.info("%s: %s neu, %s geändert, %s unverändert", ", ".join(keys),
                  result.report.added, result.report.updated, result.report.unchanged)
    _print_report(result.report)


def _log_to(path: Path) -> None:
    """Log the dashboard runs (and why a refresh was held) to *path* as well."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in [h for h in sync.log.handlers if isinstance(h, logging.FileHandler)]:
        if old.baseFilename == str(path.resolve()):
            return
        sync.log.removeHandler(old)  # another app's cache (one log file per process)
        old.close()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    sync.log.addHandler(handler)
    sync.log.setLevel(logging.INFO)


@click.group("token")
def token_group() -> None:
    """API-Tokens für Datenpflegende verwalten (Schreib-API /api/umsetzungen)."""


@token_group.command("create")
@click.option("--ags", "bereich", multiple=True, required=True, metavar="AGS",
              help="Gebiet, das der Token schreiben darf (mehrfach möglich): Gemeinde "
                   "(8 Ziffern), Kreis (5, mit seinen Gemeinden), Land 05, Bund 00.")
@click.option("--name", default="", help="Wofür/für wen (z. B. 'Kreis Warendorf, Fr. Muster').")
@with_appcontext
def token_create(bereich: tuple[str, ...], name: str) -> None:
    """Neuen Token erzeugen. Er wird nur einmal angezeigt; gespeichert wird nur sein Hash."""
    store = services().store
    known = {g["ags"] for g in store.gebiete()}
    bad = [a for a in bereich if a not in known]
    if bad:
        raise click.ClickException(f"--ags: unbekannte AGS: {', '.join(bad)}")
    tid, token = store.create_token(name or ",".join(bereich), list(bereich), by=whoami())
    _say(f"Token {tid} für {', '.join(bereich)} (nur jetzt sichtbar):")
    _say(token)


@token_group.command("list")
@with_appcontext
def token_list() -> None:
    """Alle Tokens mit Bereich und Status (ohne den Token selbst)."""
    for t in services().store.tokens():
        state = f"widerrufen {t['widerrufen_am']:%d.%m.%Y}" if t["widerrufen_am"] else "aktiv"
        _say(f"{t['id']:>4}  {state:<22} {t['bereich']:<30} {t['name']}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id: int) -> None:
    """Token mit dieser Nummer widerrufen."""
    if not services().store.revoke_token(token_id):
        raise click.ClickException(f"Kein aktiver Token mit Nummer {token_id}.")
    _say(f"Token {token_id} widerrufen.")


COMMANDS = (init_command, import_command, refresh_command, serve_command, token_group)


def register_commands(app) -> None:
    """Make the commands available on ``app.cli`` too (``flask --app ozgmap``, test runner)."""
    for cmd in COMMANDS:
        app.cli.add_command(cmd)
