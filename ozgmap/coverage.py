"""The figures: the Umsetzungsgrad per Gemeinde for a filter, one body's offers, the table;
computed over a :class:`~ozgmap.snapshot.Snapshot` and cached until the data changes.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from collections import defaultdict
from dataclasses import replace

import numpy as np

from .config import SAMPLE_SOURCE
from .filters import Filter
from .snapshot import Snapshot, stand_text
from .store import Store

LOG = logging.getLogger("ozgmap")
PROVIDER_LABEL = {"gemeinde": "Gemeinde", "kreis": "Kreis", "land": "Land", "bund": "Bund"}
LEVELS = tuple(PROVIDER_LABEL)  # the providers' levels, nearest first
#: the columns of a row of :meth:`Coverage.figures`
FIGURE_COLUMNS = ["ags", "name", "bez", "kreis_ags", "kreis", "leistungen_im_filter",
                  "online", "anteil", "eigene", "vom_kreis", "vom_land_bund", "beispieldaten"]


class Coverage:
    """Figures per filter over a :class:`Snapshot`, cached until the data changes."""

    def __init__(self, store: Store, reload_interval: float = 1.0,
                 directory: str | None = None):
        self.store = store
        self.directory = directory  # where the columns of each data version are shared
        self.reload_interval = reload_interval
        self._snap: Snapshot | None = None
        self._loaded_at = 0.0
        self._load_took = 0.0  # seconds the last reload took
        self._lock = threading.Lock()
        self._cache: dict = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The snapshot of the newest data version, reloaded at most once per
        ``reload_interval`` seconds and at most a third of the time (a burst of writes must
        not make every read wait for a reload, nor keep a core busy with reloads). The
        reload runs in a thread of its own: meanwhile every reader gets the previous
        snapshot at once. Only the first snapshot, and every one with no interval
        (tests, the CLI: each write seen by the next read), is waited for."""
        version = self.store.data_version()
        snap = self._snap
        if snap is not None and (snap.version == version or
                                 time.monotonic() - self._loaded_at < self._pause()):
            return snap
        if snap is None or self.reload_interval <= 0:
            with self._lock:
                if self._snap is None or self._snap.version != version:
                    self._swap(Snapshot.load(self.store, self.directory))
                return self._snap
        if self._lock.acquire(blocking=False):  # else a reload is under way already
            threading.Thread(target=self._reload, name="ozgmap-reload", daemon=True).start()
        return snap

    def _pause(self) -> float:
        """Seconds between two reloads: the interval, and at least twice what the last one
        took (Germany's take seconds: a stream of writes must not keep a core busy)."""
        return max(self.reload_interval, 2 * self._load_took)

    def _reload(self) -> None:
        """The newest data version, in the background (the lock is held by the caller)."""
        t0 = time.monotonic()
        try:
            self._swap(Snapshot.load(self.store, self.directory))
            self._load_took = time.monotonic() - t0
        except Exception:  # noqa: BLE001 - readers keep the old snapshot; retried later
            LOG.exception("Neue Daten konnten nicht geladen werden; die bisherigen gelten.")
            self._loaded_at = time.monotonic()
        finally:
            self._lock.release()

    def _swap(self, fresh: Snapshot) -> None:
        self._cache = {}
        self._snap = fresh
        _settle()
        self._loaded_at = time.monotonic()

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
        return self.figure_columns(f, snap).rows()

    def figure_columns(self, f: Filter, snap: Snapshot | None = None) -> "Figures":
        """The same as columns: cheaper where an answer needs only some of them."""
        return self.cached(("figures",) + f.key(), lambda s: _figures(s, f), snap)

    def body(self, ags: str, f: Filter, snap: Snapshot | None = None) -> dict:
        """One body's offers for the filter, grouped by Themenfeld, each with its provider."""
        return self.cached(("body", ags) + f.key(), lambda s: _body(s, ags, f), snap)


def _settle() -> None:
    """Take what stays in memory (the snapshot, the geometry) out of the garbage collector's
    rounds: else a full round over it paused one request in about twenty by 60 ms (NRW).
    Once per data version. What is frozen stays frozen (no ``gc.unfreeze``): a collection
    over the objects a preloading master froze would write to their pages and copy them into
    every worker (ozgmap.gunicorn_conf). The snapshot holds no reference cycles, so an old
    one is freed by reference counting all the same."""
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
            self._has_any[p] = s.body_has_data(p, f.nur_echt)
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


def _figures(s: Snapshot, f: Filter) -> "Figures":
    """The figures of :meth:`Coverage.figures`, as array operations over the columns: which
    body offers which OZG-Leistung of the filter (a boolean matrix), then per Gemeinde the
    union over its providers."""
    idx = s.gemeinde_index
    wanted = s.in_filter(f)
    total = len(wanted)
    codes = [s.ozg_code[o] for o in sorted(wanted) if o in s.ozg_code]
    all_offers, all_sample = s.offer_matrix(f.status, f.nur_echt)
    offers, sample = all_offers[:, codes], all_sample[:, codes].any(axis=1)
    none = idx["none"]
    has_any = np.zeros(none + 1, dtype=bool)
    has_any[:none] = s._counts[1 if f.nur_echt else 0] > 0

    sel = slice(None) if not f.kreis else np.flatnonzero(idx["kreis_ags"] == f.kreis)
    g = idx["gemeinde"][sel]
    others = [idx[k][sel] for k in ("kreis", "land", "bund")] if f.ansicht != "eigene" \
        else [np.full(len(g), none)] * 3
    k, land, bund = others
    own, by_kreis = offers[g], offers[k]
    eigene = own.sum(axis=1)
    vom_kreis = (by_kreis & ~own).sum(axis=1)
    vom_land_bund = ((offers[land] | offers[bund]) & ~own & ~by_kreis).sum(axis=1)
    has = has_any[g] | has_any[k] | has_any[land] | has_any[bund]
    rests = (sample[g] | sample[k] | sample[land] | sample[bund]).tolist()
    rows = idx["rows"] if not f.kreis else [idx["rows"][i] for i in sel]
    online = (eigene + vom_kreis + vom_land_bund).tolist()
    shares = [anteil(n, total) for n in range(total + 1)]  # each share rounded once
    nodata = np.flatnonzero(~has).tolist()

    def unless_none(values: list) -> list:
        for i in nodata:
            values[i] = None
        return values
    return Figures(rows, {
        "leistungen_im_filter": [total] * len(rows),
        "online": unless_none(list(online)),
        "anteil": unless_none([shares[n] for n in online]),
        "eigene": unless_none(eigene.tolist()), "vom_kreis": unless_none(vom_kreis.tolist()),
        "vom_land_bund": unless_none(vom_land_bund.tolist()),
        "beispieldaten": unless_none(rests)})


class Figures:
    """The figures of one filter as columns (:data:`FIGURE_COLUMNS`), rows made on demand."""

    FIXED = FIGURE_COLUMNS[:5]  # ags, name, bez, kreis_ags, kreis: per Gemeinde, not filter

    def __init__(self, fixed: list[tuple], values: dict[str, list]):
        self._fixed, self._values = fixed, values
        self._rows: list[dict] | None = None

    def __len__(self) -> int:
        return len(self._fixed)

    def column(self, name: str) -> list:
        if name in self.FIXED:
            i = self.FIXED.index(name)
            return [r[i] for r in self._fixed]
        return self._values[name]

    def records(self, cols: list[str]) -> list[dict]:
        """Rows with only *cols* (in that order)."""
        return [dict(zip(cols, vals)) for vals in zip(*(self.column(c) for c in cols))]

    def rows(self) -> list[dict]:
        """Every row in full (built once)."""
        if self._rows is None:
            self._rows = self.records(FIGURE_COLUMNS)
        return self._rows


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
                "Beispieldaten" if s.has_records(ags) else "keine"),
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
