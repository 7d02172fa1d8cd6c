"""TopoJSON: polygon layers encoded with every border stored once, on an integer grid
(delta-encoded arcs), and decoded back; pure (no geometry library)."""
from __future__ import annotations

import json

import numpy as np

Point = tuple[int, int]


def _polygons(geom: dict) -> list:
    if geom["type"] == "Polygon":
        return [geom["coordinates"]]
    if geom["type"] == "MultiPolygon":
        return geom["coordinates"]
    raise ValueError(f"Nur Flächen erwartet, nicht {geom['type']}")


def to_topology(layers: dict[str, list[dict]], scale: float = 1e-5) -> dict:
    """Encode polygon layers (GeoJSON features, EPSG:4326) as one quantized TopoJSON topology.

    Coordinates snap to a grid of *scale* degrees; a border shared by two polygons (or by a
    Gemeinde and its Kreis) becomes one arc, stored once and delta-encoded. With the shipped
    GeoJSON and ``scale=1e-5`` (its rounding) decoding gives back exactly its coordinates.
    """
    xs = [c[0] for fs in layers.values() for f in fs for poly in _polygons(f["geometry"])
          for c in poly[0]]
    ys = [c[1] for fs in layers.values() for f in fs for poly in _polygons(f["geometry"])
          for c in poly[0]]
    tx, ty = np.floor(min(xs) / scale) * scale, np.floor(min(ys) / scale) * scale

    def ring_q(ring: list) -> list[Point] | None:
        out: list[Point] = []
        for x, y in ring:
            p = (round((x - tx) / scale), round((y - ty) / scale))
            if not out or out[-1] != p:
                out.append(p)
        if out[0] != out[-1]:
            out.append(out[0])
        return out if len(out) >= 4 else None

    quantized = {name: [[[ring_q(r) for r in poly] for poly in _polygons(f["geometry"])]
                        for f in feats] for name, feats in layers.items()}
    rings = [r for polys in quantized.values() for f in polys for poly in f for r in poly if r]
    junctions = _junctions(rings)
    arcs: list[tuple[Point, ...]] = []
    index: dict[tuple[Point, ...], int] = {}

    def arc_id(arc: tuple[Point, ...]) -> int:
        if arc in index:
            return index[arc]
        if arc[::-1] in index:
            return ~index[arc[::-1]]
        index[arc] = len(arcs)
        arcs.append(arc)
        return index[arc]

    objects = {}
    for name, feats in layers.items():
        geoms = []
        for f, polys in zip(feats, quantized[name]):
            parts = [[[arc_id(a) for a in _cut(r, junctions)] for r in poly if r]
                     for poly in polys if poly[0]]
            if not parts:
                raise ValueError(f"{f.get('id')}: Fläche verschwindet im Raster {scale}°")
            geom = {"type": "MultiPolygon" if len(parts) > 1 else "Polygon",
                    "arcs": parts if len(parts) > 1 else parts[0]}
            if "id" in f:
                geom["id"] = f["id"]
            geom["properties"] = f["properties"]
            geoms.append(geom)
        objects[name] = {"type": "GeometryCollection", "geometries": geoms}
    return {"type": "Topology",
            "bbox": [round(min(xs), 6), round(min(ys), 6), round(max(xs), 6), round(max(ys), 6)],
            "transform": {"scale": [scale, scale],
                          "translate": [round(float(tx), 9), round(float(ty), 9)]},
            "objects": objects, "arcs": [_delta(a) for a in arcs]}


def _junctions(rings: list[list[Point]]) -> set[Point]:
    """Points where rings meet with different neighbours: the ends of shared borders."""
    seen: dict[Point, tuple[Point, Point]] = {}
    out: set[Point] = set()
    for ring in rings:
        n = len(ring) - 1
        for i in range(n):
            a, b = ring[i - 1] if i else ring[n - 1], ring[i + 1]
            key = (a, b) if a <= b else (b, a)
            if seen.setdefault(ring[i], key) != key:
                out.add(ring[i])
    return out


def _cut(ring: list[Point], junctions: set[Point]) -> list[tuple[Point, ...]]:
    """Split a closed ring into arcs at its junctions (a ring without any: one closed arc,
    started at its smallest point so that the same ring seen from outside matches)."""
    body = ring[:-1]
    cuts = [i for i, p in enumerate(body) if p in junctions]
    if not cuts:
        start = body.index(min(body))
        rot = body[start:] + body[:start]
        return [tuple(rot + rot[:1])]
    start = cuts[0]
    rot = body[start:] + body[:start] + [body[start]]
    ends = [i - start for i in cuts] + [len(body)]
    return [tuple(rot[ends[k]:ends[k + 1] + 1]) for k in range(len(ends) - 1)]


def _delta(arc: tuple[Point, ...]) -> list[list[int]]:
    out = [list(arc[0])]
    out += [[b[0] - a[0], b[1] - a[1]] for a, b in zip(arc, arc[1:])]
    return out


def topology_features(topo: dict, name: str) -> list[dict]:
    """Decode one object of a quantized topology back into GeoJSON features (for checks)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append([x * sx + tx, y * sy + ty])
        arcs.append(pts)

    def ring(ids: list[int]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in ids:
            pts = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(pts if not out else pts[1:])
        return out

    feats = []
    for g in topo["objects"][name]["geometries"]:
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        coords = [[ring(r) for r in poly] for poly in polys]
        feats.append({"type": "Feature", "id": g.get("id"), "properties": g["properties"],
                      "geometry": {"type": g["type"],
                                   "coordinates": coords if g["type"] == "MultiPolygon"
                                   else coords[0]}})
    return feats


def topology_bytes(topo: dict) -> bytes:
    """Compact UTF-8 JSON of a topology, as served and as written."""
    return json.dumps(topo, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
