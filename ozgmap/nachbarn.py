"""Nachnutzung ("Einer für Alle"): who near a Gemeinde or Kreis already offers what it asks
about, and what its neighbours offer that it lacks (gap list)."""
from __future__ import annotations

from collections import defaultdict

from .config import SAMPLE_SOURCE
from .filters import Filter
from .snapshot import Rec, Snapshot

NEAR_RINGS = 2  # rings 1 and 2 come first; everything else by distance


def target_leistungen(s: Snapshot, leistung: str | None = None, lage: int | None = None,
                      themenfeld: int | None = None) -> set[str]:
    """OZG-IDs asked about by a coordinator: one Leistung, a Lage or a Themenfeld."""
    if leistung:
        return {leistung}
    return {o for o, lst in s.leistungen.items()
            if (lage is None or lst["lage_id"] == lage)
            and (themenfeld is None or lst["themenfeld_id"] == themenfeld)}


def _origin_gemeinden(s: Snapshot, ags: str) -> list[str]:
    if s.gebiete[ags]["ebene"] == "kreis":
        return [g["ags"] for g in s.gemeinden if g["kreis_ags"] == ags]
    return [ags]


def neighbours_with(s: Snapshot, b, ags: str, wanted: set[str], f: Filter,
                    limit: int = 50) -> list[dict]:
    """Bodies (Gemeinden and Kreise) that offer any of *wanted* themselves, nearest first.

    Order: direct neighbours (ring 1, across Kreis borders), then ring 2, then the rest by
    straight-line distance in km (EPSG:25832). The origin itself and its own Gemeinden are
    left out; Land and Bund offers are everywhere and so not listed.
    """
    origin = set(_origin_gemeinden(s, ags))
    rings = b.rings(origin, max_ring=NEAR_RINGS)
    out = []
    for cand in s.gebiete.values():
        if cand["ebene"] not in ("gemeinde", "kreis") or cand["ags"] == ags \
                or cand["ags"] in origin:
            continue
        offers = [r for r in s.body_records(cand["ags"], f) if r["ozg_id"] in wanted]
        if not offers:
            continue
        if cand["ebene"] == "kreis":
            ring = min((rings.get(g["ags"], 99) for g in s.gemeinden
                        if g["kreis_ags"] == cand["ags"]), default=99)
        else:
            ring = rings.get(cand["ags"], 99)
        out.append((cand, ring, offers))
    dist = b.distances_km(ags, [c["ags"] for c, _, _ in out])
    rows = []
    for cand, ring, offers in out:
        kreis = s.gebiete.get(cand["kreis_ags"] or "", {})
        rows.append({
            "ags": cand["ags"], "name": cand["name"], "bez": cand["bez"],
            "ebene": cand["ebene"], "kreis": kreis.get("name") if cand["ebene"] == "gemeinde"
            else None, "ring": ring if ring <= NEAR_RINGS else None,
            "entfernung_km": round(dist.get(cand["ags"], float("nan")), 1),
            "angebote": sorted(offers, key=lambda r: (r.ozg_id, r.leika_key))})
    rows.sort(key=lambda r: (r["ring"] or 99, r["entfernung_km"], r["name"]))
    rows = rows[:limit]
    for row in rows:  # details (URL, since when, source) only for the bodies listed
        row["angebote"] = [_offer(s, r) for r in row["angebote"]]
    return rows


def gaps(s: Snapshot, b, ags: str, min_n: int, f: Filter) -> dict:
    """Leistungen offered by at least *min_n* direct neighbours but not by *ags* itself.

    Neighbours of a Gemeinde share a border with it; those of a Kreis are the Kreise (and
    kreisfreie Städte) bordering it.
    """
    if s.gebiete[ags]["ebene"] == "kreis":
        neighbours = sorted({s.gebiete[n]["kreis_ags"] for g in _origin_gemeinden(s, ags)
                             for n in b.adjacency.get(g, ())} - {ags})
    else:
        neighbours = sorted(b.adjacency.get(ags, ()))
    own = {r["ozg_id"] for r in s.body_records(ags, f)}
    kreis = s.gebiete[ags]["kreis_ags"]
    kreis_has = {r["ozg_id"] for r in s.body_records(kreis, f)} if kreis and kreis != ags \
        else set()
    who: dict[str, list[str]] = defaultdict(list)
    for n in neighbours:
        for o in {r["ozg_id"] for r in s.body_records(n, f)} - own:
            if o in s.leistungen and (f.themenfeld is None
                                      or s.leistungen[o]["themenfeld_id"] == f.themenfeld):
                who[o].append(n)
    items = [{"ozg_id": o, "leistung": s.leistungen[o]["name"],
              "themenfeld": s.themenfeld_names.get(s.leistungen[o]["themenfeld_id"]),
              "anzahl_nachbarn": len(ns), "von_nachbarn": len(neighbours),
              "nachbarn": [{"ags": n, "name": s.gebiete[n]["name"]} for n in ns],
              "kreis_bietet_an": o in kreis_has}
             for o, ns in who.items() if len(ns) >= min_n]
    items.sort(key=lambda i: (-i["anzahl_nachbarn"], i["leistung"]))
    return {"ags": ags, "name": s.gebiete[ags]["name"], "min": min_n,
            "nachbarn": [{"ags": n, "name": s.gebiete[n]["name"]} for n in neighbours],
            "luecken": items}


def _offer(s: Snapshot, rec: Rec) -> dict:
    r = s.details(rec.ags)[(rec.ozg_id, rec.leika_key)]
    return {"ozg_id": r["ozg_id"], "leistung": s.leistungen[r["ozg_id"]]["name"],
            "url": r["url"], "status": r["status"], "reifegrad": r["reifegrad"],
            "seit": r["seit"].isoformat() if r["seit"] else None, "quelle": r["quelle"],
            "beispieldaten": r["quelle"] == SAMPLE_SOURCE}


def lookup(s: Snapshot, b, ags: str, f: Filter, lage: int | None, asked: bool) -> dict:
    """Bodies near *ags* that offer what was asked (Leistung, Lage or Themenfeld of *f*),
    with what *ags* offers itself: the data of the page ``/nachbarn`` and its API twin."""
    wanted = target_leistungen(s, f.leistung, lage, f.themenfeld)
    rows = neighbours_with(s, b, ags, wanted, f) if asked else []
    own = {r["ozg_id"] for r in s.body_records(ags, f)} & wanted
    return {"ags": ags, "name": s.gebiete[ags]["name"],
            "gefragt": {"leistung": f.leistung, "lage": lage,
                        "themenfeld": f.themenfeld, "anzahl_leistungen": len(wanted)},
            "eigene_angebote": sorted(own), "treffer": rows}


def map_selection(s: Snapshot, b, ags: str, treffer: list[dict]
                  ) -> tuple[list[dict], set[str], list[list[float]]]:
    """What the neighbour map shows around *ags*: (features of rings 1–2 and of every
    Gemeinde with a solution in *treffer*, the Gemeinden with a solution, bounds)."""
    origin = [g["ags"] for g in s.gemeinden if g["ags"] == ags or g["kreis_ags"] == ags]
    solution = set()
    for t in treffer:
        if t["ebene"] == "kreis":
            solution |= {g["ags"] for g in s.gemeinden if g["kreis_ags"] == t["ags"]}
        else:
            solution.add(t["ags"])
    show = set(origin) | set(b.rings(set(origin), max_ring=2)) | solution
    all_features = b.features("gemeinden")
    features = [all_features[a] for a in sorted(show)]
    minx, miny, maxx, maxy = b.gemeinden[b.gemeinden.ags.isin(show)].total_bounds
    return features, solution, [[miny, minx], [maxy, maxx]]
