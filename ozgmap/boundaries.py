"""Municipal geometry: build it from BKG VG250, load it once, answer adjacency and distance.

Metric work (simplification, areas, distances, adjacency) happens in EPSG:25832 (ETRS89 /
UTM 32N); everything handed to the web is EPSG:4326.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator

import geopandas as gpd
import numpy as np
import shapely

from .config import LAND_NAMES
from .topojson import to_topology, topology_bytes
from .topojson import topology_features as topology_features  # re-exported for the checks

METRIC_CRS = "EPSG:25832"
WEB_CRS = "EPSG:4326"
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
    if not shapely.coverage_is_valid(geoms):
        # In VG250 for all of Germany 86 Gemeinden have borders whose vertices their
        # neighbours do not share (Elbe, Danube, Neisse ...): node them (areas change < 1e-9).
        geoms = shapely.coverage_clean(geoms)
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
    lines = [json.dumps(feat, ensure_ascii=False, separators=(",", ":"))
             for feat in frame_features(gdf_metric, props)]
    path.write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines)
                    + "\n]}\n", encoding="utf-8")


# --- TopoJSON: every border stored once, on an integer grid ------------------------------

#: The map's levels. Below ``DETAIL_ZOOM``, ``uebersicht``: all Gemeinden coverage-simplified
#: with 500 m tolerance, on a 1e-3° grid (70-110 m, a quarter pixel at zoom 8.5; a finer grid
#: only adds bytes). Its borders stay within 1.3 km (99 %: 1.0 km) of the detailed ones, 2-3
#: pixels at NRW's first view (zoom 7.75, 460 m a pixel), at most 5 just below zoom 8.5; the
#: snapping makes a few shapes touch themselves (52 of Germany's 11,299), which draws alike.
#: From there on ``karte-<Land>``: the shipped GeoJSON geometry itself (100 m tolerance, on
#: its 1e-5° rounding grid), one file per Land.
OVERVIEW_TOLERANCE_M = 500.0
OVERVIEW_GRID = 1e-3
DETAIL_GRID = 1e-5
DETAIL_ZOOM = 8.5
#: Above this many Gemeinden (all of Germany) the overview holds only Kreise and Länder
#: (simplified to ``KREIS_TOLERANCE_M``); each Land's Gemeinden at the overview's 500 m come as
#: ``gemeinden-<Land>`` from ``GEMEINDE_ZOOM`` on, where a Land fills the screen.
KREISWEISE_AB = 2000
KREIS_TOLERANCE_M = 1500.0
KREIS_GRID = 2e-3
GEMEINDE_ZOOM = 7.0

def level_frames(gemeinden_m: gpd.GeoDataFrame, kreise_meta: gpd.GeoDataFrame,
                 tolerance_m: float) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Gemeinden simplified further (topology kept) and their Kreise, both EPSG:25832."""
    gem = simplify_coverage(gemeinden_m, tolerance_m)
    return gem, kreise_from_gemeinden(gem, kreise_meta)


def frame_features(gdf_metric: gpd.GeoDataFrame, props: list[str]) -> list[dict]:
    """GeoJSON features of an EPSG:25832 frame in EPSG:4326, sorted by AGS (as written)."""
    web = gdf_metric.to_crs(WEB_CRS).sort_values("ags")
    return [{"type": "Feature", "id": row.ags, "properties": {p: getattr(row, p) for p in props},
             "geometry": _round_coords(shapely.geometry.mapping(row.geometry), COORD_DECIMALS)}
            for row in web.itertuples(index=False)]


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
    area: str | None = None      # "nrw" or "de" (file prefix); inferred when not given
    kreisweise_ab: int = KREISWEISE_AB  # see :attr:`kreisweise`

    @classmethod
    def load(cls, directory: str | Path, area: str = "nrw",
             kreisweise_ab: int | str = KREISWEISE_AB) -> "Boundaries":
        """Read ``{area}_gemeinden.geojson`` and ``{area}_kreise.geojson`` from *directory*;
        *kreisweise_ab*: see :attr:`kreisweise` (OZGMAP_KREISWEISE_AB)."""
        try:
            kreisweise_ab = int(kreisweise_ab)
        except ValueError:
            raise ValueError(f"OZGMAP_KREISWEISE_AB muss eine ganze Zahl sein, nicht "
                             f"'{str(kreisweise_ab)[:40]}'.") from None
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
        return cls(gemeinden=gem, kreise=kr, source_dir=directory, area=area,
                   kreisweise_ab=kreisweise_ab)

    # raw file bytes, for serving the geometry as-is (cached by the web layer)
    def geojson_bytes(self, level: str) -> bytes:
        """The shipped GeoJSON file of ``gemeinden`` or ``kreise``, byte for byte."""
        key = ("bytes", level)
        if key not in self._cache:
            area = "de" if len(self.gemeinden) > 2000 else "nrw"
            self._cache[key] = (self.source_dir / f"{area}_{level}.geojson").read_bytes()
        return self._cache[key]

    @property
    def kreisweise(self) -> bool:
        """Whether the map's first view draws Kreise (their Gemeinden load per Land, see
        :func:`level_topology`): for areas of more than ``kreisweise_ab`` Gemeinden
        (:data:`KREISWEISE_AB`, all of Germany; lower in tests, to try it on NRW)."""
        return len(self.gemeinden) > self.kreisweise_ab

    @cached_property
    def topo_names(self) -> list[str]:
        """Names of the map's TopoJSON levels: the overview and one detailed part per Land."""
        laender = sorted(set(self.gemeinden.ags.str[:2]))
        return (["uebersicht"] + [f"gemeinden-{land}" for land in laender if self.kreisweise]
                + [f"karte-{land}" for land in laender])

    def topojson_bytes(self, name: str) -> bytes:
        """TopoJSON level *name* (see :attr:`topo_names`): the file ``{area}_{name}.topojson``
        written by the build script or, where it is missing, built here once.

        Raises KeyError for an unknown name.
        """
        key = ("topo", name)
        if key not in self._cache:
            if name not in self.topo_names:
                raise KeyError(name)
            path = self.level_path(name)
            # an overview written before the gemeinden-<Land> levels existed is stale
            fresh = path.exists() and (name != "uebersicht" or self.levels_written())
            self._cache[key] = path.read_bytes() if fresh else topology_bytes(
                level_topology(self, name))
        return self._cache[key]

    def level_path(self, name: str) -> Path:
        area = self.area or ("de" if len(self.gemeinden) > 2000 else "nrw")
        return self.source_dir / f"{area}_{name}.topojson"

    def levels_written(self) -> bool:
        """Whether every level's file is there (if not, the overview file is stale too)."""
        return all(self.level_path(n).exists() for n in self.topo_names)

    @cached_property
    def version(self) -> str:
        """Changes with the boundary files only: the cache-buster of the geometry URLs, so
        browsers keep the geometry across data changes."""
        return hashlib.sha1(self.geojson_bytes("gemeinden")).hexdigest()[:12]

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


# --- the map's TopoJSON levels --------------------------------------------------------------

GEMEINDE_PROPS = ["ags", "name", "bez", "kreis_ags"]
KREIS_PROPS = ["ags", "name", "bez"]


def _land_index(b: Boundaries) -> dict[str, list[float]]:
    """Land -> [west, south, east, north] of its Gemeinden, a little wider."""
    parts = {}
    for land, part in b.gemeinden.groupby(b.gemeinden.ags.str[:2]):
        minx, miny, maxx, maxy = part.total_bounds
        parts[land] = [round(float(minx) - 0.01, 2), round(float(miny) - 0.01, 2),
                       round(float(maxx) + 0.01, 2), round(float(maxy) + 0.01, 2)]
    return parts


def _overview_frames(b: Boundaries) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """All Gemeinden simplified to the overview's 500 m and their Kreise (built once)."""
    if "overview_frames" not in b._cache:
        b._cache["overview_frames"] = level_frames(b.metric_gemeinden, b.kreise,
                                                   OVERVIEW_TOLERANCE_M)
    return b._cache["overview_frames"]


def _kreis_overview(b: Boundaries) -> dict:
    """Kreise (simplified to ``KREIS_TOLERANCE_M`` as one coverage) and the Länder as their
    unions: the first view of an area with too many Gemeinden to draw at once."""
    kr = simplify_coverage(b.kreise.assign(land=b.kreise.ags.str[:2]), KREIS_TOLERANCE_M)
    laender = gpd.GeoDataFrame(
        [{"ags": land, "name": LAND_NAMES.get(land, land),
          "geometry": shapely.coverage_union_all(part.geometry.values)}
         for land, part in kr.groupby("land")], crs=METRIC_CRS)
    return to_topology({"kreise": frame_features(kr, KREIS_PROPS),
                        "laender": frame_features(laender, ["ags", "name"])}, KREIS_GRID)


def level_topology(b: Boundaries, name: str) -> dict:
    """Build TopoJSON level *name* of *b*: ``uebersicht`` (all Gemeinden and Kreise,
    simplified to 500 m, plus the index of the detailed parts; for a :attr:`kreisweise` area
    only Kreise and Länder, and the index of its ``gemeinden-<Land>`` parts too),
    ``gemeinden-<Land>`` (that Land's Gemeinden and Kreise at the overview's 500 m) or
    ``karte-<Land>`` (that Land's Gemeinden and Kreise exactly as in the shipped GeoJSON)."""
    if name == "uebersicht":
        if b.kreisweise:
            topo = _kreis_overview(b)
            topo["gemeinden"] = {"ab_zoom": GEMEINDE_ZOOM, "teile": _land_index(b)}
        else:
            gem, kr = _overview_frames(b)
            topo = to_topology({"gemeinden": frame_features(gem, GEMEINDE_PROPS),
                                "kreise": frame_features(kr, KREIS_PROPS)}, OVERVIEW_GRID)
        topo["detail"] = {"ab_zoom": DETAIL_ZOOM, "teile": _land_index(b)}
        return topo
    if name.startswith("gemeinden-"):
        land = name.removeprefix("gemeinden-")
        gem, kr = _overview_frames(b)
        return to_topology({"gemeinden": frame_features(gem[gem.ags.str[:2] == land],
                                                        GEMEINDE_PROPS),
                            "kreise": frame_features(kr[kr.ags.str[:2] == land], KREIS_PROPS)},
                           OVERVIEW_GRID)
    land = name.removeprefix("karte-")
    return to_topology({"gemeinden": [f for a, f in b.features("gemeinden").items()
                                      if a[:2] == land],
                        "kreise": [f for a, f in b.features("kreise").items() if a[:2] == land]},
                       DETAIL_GRID)


def write_levels(b: Boundaries, directory: Path) -> list[Path]:
    """Write every TopoJSON level of *b* as ``{area}_{name}.topojson`` into *directory*."""
    out = []
    for name in b.topo_names:
        path = directory / f"{b.area or 'nrw'}_{name}.topojson"
        path.unlink(missing_ok=True)  # a link to another checkout's file: replace, not write
        path.write_bytes(topology_bytes(level_topology(b, name)))
        out.append(path)
    return out
