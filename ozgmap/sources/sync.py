"""Fetch regions from the Open-PVOG data API into the cache and import them as one, no Flask.

A region key is an ARS (12 digits) or an AGS: ``05`` (a Land, with everything below it),
``05570`` (a Kreis with its Gemeinden) or ``05570044`` (a Gemeinde). Each region becomes one
or more *units* (one download each); every download is kept in the cache under the day's
date (``<cache>/dashboard/2026-12-01/055700000000-oben-unten.csv``), written atomically, so a
run that is killed or fails resumes without downloading again what it has. When an export
answers 413 the unit's JSON pages are read instead, each page cached as it arrives, and
joined into a CSV in the export's layout. Then all units are validated and written as one
import (:func:`ozgmap.importer.import_files`), all or nothing.

``refresh`` fetches the regions of the last import anew and refuses to write when a unit's
row count fell by more than the allowed share against that import (a broken upstream export
must not wipe real data), unless forced.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import importer
from ..store import Store
from .dashboard import DashboardClient, DashboardError, ExportTooLarge

log = logging.getLogger("ozgmap.dashboard")
Progress = Callable[[str], None]

#: meta key of what the last dashboard import fetched: region keys, rows per unit, date.
META_KEY = "dashboard_abruf"
MAX_DROP = 0.2


class SyncError(Exception):
    """Nothing was imported: a key is wrong, the API failed, or the guard held the data."""


@dataclass(frozen=True)
class Unit:
    """One download: the records of *ars*, with those above and/or below it."""

    ars: str
    name: str
    above: bool
    below: bool

    @property
    def stem(self) -> str:
        return self.ars + ("-oben" if self.above else "") + ("-unten" if self.below else "")

    def label(self) -> str:
        parts = [p for p, on in (("mit übergeordneten", self.above),
                                 ("mit untergeordneten Gebieten", self.below)) if on]
        return f"{self.name} ({self.ars}{', ' + ' und '.join(parts) if parts else ''})"


@dataclass
class Result:
    """What :func:`import_regions` did (or, with ``dry_run``, would do)."""

    report: importer.ImportReport
    units: list[tuple[Unit, Path, int]] = field(default_factory=list)
    downloads: int = 0
    from_cache: int = 0


def ars_of(key: str) -> str:
    """The 12-digit ARS of a Land (2), Kreis (5) key or an ARS; '' for a Gemeinde's AGS."""
    if len(key) == 2:
        return key + "0" * 10
    if len(key) == 5:
        return key + "0" * 7
    return key if len(key) == 12 else ""


def _is_kreis_ars(ars: str, land: str) -> bool:
    return ars[:2] == land and ars[2:5] != "000" and ars[5:] == "0000000"


class Fetcher:
    """Downloads into one day's cache directory; what is there already is not fetched again."""

    def __init__(self, client: DashboardClient, cache_root: Path, *, progress: Progress,
                 fresh: bool = False, today: dt.date | None = None):
        self.client = client
        self.dir = Path(cache_root) / (today or dt.date.today()).isoformat()
        self.progress = progress
        self.fresh = fresh
        self.downloads = self.from_cache = 0
        self._fetched: set[str] = set()  # names downloaded in this run (fresh: once each)

    def _cached(self, name: str) -> Path | None:
        path = self.dir / name
        if path.is_file() and (not self.fresh or name in self._fetched):
            return path
        return None

    def _save(self, name: str, body: bytes) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(body)
        tmp.replace(path)  # atomic: a killed run leaves no half file
        self._fetched.add(name)
        return path

    def regions(self) -> list[dict]:
        """The API's list of regions (cached for the day)."""
        path = self._cached("regionen.json")
        if path is None:
            self.progress("Lade die Liste der Regionen …")
            path = self._save("regionen.json",
                              json.dumps(self.client.regions(), ensure_ascii=False).encode())
            self.downloads += 1
        return json.loads(path.read_text(encoding="utf-8"))

    def fetch(self, unit: Unit) -> Path:
        """The unit's file (export, or the JSON pages joined as CSV), from cache or API."""
        for ext in ("csv", "xlsx"):
            if path := self._cached(f"{unit.stem}.{ext}"):
                self.from_cache += 1
                self.progress(f"  aus dem Cache: {path}")
                return path
        try:
            body = self.client.export(unit.ars, include_above=unit.above,
                                      include_below=unit.below)
        except ExportTooLarge:
            self.progress("  Export zu groß (HTTP 413): lese die Datensätze seitenweise …")
            return self._from_pages(unit)
        self.downloads += 1
        ext = "xlsx" if body[:4] == b"PK\x03\x04" else "csv"
        return self._save(f"{unit.stem}.{ext}", body)

    def _from_pages(self, unit: Unit) -> Path:
        pages_dir = f"{unit.stem}.seiten"
        pages: list[dict] = []
        n = 0
        while True:
            name = f"{pages_dir}/{n:05d}.json"
            if path := self._cached(name):
                page = json.loads(path.read_text(encoding="utf-8"))
                self.from_cache += 1
            else:
                _n, page = next(self.client.record_pages(
                    unit.ars, include_above=unit.above, include_below=unit.below, start=n))
                self._save(name, json.dumps(page, ensure_ascii=False).encode())
                self.downloads += 1
            pages.append(page)
            total = page.get("totalPages")
            rows = sum(len(p["content"]) for p in pages)
            self.progress(f"  Seite {n + 1}" + (f" von {total}" if isinstance(total, int)
                                                   else "") + f": {importer.german_int(rows)} "
                          "Datensätze")
            if page.get("last") or not page["content"] or (
                    isinstance(total, int) and n + 1 >= total):
                break
            n += 1
        return self._save(f"{unit.stem}.csv", pages_to_csv(pages))


def _snake(name: str) -> str:
    """``leikaKey`` -> ``leika_key`` (the Data Hub's JSON may use camelCase)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def pages_to_csv(pages: list[dict]) -> bytes:
    """JSON pages of records as a CSV in the export's layout (``;``, UTF-8)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(importer.DASHBOARD_COLUMNS)
    for page in pages:
        for rec in page["content"]:
            if not isinstance(rec, dict):
                continue
            values = {_snake(k): v for k, v in rec.items()}
            writer.writerow(["" if values.get(c) is None else str(values[c])
                             for c in importer.DASHBOARD_COLUMNS])
    return buf.getvalue().encode("utf-8")


def plan(keys: list[str], store: Store, fetcher: Fetcher) -> list[Unit]:
    """The units for the region keys; :class:`SyncError` for a key that is no known region.

    A Land: its own records with those above (Bund), then each Kreis with its Gemeinden. A
    Kreis: with above (Land, Bund) and below (its Gemeinden). A Gemeinde: with above.
    """
    names = {g["ags"]: g["name"] for g in store.gebiete()}
    units: list[Unit] = []
    for key in keys:
        key = key.strip()
        if not re.fullmatch(r"[0-9]{2}|[0-9]{5}|[0-9]{8}|[0-9]{12}", key):
            raise SyncError(f"„{key}“ ist kein Regionalschlüssel: ARS (12 Ziffern) oder AGS "
                            "(2 Land, 5 Kreis, 8 Gemeinde) angeben, z. B. 05570 für den "
                            "Kreis Warendorf")
        ars = ars_of(key)
        if not ars:  # a Gemeinde's AGS: its ARS holds the Gemeindeverband, from the list
            ars = next((r["ars"] for r in fetcher.regions()
                        if importer.ars_to_ags(r["ars"]) == key), "")
            if not ars:
                raise SyncError(f"AGS {key}: keine Region dieses Schlüssels in der Liste "
                                "der Regionen des Dashboards")
        ags = importer.ars_to_ags(ars)
        if ags not in names:
            raise SyncError(f"„{key}“: AGS {ags} ist kein Gebiet in der Datenbank")
        level = len(ags)
        if level == 2 and ags != "00":
            units.append(Unit(ars, names[ags], above=True, below=False))
            kreise = sorted({r["ars"] for r in fetcher.regions()
                             if _is_kreis_ars(r["ars"], ags)})
            units += [Unit(k, names.get(importer.ars_to_ags(k), k), above=False, below=True)
                      for k in kreise if importer.ars_to_ags(k) in names]
        else:
            units.append(Unit(ars, names[ags], above=level != 2, below=level in (2, 5)))
    return list(dict.fromkeys(units))




def last_fetch(store: Store) -> dict | None:
    """What the last dashboard import fetched: ``{"regionen", "zeilen", "am"}`` or None."""
    raw = store.get_meta(META_KEY)
    return json.loads(raw) if raw else None


def guard(previous: dict | None, units: list[tuple[Unit, Path, int]], max_drop: float
          ) -> list[str]:
    """Reasons to hold an import: units whose rows fell by more than *max_drop*."""
    before = (previous or {}).get("zeilen", {})
    reasons = []
    for unit, _path, rows in units:
        old = before.get(unit.stem)
        if old and rows < old * (1 - max_drop):
            reasons.append(f"{unit.label()}: {importer.german_int(rows)} statt "
                           f"{importer.german_int(old)} Zeilen beim letzten Import "
                           f"({(old - rows) / old:.0%} weniger, erlaubt {max_drop:.0%})")
    return reasons


def import_regions(store: Store, client: DashboardClient, keys: list[str], cache_root: Path,
                   *, by: str, progress: Progress, dry_run: bool = False, fresh: bool = False,
                   max_drop: float | None = None, force: bool = False) -> Result:
    """Fetch *keys* (into the cache) and import everything as one, all or nothing.

    With *max_drop* (refresh) the row counts are checked against the last import first.
    Raises :class:`SyncError` or :class:`ozgmap.importer.ImportFailed`; nothing is written
    then.
    """
    fetcher = Fetcher(client, cache_root, progress=progress, fresh=fresh)
    try:
        units = plan(keys, store, fetcher)
        fetched = []
        for i, unit in enumerate(units, start=1):
            progress(f"Region {i} von {len(units)}: {unit.label()}")
            path = fetcher.fetch(unit)
            rows = importer.count_rows(path)
            progress(f"  {importer.german_int(rows)} Zeilen: {path}")
            fetched.append((unit, path, rows))
    except DashboardError as exc:
        raise SyncError(str(exc)) from None
    except importer.ImportFailed as exc:  # an unreadable download
        raise SyncError(str(exc)) from None
    previous = last_fetch(store)
    if max_drop is not None:
        reasons = guard(previous, fetched, max_drop)
        for reason in reasons:
            log.warning("Aktualisierung angehalten: %s", reason)
        if reasons and not force:
            raise SyncError("Aktualisierung angehalten, nichts geschrieben (mit --force "
                            "trotzdem importieren): " + "; ".join(reasons))
    state = {"regionen": list(dict.fromkeys(k.strip() for k in keys)),
             # rows per unit of every import so far: the guard compares with the last one
             "zeilen": {**(previous or {}).get("zeilen", {}),
                        **{u.stem: rows for u, _p, rows in fetched}},
             "am": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    report = importer.import_files(
        store, [p for _u, p, _r in fetched], by=by, dry_run=dry_run, progress=progress,
        datei=f"Open-PVOG {', '.join(state['regionen'])} ({fetcher.dir.name})",
        source=importer.PVOG_SOURCE, meta_values={META_KEY: json.dumps(state)})
    return Result(report, fetched, fetcher.downloads, fetcher.from_cache)
