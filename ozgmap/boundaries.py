"""Municipal geometry: build it from BKG VG250, load it once, answer adjacency and distance.

Metric work (simplification, areas, distances, adjacency) happens in EPSG:25832 (ETRS89 /
UTM 32N); everything handed to the web is EPSG:4326.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator

import geopandas as gpd
import numpy as np
import shapely

METRIC_CRS = "EPSG:25832"
WEB_CRS = "EPSG:4326"
LAND_NAMES = {"05": "Nordrhein-Westfalen"}
COORD_DECIMALS = 5  # ~1 m at our latitudes; far below the 100 m simplification


# --- building from the npm package -------------------------------------------------------

def flatten_features(obj) -> Iterator[dict]:
    """Yield GeoJSON Features from a JSON array that may nest FeatureCollections."""
    if isinstance(obj, list):
        for item in obj:
            yield from flatten_features(item)
    elif obj.get("type") == "FeatureCollection":
        yield from flatten_features(obj["features"])
    elif obj.get("type") == "Feature":
        yield obj


def read_vg250(path: Path, land_prefix: str | None) -> gpd.GeoDataFrame:
    """Land areas (GF 4) of one VG250 layer file, optionally only one Land, one row per AGS."""
    with open(path, encoding="utf-8") as fh:
        feats = [f for f in flatten_features(json.load(fh)) if f["properties"].get("GF") == 4]
    if land_prefix:
        feats = [f for f in feats if f["properties"]["AGS"].startswith(land_prefix)]
    gdf = gpd.GeoDataFrame.from_features(feats, crs=WEB_CRS)
    gdf = gdf[["AGS", "GEN", "BEZ", "geometry"]].rename(
        columns={"AGS": "ags", "GEN": "name", "BEZ": "bez"})
    return gdf.dissolve(by="ags", as_index=False, aggfunc="first")


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """Topology-preserving simplification: shared borders stay shared, polygons stay valid."""
    metric = gdf.to_crs(METRIC_CRS)
    geoms = shapely.make_valid(metric.geometry.values)
    simplified = shapely.coverage_simplify(geoms, tolerance=tolerance_m)
    metric = metric.set_geometry(shapely.make_valid(simplified))
    return metric


def kreise_from_gemeinden(gemeinden_m: gpd.GeoDataFrame, kreise_meta: gpd.GeoDataFrame
                          ) -> gpd.GeoDataFrame:
    """Kreis polygons as the union of their (already simplified) Gemeinden.

    This keeps Kreis borders exactly on Gemeinde borders, so the overlay lines up.
    """
    rows = []
    for kreis_ags, part in gemeinden_m.groupby("kreis_ags"):
        meta = kreise_meta.loc[kreise_meta.ags == kreis_ags].iloc[0]
        geom = shapely.coverage_union_all(part.geometry.values)
        rows.append({"ags": kreis_ags, "name": meta["name"], "bez": meta["bez"],
                     "geometry": geom})
    return gpd.GeoDataFrame(rows, crs=METRIC_CRS)


def _round_coords(geom: dict, nd: int) -> dict:
    def rnd(c):
        if isinstance(c[0], (list, tuple)):
            return [rnd(x) for x in c]
        return [round(c[0], nd), round(c[1], nd)]
    return {"type": geom["type"], "coordinates": rnd(geom["coordinates"])}


def write_geojson(gdf_metric: gpd.GeoDataFrame, path: Path, props: list[str]) -> None:
    """Write EPSG:4326 GeoJSON with rounded coordinates, sorted by AGS, one feature a line."""
    web = gdf_metric.to_crs(WEB_CRS).sort_values("ags")
    lines = []
    for row in web.itertuples(index=False):
        feat = {"type": "Feature", "id": row.ags,
                "properties": {p: getattr(row, p) for p in props},
                "geometry": _round_coords(shapely.geometry.mapping(row.geometry),
                                          COORD_DECIMALS)}
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    path.write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines)
                    + "\n]}\n", encoding="utf-8")


# --- loading and serving -----------------------------------------------------------------

def _read_geojson(path: Path) -> gpd.GeoDataFrame:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return gpd.GeoDataFrame.from_features(data["features"], crs=WEB_CRS)


@dataclass
class Boundaries:
    """Gemeinden and Kreise of one area (NRW or Germany), loaded once per process."""

    gemeinden: gpd.GeoDataFrame  # EPSG:4326: ags, name, bez, kreis_ags, geometry
    kreise: gpd.GeoDataFrame     # EPSG:4326: ags, name, bez, geometry
    source_dir: Path
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, directory: str | Path, area: str = "nrw") -> "Boundaries":
        """Read ``{area}_gemeinden.geojson`` and ``{area}_kreise.geojson`` from *directory*."""
        directory = Path(directory)
        gem_path = directory / f"{area}_gemeinden.geojson"
        kr_path = directory / f"{area}_kreise.geojson"
        if not gem_path.exists() or not kr_path.exists():
            raise FileNotFoundError(
                f"Grenzdaten fehlen: {gem_path} / {kr_path}. "
                "Erzeugen mit: python scripts/build_boundaries.py"
                + (" --all" if area == "de" else ""))
        gem = _read_geojson(gem_path).sort_values("ags").reset_index(drop=True)
        kr = _read_geojson(kr_path).sort_values("ags").reset_index(drop=True)
        return cls(gemeinden=gem, kreise=kr, source_dir=directory)

    # raw file bytes, for serving the geometry as-is (cached by the web layer)
    def geojson_bytes(self, level: str) -> bytes:
        """The shipped GeoJSON file of ``gemeinden`` or ``kreise``, byte for byte."""
        key = ("bytes", level)
        if key not in self._cache:
            area = "de" if len(self.gemeinden) > 2000 else "nrw"
            self._cache[key] = (self.source_dir / f"{area}_{level}.geojson").read_bytes()
        return self._cache[key]

    def features(self, level: str) -> dict[str, dict]:
        """AGS -> GeoJSON feature of the shipped file (rounded coordinates), parsed once."""
        key = ("features", level)
        if key not in self._cache:
            data = json.loads(self.geojson_bytes(level))
            self._cache[key] = {f["properties"]["ags"]: f for f in data["features"]}
        return self._cache[key]

    @cached_property
    def metric_gemeinden(self) -> gpd.GeoDataFrame:
        return self.gemeinden.to_crs(METRIC_CRS)

    @cached_property
    def names(self) -> dict[str, str]:
        """AGS -> name for every Gemeinde and Kreis."""
        out = dict(zip(self.kreise.ags, self.kreise.name))
        out.update(zip(self.gemeinden.ags, self.gemeinden.name))
        return out

    @cached_property
    def centroids_m(self) -> dict[str, tuple[float, float]]:
        """AGS -> representative point of each Gemeinde in EPSG:25832 (metres)."""
        pts = shapely.point_on_surface(self.metric_gemeinden.geometry.values)
        return {a: (p.x, p.y) for a, p in zip(self.metric_gemeinden.ags, pts)}

    @cached_property
    def adjacency(self) -> dict[str, frozenset[str]]:
        """Gemeinden sharing a border line (not just a point), across Kreis borders too."""
        geoms = self.metric_gemeinden.geometry.values
        ags = self.metric_gemeinden.ags.to_numpy()
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        shared = shapely.intersection(geoms[left], geoms[right])
        lengths = shapely.length(shared)
        out: dict[str, set[str]] = {a: set() for a in ags}
        for i, j, length in zip(left, right, lengths):
            if length > 1.0:  # a shared edge, not a single touching vertex
                out[ags[i]].add(ags[j])
                out[ags[j]].add(ags[i])
        return {a: frozenset(n) for a, n in out.items()}

    def rings(self, origin: str | Iterable[str], max_ring: int = 3) -> dict[str, int]:
        """Neighbour ring of every Gemeinde up to *max_ring* around one Gemeinde or a set
        of them (1 = shares a border with the origin)."""
        start = {origin} if isinstance(origin, str) else set(origin)
        seen = dict.fromkeys(start, 0)
        frontier = list(start)
        for ring in range(1, max_ring + 1):
            nxt = []
            for a in frontier:
                for n in self.adjacency.get(a, ()):
                    if n not in seen:
                        seen[n] = ring
                        nxt.append(n)
            frontier = nxt
        return {a: r for a, r in seen.items() if a not in start}

    def point_m(self, ags: str) -> tuple[float, float]:
        """Representative point of a Gemeinde or (as the mean of its Gemeinden) a Kreis."""
        if ags in self.centroids_m:
            return self.centroids_m[ags]
        pts = [p for a, p in self.centroids_m.items() if a[:5] == ags]
        if not pts:
            raise KeyError(ags)
        return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))

    def distances_km(self, origin: str, others: Iterable[str]) -> dict[str, float]:
        """Straight-line km between representative points (EPSG:25832), Gemeinde or Kreis."""
        x0, y0 = self.point_m(origin)
        out = {}
        for o in others:
            try:
                x, y = self.point_m(o)
            except KeyError:
                continue
            out[o] = float(np.hypot(x - x0, y - y0) / 1000.0)
        return out

    def bounds(self, kreis_ags: str | None = None) -> list[list[float]]:
        """[[south, west], [north, east]] of all Gemeinden or of one Kreis."""
        gdf = self.gemeinden
        if kreis_ags:
            gdf = gdf[gdf.kreis_ags == kreis_ags]
        minx, miny, maxx, maxy = gdf.total_bounds
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]
