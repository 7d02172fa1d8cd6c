"""The one filter definition: parser, permalinks, OpenAPI parameters, front-end list."""
from __future__ import annotations

import dataclasses

import pytest
from tiny import KREIS, L1

from ozgmap.filters import (FILTER_DEFINITION, FILTER_PARAMS, BadParameter, Filter,
                            filter_query, front_end_definition, openapi_parameters,
                            parse_filter)


def test_filter_fields_and_defaults_come_from_the_definition():
    fields = {f.name: f.default for f in dataclasses.fields(Filter)}
    assert tuple(fields) == FILTER_PARAMS
    assert fields == {"themenfeld": None, "leistung": None, "kreis": None,
                      "status": "umgesetzt", "ansicht": "einwohner", "nur_echt": False}
    assert Filter().key() == (None, None, None, "umgesetzt", "einwohner", False)


def test_parse_filter_converts_and_defaults(snap):
    f = parse_filter({"themenfeld": "01", "leistung": L1, "kreis": KREIS, "status": "",
                      "nur_echt": "JA"}, snap)
    assert f == Filter(themenfeld=1, leistung=L1, kreis=KREIS, nur_echt=True)
    assert parse_filter({}, snap) == Filter()


@pytest.mark.parametrize("name, value, message", [
    ("themenfeld", "x", "Unbekanntes Themenfeld 'x'"),
    ("themenfeld", "9", "Unbekanntes Themenfeld '9'"),
    ("leistung", "1a", "Leistung muss eine OZG-ID sein"),
    ("leistung", "999", "Unbekannte OZG-Leistung '999'."),
    ("kreis", "0557", "Kreis muss ein 5-stelliger Kreisschlüssel sein"),
    ("kreis", "05571", "Unbekannter Kreis '05571'."),
    ("status", "fertig", "Unbekannter Status 'fertig'. Erlaubt: offen, in Planung"),
    ("ansicht", "alle", "Ansicht muss 'einwohner' oder 'eigene' sein."),
    ("nur_echt", "vielleicht", "nur_echt muss 1 oder 0 sein."),
])
def test_bad_values_are_named_in_german(snap, name, value, message):
    with pytest.raises(BadParameter) as exc:
        parse_filter({name: value}, snap)
    assert exc.value.parameter == name and message in exc.value.message


def test_filter_query_leaves_out_defaults_and_round_trips(snap):
    f = Filter(themenfeld=2, status="offen", nur_echt=True)
    q = filter_query(f)
    assert q == {"themenfeld": "2", "status": "offen", "nur_echt": "1"}
    assert parse_filter(q, snap) == f
    assert filter_query(Filter()) == {} and filter_query(f, status=None) == {
        "themenfeld": "2", "nur_echt": "1"}


def test_openapi_parameters_list_the_small_vocabularies(snap):
    params = openapi_parameters(snap, ("themenfeld", "leistung", "status", "nur_echt"))
    assert list(params) == ["themenfeld", "leistung", "status", "nur_echt"]
    assert params["themenfeld"]["schema"] == {"type": "integer", "enum": [1, 2]}
    assert params["leistung"]["schema"] == {"type": "string", "pattern": r"^\d{1,8}$"}
    assert params["status"]["schema"]["default"] == "umgesetzt"
    assert params["nur_echt"]["schema"] == {"type": "string", "enum": ["0", "1"],
                                            "default": "0"}
    assert all(p["in"] == "query" and p["description"] for p in params.values())


def test_front_end_definition_names_every_filter(snap):
    fe = front_end_definition(snap)
    assert [d["name"] for d in fe] == [p.name for p in FILTER_DEFINITION]
    by = {d["name"]: d for d in fe}
    assert by["status"]["default"] == "umgesetzt" and by["themenfeld"]["default"] is None
    assert by["themenfeld"]["values"] == ["1", "2"] and by["leistung"]["values"] is None
    assert by["ansicht"]["values"] == ["einwohner", "eigene"]
    assert all(set(d) == {"name", "default", "values", "label"} and d["label"] for d in fe)
