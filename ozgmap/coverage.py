"""Joins: who offers what, the Umsetzungsgrad per body for a filter, and neighbours.

A :class:`Snapshot` is the whole store in memory (a few MB), rebuilt only when the store's
``data_version`` changes, so every request of every worker answers from memory.
"""
from __future__ import annotations

import gc
import threading
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property

from .config import SAMPLE_SOURCE
from .store import BUND_AGS, Store

STATUS_ORDER = ["offen", "in Planung", "in Bearbeitung", "umgesetzt"]
VIEWS = {"einwohner": "für Einwohner verfügbar", "eigene": "eigene Angebote"}
PROVIDER_LABEL = {"gemeinde": "Gemeinde", "kreis": "Kreis", "land": "Land", "bund": "Bund"}


@dataclass(frozen=True)
class Filter:
    """One view of the map; every field is a URL parameter (see ``web.params``)."""

    themenfeld: int | None = None
    leistung: str | None = None
    kreis: str | None = None
    status: str = "umgesetzt"       # counts records of at least this status
    ansicht: str = "einwohner"      # einwohner | eigene
    nur_echt: bool = False          # hide Beispieldaten

    def key(self) -> tuple:
        return (self.themenfeld, self.leistung, self.kreis, self.status, self.ansicht,
                self.nur_echt)

    def without_kreis(self) -> "Filter":
        return replace(self, kreis=None)


class Rec:
    """The part of a record the figures need; a few dozen bytes, so all of Germany fits.

    Supports ``r["ozg_id"]`` like the full record dicts; details (URL, dates, …) come from
    :meth:`Snapshot.details`.
    """

    __slots__ = ("ags", "ozg_id", "leika_key", "status", "rank", "quelle", "sample")

    def __init__(self, ags: str, ozg_id: str, leika_key: str, status: str, quelle: str):
        self.ags, self.ozg_id, self.leika_key, self.status = ags, ozg_id, leika_key, status
        self.rank = STATUS_RANK.get(status, -1)
        self.quelle = quelle
        self.sample = quelle == SAMPLE_SOURCE

    def __getitem__(self, key: str):
        return getattr(self, key)


STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}


@dataclass
class Snapshot:
    """The store's content at one data_version, indexed for the joins below.

    Holds the catalogue, the bodies and a compact :class:`Rec` per record, grouped by body;
    full records are read from the store only where a view shows them.
    """

    version: int
    themenfelder: list[dict]
    lagen: dict[int, dict]
    leistungen: dict[str, dict]
    gebiete: dict[str, dict]
    changed_at: object = None
    _store: Store | None = field(default=None, repr=False)
    _by_body: dict = field(default_factory=dict, repr=False)
    _sources: set = field(default_factory=set, repr=False)
    _details: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, store: Store) -> "Snapshot":
        version = store.data_version()
        snap = cls(version=version, themenfelder=store.themenfelder(),
                   lagen={r["id"]: r for r in store.lagen()},
                   leistungen={r["ozg_id"]: r for r in store.leistungen()},
                   gebiete={r["ags"]: r for r in store.gebiete()},
                   changed_at=store.changed_at(), _store=store)
        pool: dict[str, str] = {}   # one string object per distinct value
        keep = pool.setdefault
        for ags, ozg_id, leika_key, status, quelle in store.record_keys():
            rec = Rec(keep(ags, ags), keep(ozg_id, ozg_id), keep(leika_key, leika_key),
                      keep(status, status), keep(quelle, quelle))
            snap._by_body.setdefault(rec.ags, []).append(rec)
            snap._sources.add(rec.quelle)
        return snap

    def all_records(self) -> list[dict]:
        """Every current record in full, read from the store (callers cache what they build)."""
        return self._store.records()

    def details(self, ags: str) -> dict[tuple, dict]:
        """Full records of one body by (ozg_id, leika_key), read once per snapshot."""
        if ags not in self._details:
            if len(self._details) > 256:
                self._details.clear()
            self._details[ags] = {(r["ozg_id"], r["leika_key"]): r
                                  for r in self._store.records(ags=ags)}
        return self._details[ags]

    @cached_property
    def leika_names(self) -> dict[str, str]:
        """LeiKa key -> name of the LeiKa-Leistung (for records kept per LeiKa key)."""
        return {r["leika_key"]: r["name"] for r in self._store.leika_rows() if r["leika_key"]}

    @cached_property
    def themenfeld_names(self) -> dict[int, str]:
        return {t["id"]: t["name"] for t in self.themenfelder}

    @cached_property
    def gemeinden(self) -> list[dict]:
        return [g for g in self.gebiete.values() if g["ebene"] == "gemeinde"]

    @cached_property
    def kreise(self) -> list[dict]:
        return [g for g in self.gebiete.values() if g["ebene"] == "kreis"]

    @cached_property
    def real_sources(self) -> list[str]:
        """The sources of all records that are not Beispieldaten, for credits."""
        return sorted(self._sources - {SAMPLE_SOURCE})

    @cached_property
    def has_sample(self) -> bool:
        return SAMPLE_SOURCE in self._sources

    @cached_property
    def record_count(self) -> int:
        return sum(len(v) for v in self._by_body.values())

    def providers(self, ags: str, ansicht: str = "einwohner") -> list[str]:
        """The bodies whose offers count for *ags*: itself, and for residents its Kreis,
        Land and Bund."""
        if ansicht == "eigene":
            return [ags]
        out = [ags]
        g = self.gebiete.get(ags)
        if g and g["ebene"] == "gemeinde" and g["kreis_ags"] and g["kreis_ags"] in self.gebiete:
            out.append(g["kreis_ags"])
        if g and g["ebene"] in ("gemeinde", "kreis"):
            out.append(ags[:2])
        if g and g["ebene"] != "bund":
            out.append(BUND_AGS)
        return out

    def body_records(self, ags: str, f: Filter) -> list[Rec]:
        """Records of *ags* that pass the status and sample filters (not the Leistung filter)."""
        min_rank = STATUS_RANK[f.status]
        return [r for r in self._by_body.get(ags, ())
                if r.rank >= min_rank and not (f.nur_echt and r.sample)]

    def has_data(self, ags: str, f: Filter) -> bool:
        return any(not (f.nur_echt and r.sample)
                   for p in self.providers(ags, f.ansicht) for r in self._by_body.get(p, ()))

    def in_filter(self, f: Filter) -> set[str]:
        """OZG-IDs the Umsetzungsgrad is measured against.

        One chosen Leistung counts alone; otherwise the Leistungen of kommunal Vollzug in
        the chosen Themenfeld (or all of them).
        """
        if f.leistung:
            return {f.leistung}
        return {o for o, lst in self.leistungen.items() if lst["kommunal"]
                and (f.themenfeld is None or lst["themenfeld_id"] == f.themenfeld)}


def describe(s: Snapshot, f: Filter) -> str:
    """What the figure of a filter counts, in one German sentence (legend of map and table)."""
    if f.leistung:
        what = f"Ist die Leistung „{s.leistungen[f.leistung]['name']}“ online?"
    else:
        tf = s.themenfeld_names.get(f.themenfeld)
        what = ("Anteil der kommunal vollzogenen OZG-Leistungen"
                + (f" im Themenfeld „{tf}“" if tf else "") + ", die online sind.")
    who = ("nur eigene Angebote der Gemeinde" if f.ansicht == "eigene"
           else "Angebote von Gemeinde, Kreis, Land und Bund für die Einwohner")
    extra = " Ohne Beispieldaten." if f.nur_echt else ""
    return f"{what} Gezählt: {who}, Stand mindestens „{f.status}“.{extra}"


class Coverage:
    """Figures per filter over a :class:`Snapshot`, cached until the data changes."""

    def __init__(self, store: Store):
        self.store = store
        self._snap: Snapshot | None = None
        self._lock = threading.Lock()
        self._cache: dict = {}

    def snapshot(self) -> Snapshot:
        version = self.store.data_version()
        with self._lock:
            if self._snap is None or self._snap.version != version:
                self._snap = Snapshot.load(self.store)
                self._cache = {}
                _settle()
            return self._snap

    def cached(self, key: tuple, build, snap: Snapshot | None = None):
        """Memoise *build(snapshot)* under *key* for the current data version (that of
        *snap* when the caller has just taken one)."""
        snap = snap or self.snapshot()
        full = (snap.version,) + key
        if full not in self._cache:
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[full] = build(snap)
        return self._cache[full]

    def figures(self, f: Filter, snap: Snapshot | None = None) -> list[dict]:
        """Umsetzungsgrad of every Gemeinde (in the Kreis, if one is chosen), by AGS."""
        return self.cached(("figures",) + f.key(), lambda s: _figures(s, f), snap)

    def body(self, ags: str, f: Filter, snap: Snapshot | None = None) -> dict:
        """One body's offers for the filter, grouped by Themenfeld, each with its provider."""
        return self.cached(("body", ags) + f.key(), lambda s: _body(s, ags, f), snap)


def _settle() -> None:
    """Take what stays in memory (the snapshot, the geometry) out of the garbage collector's
    rounds: else a full round over it paused one request in about twenty by 60 ms (NRW).
    Once per data version, after freeing what the previous snapshot left in cycles."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _figures(s: Snapshot, f: Filter) -> list[dict]:
    wanted = s.in_filter(f)
    total = len(wanted)
    offered: dict[str, frozenset[str]] = {}  # per provider, once: Land and Bund serve all
    has_any: dict[str, bool] = {}

    def offers(p: str) -> frozenset[str]:
        if p not in offered:
            offered[p] = frozenset({r.ozg_id for r in s.body_records(p, f)} & wanted)
            has_any[p] = any(not (f.nur_echt and r.sample) for r in s._by_body.get(p, ()))
        return offered[p]

    out = []
    for g in sorted(s.gemeinden, key=lambda g: g["ags"]):
        if f.kreis and g["kreis_ags"] != f.kreis:
            continue
        by_level: dict[str, set[str]] = defaultdict(set)
        providers = s.providers(g["ags"], f.ansicht)
        for p in providers:
            level = s.gebiete[p]["ebene"] if p in s.gebiete else "bund"
            by_level[level] |= offers(p)
        online = set().union(*by_level.values()) if by_level else set()
        has = any(has_any[p] for p in providers)
        kreis = s.gebiete.get(g["kreis_ags"], {})
        out.append({
            "ags": g["ags"], "name": g["name"], "bez": g["bez"],
            "kreis_ags": g["kreis_ags"], "kreis": kreis.get("name", ""),
            "leistungen_im_filter": total,
            "online": len(online) if has else None,
            "anteil": (round(len(online) / total, 4) if total else 0.0) if has else None,
            "eigene": len(by_level["gemeinde"]) if has else None,
            "vom_kreis": len(by_level["kreis"] - by_level["gemeinde"]) if has else None,
            "vom_land_bund": len((by_level["land"] | by_level["bund"]) - by_level["gemeinde"]
                                 - by_level["kreis"]) if has else None,
        })
    return out


def _body(s: Snapshot, ags: str, f: Filter) -> dict:
    g = s.gebiete[ags]
    wanted = {f.leistung} if f.leistung else None
    groups: dict[int, list[dict]] = defaultdict(list)
    for p in s.providers(ags, f.ansicht):
        level = s.gebiete[p]["ebene"] if p in s.gebiete else "bund"
        for r in s.body_records(p, f):
            lst = s.leistungen.get(r["ozg_id"])
            if lst is None:
                continue
            if wanted is not None:  # a chosen Leistung counts alone, as in in_filter()
                if r["ozg_id"] not in wanted:
                    continue
            elif f.themenfeld is not None and lst["themenfeld_id"] != f.themenfeld:
                continue
            r = s.details(p)[(r.ozg_id, r.leika_key)]
            groups[lst["themenfeld_id"]].append({
                "ozg_id": r["ozg_id"], "leistung": lst["name"], "leika_key": r["leika_key"],
                "leika_name": s.leika_names.get(r["leika_key"]) if r["leika_key"] else None,
                "status": r["status"], "reifegrad": r["reifegrad"], "url": r["url"],
                "seit": r["seit"].isoformat() if r["seit"] else None,
                "flaechendeckung": r["flaechendeckung"], "quelle": r["quelle"],
                "stelle": r["stelle"], "beispieldaten": r["quelle"] == SAMPLE_SOURCE,
                "anbieter": PROVIDER_LABEL[level], "anbieter_ags": p,
                "anbieter_name": s.gebiete[p]["name"] if p in s.gebiete else "Bund",
            })
    themen = []
    for tf in s.themenfelder:
        items = sorted(groups.get(tf["id"], []),
                       key=lambda i: (i["leistung"], i["leika_name"] or "", i["anbieter_ags"]))
        if items:
            themen.append({"id": tf["id"], "name": tf["name"], "leistungen": items})
    kreis = s.gebiete.get(g["kreis_ags"] or "", {})
    return {"ags": ags, "name": g["name"], "bez": g["bez"], "ebene": g["ebene"],
            "kreis_ags": g["kreis_ags"], "kreis": kreis.get("name"),
            "ansicht": f.ansicht, "themenfelder": themen,
            "anzahl": sum(len(t["leistungen"]) for t in themen)}


def table(cov: Coverage, f: Filter) -> dict:
    """The table twin of the map: per Gemeinde the overall figure and one per Themenfeld."""
    def build(s: Snapshot) -> dict:
        themen = ([t for t in s.themenfelder if t["id"] == f.themenfeld] if f.themenfeld
                  else s.themenfelder)
        overall = cov.figures(f)
        per_tf = {t["id"]: {r["ags"]: r for r in cov.figures(replace(f, themenfeld=t["id"]))}
                  for t in themen} if not f.leistung else {}
        rows = []
        for r in overall:
            rows.append({**r, "themen": {tid: per_tf[tid][r["ags"]]["anteil"]
                                         for tid in per_tf}})
        return {"themenfelder": themen if not f.leistung else [], "rows": rows}
    return cov.cached(("table",) + f.key(), build)


# --- Nachnutzung: who near me offers it, and what do my neighbours have that we lack -------

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
