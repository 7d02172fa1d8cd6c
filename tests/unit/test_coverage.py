"""The figures on the tiny store: who offers what counts for whom, per filter."""
from __future__ import annotations

import pytest
from tiny import A, B, KREIS, L1, L2, L3

from ozgmap.coverage import FIGURE_COLUMNS, table
from ozgmap.filters import Filter
from ozgmap.snapshot import describe


def by_ags(cov, f):
    return {r["ags"]: r for r in cov.figures(f)}


def test_residents_count_gemeinde_kreis_land_and_bund(cov):
    rows = by_ags(cov, Filter())
    assert list(rows) == [A, B] and list(rows[A]) == FIGURE_COLUMNS
    assert rows[A]["leistungen_im_filter"] == 3          # the kommunal ones only
    assert (rows[A]["online"], rows[A]["anteil"]) == (2, 0.6667)  # own L1 + the Kreis's L2
    assert (rows[A]["eigene"], rows[A]["vom_kreis"], rows[A]["vom_land_bund"]) == (1, 1, 0)


def test_status_counts_records_of_at_least_that_status(cov):
    rows = by_ags(cov, Filter(status="in Bearbeitung"))
    assert rows[A]["online"] == 3 and rows[A]["vom_land_bund"] == 1   # the Land's L3


def test_eigene_counts_only_the_gemeinde_and_nur_echt_hides_beispieldaten(cov):
    own = by_ags(cov, Filter(ansicht="eigene"))
    assert (own[A]["online"], own[B]["online"]) == (1, 1)
    real = by_ags(cov, Filter(ansicht="eigene", nur_echt=True))
    assert real[B]["online"] is None and real[B]["anteil"] is None   # keine Daten
    assert by_ags(cov, Filter(nur_echt=True))[B]["online"] == 1      # still the Kreis's L2


def test_themenfeld_and_leistung_narrow_what_is_counted(cov):
    assert by_ags(cov, Filter(themenfeld=2))[A]["leistungen_im_filter"] == 1
    one = by_ags(cov, Filter(leistung=L3))
    assert (one[A]["leistungen_im_filter"], one[A]["online"]) == (1, 0)


def test_body_groups_offers_by_themenfeld_with_their_provider(cov):
    body = cov.body(A, Filter())
    assert body["anzahl"] == 2 and [t["id"] for t in body["themenfelder"]] == [1]
    offers = {o["ozg_id"]: o for o in body["themenfelder"][0]["leistungen"]}
    assert offers[L1]["anbieter"] == "Gemeinde" and offers[L2]["anbieter"] == "Kreis"
    assert offers[L2]["anbieter_ags"] == KREIS and not offers[L1]["beispieldaten"]


def test_table_has_one_figure_per_themenfeld(cov):
    t = table(cov, Filter())
    assert [tf["id"] for tf in t["themenfelder"]] == [1, 2]
    row = {r["ags"]: r for r in t["rows"]}[A]
    assert row["themen"] == {1: 1.0, 2: 0.0}


def test_figures_are_cached_per_filter(cov):
    assert cov.figures(Filter()) is cov.figures(Filter())
    assert cov.figures(Filter()) is not cov.figures(Filter(status="offen"))


@pytest.mark.parametrize("f, words", [
    (Filter(), ["Anteil der kommunal vollzogenen", "Gemeinde, Kreis, Land und Bund"]),
    (Filter(themenfeld=1, ansicht="eigene", nur_echt=True),
     ["im Themenfeld „Familie & Kind“", "nur eigene Angebote", "Ohne Beispieldaten."]),
    (Filter(leistung=L1), ["Ist die Leistung „Elterngeld“ online?"]),
])
def test_describe_says_what_is_counted(snap, f, words):
    text = describe(snap, f)
    assert all(w in text for w in words), text
