"""What one body offers for a filter, as the selection panel and the list page show it: the
headline figure (the same numbers as the map's tooltip and colour), who provides the online
OZG-Leistungen, and per Themenfeld which are online (LeiKa variants folded under each) and
which are not yet.
"""
from __future__ import annotations

from collections import defaultdict

from .coverage import (LEVELS, PROVIDER_LABEL, Coverage, Offers, anteil, nearest_provider,
                       record_item)
from .filters import Filter
from .snapshot import Snapshot

#: Fields of a record that a variant repeats (the OZG-Leistung's own are on the entry).
VARIANT_FIELDS = ("leika_key", "url", "status", "quelle", "seit", "reifegrad",
                  "flaechendeckung", "stelle", "beispieldaten", "anbieter_ags",
                  "anbieter_name")


def overview(s: Snapshot, ags: str, f: Filter, nachbarn_path: str = "/nachbarn") -> dict:
    """``{"kopf": …, "uebersicht": […]}`` of *ags* for *f* (shape: README, /api/gebiete).

    Counts over the OZG-Leistungen in the filter (``Snapshot.in_filter``), each once, as
    ``/api/umsetzung`` does; ``nachbarn_path`` is where "Wer in der Nähe hat es?" links to.
    """
    wanted = s.in_filter(f)
    levels, has = Offers(s, f, wanted).by_level(ags)
    nearest = nearest_provider(levels)
    variants: dict[str, list[dict]] = defaultdict(list)
    for level in LEVELS:
        if level not in levels:
            continue
        p, offered = levels[level]
        items = [record_item(s, r, level) for r in s.resident_offers(p, f)
                 if r.ozg_id in offered]
        for item in sorted(items, key=lambda i: ((i["leika_name"] or "").casefold(),
                                                 i["leika_key"] or "")):
            variants[item["ozg_id"]].append({"name": item["leika_name"] or item["leistung"],
                                             **{k: item[k] for k in VARIANT_FIELDS},
                                             "anbieter": level})
    ask_neighbours = s.gebiete[ags]["ebene"] in ("gemeinde", "kreis")
    by_tf: dict[int, list[str]] = defaultdict(list)
    for o in wanted:
        by_tf[s.leistungen[o]["themenfeld_id"]].append(o)
    uebersicht = []
    for tf in s.themenfelder:
        ids = sorted(by_tf.get(tf["id"], ()), key=lambda o: s.leistungen[o]["name"].casefold())
        if not ids:
            continue
        online = [_online_entry(s, o, nearest[o], variants[o]) for o in ids if o in nearest]
        uebersicht.append({
            "id": tf["id"], "name": tf["name"], "im_filter": len(ids),
            "online": len(online) if has else None, "online_leistungen": online,
            "offen_leistungen": [
                {"ozg_id": o, "name": s.leistungen[o]["name"],
                 "nachbarn_url": f"{nachbarn_path}?ags={ags}&leistung={o}"
                 if ask_neighbours else None}
                for o in ids if o not in nearest]})
    counts = {level: sum(1 for v in nearest.values() if v == level) for level in LEVELS}
    return {"kopf": {
        "leistungen_im_filter": len(wanted),
        "online": len(nearest) if has else None,
        "anteil": anteil(len(nearest), len(wanted)) if has else None,
        "anbieter": counts if has else dict.fromkeys(LEVELS),
        "beispieldaten": s.sample_in([p for p, _ in levels.values()], f)},
        "uebersicht": uebersicht}


def _online_entry(s: Snapshot, ozg_id: str, level: str, variants: list[dict]) -> dict:
    """One online OZG-Leistung: its nearest provider, a link, and its variants."""
    own = [v for v in variants if v["anbieter"] == level]
    url = next((v["url"] for v in own if isinstance(v["url"], str)
                and v["url"].lower().startswith(("http://", "https://"))), None)
    return {"ozg_id": ozg_id, "name": s.leistungen[ozg_id]["name"], "anbieter": level,
            "anbieter_name": own[0]["anbieter_name"], "url": url, "varianten": variants}


def body_with_overview(cov: Coverage, ags: str, f: Filter, snap: Snapshot,
                       nachbarn_path: str = "/nachbarn") -> dict:
    """One body's offers by Themenfeld (``Coverage.body``) with ``kopf`` and ``uebersicht``,
    cached per data version like the rest (the panel's JSON and the list page share it)."""
    panel = cov.cached(("overview", ags, nachbarn_path) + f.key(),
                       lambda s: overview(s, ags, f, nachbarn_path), snap)
    return {**cov.body(ags, f, snap), **panel}


def headline(kopf: dict) -> str:
    """The headline figure in German, as the map's tooltip writes it: "88 von 405 online
    (22 %)" (percent rounded half up, as JavaScript's Math.round)."""
    if kopf["online"] is None:
        return "keine Daten"
    pct = int(kopf["anteil"] * 100 + 0.5)
    return f"{kopf['online']} von {kopf['leistungen_im_filter']} online ({pct} %)"


def providers_text(kopf: dict) -> str:
    """Who provides the online ones, e.g. "Gemeinde 39 · Kreis 19 · Land 30 · Bund 0"."""
    return " · ".join(f"{PROVIDER_LABEL[k]} {n}" for k, n in kopf["anbieter"].items()
                      if n is not None)


#: Columns of /gebiet/<ags>.csv: one row per OZG-Leistung in the filter.
CSV_HEADER = ["ags", "gebiet", "themenfeld_id", "themenfeld", "ozg_id", "leistung", "online",
              "anbieter", "anbieter_name", "url", "varianten", "beispieldaten"]


def csv_rows(body: dict) -> list[list]:
    """The list of /gebiet/<ags> as rows under :data:`CSV_HEADER`."""
    rows = []
    sample = "ja" if body["kopf"]["beispieldaten"] else "nein"
    for t in body["uebersicht"]:
        for o in t["online_leistungen"]:
            own = [v for v in o["varianten"] if v["anbieter"] == o["anbieter"]]
            rows.append([body["ags"], body["name"], t["id"], t["name"], o["ozg_id"],
                         o["name"], "ja", PROVIDER_LABEL[o["anbieter"]], o["anbieter_name"],
                         o["url"] or "", len(o["varianten"]),
                         "ja" if any(v["beispieldaten"] for v in own) else "nein"])
        for o in t["offen_leistungen"]:
            rows.append([body["ags"], body["name"], t["id"], t["name"], o["ozg_id"],
                         o["name"], "nein" if t["online"] is not None else "keine Daten",
                         "", "", "", 0, sample])
    return rows
