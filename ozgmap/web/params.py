"""URL parameters: one parser for every page and API route, strict and explained in German.

The filter parameters and their checks are defined once in :mod:`ozgmap.filters`.
"""
from __future__ import annotations

import math
import re

from flask import Request, g, request

from .. import filters
from ..app_services import services
from ..filters import FILTER_PARAMS, BadParameter, Filter, filter_query
from ..lookup import NameLookupError, resolve_lage, resolve_leistung, resolve_themenfeld
from ..snapshot import Snapshot

__all__ = ["FILTER_PARAMS", "MAX_VALUE", "NACHBARN_PARAMS", "BadParameter", "Unresolved",
           "by_name", "filter_query", "parse_ags", "parse_bbox", "parse_filter", "read_filter",
           "read_nachbarn", "single_args"]
#: the filter parameters a page may give by name, and who resolves the name to the id
NAMED = (("leistung", resolve_leistung), ("themenfeld", resolve_themenfeld))

MAX_VALUE = 200
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


class Unresolved(BadParameter):
    """A page's parameter names no entry or several (``candidates``: their (id, name)); the
    page answers with the German message or a choice list (see ``web.http``)."""

    def __init__(self, parameter: str, exc: NameLookupError):
        super().__init__(parameter, exc.message)
        self.candidates = exc.candidates


def by_name(parameter: str, resolver, snap: Snapshot, value: str) -> str:
    """*value* resolved by *resolver* (one of ``ozgmap.lookup``'s), for pages."""
    try:
        return resolver(snap, value)
    except NameLookupError as exc:
        raise Unresolved(parameter, exc) from None


def single_args(req: Request, allowed: tuple[str, ...], strict: bool) -> dict[str, str]:
    """The query as ``{name: value}``; repeated or oversized values are errors.

    With *strict* (the API), unknown parameters are errors too; pages ignore them so that
    links with tracking parameters still open.
    """
    out: dict[str, str] = {}
    for name in req.args.keys():
        values = req.args.getlist(name)
        if name not in allowed:
            if strict:
                raise BadParameter(name, f"Unbekannter Parameter '{name[:40]}'. Erlaubt: "
                                   + ", ".join(allowed))
            continue
        if len(values) > 1:
            raise BadParameter(name, f"Parameter '{name}' darf nur einmal vorkommen.")
        if len(values[0]) > MAX_VALUE:
            raise BadParameter(name, f"Wert von '{name}' ist zu lang (höchstens {MAX_VALUE} "
                               "Zeichen).")
        out[name] = values[0].strip()
    return out


def parse_filter(args: dict[str, str], snap: Snapshot, names: bool = False) -> Filter:
    """Validate the filter parameters (:data:`ozgmap.filters.FILTER_DEFINITION`).

    With *names* (pages), ``leistung`` and ``themenfeld`` may be names, resolved by
    ``ozgmap.lookup`` (:class:`Unresolved` if that fails); the API takes ids only.
    """
    if names:
        args = {**args, **{k: by_name(k, resolver, snap, args[k]) for k, resolver in NAMED
                           if args.get(k)}}
    return filters.parse_filter(args, snap)


def parse_ags(value: str, snap: Snapshot) -> str:
    """A body key from a path: 8 (Gemeinde), 5 (Kreis) or 2 (Land/Bund) digits.

    Malformed keys raise :class:`BadParameter`; unknown ones ``LookupError`` (HTTP 404).
    """
    if not re.fullmatch(r"[0-9]{2}|[0-9]{5}|[0-9]{8}", value or ""):
        raise BadParameter("ags", "AGS muss 8 (Gemeinde), 5 (Kreis) oder 2 (Land) Ziffern "
                           "haben.")
    if value not in snap.gebiete:
        raise LookupError(f"Kein Gebiet mit AGS {value}.")
    return value


def read_filter(strict: bool, extra: tuple[str, ...] = (),
                without: tuple[str, ...] = ()) -> tuple[Snapshot, Filter, dict]:
    """(snapshot, filter, args) of the current request; raises :class:`BadParameter`.

    Pages (not *strict*) take names for ``leistung`` and ``themenfeld``; their args then
    carry the resolved ids, so links built from them work in the API too. Parameters in
    *without* are ignored (a page shown without a value it could not resolve).
    """
    snap = services().coverage.snapshot()
    g.last_modified = snap.changed_at  # Last-Modified for every answer built from it
    args = single_args(request, FILTER_PARAMS + extra, strict)
    for name in without:
        args.pop(name, None)
    f = parse_filter(args, snap, names=not strict)
    if not strict:
        args.update({k: str(getattr(f, k)) for k, _ in NAMED if args.get(k)})
    return snap, f, args


NACHBARN_PARAMS = ("ags", "lage", "min", "alle")


def read_nachbarn(strict: bool, extra: tuple[str, ...] = ()) -> dict:
    """Parameters of the Nachnutzung views: body, what is asked about, minimum count."""
    snap, f, args = read_filter(strict, NACHBARN_PARAMS + extra)
    ags = args.get("ags", "")
    if not ags:
        raise BadParameter("ags", "Bitte eine Gemeinde oder einen Kreis angeben (ags).")
    try:
        ags = parse_ags(ags, snap)
    except LookupError as exc:
        raise BadParameter("ags", str(exc)) if not strict else exc
    if snap.gebiete[ags]["ebene"] not in ("gemeinde", "kreis"):
        raise BadParameter("ags", "ags muss eine Gemeinde (8 Ziffern) oder ein Kreis "
                           "(5 Ziffern) sein.")
    lage = None
    if args.get("lage") and not strict:
        args["lage"] = by_name("lage", resolve_lage, snap, args["lage"])
    if args.get("lage"):
        if not re.fullmatch(r"[0-9]{1,4}", args["lage"]) or int(args["lage"]) not in snap.lagen:
            raise BadParameter("lage", f"Unbekannte Lage '{args['lage'][:40]}'.")
        lage = int(args["lage"])
    min_n = 2
    if args.get("min"):
        if not re.fullmatch(r"[0-9]{1,2}", args["min"]) or not 1 <= int(args["min"]) <= 50:
            raise BadParameter("min", "min muss eine Zahl von 1 bis 50 sein.")
        min_n = int(args["min"])
    alle = args.get("alle", "").lower()
    if alle not in filters.TRUE | filters.FALSE:
        raise BadParameter("alle", "alle muss 1 oder 0 sein.")
    return {"snap": snap, "f": f, "args": args, "ags": ags, "lage": lage, "min": min_n,
            "alle": alle in filters.TRUE,
            "asked": bool(f.leistung or lage or f.themenfeld)}


def parse_bbox(value: str) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` (or with heights: 6 numbers) in CRS84; 400 when malformed."""
    if not value:
        return None
    parts = value.split(",")
    nums = [float(p) for p in parts if _NUMBER.fullmatch(p.strip())]
    if len(parts) not in (4, 6) or len(nums) != len(parts) \
            or not all(math.isfinite(n) for n in nums):
        raise BadParameter("bbox", "bbox muss 4 (oder 6) Zahlen sein: minx,miny,maxx,maxy "
                           "in Längen-/Breitengrad (CRS84), z. B. 7.8,51.8,8.2,52.1.")
    half = len(nums) // 2
    lo, hi = nums[:half], nums[half:]
    minx, miny, maxx, maxy = lo[0], lo[1], hi[0], hi[1]
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BadParameter("bbox", "bbox: es muss minx ≤ maxx (−180…180) und miny ≤ maxy "
                           "(−90…90) gelten.")
    return minx, miny, maxx, maxy
