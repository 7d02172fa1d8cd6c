#!/usr/bin/env python3
"""Generate an export of the Open-PVOG ("Dashboard Digitale Verwaltung") in its real layout,
for load tests of ``ozgmap import``: N rows (default 3.5 million, about what the PVOG holds
for all of Germany), reproducible (seeded), streamed to the output file (CSV, gzip if the
name ends in ``.gz``) without holding the rows in memory.

    python scripts/gen_pvog_export.py --db sqlite:///.cache/bench/de.sqlite -o de.csv.gz
    python scripts/gen_pvog_export.py --db sqlite:///instance/ozgmap.sqlite -n 20000 -o x.csv

The bodies (Gemeinden, Kreise, Länder, Bund) and the LeiKa keys with their OZG-IDs come from
the store the file is meant for (``--db``, default ``OZGMAP_DATABASE_URL``), so every row is
one the import accepts. The rows are spread over the bodies (Gemeinden get the most, as in
the PVOG); each body lists distinct LeiKa-Leistungen. A kreisfreie Stadt (AGS ending in
``000``) is listed as its Kreis, Berlin and Hamburg as their Land. The data is generated,
not real: do not publish it as such.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import random
import sys
from pathlib import Path
from typing import Iterator, TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ozgmap.importer import DASHBOARD_COLUMNS, ars_to_ags  # noqa: E402 - the package beside
from ozgmap.config import LAND_NAMES  # noqa: E402
from ozgmap.store import Store  # noqa: E402

DEFAULT_ROWS = 3_500_000
STAND = "2026-11-28 03:12:45"
EXPORT = "2026-12-01"
#: rows per body relative to a Gemeinde's (Kreise and Länder list fewer, the Bund few)
WEIGHT = {"gemeinde": 1.0, "kreis": 0.6, "land": 0.3, "bund": 0.2}
FLAECHE = {"gemeinde": ["in mind. einer Kommune verfügbar"],
           "kreis": ["kreisweit flächendeckend", "in mind. einer Kommune verfügbar"],
           "land": ["landesweit flächendeckend"], "bund": ["bundesweit flächendeckend"]}


def ars_of(ags: str, ebene: str) -> str:
    """The 12-digit ARS of a body (a Gemeinde without Gemeindeverband: 0 + its number twice,
    as the dashboard writes NRW's; :func:`ozgmap.importer.ars_to_ags` maps it back)."""
    if ebene == "gemeinde":
        return ags[:5] + "0" + ags[5:] + ags[5:]
    return ags.ljust(12, "0")


def bodies(store: Store) -> list[dict]:
    """The store's bodies that an export can address: those whose ARS maps back to them (a
    Gemeinde that is its own Kreis, a Kreis that is its own Land are listed as the larger)."""
    return [g for g in store.gebiete() if ars_to_ags(ars_of(g["ags"], g["ebene"])) == g["ags"]]


def leika_keys(store: Store) -> list[tuple[str, str, str, str]]:
    """(leika_key, leika name, ozg_id, OZG name) of the catalogue's LeiKa-Leistungen."""
    names = {lst["ozg_id"]: lst["name"] for lst in store.leistungen()}
    return [(r["leika_key"], r["name"], r["ozg_id"] or "", names.get(r["ozg_id"] or "", ""))
            for r in store.leika_rows() if r["leika_key"]]


def shares(weights: list[float], total: int, cap: int) -> list[int]:
    """*total* split by *weights* (largest remainders), no share above *cap*."""
    s = sum(weights) or 1.0
    raw = [min(cap, total * w / s) for w in weights]
    out = [int(r) for r in raw]
    rest = min(total, cap * len(weights)) - sum(out)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order:
        if rest <= 0:
            break
        if out[i] < cap:
            out[i] += 1
            rest -= 1
    return out


def rows(store: Store, n: int, seed: int) -> Iterator[list[str]]:
    """The rows (values in :data:`DASHBOARD_COLUMNS` order), generated one by one."""
    rng = random.Random(seed)
    targets = bodies(store)
    keys = leika_keys(store)
    if not targets or not keys:
        raise SystemExit("Die Datenbank hat keine Gebiete oder keinen LeiKa-Katalog – zuerst "
                         "„ozgmap init“ ausführen.")
    counts = shares([WEIGHT.get(g["ebene"], 1.0) for g in targets], n, len(keys))
    for body, count in zip(targets, counts):
        ags, ebene = body["ags"], body["ebene"]
        ars = ars_of(ags, ebene)
        land = "" if ebene == "bund" else ags[:2]
        land_name = LAND_NAMES.get(land, "")
        for key, name, ozg_id, ozg_name in rng.sample(keys, count):
            roll = rng.random()
            flaeche = rng.choice(FLAECHE[ebene])
            yield [key, name, name, ars, body["name"], land, land_name,
                   "" if roll < 0.02 else ozg_id, ozg_name,
                   f"https://portal.example/{ars}/{key}",
                   "nicht ok" if roll > 0.9 else "ok",
                   "" if 0.02 <= roll < 0.05 else ("nein" if roll > 0.97 else "ja"),
                   "nicht in Auswertung berücksichtigt" if 0.05 <= roll < 0.06 else flaeche,
                   "Onlinedienst nur für Verwaltungsmitarbeitende" if 0.05 <= roll < 0.06
                   else "", STAND, EXPORT]


def open_output(path: str) -> TextIO:
    if path == "-":
        return sys.stdout
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "wb", compresslevel=3), encoding="utf-8",
                                newline="")
    return open(path, "w", encoding="utf-8", newline="")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--rows", type=int, default=DEFAULT_ROWS,
                    help=f"Zeilen (Standard: {DEFAULT_ROWS:,})")
    ap.add_argument("-o", "--output", default="-", help="Datei (.csv oder .csv.gz; - = stdout)")
    ap.add_argument("--db", default=os.environ.get("OZGMAP_DATABASE_URL", ""),
                    help="Datenbank-URL mit Gebieten und Katalog (Standard: "
                         "OZGMAP_DATABASE_URL)")
    ap.add_argument("--seed", type=int, default=20, help="Zufallsstartwert (Standard: 20)")
    ap.add_argument("--trenner", default=";", choices=[",", ";"], help="Spaltentrenner")
    args = ap.parse_args(argv)
    if not args.db:
        ap.error("--db fehlt (oder OZGMAP_DATABASE_URL setzen)")
    store = Store(args.db)
    out = open_output(args.output)
    written = 0
    try:
        writer = csv.writer(out, delimiter=args.trenner, lineterminator="\n")
        writer.writerow(DASHBOARD_COLUMNS)
        for row in rows(store, args.rows, args.seed):
            writer.writerow(row)
            written += 1
    finally:
        if out is not sys.stdout:
            out.close()
        store.engine.dispose()
    print(f"{written:,} Zeilen geschrieben: {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
