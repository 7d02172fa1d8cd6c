"""The counting rule of docs/import.md on the tiny store: a Kreis's (Land's, Bund's) record
"in mind. einer Kommune verfügbar" is no offer for the residents of its Gemeinden; "nicht in
Auswertung berücksichtigt" counts nowhere but is listed; real beats sample per body."""
from __future__ import annotations

import datetime as dt

from tiny import KREIS, L1, L2, L3, LAND, REAL, TinyStore, record

from ozgmap.config import SAMPLE_SOURCE
from ozgmap.coverage import Coverage
from ozgmap.filters import Filter

A, B = "05570004", "05570008"
PVOG = "Dashboard Digitale Verwaltung (Open-PVOG)"


def figures(records) -> dict[str, dict]:
    return {r["ags"]: r for r in Coverage(TinyStore(records)).figures(Filter())}


def test_partial_kreis_offer_counts_for_no_gemeinde():
    partial = [record(KREIS, L2, flaechendeckung="in mind. einer Kommune verfügbar")]
    whole = [record(KREIS, L2, flaechendeckung="kreisweit flächendeckend")]
    assert figures(partial)[A]["online"] == 0 and figures(partial)[A]["vom_kreis"] == 0
    assert figures(whole)[A]["online"] == 1 and figures(whole)[A]["vom_kreis"] == 1
    # held by the Gemeinde itself, it is its own offer
    own = [record(A, L2, flaechendeckung="in mind. einer Kommune verfügbar")]
    assert figures(own)[A]["eigene"] == 1


def test_partial_land_offer_counts_for_no_gemeinde():
    recs = [record(LAND, L3, flaechendeckung="in mind. einer Kommune verfügbar")]
    assert figures(recs)[A]["online"] == 0 and figures(recs)[B]["online"] == 0


def test_not_counted_counts_nowhere_but_is_listed_with_its_begruendung():
    recs = [record(A, L1, flaechendeckung="nicht in Auswertung berücksichtigt",
                   hinweis="nur intern"), record(A, L2)]
    assert figures(recs)[A]["online"] == 1
    body = Coverage(TinyStore(recs)).body(A, Filter(ansicht="eigene"))
    items = [i for t in body["themenfelder"] for i in t["leistungen"]]
    assert sorted((i["ozg_id"], i["gezaehlt"], i["hinweis"]) for i in items) == [
        (L1, False, "nur intern"), (L2, True, "")]
    assert (body["anzahl"], body["nicht_gezaehlt"]) == (1, 1)


def test_real_beats_sample_per_body():
    recs = [record(A, L1, quelle=SAMPLE_SOURCE), record(A, L2, quelle=SAMPLE_SOURCE),
            record(A, L3, quelle=PVOG, stand=dt.date(2026, 11, 28)),
            record(B, L1, quelle=SAMPLE_SOURCE)]
    cov = Coverage(TinyStore(recs))
    fig = {r["ags"]: r for r in cov.figures(Filter(ansicht="eigene"))}
    assert (fig[A]["online"], fig[A]["beispieldaten"]) == (1, False)  # the samples: not shown
    assert (fig[B]["online"], fig[B]["beispieldaten"]) == (1, True)
    body = cov.body(A, Filter(ansicht="eigene"))
    assert (body["daten"], body["beispieldaten"]) == ("echt", False)
    assert body["stand"] == [{"quelle": PVOG, "stand": "2026-11-28",
                              "text": "Stand der PVOG-Daten: 28.11.2026"}]
    assert cov.body(B, Filter(ansicht="eigene"))["daten"] == "Beispieldaten"
    snap = cov.snapshot()
    assert snap.source_lines == [f"{PVOG} (Stand der PVOG-Daten: 28.11.2026)"]
    assert REAL not in snap.real_sources
