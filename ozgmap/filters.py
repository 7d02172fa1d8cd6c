"""The filter of a view, defined once: :data:`FILTER_DEFINITION` names each URL parameter, its
type and vocabulary, its default and its German messages. From it are made the
:class:`Filter` dataclass, the parser (:func:`parse_filter`), the permalink parameters
(:func:`filter_query`), the OpenAPI parameters (:func:`openapi_parameters`) and the list handed
to the map page (:func:`front_end_definition`). No Flask in here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, make_dataclass, replace
from typing import Any, Callable, Collection

STATUS_ORDER = ["offen", "in Planung", "in Bearbeitung", "umgesetzt"]
VIEWS = {"einwohner": "für Einwohner verfügbar", "eigene": "eigene Angebote"}
TRUE, FALSE = {"1", "ja", "true", "on"}, {"0", "nein", "false", "off", ""}


class BadParameter(ValueError):
    """A query parameter is malformed, repeated, oversized or unknown (HTTP 400)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class FilterParam:
    """One filter parameter.

    The URL text is checked against *pattern* (else *message*), turned into the Filter's value
    by *kind* (``int``, ``str`` or ``bool``) and looked up in *vocabulary* (a collection, or a
    function of the snapshot giving one; else *unknown*, or *message*). Messages may use
    ``{value}`` (the first 40 characters of what was given).
    """

    name: str
    kind: str                       # int | str | bool
    label: str                      # German, as the filter form names it
    description: str                # German, one sentence for the API description
    message: str                    # German: the value is malformed (or unknown)
    default: str = ""               # the URL value when the parameter is absent
    pattern: str | None = None
    vocabulary: Collection | Callable[[Any], Collection] | None = None
    unknown: str | None = None      # German: the value is well-formed but not known
    listed: bool = True             # the vocabulary is small: give it to API and front end
    api_pattern: str | None = field(default=None, repr=False)

    @property
    def value_default(self):
        """The Filter's value when the parameter is absent."""
        return _convert(self, self.default) if self.default else (
            False if self.kind == "bool" else None)

    def allowed(self, snap) -> list | None:
        """The vocabulary (as Filter values) for *snap*, or None if it is not listed."""
        if not self.listed or self.vocabulary is None:
            return None
        vocab = self.vocabulary(snap) if callable(self.vocabulary) else self.vocabulary
        return list(vocab)

    def parse(self, text: str, snap):
        """The Filter value of URL *text* ('' = the default); :class:`BadParameter`."""
        text = text or self.default
        if not text:
            return self.value_default
        value = text[:40]
        if self.kind == "bool":
            if text.lower() not in TRUE | FALSE:
                raise BadParameter(self.name, self.message.format(value=value))
            return text.lower() in TRUE
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise BadParameter(self.name, self.message.format(value=value))
        converted = _convert(self, text)
        vocab = self.vocabulary(snap) if callable(self.vocabulary) else self.vocabulary
        if vocab is not None and converted not in vocab:
            raise BadParameter(self.name, (self.unknown or self.message).format(value=value))
        return converted

    def text(self, value) -> str | None:
        """The URL text of a Filter value; None where it is the default (left out of links)."""
        if self.kind == "bool":
            return "1" if value else None
        if value is None or str(value) == self.default:
            return None
        return str(value)


def _convert(p: FilterParam, text: str):
    return int(text) if p.kind == "int" else text.lower() in TRUE if p.kind == "bool" else text


FILTER_DEFINITION: tuple[FilterParam, ...] = (
    FilterParam(
        "themenfeld", "int", "Themenfeld", "Nur die Leistungen dieses Themenfelds.",
        "Unbekanntes Themenfeld '{value}'. Erwartet wird die Nummer eines der 14 "
        "Themenfelder (1–14).",
        pattern=r"[0-9]{1,3}", vocabulary=lambda snap: sorted(snap.themenfeld_names)),
    FilterParam(
        "leistung", "str", "Leistung", "Nur diese OZG-Leistung (OZG-ID).",
        "Leistung muss eine OZG-ID sein (Ziffern, z. B. 10110).",
        pattern=r"[0-9]{1,8}", vocabulary=lambda snap: snap.leistungen,
        unknown="Unbekannte OZG-Leistung '{value}'.", listed=False,
        api_pattern=r"^\d{1,8}$"),
    FilterParam(
        "kreis", "str", "Kreis", "Nur die Gemeinden dieses Kreises (Kreisschlüssel).",
        "Kreis muss ein 5-stelliger Kreisschlüssel sein (z. B. 05570).",
        pattern=r"[0-9]{5}", vocabulary=lambda snap: {k["ags"] for k in snap.kreise},
        unknown="Unbekannter Kreis '{value}'.", listed=False),
    FilterParam(
        "status", "str", "Stand mindestens", "Zählt Angebote mindestens dieses Status.",
        "Unbekannter Status '{value}'. Erlaubt: " + ", ".join(STATUS_ORDER),
        default="umgesetzt", vocabulary=STATUS_ORDER),
    FilterParam(
        "ansicht", "str", "Was zählt?",
        "einwohner: Gemeinde, Kreis, Land und Bund; eigene: nur die Gemeinde.",
        "Ansicht muss " + " oder ".join(f"'{v}'" for v in VIEWS) + " sein.",
        default="einwohner", vocabulary=list(VIEWS)),
    FilterParam(
        "nur_echt", "bool", "nur echte Daten", "1 blendet Beispieldaten aus.",
        "nur_echt muss 1 oder 0 sein."),
)
FILTERS = {p.name: p for p in FILTER_DEFINITION}
FILTER_PARAMS = tuple(FILTERS)


class _FilterMethods:
    def key(self) -> tuple:
        """The filter as a tuple (for cache keys), in the order of the definition."""
        return tuple(getattr(self, p.name) for p in FILTER_DEFINITION)

    def without_kreis(self) -> "Filter":
        return replace(self, kreis=None)


#: One view of the map; every field is a URL parameter of :data:`FILTER_DEFINITION`.
Filter = make_dataclass(
    "Filter",
    [(p.name, {"int": "int | None", "str": "str | None", "bool": "bool"}[p.kind],
      field(default=p.value_default)) for p in FILTER_DEFINITION],
    bases=(_FilterMethods,), frozen=True)
Filter.__module__ = __name__  # for pickle and repr (make_dataclass takes module= from 3.12)


def parse_filter(args: dict[str, str], snap) -> Filter:
    """Validate the filter parameters in *args* against the catalogue and the bodies."""
    return Filter(**{p.name: p.parse(args.get(p.name, ""), snap) for p in FILTER_DEFINITION})


def filter_query(f: Filter, **override) -> dict[str, str]:
    """The non-default parameters of *f* (for permalinks and links between views)."""
    out: dict[str, Any] = {p.name: p.text(getattr(f, p.name)) for p in FILTER_DEFINITION}
    out.update(override)
    return {k: str(v) for k, v in out.items() if v not in (None, "")}


def openapi_parameters(snap, names: Collection[str]) -> dict[str, dict]:
    """OpenAPI 3.0 query parameters of the filters *names*, by name."""
    out = {}
    for p in FILTER_DEFINITION:
        if p.name not in names:
            continue
        if p.kind == "bool":
            schema: dict = {"type": "string", "enum": ["0", "1"], "default": "0"}
        else:
            schema = {"type": "integer" if p.kind == "int" else "string"}
            if p.allowed(snap) is not None:
                schema["enum"] = p.allowed(snap)
            elif p.api_pattern or p.pattern:
                schema["pattern"] = p.api_pattern or f"^{p.pattern}$"
            if p.default:
                schema["default"] = p.default
        out[p.name] = {"name": p.name, "in": "query", "required": False,
                       "description": p.description, "schema": schema}
    return out


def front_end_definition(snap) -> list[dict]:
    """The definition as the map page's script reads it: name, default (None: no
    restriction), allowed URL values (None: checked by the server) and label."""
    out = []
    for p in FILTER_DEFINITION:
        values = ["0", "1"] if p.kind == "bool" else p.allowed(snap)
        out.append({"name": p.name, "default": p.default or None,
                    "values": [str(v) for v in values] if values is not None else None,
                    "label": p.label})
    return out
