"""The whole store in memory: :class:`Snapshot`, rebuilt only when the store's
``data_version`` changes, so every request of every worker answers from memory; what a
filter (:class:`~ozgmap.filters.Filter`) counts (:func:`describe`).

The records are columns (:mod:`ozgmap.columns`), memory-mapped from files built once per data
version and machine; the catalogue and the bodies are small dicts.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .columns import (COUNTED, NOT_COUNTED, PARTIAL, SAMPLE, SOME_KOMMUNEN, STATUS_RANK,
                      Columns, flags_of, load_or_build, version_key)
from .config import SAMPLE_SOURCE
from .filters import Filter
from .safety import MAX_SOURCES_SHOWN
from .store import BUND_AGS, Store

__all__ = ["NOT_COUNTED", "SOME_KOMMUNEN", "Rec", "Snapshot", "counts_for_residents",
           "describe", "stand_text"]


class Rec:
    """One record as the figures see it (made on demand from the columns).

    Supports ``r["ozg_id"]`` like the full record dicts; details (URL, dates, …) come from
    :meth:`Snapshot.details`.
    """

    __slots__ = ("ags", "counted", "leika_key", "ozg_id", "partial", "quelle", "rank",
                 "sample", "status")

    def __init__(self, ags: str, ozg_id: str, leika_key: str, status: str, quelle: str,
                 flags: int):
        self.ags, self.ozg_id, self.leika_key, self.status = ags, ozg_id, leika_key, status
        self.rank = STATUS_RANK.get(status, -1)
        self.quelle = quelle
        self.sample = bool(flags & SAMPLE)
        self.counted = bool(flags & COUNTED)
        self.partial = bool(flags & PARTIAL)

    @property
    def for_residents(self) -> bool:
        return self.counted and not self.partial

    def __getitem__(self, key: str):
        return getattr(self, key)


def counts_for_residents(rec: dict) -> bool:
    """Whether a stored record is an offer for every resident of its body's area (the rule
    of :class:`Rec`, for full record dicts and history rows)."""
    fl = flags_of(rec["ags"], "", rec["flaechendeckung"])
    return bool(fl & COUNTED) and not fl & PARTIAL


def stand_text(quelle: str, day: str) -> str:
    """``"Stand der PVOG-Daten: 28.11.2026"`` for the dashboard's data, else ``"Stand: …"``."""
    d = f"{day[8:10]}.{day[5:7]}.{day[:4]}"
    return f"Stand der PVOG-Daten: {d}" if quelle.startswith("Dashboard Digitale Verwaltung") \
        else f"Stand ({quelle}): {d}"


@dataclass
class Snapshot:
    """The store's content at one data_version, indexed for the joins below.

    Holds the catalogue, the bodies and the records' columns (:class:`~ozgmap.columns.Columns`);
    full records are read from the store only where a view shows them.
    """

    version: int
    themenfelder: list[dict]
    lagen: dict[int, dict]
    leistungen: dict[str, dict]
    gebiete: dict[str, dict]
    changed_at: object = None
    _store: Store | None = field(default=None, repr=False)
    cols: Columns | None = field(default=None, repr=False)
    _details: dict = field(default_factory=dict, repr=False)
    _matrices: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, store: Store, directory: str | Path | None = None) -> "Snapshot":
        """The store's newest data version; its columns from (or built into) *directory*,
        shared with the machine's other processes, or built in memory without one."""
        version = store.data_version()
        changed_at = store.changed_at()
        gebiete = {r["ags"]: r for r in store.gebiete()}

        def build() -> Columns:
            return Columns.build(store.record_keys(), gebiete)
        cols = load_or_build(Path(directory), version_key(store.url, version, changed_at),
                             build) if directory else build()
        return cls(version=version, themenfelder=store.themenfelder(),
                   lagen={r["id"]: r for r in store.lagen()},
                   leistungen={r["ozg_id"]: r for r in store.leistungen()},
                   gebiete=gebiete, changed_at=changed_at, _store=store, cols=cols)

    # --- indexes over the columns (per snapshot, per process) ------------------------------

    @cached_property
    def code(self) -> dict[str, int]:
        """AGS -> body code (row of the columns' ``start``)."""
        return {a: i for i, a in enumerate(self.cols.bodies)}

    @cached_property
    def ozg_code(self) -> dict[str, int]:
        return {o: i for i, o in enumerate(self.cols.ozg_ids)}

    @cached_property
    def _counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Per body: its number of records, and of those that are not Beispieldaten."""
        c, n = self.cols, len(self.cols.bodies)
        real = (np.asarray(c.flags) & SAMPLE) == 0
        return (np.diff(np.asarray(c.start)),
                np.bincount(np.asarray(c.body)[real], minlength=n))

    @cached_property
    def real_bodies(self) -> frozenset:
        """Bodies with real (not sample) records: their Beispieldaten are neither shown nor
        counted."""
        return frozenset(a for a, n in zip(self.cols.bodies, self._counts[1].tolist()) if n)

    @cached_property
    def _sources(self) -> Counter:
        counts = np.bincount(np.asarray(self.cols.source), minlength=len(self.cols.sources))
        return Counter({q: n for q, n in zip(self.cols.sources, counts.tolist()) if n})

    def has_records(self, ags: str) -> bool:
        i = self.code.get(ags)
        return i is not None and bool(self._counts[0][i])

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
    def gemeinde_laender(self) -> frozenset:
        """The Länder (two digits) that have Gemeinden."""
        return frozenset(g["ags"][:2] for g in self.gemeinden)

    @cached_property
    def kreise(self) -> list[dict]:
        return [g for g in self.gebiete.values() if g["ebene"] == "kreis"]

    @cached_property
    def real_sources(self) -> list[str]:
        """The sources of the records that are not Beispieldaten, for credits: the
        :data:`MAX_SOURCES_SHOWN` with the most records, by name (see :attr:`more_sources`)."""
        return sorted(self._real_sources_by_size[:MAX_SOURCES_SHOWN])

    @cached_property
    def more_sources(self) -> int:
        """How many sources :attr:`real_sources` leaves out (all are in the CSV download)."""
        return max(0, len(self._real_sources_by_size) - MAX_SOURCES_SHOWN)

    @cached_property
    def _real_sources_by_size(self) -> list[str]:
        return [q for q, _n in sorted(self._sources.items(), key=lambda kv: (-kv[1], kv[0]))
                if q != SAMPLE_SOURCE]

    @cached_property
    def source_stands(self) -> dict[str, str]:
        """The newest Stand (ISO date) of each real source that gives one."""
        return {q: d.isoformat() for q, d in self._store.stands().items()
                if q in self._sources and q != SAMPLE_SOURCE}

    @cached_property
    def source_lines(self) -> list[str]:
        """The real sources with their Stand where they give one, for credits."""
        stands = self.source_stands
        return [f"{q} ({stand_text(q, stands[q])})" if q in stands else q
                for q in self.real_sources]

    @cached_property
    def has_real_kommunen(self) -> bool:
        """Whether any Gemeinde or Kreis has real records (the map mixes real and sample)."""
        return any(len(a) in (5, 8) for a in self.real_bodies)

    @cached_property
    def has_sample(self) -> bool:
        return SAMPLE_SOURCE in self._sources

    @cached_property
    def record_count(self) -> int:
        return len(self.cols)

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

    def records_of(self, ags: str) -> list[Rec]:
        """Every record of *ags* (after real-beats-sample), in the store's order."""
        return self._recs(ags, None)

    def _recs(self, ags: str, keep) -> list[Rec]:
        i = self.code.get(ags)
        if i is None:
            return []
        c = self.cols
        lo, hi = int(c.start[i]), int(c.start[i + 1])
        idx = np.arange(lo, hi)
        if keep is not None:
            idx = idx[keep(lo, hi)]
        ozg, leika, status, source, flags = (np.asarray(a[idx]).tolist() for a in (
            c.ozg, c.leika, c.status, c.source, c.flags))
        o, k, st, q = c.ozg_ids, c.leika_keys, c.statuses, c.sources
        return [Rec(ags, o[a], k[b], st[d], q[e], fl)
                for a, b, d, e, fl in zip(ozg, leika, status, source, flags)]

    def body_records(self, ags: str, f: Filter, *, uncounted: bool = False) -> list[Rec]:
        """Records of *ags* that pass the status and sample filters (not the Leistung filter)
        and count (with *uncounted*: also those "nicht in Auswertung berücksichtigt")."""
        c, min_rank = self.cols, STATUS_RANK[f.status]

        def keep(lo: int, hi: int) -> np.ndarray:
            fl = np.asarray(c.flags[lo:hi])
            m = np.asarray(c.rank[lo:hi]) >= min_rank
            if f.nur_echt:
                m &= (fl & SAMPLE) == 0
            if not uncounted:
                m &= (fl & COUNTED) != 0
            return m
        return self._recs(ags, keep)

    def resident_offers(self, p: str, f: Filter) -> list[Rec]:
        """What provider *p* offers every resident of its area: its counted records, without
        those of a Kreis, Land or Bund only "in mind. einer Kommune verfügbar"."""
        return [r for r in self.body_records(p, f) if r.for_residents]

    def sample_in(self, bodies: list[str], f: Filter) -> bool:
        """Whether figures over *bodies* rest on Beispieldaten (then they are labelled so)."""
        if f.nur_echt:
            return False
        total, real = self._counts
        return any(total[i] > real[i] for i in (self.code.get(p) for p in bodies)
                   if i is not None)

    def has_data(self, ags: str, f: Filter) -> bool:
        """Whether any provider of *ags* has records (real ones, for ``nur_echt``)."""
        return any(self.body_has_data(p, f.nur_echt) for p in self.providers(ags, f.ansicht))

    def body_has_data(self, ags: str, nur_echt: bool = False) -> bool:
        i = self.code.get(ags)
        return i is not None and bool(self._counts[1 if nur_echt else 0][i])

    def offer_matrix(self, status: str, nur_echt: bool) -> tuple[np.ndarray, np.ndarray]:
        """Which body offers which OZG-Leistung to every resident of its area (records of at
        least *status*, counted, not "in mind. einer Kommune"), as a boolean matrix of body
        codes (one more row: "no body", all False) by OZG codes; and which of these offers
        rest on Beispieldaten. Built once per snapshot and status (a few MB for Germany),
        so a filter change only picks columns."""
        key = (status, nur_echt)
        if key not in self._matrices:
            c = self.cols
            flags = np.asarray(c.flags)
            ok = (np.asarray(c.rank) >= STATUS_RANK[status]) \
                & ((flags & (COUNTED | PARTIAL)) == COUNTED)
            if nur_echt:
                ok &= (flags & SAMPLE) == 0
            shape = (len(c.bodies) + 1, len(c.ozg_ids) or 1)
            body, ozg = np.asarray(c.body)[ok], np.asarray(c.ozg)[ok]
            offers, sample = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
            offers[body, ozg] = True
            smp = (flags[ok] & SAMPLE) != 0
            sample[body[smp], ozg[smp]] = True
            self._matrices[key] = (offers, sample)
        return self._matrices[key]

    @cached_property
    def gemeinde_index(self) -> dict:
        """The Gemeinden by AGS with the body codes of their providers (the columns' body
        count where there is none), and the fixed columns of their figure rows."""
        none, code = len(self.cols.bodies), self.code
        gem = sorted(self.gemeinden, key=lambda g: g["ags"])

        def codes(values) -> np.ndarray:
            return np.fromiter((code.get(v, none) if v else none for v in values),
                               dtype=np.int64, count=len(gem))
        kreis = [g["kreis_ags"] if g["kreis_ags"] in self.gebiete else None for g in gem]
        return {"gemeinde": codes(g["ags"] for g in gem), "kreis": codes(kreis),
                "land": codes(g["ags"][:2] for g in gem),
                "bund": np.full(len(gem), code.get(BUND_AGS, none), dtype=np.int64),
                "none": none, "kreis_ags": np.array([g["kreis_ags"] or "" for g in gem]),
                "rows": [(g["ags"], g["name"], g["bez"], g["kreis_ags"],
                          self.gebiete.get(g["kreis_ags"], {}).get("name", "")) for g in gem]}

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
