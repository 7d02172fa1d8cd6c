"""The parameter parser's pure parts: single values, AGS in paths, bounding boxes."""
from __future__ import annotations

import pytest
from tiny import A, KREIS
from werkzeug.test import EnvironBuilder

from ozgmap.web.params import MAX_VALUE, BadParameter, parse_ags, parse_bbox, single_args


def request_for(query: str):
    return EnvironBuilder(query_string=query).get_request()


def test_single_args_strips_and_keeps_only_allowed_names_on_pages():
    assert single_args(request_for("status=%20offen%20&utm_source=x"), ("status",),
                       strict=False) == {"status": "offen"}


@pytest.mark.parametrize("query, message", [
    ("utm_source=x", "Unbekannter Parameter 'utm_source'. Erlaubt: status"),
    ("status=a&status=b", "Parameter 'status' darf nur einmal vorkommen."),
    ("status=" + "x" * (MAX_VALUE + 1), "Wert von 'status' ist zu lang"),
])
def test_single_args_refuses_unknown_repeated_and_oversized_values(query, message):
    with pytest.raises(BadParameter) as exc:
        single_args(request_for(query), ("status",), strict=True)
    assert message in exc.value.message


def test_parse_ags_tells_malformed_from_unknown(snap):
    assert parse_ags(A, snap) == A and parse_ags(KREIS, snap) == KREIS
    with pytest.raises(BadParameter):
        parse_ags("0557", snap)
    with pytest.raises(LookupError, match="Kein Gebiet mit AGS 05570099"):
        parse_ags("05570099", snap)


@pytest.mark.parametrize("value, expected", [
    ("", None),
    ("7.8,51.8,8.2,52.1", (7.8, 51.8, 8.2, 52.1)),
    ("7.8,51.8,0,8.2,52.1,100", (7.8, 51.8, 8.2, 52.1)),   # with heights
    ("-180,-90,180,90", (-180.0, -90.0, 180.0, 90.0)),
])
def test_parse_bbox_reads_four_or_six_numbers(value, expected):
    assert parse_bbox(value) == expected


@pytest.mark.parametrize("value", ["7.8,51.8,8.2", "a,b,c,d", "nan,1,2,3", "8,51,7,52",
                                   "1e999,0,1,1", "0,-91,1,1", "1,2,3,4,5"])
def test_parse_bbox_refuses_malformed_boxes(value):
    with pytest.raises(BadParameter) as exc:
        parse_bbox(value)
    assert exc.value.parameter == "bbox"
