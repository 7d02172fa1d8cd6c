"""The whole store in memory: :class:`Snapshot`, rebuilt only when the store's
``data_version`` changes, so every request of every worker answers from memory; what a
filter (:class:`~ozgmap.filters.Filter`) counts (:func:`describe`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from .config import SAMPLE_SOURCE
from .filters import STATUS_ORDER, Filter
from .safety import MAX_SOURCES_SHOWN
from .store import BUND_AGS, Store

#: ``flaechendeckung`` of a record that counts nowhere (the dashboard's own evaluation leaves
#: it out; shown with its Begründung), and of one that is no offer for every resident when a
#: Kreis, Land or Bund holds it ("some, not all, of its Kommunen have it").
NOT_COUNTED = "nicht in Auswertung berücksichtigt"
SOME_KOMMUNEN = "in mind. einer Kommune verfügbar"


class Rec:
    """The part of a record the figures need; a few dozen bytes, so all of Germany fits.

    Supports ``r["ozg_id"]`` like the full record dicts; details (URL, dates, …) come from
    :meth:`Snapshot.details`.
    """

    __slots__ = ("ags", "counted", "leika_key", "ozg_id", "partial", "quelle", "rank",
                 "sample", "status")

    def __init__(self, ags: str, ozg_id: str, leika_key: str, status: str, quelle: str,
                 flaechendeckung: str = ""):
        self.ags, self.ozg_id, self.leika_key, self.status = ags, ozg_id, leika_key, status
        self.rank = STATUS_RANK.get(status, -1)
        self.quelle = quelle
        self.sample = quelle == SAMPLE_SOURCE
        self.counted = flaechendeckung != NOT_COUNTED
        # held by a Kreis, Land or Bund (AGS of 5 or 2 digits): not for every resident below
        self.partial = flaechendeckung == SOME_KOMMUNEN and len(ags) < 8

    @property
    def for_residents(self) -> bool:
        return self.counted and not self.partial

    def __getitem__(self, key: str):
        return getattr(self, key)


STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}


def counts_for_residents(rec: dict) -> bool:
    """Whether a stored record is an offer for every resident of its body's area (the rule
    of :class:`Rec`, for full record dicts and history rows)."""
    return Rec(rec["ags"], "", "", "", "", rec["flaechendeckung"]).for_residents


def stand_text(quelle: str, day: str) -> str:
    """``"Stand der PVOG-Daten: 28.11.2026"`` for the dashboard's data, else ``"Stand: …"``."""
    d = f"{day[8:10]}.{day[5:7]}.{day[:4]}"
    return f"Stand der PVOG-Daten: {d}" if quelle.startswith("Dashboard Digitale Verwaltung") \
        else f"Stand ({quelle}): {d}"


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
    _sources: Counter = field(default_factory=Counter, repr=False)
    _details: dict = field(default_factory=dict, repr=False)
    #: bodies with real (not sample) records: their Beispieldaten are neither shown nor counted
    real_bodies: frozenset = field(default_factory=frozenset, repr=False)

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
        for ags, ozg_id, leika_key, status, quelle, flaeche in store.record_keys():
            rec = Rec(keep(ags, ags), keep(ozg_id, ozg_id), keep(leika_key, leika_key),
                      keep(status, status), keep(quelle, quelle), flaeche)
            snap._by_body.setdefault(rec.ags, []).append(rec)
        # real beats sample, per body: the Beispieldaten stay in the store and the history
        snap.real_bodies = frozenset(a for a, recs in snap._by_body.items()
                                     if any(not r.sample for r in recs))
        for ags in snap.real_bodies:
            snap._by_body[ags] = [r for r in snap._by_body[ags] if not r.sample]
        snap._sources = Counter(r.quelle for recs in snap._by_body.values() for r in recs)
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

    def body_records(self, ags: str, f: Filter, *, uncounted: bool = False) -> list[Rec]:
        """Records of *ags* that pass the status and sample filters (not the Leistung filter)
        and count (with *uncounted*: also those "nicht in Auswertung berücksichtigt")."""
        min_rank = STATUS_RANK[f.status]
        return [r for r in self._by_body.get(ags, ())
                if r.rank >= min_rank and not (f.nur_echt and r.sample)
                and (uncounted or r.counted)]

    def resident_offers(self, p: str, f: Filter) -> list[Rec]:
        """What provider *p* offers every resident of its area: its counted records, without
        those of a Kreis, Land or Bund only "in mind. einer Kommune verfügbar"."""
        return [r for r in self.body_records(p, f) if r.for_residents]

    def sample_in(self, bodies: list[str], f: Filter) -> bool:
        """Whether figures over *bodies* rest on Beispieldaten (then they are labelled so)."""
        return not f.nur_echt and any(r.sample for p in bodies for r in self._by_body.get(p, ()))

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
