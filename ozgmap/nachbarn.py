"""Nachnutzung for coordinators: who near a Gemeinde or Kreis already offers a Leistung, what
its direct neighbours offer that its residents lack (the gap list), and the one-line answer
read first. No Flask in here: functions take a :class:`Snapshot` and the boundaries."""
from __future__ import annotations

from collections import defaultdict

from .config import SAMPLE_SOURCE
from .coverage import PROVIDER_LABEL
from .filters import STATUS_ORDER, Filter
from .snapshot import Rec, Snapshot

NEAR_RINGS = 2   # rings 1 and 2 come first; everything else by distance
PAGE_SIZE = 10   # rows per page of the lists on /nachbarn
NAMED = 3        # the one-line answer names up to this many direct neighbours
CARDS = 5        # direct neighbours shown as cards; more of them lead the paged list


def target_leistungen(s: Snapshot, leistung: str | None = None, lage: int | None = None,
                      themenfeld: int | None = None) -> set[str]:
    """OZG-IDs asked about by a coordinator: one Leistung, a Lage or a Themenfeld."""
    if leistung:
        return {leistung}
    return {o for o, lst in s.leistungen.items()
            if (lage is None or lst["lage_id"] == lage)
            and (themenfeld is None or lst["themenfeld_id"] == themenfeld)}


def origin_gemeinden(s: Snapshot, ags: str) -> list[str]:
    """The Gemeinden a body stands for: itself, or those of a Kreis."""
    if s.gebiete[ags]["ebene"] == "kreis":
        return [g["ags"] for g in s.gemeinden if g["kreis_ags"] == ags]
    return [ags]


def direct_neighbours(s: Snapshot, b, ags: str) -> list[str]:
    """Bodies sharing a border: Gemeinden of a Gemeinde (across Kreis borders), the Kreise
    and kreisfreie Städte of a Kreis."""
    if s.gebiete[ags]["ebene"] == "kreis":
        return sorted({s.gebiete[n]["kreis_ags"] for g in origin_gemeinden(s, ags)
                       for n in b.adjacency.get(g, ())} - {ags})
    return sorted(b.adjacency.get(ags, ()))


def _provider(s: Snapshot, p: str) -> dict:
    g = s.gebiete.get(p) or {"ebene": "bund", "name": "Bund", "bez": "Bund"}
    label = g["name"] if g["ebene"] in ("gemeinde", "bund") else (
        g["name"] if g["name"].startswith(g["bez"]) else f"{g['bez']} {g['name']}")
    return {"ebene": g["ebene"], "ags": p, "name": g["name"], "bezeichnung": label}


def residents_have(s: Snapshot, ags: str, f: Filter) -> dict[str, list[dict]]:
    """OZG-ID -> the bodies that offer it to the residents of *ags*: the body itself, its
    Kreis, the Land, the Bund (records of at least the filter's status)."""
    out: dict[str, list[dict]] = defaultdict(list)
    for p in s.providers(ags, "einwohner"):
        for o in sorted({r.ozg_id for r in s.body_records(p, f) if r.ozg_id in s.leistungen}):
            out[o].append(_provider(s, p))
    return dict(out)


def neighbours_with(s: Snapshot, b, ags: str, wanted: set[str], f: Filter) -> list[dict]:
    """Bodies (Gemeinden and Kreise) that offer any of *wanted* themselves, nearest first.

    Order: direct neighbours (ring 1, across Kreis borders), then ring 2, then the rest by
    straight-line distance in km (EPSG:25832). The origin, its own Gemeinden and its own
    Kreis are left out (what they offer the residents already have, see
    :func:`residents_have`); Land and Bund offers are everywhere and so not listed. Rows carry
    the compact records (``angebote``); :func:`with_details` adds links, dates, sources.
    """
    origin = set(origin_gemeinden(s, ags))
    own_kreis = s.gebiete[ags]["kreis_ags"] if s.gebiete[ags]["ebene"] == "gemeinde" else None
    rings = b.rings(origin, max_ring=NEAR_RINGS)
    found = []
    for cand in s.gebiete.values():
        if cand["ebene"] not in ("gemeinde", "kreis") or cand["ags"] in origin \
                or cand["ags"] in (ags, own_kreis):
            continue
        offers = [r for r in s.body_records(cand["ags"], f) if r.ozg_id in wanted]
        if not offers:
            continue
        if cand["ebene"] == "kreis":
            ring = min((rings.get(g["ags"], 99) for g in s.gemeinden
                        if g["kreis_ags"] == cand["ags"]), default=99)
        else:
            ring = rings.get(cand["ags"], 99)
        found.append((cand, ring, offers))
    dist = b.distances_km(ags, [c["ags"] for c, _, _ in found])
    rows = []
    for cand, ring, offers in found:
        kreis = s.gebiete.get(cand["kreis_ags"] or "", {})
        best = max(r.rank for r in offers)
        rows.append({
            "ags": cand["ags"], "name": cand["name"], "bez": cand["bez"],
            "ebene": cand["ebene"], "kreis": kreis.get("name") if cand["ebene"] == "gemeinde"
            else None, "ring": ring if ring <= NEAR_RINGS else None,
            "entfernung_km": round(dist.get(cand["ags"], float("nan")), 1),
            "bester_status": STATUS_ORDER[best] if best >= 0 else None,
            "angebote": sorted(offers, key=lambda r: (r.ozg_id, r.leika_key))})
    rows.sort(key=lambda r: (r["ring"] or 99, r["entfernung_km"], r["name"]))
    return rows


def search(s: Snapshot, b, ags: str, f: Filter, lage: int | None) -> dict:
    """What the coordinator asked about, every body near *ags* offering it (compact rows:
    the direct neighbours, the others), and the one-line answer (shared by the page, its
    API twin and the export)."""
    wanted = target_leistungen(s, f.leistung, lage, f.themenfeld)
    rows = neighbours_with(s, b, ags, wanted, f)
    direct = direct_neighbours(s, b, ags)
    with_it = [r for r in rows if r["ags"] in direct]
    others = [r for r in rows if r["ags"] not in direct]
    return {"ags": ags, "name": s.gebiete[ags]["name"],
            "gefragt": {"leistung": f.leistung, "lage": lage, "themenfeld": f.themenfeld,
                        "anzahl_leistungen": len(wanted)},
            "antwort": answer(s, ags, f, lage, wanted, len(direct), with_it, others),
            "direkt": with_it, "weitere": others, "treffer": rows}


NACHBARN_LIMIT = 50  # bodies in /api/nachbarn (nearest first); ``anzahl`` counts them all
NACHBARN_CSV = ["ags", "name", "ebene", "kreis", "ring", "entfernung_km", "ozg_id",
                "leistung", "url", "status", "seit", "quelle", "stelle"]
LUECKEN_CSV = ["ozg_id", "leistung", "themenfeld", "anzahl_nachbarn", "von_nachbarn",
               "nachbarn", "kreis_bietet_an", "abgedeckt_durch"]


def report(s: Snapshot, b, ags: str, f: Filter, lage: int | None,
           limit: int | None = NACHBARN_LIMIT) -> dict:
    """The data of ``/api/nachbarn`` (and the export's offers): the answer, how many bodies
    offer it, the nearest *limit* of them with their offers in full."""
    found = search(s, b, ags, f, lage)
    own = [e["ozg_id"] for e in found["antwort"]["eigene"] if e["durch"][0]["ags"] == ags]
    return {**{k: found[k] for k in ("ags", "name", "gefragt", "antwort")},
            "anzahl": len(found["treffer"]), "eigene_angebote": own,
            "treffer": with_details(s, found["treffer"][:limit])}


def offer_rows(data: dict) -> list[list]:
    """The CSV rows of a :func:`report` (columns ``NACHBARN_CSV``): one per offer."""
    return [[t["ags"], t["name"], t["ebene"], t["kreis"], t["ring"], t["entfernung_km"],
             o["ozg_id"], o["leistung"], o["url"], o["status"], o["seit"], o["quelle"],
             o["stelle"]] for t in data["treffer"] for o in t["angebote"]]


def gap_rows(gap: dict) -> list[list]:
    """The CSV rows of a gap list (columns ``LUECKEN_CSV``): one per Leistung; the coverage
    as "Kreis Warendorf; Land Nordrhein-Westfalen", empty for a real gap."""
    return [[i["ozg_id"], i["leistung"], i["themenfeld"], i["anzahl_nachbarn"],
             i["von_nachbarn"], "; ".join(n["name"] for n in i["nachbarn"]),
             "ja" if i["kreis_bietet_an"] else "nein",
             "; ".join(p["bezeichnung"] for p in i["abgedeckt_durch"])] for i in gap["luecken"]]


def with_details(s: Snapshot, rows: list[dict]) -> list[dict]:
    """*rows* of :func:`neighbours_with` with each offer in full (URL, since when, the
    responsible Stelle, source): read from the store only for the rows shown."""
    return [{**row, "angebote": [offer(s, r) if isinstance(r, Rec) else r
                                 for r in row["angebote"]]} for row in rows]


def offer(s: Snapshot, rec: Rec) -> dict:
    """One record as shown to a coordinator."""
    r = s.details(rec.ags)[(rec.ozg_id, rec.leika_key)]
    return {"ozg_id": r["ozg_id"], "leistung": s.leistungen[r["ozg_id"]]["name"],
            "url": r["url"], "status": r["status"], "reifegrad": r["reifegrad"],
            "seit": r["seit"].isoformat() if r["seit"] else None, "quelle": r["quelle"],
            "stelle": r["stelle"] or None, "beispieldaten": r["quelle"] == SAMPLE_SOURCE}


def ring_label(row: dict, short: bool = False) -> str:
    """Where a body lies, in words: grenzt an (ring 1), 2. Ring, weiter (entfernt)."""
    return {1: "grenzt an", 2: "2. Ring"}.get(row["ring"],
                                              "weiter" if short else "weiter entfernt")


def _asked(s: Snapshot, f: Filter, lage: int | None, plural: bool) -> str:
    """What was asked, as the object of "bietet … an": a Leistung's name, or (some)
    Leistungen of a Lage or Themenfeld."""
    if f.leistung:
        return s.leistungen[f.leistung]["name"]
    noun = "Leistungen" if plural else "eine Leistung"
    if lage is not None:
        return f"{noun} der Lage „{s.lagen[lage]['name']}“"
    return f"{noun} im Themenfeld „{s.themenfeld_names[f.themenfeld]}“"


def answer(s: Snapshot, ags: str, f: Filter, lage: int | None, wanted: set[str], n: int,
           with_it: list[dict], others: list[dict]) -> dict:
    """The one-line answer a coordinator reads first, and what the body itself already has.

    *n* is the number of direct neighbours, *with_it* the rows of :func:`neighbours_with`
    among them, *others* the rest. ``satz`` says how many of the direct neighbours offer it
    (naming a few, or the nearest other body when none does); ``eigene`` lists who already
    offers the asked Leistungen to the body's residents.
    """
    how = "online an" if f.status == "umgesetzt" else f"an (Stand mindestens „{f.status}“)"
    if not n:
        first = f"{s.gebiete[ags]['name']} hat keine direkten Nachbarn in den Grenzdaten."
    elif not with_it:
        what = _asked(s, f, lage, plural=False)
        first = (f"Keiner der {n} direkten Nachbarn bietet {what} {how}."
                 if n > 1 else f"Der direkte Nachbar bietet {what} nicht {how}.")
    else:
        what = _asked(s, f, lage, plural=True)
        verb = "bietet" if len(with_it) == 1 else "bieten"
        lead = f"Alle {n} direkten Nachbarn" if len(with_it) == n and n > 1 \
            else f"{len(with_it)} von {n} direkten Nachbarn"
        first = f"{lead} {verb} {what} {how}"
        # a few are named here; more stand on the cards below the sentence
        first += (": " + ", ".join(r["name"] for r in with_it) + ".") \
            if len(with_it) <= NAMED and len(with_it) < n else "."
    nearest = None
    if not with_it:
        if others:
            nearest = others[0]
            first += (f" Nächste Stelle: {nearest['name']} ({ring_label(nearest)}, "
                      f"{nearest['entfernung_km']:.0f} km).")
        else:
            first += " Auch sonst bietet keine Stelle es an."
    have = residents_have(s, ags, f)
    eigene = {o: have[o] for o in sorted(wanted) if o in have}
    return {"satz": first, "direkte_nachbarn": n, "direkt_mit_loesung": len(with_it),
            "naechste": nearest and {k: nearest[k] for k in ("ags", "name", "ring",
                                                             "entfernung_km")},
            "eigene": [{"ozg_id": o, "leistung": s.leistungen[o]["name"], "durch": by}
                       for o, by in eigene.items()],
            "eigene_satz": _own_sentence(s, ags, f, wanted, eigene)}


def _own_sentence(s: Snapshot, ags: str, f: Filter, wanted: set[str],
                  eigene: dict[str, list[dict]]) -> str | None:
    if not eigene:
        return None
    name = s.gebiete[ags]["name"]
    if f.leistung:
        by = eigene[f.leistung]
        if by[0]["ags"] == ags:
            return f"{name} bietet {s.leistungen[f.leistung]['name']} bereits selbst an."
        return (f"Die Einwohner von {name} haben {s.leistungen[f.leistung]['name']} bereits "
                f"– Anbieter: {by[0]['bezeichnung']}.")
    own = sum(1 for by in eigene.values() if by[0]["ags"] == ags)
    return (f"Die Einwohner von {name} haben {len(eigene)} der {len(wanted)} Leistungen schon "
            f"({own} von {name} selbst, {len(eigene) - own} von Kreis, Land oder Bund).")


def own_offers(s: Snapshot, ags: str, f: Filter, ozg_ids: list[str]) -> list[dict]:
    """The records behind :func:`answer`'s ``eigene`` (for the link at the top of the
    page): per OZG-ID the record of the nearest provider (own, Kreis, Land, Bund)."""
    out = []
    for o in ozg_ids:
        for p in s.providers(ags, "einwohner"):
            recs = [r for r in s.body_records(p, f) if r.ozg_id == o]
            if recs:
                out.append({**offer(s, recs[0]), "anbieter": _provider(s, p)})
                break
    return out


def gaps(s: Snapshot, b, ags: str, min_n: int, f: Filter, alle: bool = False) -> dict:
    """Leistungen offered by at least *min_n* direct neighbours that the residents of *ags*
    do not have yet.

    By default it leaves out what the residents already have (offered by the body itself or
    by its Kreis, the Land or the Bund) and counts them in ``ausgelassen``; with *alle* they
    are listed too, each with ``abgedeckt_durch`` naming who covers it (empty for a real
    gap). Ranking: by the number of neighbours offering it, ties by Themenfeld (catalogue
    order), then name.
    """
    neighbours = direct_neighbours(s, b, ags)
    have = residents_have(s, ags, f)
    who: dict[str, list[str]] = defaultdict(list)
    for n in neighbours:
        for o in sorted({r.ozg_id for r in s.body_records(n, f)}):
            if o in s.leistungen and (f.themenfeld is None
                                      or s.leistungen[o]["themenfeld_id"] == f.themenfeld):
                who[o].append(n)
    items, left_out = [], defaultdict(int)
    for o, ns in who.items():
        if len(ns) < min_n:
            continue
        by = have.get(o, [])
        if by and not alle:
            left_out[(by[0]["ebene"], by[0]["bezeichnung"])] += 1
            continue
        lst = s.leistungen[o]
        items.append({"ozg_id": o, "leistung": lst["name"], "themenfeld_id": lst["themenfeld_id"],
                      "themenfeld": s.themenfeld_names.get(lst["themenfeld_id"]),
                      "anzahl_nachbarn": len(ns), "von_nachbarn": len(neighbours),
                      "nachbarn": [{"ags": n, "name": s.gebiete[n]["name"]} for n in ns],
                      "abgedeckt_durch": by,
                      "kreis_bietet_an": any(p["ebene"] == "kreis" and p["ags"] != ags
                                             for p in by)})
    items.sort(key=lambda i: (-i["anzahl_nachbarn"], i["themenfeld_id"],
                              i["leistung"].casefold()))
    omitted = sum(left_out.values())
    levels = list(PROVIDER_LABEL)
    by_provider = {who: n for (_level, who), n in sorted(
        left_out.items(), key=lambda kv: levels.index(kv[0][0]))}
    return {"ags": ags, "name": s.gebiete[ags]["name"], "min": min_n, "alle": alle,
            "nachbarn": [{"ags": n, "name": s.gebiete[n]["name"]} for n in neighbours],
            "luecken": items, "ausgelassen": omitted,
            "ausgelassen_nach": by_provider,
            "ausgelassen_satz": _left_out_sentence(s.gebiete[ags]["name"], omitted, by_provider)}


def _left_out_sentence(name: str, omitted: int, by_provider: dict[str, int]) -> str | None:
    if not omitted:
        return None
    parts = ", ".join(f"{n} {'selbst' if who == name else who}" for who, n in by_provider.items())
    noun = "Leistung" if omitted == 1 else "Leistungen"
    return f"{omitted} {noun} ausgelassen, die die Einwohner schon haben ({parts})."


def map_selection(s: Snapshot, b, ags: str, rows: list[dict], shown: list[dict]) -> dict:
    """What the neighbour map around *ags* shows, as AGS (``maps.nachbarn_map`` draws it).

    ``gemeinden``: rings 1–2 around the origin and the bodies listed on the page (*shown*),
    not every body with a solution (a Themenfeld has hundreds); ``status_of``: their best
    status where they (or their Kreis) offer it (*rows*: :func:`neighbours_with`);
    ``focus``: what the view fits (a Kreis listed is drawn, not zoomed to), ``near``: the
    origin and its direct neighbours (what a small map fits instead); ``kreise`` with
    the origin's (``own``, ``own_kreis``); ``labels``: (kind, AGS, name) written on the map,
    kind "own", "hit" (a direct neighbour with a solution), "plain" (one without) or
    "listed" (another body listed on the page).
    """
    origin = origin_gemeinden(s, ags)

    def members(t: dict) -> list[str]:
        return [g["ags"] for g in s.gemeinden if g["kreis_ags"] == t["ags"]] \
            if t["ebene"] == "kreis" else [t["ags"]]
    near = set(origin) | set(b.rings(set(origin), max_ring=2))
    show = near | {a for t in shown for a in members(t)}
    status_of: dict[str, str] = {}
    for t in sorted(rows, key=lambda r: STATUS_ORDER.index(r["bester_status"])):
        status_of.update({a: t["bester_status"] for a in members(t) if a in show})
    own = ags if s.gebiete[ags]["ebene"] == "gemeinde" else ""
    labels = []
    for a in ([ags] if own else []) + direct_neighbours(s, b, ags):
        kind = "own" if a == ags else "hit" if a in status_of else "plain"
        labels.append((kind, a, s.gebiete[a]["name"]))
    if not own:
        labels.append(("own", ags, s.gebiete[ags]["name"]))
    named = {name for _, _, name in labels}
    for t in shown:
        if t["name"] not in named:
            labels.append(("listed", t["ags"], t["name"]))
            named.add(t["name"])
    return {"gemeinden": sorted(show), "status_of": status_of, "origin": own,
            "focus": near | {t["ags"] for t in shown if t["ebene"] == "gemeinde"},
            "near": set(origin) | set(b.rings(set(origin), max_ring=1)),
            "kreise": sorted({a[:5] for a in show}), "own": "" if own else ags,
            "own_kreis": s.gebiete[ags]["kreis_ags"] or ags, "labels": labels}


def page_of(items: list, number: int, size: int = PAGE_SIZE, first: int | None = None
            ) -> dict:
    """One page of *items* (1-based *number*, clamped to the last page) and where it is.

    The first page may hold fewer (*first*): on /nachbarn the direct neighbours' cards stand
    above the first page of the other bodies, and together they make one page of *size*."""
    first = size if first is None else max(1, min(first, size))
    pages = 1 if len(items) <= first else 1 + -(-(len(items) - first) // size)
    number = min(max(1, number), pages)
    start = 0 if number == 1 else first + (number - 2) * size
    end = start + (first if number == 1 else size)
    return {"zeilen": items[start:end], "seite": number, "seiten": pages,
            "von": start + 1 if items else 0, "bis": min(end, len(items)),
            "anzahl": len(items)}


def whole(items: list) -> dict:
    """All of *items* as one page (the export prints everything)."""
    return page_of(items, 1, max(1, len(items)))
