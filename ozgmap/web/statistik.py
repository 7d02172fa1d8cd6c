"""The dashboard ``/statistik`` and its twins ``/api/statistik`` (JSON, everything) and
``/api/statistik/<teil>`` (JSON or ``format=csv``, one chart's numbers each)."""
from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, Response, render_template, url_for

from .. import stats, svg
from ..app_services import services
from ..snapshot import Snapshot
from .common import HTML, csv_response, data_format, json_response, meta, page_context
from .params import BadParameter, filter_query, parse_ags, read_filter

bp = Blueprint("statistik", __name__)

STATS_PARAMS = ("ags", "vergleich", "tage")
TEILE = ("themenfelder", "kreise", "gemeinden", "verlauf", "importe", "neu", "vergleich")
TOP = 10            # NRW-wide Gemeinde ranking: chart of the 10 highest and 10 lowest
MAX_IMPORT_BARS = 36
MAX_NEU_LIST = 200  # offers listed on the page (all of them in CSV/JSON)


def _body_param(value: str, name: str, snap: Snapshot, strict: bool) -> str:
    """A Gemeinde (8 digits) or Kreis (5 digits) named by parameter *name*."""
    if not re.fullmatch(r"[0-9]{5}|[0-9]{8}", value):  # ASCII digits only
        raise BadParameter(name, f"{name}: „{value[:20]}“ ist kein Kreis (5 Ziffern) und keine "
                           "Gemeinde (8 Ziffern).")
    try:
        return parse_ags(value, snap)
    except LookupError as exc:
        if strict:
            raise
        raise BadParameter(name, str(exc))


def read_stats(strict: bool, extra: tuple[str, ...] = ()) -> dict:
    """Filter and dashboard parameters of the request; raises BadParameter / LookupError."""
    snap, f, args = read_filter(strict, STATS_PARAMS + extra)
    ags = _body_param(args["ags"], "ags", snap, strict) if args.get("ags") else None
    if ags and f.kreis and snap.gebiete[ags]["kreis_ags"] != f.kreis:
        raise BadParameter("ags", f"{snap.gebiete[ags]['name']} ({ags}) liegt nicht im "
                           f"gewählten Kreis {f.kreis}. Kreis leeren oder ein Gebiet in diesem "
                           "Kreis wählen.")
    vergleich: list[str] = []
    if args.get("vergleich"):
        parts = [p.strip() for p in args["vergleich"].split(",")]
        if not all(parts):
            raise BadParameter("vergleich", "vergleich: Schlüssel durch Kommas getrennt angeben, "
                               "z. B. 05570,05558,05515000,05915000.")
        if len(set(parts)) > stats.MAX_VERGLEICH:
            raise BadParameter("vergleich", f"Höchstens {stats.MAX_VERGLEICH} Gebiete "
                               "vergleichen.")
        for p in parts:
            a = _body_param(p, "vergleich", snap, strict)
            if a not in vergleich:
                vergleich.append(a)
    tage = args.get("tage") or str(stats.TAGE[0])
    if tage not in {str(t) for t in stats.TAGE}:
        raise BadParameter("tage", "tage muss " + " oder ".join(map(str, stats.TAGE))
                           + " sein.")
    own = {"ags": ags, "vergleich": ",".join(vergleich) or None,
           "tage": tage if tage != str(stats.TAGE[0]) else None}
    return {"snap": snap, "f": f, "args": args, "ags": ags, "vergleich": vergleich,
            "tage": int(tage), "scope": stats.scope_of(snap, f, ags), "today": dt.date.today(),
            "query": {**filter_query(f), **{k: v for k, v in own.items() if v}}}


def sections(p: dict, teile: tuple[str, ...]) -> dict:
    """The figures of the requested parts (see :mod:`ozgmap.stats`)."""
    cov = services().coverage
    f, sc, today = p["f"], p["scope"], p["today"]
    build = {
        "zusammenfassung": lambda: stats.summary(cov, f, sc),
        "themenfelder": lambda: stats.by_themenfeld(cov, f, sc),
        "kreise": lambda: stats.kreise(cov, f, sc.kreis),
        "gemeinden": lambda: stats.gemeinden(cov, f, sc),
        "verlauf": lambda: stats.verlauf(cov, f, sc, today),
        "importe": lambda: stats.importe(cov, f, sc),
        "neu": lambda: stats.neu(cov, f, sc, p["tage"], today),
        "vergleich": lambda: stats.vergleich(cov, f, p["vergleich"], p["tage"], today)
        if p["vergleich"] else None,
    }
    return {t: build[t]() for t in teile}


def _meta_for(p: dict) -> dict:
    sc = p["scope"]
    return {**meta(p["snap"], p["f"]), "filter": p["query"], "stichtag": p["today"].isoformat(),
            "bereich": {"art": sc.kind, "ags": sc.ags, "name": sc.name}}


# --- API ---------------------------------------------------------------------------------

@bp.get("/api/statistik")
def api_all():
    """Every figure of ``/statistik`` as one JSON document."""
    p = read_stats(strict=True)
    return json_response(p["snap"], {**_meta_for(p), **sections(p, ("zusammenfassung",) + TEILE)})


def _csv(teil: str, data) -> tuple[list[str], list[list]]:
    if teil == "themenfelder":
        cols = ["id", "name", "anteil", "online", "gemeinden_mit_daten",
                "leistungen_im_filter", "gewaehlt"]
        return cols, [[r.get(c) for c in cols] for r in data]
    if teil == "kreise":
        cols = ["rang", "ags", "name", "art", "anteil", "gemeinden", "mit_daten"]
        return cols, [[r[c] for c in cols] for r in data]
    if teil == "gemeinden":
        cols = ["rang", "ags", "name", "kreis", "online", "leistungen_im_filter", "anteil"]
        return cols, [[r[c] for c in cols] for r in data]
    if teil == "verlauf":
        cols = ["monat", "stichtag", "anteil", "neu"]
        return cols, [[r[c] for c in cols] for r in data["punkte"]]
    if teil == "importe":
        cols = ["datum", "online", "angelegt", "geaendert", "geloescht"]
        return cols, [[r[c] for c in cols] for r in data]
    if teil == "neu":
        cols = ["datum", "ags", "gebiet", "ozg_id", "leistung", "themenfeld", "beispieldaten"]
        return ["kreis_ags", "kreis"] + cols, [[g["ags"], g["name"]] + [i[c] for c in cols]
                                               for g in data["kreise"] for i in g["angebote"]]
    cols = ["ags", "name", "art", "online", "leistungen_im_filter", "anteil", "mittel_gemeinden",
            "neu"]
    return (cols + [t["name"] for t in data["themenfelder"]],
            [[b[c] for c in cols] + [b["themen"][t["id"]] for t in data["themenfelder"]]
             for b in data["gebiete"]])


@bp.get("/api/statistik/<teil>")
def api_teil(teil: str):
    """One part of ``/statistik`` as JSON, or with ``format=csv`` as CSV."""
    if teil not in TEILE:
        raise LookupError(f"Keinen Teil '{teil[:40]}'. Erlaubt: " + ", ".join(TEILE) + ".")
    p = read_stats(strict=True, extra=("format",))
    fmt = data_format(p["args"])
    if teil == "vergleich" and not p["vergleich"]:
        raise BadParameter("vergleich", "Bitte die zu vergleichenden Gebiete angeben, z. B. "
                           "vergleich=05570,05558,05515000,05915000.")
    data = sections(p, (teil,))[teil]
    if fmt == "csv":
        header, rows = _csv(teil, data)
        suffix = p["scope"].ags or "nrw"
        return csv_response(header, rows, f"statistik-{teil}-{suffix}.csv")
    return json_response(p["snap"], {**_meta_for(p), teil: data})


# --- the page ----------------------------------------------------------------------------

def pct(v: float | None, digits: int = 0) -> str:
    """A share as German percent text; "keine Daten" for None."""
    if v is None:
        return "keine Daten"
    return f"{v * 100:.{digits}f} %".replace(".", ",")


def _extremes(rows: list[dict], what: str) -> str:
    have = [r for r in rows if r.get("anteil") is not None]
    if not have:
        return f"Für {what} liegen keine Daten vor."
    hi = max(have, key=lambda r: r["anteil"])
    lo = min(have, key=lambda r: r["anteil"])
    return (f"Höchster Wert: {hi['name']} mit {pct(hi['anteil'])}, niedrigster: {lo['name']} "
            f"mit {pct(lo['anteil'])}.")


def _ranking_bars(rows: list[dict]) -> list[svg.Bar]:
    return [svg.Bar(f"{r['rang']}. {r['name']}", r["anteil"], pct(r["anteil"]), r["gewaehlt"])
            for r in rows]


def charts(p: dict, d: dict) -> dict:
    """The SVG charts of the page, each described in words for screen readers."""
    sc, out = p["scope"], {}
    if d["themenfelder"]:
        out["themenfelder"] = svg.bar_chart(
            "c-themenfelder", f"Umsetzungsgrad je Themenfeld: {sc.name}",
            _extremes(d["themenfelder"], "die Themenfelder"),
            [svg.Bar(t["name"] + (" (gewählt)" if t["gewaehlt"] else ""), t["anteil"],
                     pct(t["anteil"]), t["gewaehlt"]) for t in d["themenfelder"]])
    kreise = [k for k in d["kreise"] if k["anteil"] is not None]  # the table lists all
    if kreise:
        land = p["f"].without_kreis()
        nrw = stats.summary(services().coverage, land, stats.scope_of(p["snap"], land))
        out["kreise"] = svg.bar_chart(
            "c-kreise", "Kreise und kreisfreie Städte nach Umsetzungsgrad ihrer Gemeinden",
            _extremes(kreise, "die Kreise"), _ranking_bars(kreise),
            (nrw["anteil"], f"Mittel NRW {pct(nrw['anteil'])}"))
    gem = [r for r in d["gemeinden"] if r["anteil"] is not None]
    if gem:
        ref = stats._mean(r["anteil"] for r in gem)
        ref_line = (ref, f"Mittel {pct(ref)}")
        if len(gem) > 2 * TOP:
            out["gemeinden_oben"] = svg.bar_chart(
                "c-gemeinden-oben", f"Die {TOP} Gemeinden mit dem höchsten Umsetzungsgrad",
                _extremes(gem[:TOP], "diese Gemeinden"), _ranking_bars(gem[:TOP]), ref_line)
            out["gemeinden_unten"] = svg.bar_chart(
                "c-gemeinden-unten", f"Die {TOP} Gemeinden mit dem niedrigsten Umsetzungsgrad",
                _extremes(gem[-TOP:], "diese Gemeinden"), _ranking_bars(gem[-TOP:]), ref_line)
        else:
            out["gemeinden"] = svg.bar_chart(
                "c-gemeinden", "Gemeinden nach Umsetzungsgrad", _extremes(gem, "die Gemeinden"),
                _ranking_bars(gem), ref_line)
    pts = [x for x in d["verlauf"]["punkte"] if x["anteil"] is not None]
    if pts:
        out["verlauf"] = svg.line_chart(
            "c-verlauf", f"Umsetzungsgrad im Zeitverlauf: {sc.name}",
            f"Monatsende {pts[0]['monat']}: {pct(pts[0]['anteil'])}; "
            f"{pts[-1]['monat']}: {pct(pts[-1]['anteil'])}.",
            [dt.date.fromisoformat(x["stichtag"]) for x in pts], [x["anteil"] for x in pts])
    imp = d["importe"][-MAX_IMPORT_BARS:]
    if imp:
        out["importe"] = svg.column_chart(
            "c-importe", "Stand nach jedem Importtag",
            f"{len(imp)} Importtage; zuletzt am {_de_date(imp[-1]['datum'])}: "
            f"{imp[-1]['online']} online.",
            [_de_date(x["datum"]) for x in imp], [x["online"] for x in imp])
    groups = [g for g in d["neu"]["kreise"] if g["anzahl"]]
    if groups:
        top = max(g["anzahl"] for g in groups)
        out["neu"] = svg.bar_chart(
            "c-neu", f"Neu online in den letzten {p['tage']} Tagen je Kreis",
            f"Insgesamt {d['neu']['anzahl']} Angebote; am meisten: {groups[0]['name']} "
            f"({groups[0]['anzahl']}).",
            [svg.Bar(g["name"], g["anzahl"] / top, str(g["anzahl"])) for g in groups])
    v = d["vergleich"]
    if v:
        out["vergleich"] = svg.bar_chart(
            "c-vergleich", "Umsetzungsgrad im Vergleich", _extremes(v["gebiete"], "die Gebiete"),
            [svg.Bar(f"{i}. {b['name']}", b["anteil"], pct(b["anteil"]),
                     colour=svg.SERIES[(i - 1) % len(svg.SERIES)])
             for i, b in enumerate(v["gebiete"], 1)])
        if v["themenfelder"]:
            out["vergleich_themen"] = svg.grouped_bar_chart(
                "c-vergleich-themen", "Umsetzungsgrad je Themenfeld im Vergleich",
                "Je Themenfeld ein Balken pro Gebiet, nummeriert wie in der Legende: "
                + "; ".join(f"{i}. {b['name']}" for i, b in enumerate(v["gebiete"], 1)) + ".",
                [(t["name"], [(b["themen"][t["id"]], pct(b["themen"][t["id"]]))
                              for b in v["gebiete"]]) for t in v["themenfelder"]])
    return out


def _de_date(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d.%m.%Y")


@bp.get("/statistik")
def page():
    """Dashboard: Umsetzungsgrad per Themenfeld, rankings, course over time, what is new, and
    bodies side by side; every chart with a table and CSV/JSON twins."""
    p = read_stats(strict=False)
    d = sections(p, ("zusammenfassung",) + TEILE)
    snap, f = p["snap"], p["f"]
    twins = {t: {"csv": url_for("statistik.api_teil", teil=t, format="csv", **p["query"]),
                 "json": url_for("statistik.api_teil", teil=t, **p["query"])} for t in TEILE}
    return Response(render_template(
        "statistik.html", p=p, d=d, sc=p["scope"], charts=charts(p, d), twins=twins, pct=pct,
        de_date=_de_date, top=TOP, max_neu=MAX_NEU_LIST, series=svg.SERIES, swatch=svg.swatch,
        partner=",".join(stats.PARTNER), tage_options=stats.TAGE,
        bodies=_choices(snap), stat_query=p["query"],
        ranking_kreis=stats.display_name(snap.gebiete[p["scope"].kreis])
        if p["scope"].kreis else None, **page_context(snap, f)), mimetype=HTML)


def _choices(snap: Snapshot) -> dict:
    kreise = sorted(snap.kreise, key=lambda k: k["name"])
    return {"kreise": [(k["ags"], stats.display_name(k)) for k in kreise],
            "gemeinden": sorted(((g["ags"], g["name"]) for g in snap.gemeinden),
                                key=lambda x: x[1])}

