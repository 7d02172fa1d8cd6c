"""Figures for the dashboard (``/statistik``): Umsetzungsgrad per Themenfeld, rankings of
Kreise and Gemeinden, the course over time, what is newly online, bodies side by side.

Pure computations over a :class:`~ozgmap.coverage.Coverage` (its snapshot and figures) and the
store's history; no Flask in here. Every function takes the day it counts up to (*today*), so
results are reproducible.

Definitions (also written on the page):

* Umsetzungsgrad of NRW or a Kreis: the mean over its Gemeinden with data of their figure on
  the map (``Coverage.figures``); of one body (``ags``): that body's own figure.
* Online since: for status ``umgesetzt`` the record's ``seit`` date; without one (or for a
  lower status) the day of the history row since which the record has had that status.
* Offer (Angebot): one body with one OZG-Leistung, however many LeiKa rows it has.
"""
from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

from .config import SAMPLE_SOURCE
from .coverage import Coverage, table
from .filters import STATUS_ORDER, Filter
from .snapshot import Snapshot, counts_for_residents

RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
UMGESETZT = RANK["umgesetzt"]
MAX_VERGLEICH = 8
TAGE = (30, 90)
MAX_MONTHS = 240                    # the course over time covers at most 20 years
PARTNER = ("05570", "05558", "05515000", "05915000")  # the project partners
LAND_BUND = "05/00"                 # group of Land- and Bund-wide offers in "what is new"
CAUTION = ("Kreise, kreisfreie Städte und kreisangehörige Gemeinden sind für verschiedene "
           "Leistungen zuständig (z. B. Kfz-Zulassung beim Kreis, Meldewesen bei der "
           "Gemeinde), werden aber am selben Katalog gemessen. Ihre Umsetzungsgrade sind "
           "deshalb nicht direkt vergleichbar.")


def _mean(values) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def display_name(g: dict) -> str:
    """A body's name as people say it: "Kreis Warendorf", "Münster (kreisfreie Stadt)"."""
    if g["ebene"] == "kreis" and g["bez"] == "Kreis":
        low = g["name"].casefold()
        return g["name"] if "kreis" in low or "region" in low else f"Kreis {g['name']}"
    if g["ebene"] == "kreis":
        return f"{g['name']} (kreisfreie Stadt)"
    return g["name"]


def body_kind(s: Snapshot, ags: str) -> str:
    """What a body is responsible for: Kreis, kreisfreie Stadt or kreisangehörige Gemeinde."""
    g = s.gebiete[ags]
    if g["ebene"] == "kreis":
        return "Kreis" if g["bez"] == "Kreis" else "kreisfreie Stadt"
    kreis = s.gebiete.get(g["kreis_ags"] or "", {})
    return "kreisfreie Stadt" if kreis.get("bez") == "Kreisfreie Stadt" \
        else "kreisangehörige Gemeinde"


@dataclass(frozen=True)
class Scope:
    """What a statistic covers: ``land`` (all NRW), ``kreis`` (one Kreis) or ``gebiet`` (one
    Gemeinde or Kreis on its own); *kreis* is the Kreis whose Gemeinden are ranked."""

    kind: str
    ags: str | None
    name: str
    kreis: str | None


def scope_of(s: Snapshot, f: Filter, ags: str | None = None) -> Scope:
    if ags:
        g = s.gebiete[ags]
        return Scope("gebiet", ags, display_name(g), f.kreis or g["kreis_ags"])
    if f.kreis:
        return Scope("kreis", f.kreis, display_name(s.gebiete[f.kreis]), f.kreis)
    return Scope("land", None, "Nordrhein-Westfalen", None)


def scope_bodies(s: Snapshot, f: Filter, sc: Scope) -> set[str] | None:
    """The bodies whose offers a scope counts (``None``: all of them)."""
    if sc.kind == "gebiet":
        return set(s.providers(sc.ags, f.ansicht))
    if sc.kind == "kreis":
        return {sc.ags} | {g["ags"] for g in s.gemeinden if g["kreis_ags"] == sc.ags}
    return None


def _ranked(rows: list[dict]) -> list[dict]:
    """Sort by share, highest first, and number them (equal shares share a rank)."""
    rows.sort(key=lambda r: (r["anteil"] is None, -(r["anteil"] or 0), r["name"].casefold()))
    prev, rank = object(), 0
    for i, r in enumerate(rows, 1):
        if r["anteil"] != prev:
            rank, prev = i, r["anteil"]
        r["rang"] = rank if r["anteil"] is not None else None
    return rows


# --- figures now ------------------------------------------------------------------------

def body_figure(cov: Coverage, ags: str, f: Filter) -> dict:
    """One body's own Umsetzungsgrad: a Gemeinde's figure from the map, a Kreis's from the
    offers that count for it (its own, and for residents also Land and Bund)."""
    s = cov.snapshot()
    g = s.gebiete[ags]
    if g["ebene"] == "gemeinde":
        row = next(r for r in cov.figures(f.without_kreis()) if r["ags"] == ags)
        online, total = row["online"], row["leistungen_im_filter"]
    else:
        wanted = s.in_filter(f)
        total = len(wanted)
        online = len({r["ozg_id"] for p in s.providers(ags, f.ansicht)
                      for r in s.resident_offers(p, f)} & wanted) \
            if s.has_data(ags, f) else None
    return {"ags": ags, "name": display_name(g), "ebene": g["ebene"], "art": body_kind(s, ags),
            "online": online, "leistungen_im_filter": total,
            "anteil": None if online is None else (round(online / total, 4) if total else 0.0)}


def summary(cov: Coverage, f: Filter, sc: Scope) -> dict:
    """The headline figure of the scope."""
    if sc.kind == "gebiet":
        return body_figure(cov, sc.ags, f)
    rows = cov.figures(replace(f, kreis=sc.ags))
    return {"anteil": _mean(r["anteil"] for r in rows), "gemeinden": len(rows),
            "mit_daten": sum(r["anteil"] is not None for r in rows),
            "leistungen_im_filter": len(cov.snapshot().in_filter(f))}


def by_themenfeld(cov: Coverage, f: Filter, sc: Scope) -> list[dict]:
    """Umsetzungsgrad per Themenfeld (all 14; the chosen one marked). Empty when a single
    Leistung is chosen, as it belongs to one Themenfeld only."""
    if f.leistung:
        return []
    s = cov.snapshot()
    base = replace(f, themenfeld=None)
    rows = table(cov, replace(base, kreis=sc.ags))["rows"] if sc.kind != "gebiet" else []
    out = []
    for t in s.themenfelder:
        tf = replace(base, themenfeld=t["id"])
        item = {"id": t["id"], "name": t["name"], "gewaehlt": t["id"] == f.themenfeld,
                "leistungen_im_filter": len(s.in_filter(tf))}
        if sc.kind == "gebiet":
            b = body_figure(cov, sc.ags, tf)
            item.update(anteil=b["anteil"], online=b["online"])
        else:
            vals = [r["themen"][t["id"]] for r in rows]
            item.update(anteil=_mean(vals), gemeinden_mit_daten=sum(v is not None for v in vals))
        out.append(item)
    return out


def kreise(cov: Coverage, f: Filter, chosen: str | None = None) -> list[dict]:
    """All Kreise and kreisfreie Städte ranked by the mean figure of their Gemeinden; the
    chosen one (default: the filter's Kreis) is marked."""
    chosen = chosen or f.kreis
    s = cov.snapshot()
    groups: dict[str, list] = defaultdict(list)
    for r in cov.figures(f.without_kreis()):
        groups[r["kreis_ags"]].append(r["anteil"])
    return _ranked([{"ags": k, "name": display_name(s.gebiete[k]), "art": body_kind(s, k),
                     "anteil": _mean(v), "gemeinden": len(v),
                     "mit_daten": sum(x is not None for x in v), "gewaehlt": k == chosen}
                    for k, v in groups.items()])


def gemeinden(cov: Coverage, f: Filter, sc: Scope) -> list[dict]:
    """The Gemeinden of the scope's Kreis (or of NRW) ranked by their figure."""
    return _ranked([{"ags": r["ags"], "name": r["name"], "kreis": r["kreis"],
                     "online": r["online"], "leistungen_im_filter": r["leistungen_im_filter"],
                     "anteil": r["anteil"], "gewaehlt": r["ags"] == sc.ags}
                    for r in cov.figures(replace(f, kreis=sc.kreis))])


# --- history -----------------------------------------------------------------------------

@dataclass
class History:
    """The store's history in compact form, derived once per data version.

    *since*: per record id and status rank, the day since which the record has had at least
    that status (``None`` if it has not now). *events*: one tuple ``(day, record id, aktion,
    rank, ags, ozg_id, is_sample)`` per history row, by day, in write order; rank -1 = deleted.
    *days*: every import day, ``True`` if only Beispieldaten were loaded that day.
    """

    since: dict[int, tuple]
    events: list[tuple]
    days: dict[dt.date, bool]

    @classmethod
    def build(cls, history: list[dict], imports: list[dict]) -> "History":
        run_day = {r["id"]: r["am"].date() for r in imports}
        days: dict[dt.date, bool] = {}
        for r in imports:
            days[r["am"].date()] = days.get(r["am"].date(), True) and r["format"] == "sample"
        since: dict[int, tuple] = {}
        events = []
        none = (None,) * len(STATUS_ORDER)
        for h in history:
            day = run_day.get(h["import_id"]) or h["erfasst_am"].date()
            rank = -1 if h["aktion"] == "gelöscht" else RANK.get(h["status"], 0)
            prev = since.get(h["umsetzung_id"], none)
            since[h["umsetzung_id"]] = tuple((p or day) if rank >= i else None
                                             for i, p in enumerate(prev))
            sample = h["quelle"] == SAMPLE_SOURCE
            # a record that counts for no resident is, for the figures, no offer at all
            ozg_id = h["ozg_id"] if counts_for_residents(h) else ""
            events.append((day, h["umsetzung_id"], h["aktion"], rank, h["ags"], ozg_id,
                           sample))
            days.setdefault(day, sample)
        events.sort(key=lambda e: e[0])  # stable: write order within a day
        return cls(since, events, days)


def history(cov: Coverage) -> History:
    """The compact history of the store behind *cov*, cached per data version."""
    return cov.cached(("stats.history",),
                      lambda _s: History.build(cov.store.history(), cov.store.imports()))


def reached(rec: dict, min_rank: int, h: History) -> dt.date | None:
    """The day since which *rec* has had at least status *min_rank* (see module notes)."""
    if RANK.get(rec["status"], 0) < min_rank:
        return None
    hist = h.since.get(rec["id"], (None,) * len(STATUS_ORDER))[min_rank] \
        or rec["erfasst_am"].date()
    seit = rec["seit"] if rec["status"] == "umgesetzt" else None
    if seit and min_rank == UMGESETZT:
        return seit
    return min(seit, hist) if seit else hist


def dated_offers(cov: Coverage, f: Filter, h: History) -> dict[str, dict[str, tuple]]:
    """Per body, per OZG-Leistung in the filter: ``(online since, is_sample)`` of its offer."""
    def build(s: Snapshot) -> dict:
        wanted, min_rank = s.in_filter(f), RANK[f.status]
        out: dict[str, dict[str, tuple]] = defaultdict(dict)
        for r in s.all_records():
            sample = r["quelle"] == SAMPLE_SOURCE
            if r["ozg_id"] not in wanted or (f.nur_echt and sample) \
                    or (sample and r["ags"] in s.real_bodies) or not counts_for_residents(r):
                continue
            d = reached(r, min_rank, h)
            if d is not None:
                old = out[r["ags"]].get(r["ozg_id"])
                if old is None or d < old[0]:
                    out[r["ags"]][r["ozg_id"]] = (d, r["quelle"] == SAMPLE_SOURCE)
        return dict(out)
    return cov.cached(("stats.dated",) + f.without_kreis().key(), build)


def _month_ends(first: dt.date, today: dt.date) -> list[dt.date]:
    start = max(dt.date(first.year, first.month, 1),
                dt.date(today.year - MAX_MONTHS // 12, today.month, 1))
    out, y, m = [], start.year, start.month
    while (y, m) <= (today.year, today.month):
        nxt = dt.date(y + m // 12, m % 12 + 1, 1)
        out.append(min(nxt - dt.timedelta(days=1), today))
        y, m = nxt.year, nxt.month
    return out


def verlauf(cov: Coverage, f: Filter, sc: Scope, today: dt.date) -> dict:
    """Umsetzungsgrad at the end of every month by online-since date, and the offers that
    came online in that month. Gemeinden without data today do not count."""
    def build(s: Snapshot) -> dict:
        offers = dated_offers(cov, f, history(cov))
        total = len(s.in_filter(f))

        def merged(ags: str) -> list[dt.date]:
            best: dict[str, dt.date] = {}
            for p in s.providers(ags, f.ansicht):
                for o, (d, _) in offers.get(p, {}).items():
                    if o not in best or d < best[o]:
                        best[o] = d
            return sorted(best.values())
        if sc.kind == "gebiet":
            series = [merged(sc.ags)] if s.has_data(sc.ags, f) else []
            new = series[0] if series else []
        else:
            series = [merged(g["ags"]) for g in s.gemeinden if s.has_data(g["ags"], f)
                      and (sc.kind == "land" or g["kreis_ags"] == sc.ags)]
            bodies = scope_bodies(s, f, sc)
            new = sorted(d for a, by in offers.items() if bodies is None or a in bodies
                         for d, _ in by.values())
        first = min([d[0] for d in series if d] + new[:1], default=None)
        points = []
        for end in (_month_ends(first, today) if first else []):
            start = end.replace(day=1)
            share = _mean(bisect.bisect_right(d, end) / total if total else 0.0 for d in series)
            points.append({"monat": end.strftime("%Y-%m"), "stichtag": end.isoformat(),
                           "anteil": share,
                           "neu": bisect.bisect_right(new, end) - bisect.bisect_left(new, start)})
        return {"punkte": points, "spaeter": len(new) - bisect.bisect_right(new, today),
                "gemeinden_mit_daten": len(series) if sc.kind != "gebiet" else None}
    return cov.cached(("stats.verlauf", sc, today) + f.key(), build)


def importe(cov: Coverage, f: Filter, sc: Scope) -> list[dict]:
    """The stock after every import day: offers in the scope with at least the status (for
    one body: its available Leistungen), and the rows written that day in the scope."""
    def build(s: Snapshot) -> list[dict]:
        h = history(cov)
        wanted, min_rank = s.in_filter(f), RANK[f.status]
        bodies = scope_bodies(s, f, sc)
        state: dict[int, tuple] = {}
        live: Counter = Counter()
        days = sorted(d for d, only_sample in h.days.items() if not (f.nur_echt and only_sample))
        out, i, ev = [], 0, h.events
        for day in days:
            written: Counter = Counter()
            while i < len(ev) and ev[i][0] <= day:
                e_day, uid, aktion, rank, ags, ozg, sample = ev[i]
                i += 1
                if ozg not in wanted or (bodies is not None and ags not in bodies) \
                        or (f.nur_echt and sample) or (sample and ags in s.real_bodies):
                    continue
                if e_day == day:
                    written[aktion] += 1
                old = state.pop(uid, None)
                if old is not None:
                    live[old] -= 1
                    if not live[old]:
                        del live[old]
                if rank >= min_rank:
                    key = ozg if sc.kind == "gebiet" else (ags, ozg)
                    state[uid] = key
                    live[key] += 1
            out.append({"datum": day.isoformat(), "online": len(live),
                        "angelegt": written["angelegt"], "geaendert": written["geändert"],
                        "geloescht": written["gelöscht"]})
        return out
    return cov.cached(("stats.importe", sc) + f.key(), build)


def neu(cov: Coverage, f: Filter, sc: Scope, tage: int, today: dt.date) -> dict:
    """Offers that came online in the last *tage* days (today included), grouped by Kreis;
    Land- and Bund-wide offers form a group of their own."""
    def build(s: Snapshot) -> dict:
        offers = dated_offers(cov, f, history(cov))
        bodies = scope_bodies(s, f, sc)
        start = today - dt.timedelta(days=tage - 1)
        groups: dict[str, list] = defaultdict(list)
        if sc.kind == "land":
            groups.update({k["ags"]: [] for k in s.kreise})
        elif sc.kind == "kreis":
            groups[sc.ags] = []
        for ags, by in offers.items():
            if bodies is not None and ags not in bodies:
                continue
            g = s.gebiete.get(ags, {"ebene": "bund", "name": ags, "bez": ""})
            for ozg, (d, sample) in by.items():
                if start <= d <= today:
                    lst = s.leistungen[ozg]
                    key = g["kreis_ags"] if g["ebene"] in ("gemeinde", "kreis") else LAND_BUND
                    groups[key].append({
                        "datum": d.isoformat(), "ags": ags, "gebiet": display_name(g),
                        "ozg_id": ozg, "leistung": lst["name"],
                        "themenfeld": s.themenfeld_names.get(lst["themenfeld_id"]),
                        "beispieldaten": sample})
        out = []
        for key, items in groups.items():
            items.sort(key=lambda i: (i["datum"], i["gebiet"], i["leistung"]), reverse=True)
            name = "Land NRW und Bund" if key == LAND_BUND else display_name(s.gebiete[key])
            out.append({"ags": key, "name": name, "anzahl": len(items), "angebote": items})
        out.sort(key=lambda g: (-g["anzahl"], g["name"].casefold()))
        return {"tage": tage, "von": start.isoformat(), "bis": today.isoformat(),
                "anzahl": sum(g["anzahl"] for g in out), "kreise": out}
    return cov.cached(("stats.neu", sc, tage, today) + f.key(), build)


def vergleich(cov: Coverage, f: Filter, bodies: list[str], tage: int,
              today: dt.date) -> dict:
    """Bodies side by side: own figure overall and per Themenfeld, for Kreise also the mean
    of their Gemeinden, and the offers newly online; with a caution if they differ in kind."""
    s = cov.snapshot()
    means = {k["ags"]: k["anteil"] for k in kreise(cov, f)}
    themen = [] if f.leistung else s.themenfelder
    rows = []
    for ags in bodies:
        b = body_figure(cov, ags, f)
        b["themen"] = {t["id"]: body_figure(cov, ags, replace(f, themenfeld=t["id"]))["anteil"]
                       for t in themen}
        b["mittel_gemeinden"] = means.get(ags) if b["ebene"] == "kreis" else None
        b["neu"] = neu(cov, f, scope_of(s, f.without_kreis(), ags), tage, today)["anzahl"]
        rows.append(b)
    mixed = len({b["art"] for b in rows}) > 1
    return {"gebiete": rows, "themenfelder": [{"id": t["id"], "name": t["name"]}
                                              for t in themen],
            "tage": tage, "hinweis": CAUTION if mixed else None}
