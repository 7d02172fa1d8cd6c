"""The figures: the Umsetzungsgrad per Gemeinde for a filter, one body's offers, the table;
computed over a :class:`~ozgmap.snapshot.Snapshot` and cached until the data changes.
"""
from __future__ import annotations

import gc
import threading
import time
from collections import defaultdict
from dataclasses import replace

from .config import SAMPLE_SOURCE
from .filters import Filter
from .snapshot import Snapshot, stand_text
from .store import Store

PROVIDER_LABEL = {"gemeinde": "Gemeinde", "kreis": "Kreis", "land": "Land", "bund": "Bund"}
LEVELS = tuple(PROVIDER_LABEL)  # the providers' levels, nearest first
#: the columns of a row of :meth:`Coverage.figures`
FIGURE_COLUMNS = ["ags", "name", "bez", "kreis_ags", "kreis", "leistungen_im_filter",
                  "online", "anteil", "eigene", "vom_kreis", "vom_land_bund", "beispieldaten"]


class Coverage:
    """Figures per filter over a :class:`Snapshot`, cached until the data changes."""

    def __init__(self, store: Store, reload_interval: float = 1.0):
        self.store = store
        self.reload_interval = reload_interval
        self._snap: Snapshot | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self._cache: dict = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The snapshot of the newest data version, reloaded at most once per
        ``reload_interval`` seconds (a burst of writes must not make every read wait for a
        reload): meanwhile, and while one reader builds the new one, readers get the old."""
        version = self.store.data_version()
        snap = self._snap
        if snap is not None and (snap.version == version or
                                 time.monotonic() - self._loaded_at < self.reload_interval):
            return snap
        if snap is not None and not self._lock.acquire(blocking=False):
            return snap  # another thread is building the new one
        if snap is None:
            self._lock.acquire()  # the first snapshot: everybody waits for it
        try:
            if self._snap is None or self._snap.version != version:
                fresh = Snapshot.load(self.store)
                self._cache = {}
                self._snap = fresh
                _settle()
                self._loaded_at = time.monotonic()
            return self._snap
        finally:
            self._lock.release()

    def cached(self, key: tuple, build, snap: Snapshot | None = None):
        """Memoise *build(snapshot)* under *key* for the current data version (that of
        *snap* when the caller has just taken one)."""
        snap = snap or self.snapshot()
        full = (snap.version,) + key
        cache = self._cache
        if full in cache:
            return cache[full]
        with self._lock_of(full):  # one thread builds, the others of this key wait for it
            if full not in cache:
                if len(cache) > 512:
                    cache.clear()
                cache[full] = build(snap)
            return cache[full]

    def _lock_of(self, key: tuple) -> threading.Lock:
        with self._locks_lock:
            if len(self._locks) > 1024:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(key, threading.Lock())

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


def anteil(online: int, total: int) -> float:
    """The Umsetzungsgrad as the API states it (4 decimals; 0.0 for an empty filter)."""
    return round(online / total, 4) if total else 0.0


class Offers:
    """What each provider offers of *wanted* under *f*, computed once per provider (Land and
    Bund serve every Gemeinde)."""

    def __init__(self, s: Snapshot, f: Filter, wanted: set[str]):
        self.s, self.f, self.wanted = s, f, wanted
        self._offered: dict[str, frozenset[str]] = {}
        self._has_any: dict[str, bool] = {}
        self._sample: dict[str, bool] = {}  # whether its offers in the filter are sample

    def of(self, p: str) -> frozenset[str]:
        if p not in self._offered:
            s, f = self.s, self.f
            recs = s.resident_offers(p, f)
            self._offered[p] = frozenset({r.ozg_id for r in recs} & self.wanted)
            self._sample[p] = any(r.sample and r.ozg_id in self.wanted for r in recs)
            self._has_any[p] = any(not (f.nur_echt and r.sample) for r in s._by_body.get(p, ()))
        return self._offered[p]

    def rests_on_sample(self, levels: dict[str, tuple[str, frozenset[str]]]) -> bool:
        """Whether the figure of these providers (:meth:`by_level`) counts Beispieldaten."""
        return any(self._sample[p] for p, _ in levels.values())

    def by_level(self, ags: str) -> tuple[dict[str, tuple[str, frozenset[str]]], bool]:
        """For *ags*: per level (gemeinde, kreis, land, bund) its provider and what that
        offers, and whether any provider has data at all (else: "keine Daten")."""
        out = {}
        for p in self.s.providers(ags, self.f.ansicht):
            level = self.s.gebiete[p]["ebene"] if p in self.s.gebiete else "bund"
            out[level] = (p, self.of(p))
        return out, any(self._has_any[p] for p, _ in out.values())


def nearest_provider(levels: dict[str, tuple[str, frozenset[str]]]) -> dict[str, str]:
    """Each offered OZG-ID -> the nearest level that offers it."""
    out: dict[str, str] = {}
    for level in reversed(LEVELS):
        if level in levels:
            out.update(dict.fromkeys(levels[level][1], level))
    return out


def _figures(s: Snapshot, f: Filter) -> list[dict]:
    wanted = s.in_filter(f)
    total = len(wanted)
    offers = Offers(s, f, wanted)
    out = []
    for g in sorted(s.gemeinden, key=lambda g: g["ags"]):
        if f.kreis and g["kreis_ags"] != f.kreis:
            continue
        levels, has = offers.by_level(g["ags"])
        by_level = defaultdict(set, {level: set(o) for level, (_p, o) in levels.items()})
        online = set().union(*by_level.values()) if by_level else set()
        kreis = s.gebiete.get(g["kreis_ags"], {})
        out.append({
            "ags": g["ags"], "name": g["name"], "bez": g["bez"],
            "kreis_ags": g["kreis_ags"], "kreis": kreis.get("name", ""),
            "leistungen_im_filter": total,
            "online": len(online) if has else None,
            "anteil": anteil(len(online), total) if has else None,
            "eigene": len(by_level["gemeinde"]) if has else None,
            "vom_kreis": len(by_level["kreis"] - by_level["gemeinde"]) if has else None,
            "vom_land_bund": len((by_level["land"] | by_level["bund"]) - by_level["gemeinde"]
                                 - by_level["kreis"]) if has else None,
            "beispieldaten": offers.rests_on_sample(levels) if has else None,
        })
    return out


def record_item(s: Snapshot, rec, level: str) -> dict:
    """One record (a ``Rec``) in full, as the detail lists show it, with its provider
    (*level*)."""
    r, p = s.details(rec.ags)[(rec.ozg_id, rec.leika_key)], rec.ags
    return {
        "ozg_id": r["ozg_id"], "leistung": s.leistungen[r["ozg_id"]]["name"],
        "leika_key": r["leika_key"],
        "leika_name": s.leika_names.get(r["leika_key"]) if r["leika_key"] else None,
        "status": r["status"], "reifegrad": r["reifegrad"], "url": r["url"],
        "seit": r["seit"].isoformat() if r["seit"] else None,
        "flaechendeckung": r["flaechendeckung"], "quelle": r["quelle"],
        "stelle": r["stelle"], "beispieldaten": r["quelle"] == SAMPLE_SOURCE,
        "stand": r["stand"].isoformat() if r["stand"] else None,
        "hinweis": r["hinweis"], "gezaehlt": rec.counted,
        "anbieter": PROVIDER_LABEL[level], "anbieter_ags": p,
        "anbieter_name": s.gebiete[p]["name"] if p in s.gebiete else "Bund",
    }


def _body(s: Snapshot, ags: str, f: Filter) -> dict:
    g = s.gebiete[ags]
    wanted = {f.leistung} if f.leistung else None
    groups: dict[int, list[dict]] = defaultdict(list)
    for p in s.providers(ags, f.ansicht):
        level = s.gebiete[p]["ebene"] if p in s.gebiete else "bund"
        # the body's own uncounted records are listed (with their Begründung), not counted
        recs = s.body_records(p, f, uncounted=True) if p == ags \
            else s.resident_offers(p, f)
        for r in recs:
            lst = s.leistungen.get(r["ozg_id"])
            if lst is None:
                continue
            if wanted is not None:  # a chosen Leistung counts alone, as in in_filter()
                if r["ozg_id"] not in wanted:
                    continue
            elif f.themenfeld is not None and lst["themenfeld_id"] != f.themenfeld:
                continue
            groups[lst["themenfeld_id"]].append(record_item(s, r, level))
    themen = []
    for tf in s.themenfelder:
        items = sorted(groups.get(tf["id"], []),
                       key=lambda i: (i["leistung"], i["leika_name"] or "", i["anbieter_ags"]))
        if items:
            themen.append({"id": tf["id"], "name": tf["name"], "leistungen": items})
    kreis = s.gebiete.get(g["kreis_ags"] or "", {})
    items = [i for t in themen for i in t["leistungen"]]
    return {"ags": ags, "name": g["name"], "bez": g["bez"], "ebene": g["ebene"],
            "kreis_ags": g["kreis_ags"], "kreis": kreis.get("name"),
            "ansicht": f.ansicht, "themenfelder": themen,
            "anzahl": sum(i["gezaehlt"] for i in items),
            "nicht_gezaehlt": sum(not i["gezaehlt"] for i in items),
            "daten": "echt" if ags in s.real_bodies else (
                "Beispieldaten" if ags in s._by_body else "keine"),
            "beispieldaten": any(i["beispieldaten"] for i in items),
            "nur_beispieldaten": bool(items) and all(i["beispieldaten"] for i in items),
            "stand": stands(items)}


def stands(items: list[dict]) -> list[dict]:
    """The newest Stand of each real source among *items*, with its German line."""
    newest: dict[str, str] = {}
    for i in items:
        if i["stand"] and not i["beispieldaten"]:
            newest[i["quelle"]] = max(newest.get(i["quelle"], ""), i["stand"])
    return [{"quelle": q, "stand": d, "text": stand_text(q, d)}
            for q, d in sorted(newest.items())]


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
