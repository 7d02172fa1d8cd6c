"""Germany's first view light (issue 20): a large area starts with its Kreise, coloured by the
mean of their Gemeinden, and a Land's Gemeinden load when it is in view at their zoom or when
one of them is chosen. In Chromium at 360×640 and 1280×800.

CI has no boundaries for all of Germany (they are built from npm, not committed), so these
tests run the same code on NRW with ``OZGMAP_KREISWEISE_AB=100`` (396 Gemeinden > 100: the
53 Kreise first, Land 05 on zooming in). The last test takes the real de_* boundaries and
the benchmark's Germany database when both are there and is skipped otherwise.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mapdom import map_state, wait_for_colours
from test_selection import PAGE_SIZE_JS, SIZES, box, expected_headline, wait_inside

from ozgmap.maps import class_colour

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
TELGTE = "05570044"
CFG_MAP = "window[JSON.parse(document.getElementById('ozgmap-config').textContent).map]"
ZOOM_JS = f"""([lat, lng, z]) => {{ {CFG_MAP}.setView([lat, lng], z, {{animate: false}}); }}"""
# The Kreis shapes drawn (5-digit AGS): fill colour and whether on the map.
KREISE_JS = f"""() => {{
  const out = {{}};
  {CFG_MAP}.eachLayer(l => {{
    const p = l.feature && l.feature.properties;
    if (p && p.ags && p.ags.length === 5 && l._path && l.options.fill !== false) {{
      out[p.ags] = l._path.getAttribute('fill'); }}
  }});
  return out;
}}"""


@pytest.fixture(scope="module")
def kreisweise_server(template_db, tmp_path_factory, serve_db, host):
    tmp = tmp_path_factory.mktemp("kreisweise")
    db = tmp / "ozgmap.sqlite"
    shutil.copy(template_db, db)
    with serve_db(db, tmp, host.origin, env={"OZGMAP_KREISWEISE_AB": "100"}) as server:
        yield server


def geometry_requests(rec) -> list[str]:
    return [r.url.split("/api/geometrie/")[1].split("?")[0] for r in rec.requests
            if "/api/geometrie/" in r.url]


def figure_requests(rec) -> list[str]:
    return [r.url.split("/api/umsetzung")[1] for r in rec.requests if "/api/umsetzung" in r.url]


def open_page(browser, rec, size: str):
    ctx = browser.new_context(locale="de-DE", **SIZES[size])
    ctx.on("request", lambda r: rec.requests.append(r))
    ctx.on("response", lambda r: rec.responses.append(r))
    ctx.on("page", rec.watch)
    return ctx, ctx.new_page()


def expected_kreise(live, query: str = "") -> dict[str, str]:
    sep = "&" if query else "?"
    rows = live.json(f"/api/umsetzung{query}{sep}ebene=kreise")["gebiete"]
    return {r["ags"]: class_colour(r["anteil"]) for r in rows}


def wait_kreise(page, expected: dict[str, str]) -> None:
    page.wait_for_function(f"(n) => Object.keys(({KREISE_JS})()).length >= n", arg=len(expected),
                           polling=100, timeout=15_000)
    seen = page.evaluate(KREISE_JS)
    diff = sorted((a, c, seen.get(a)) for a, c in expected.items() if seen.get(a) != c)
    assert not diff, f"{len(diff)} Kreise differ (ags, expected, seen): {diff[:8]}"


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_national_view_shows_kreise_by_the_mean_of_their_gemeinden_and_zooming_in_brings_them(
        browser, rec, kreisweise_server, artifacts, size):
    live = kreisweise_server
    ctx, page = open_page(browser, rec, size)
    try:
        page.goto(live.url + "/")
        # NRW fills a phone at zoom 7 (the Gemeinden's zoom): out to where Germany would be
        page.locator("#map-status").filter(has_text="dargestellt").wait_for(timeout=20_000)
        page.evaluate(ZOOM_JS, [51.4, 7.6, 6])
        status = page.locator("#map-status")
        status.filter(has_text="53 Kreise dargestellt").wait_for(timeout=10_000)
        wait_kreise(page, expected_kreise(live))
        # no Gemeinde on the map at this zoom, and the legend says what a Kreis's colour is
        assert not [a for a, s in map_state(page).items() if s["drawn"]]
        level = box(page, "#legend-level")
        assert level and level["inside"] and "Mittel seiner Gemeinden" in level["text"], level
        assert box(page, ".map-legend")["inside"]
        assert page.evaluate(PAGE_SIZE_JS)[1] <= SIZES[size]["viewport"]["width"]
        page.screenshot(path=str(artifacts / f"kreisweise-national-{size}.png"))

        # zooming in on the Land: its Gemeinden (500 m level) and their figures, once each
        page.evaluate(ZOOM_JS, [51.9, 7.6, 8])
        status.filter(has_text="396 Gemeinden dargestellt").wait_for(timeout=30_000)
        expected = {r["ags"]: class_colour(r["anteil"])
                    for r in live.json("/api/umsetzung?land=05")["gebiete"]}
        wait_for_colours(page, expected)
        assert not box(page, "#legend-level")["w"]  # the Kreis line is gone with the Kreise
        page.screenshot(path=str(artifacts / f"kreisweise-land-{size}.png"))
        page.evaluate(ZOOM_JS, [51.4, 7.6, 6])
        status.filter(has_text="Kreise dargestellt").wait_for(timeout=10_000)
        page.evaluate(ZOOM_JS, [51.9, 7.6, 8.25])
        status.filter(has_text="Gemeinden dargestellt").wait_for(timeout=10_000)
        assert geometry_requests(rec).count("gemeinden-05.topojson") == 1, geometry_requests(rec)
        lands = [q for q in figure_requests(rec) if "land=05" in q]
        assert len(lands) == 1, figure_requests(rec)
        rec.assert_clean(live.url)
    finally:
        ctx.close()


def test_the_first_view_loads_no_gemeinden_when_the_kreise_fill_it(browser, rec,
                                                                    kreisweise_server):
    """At a zoom below the Gemeinden's (a screen like Germany's on NRW: 500 px wide) the page
    draws from what it carries: no geometry request, no figures request."""
    live = kreisweise_server
    ctx = browser.new_context(locale="de-DE", viewport={"width": 300, "height": 400})
    ctx.on("request", lambda r: rec.requests.append(r))
    try:
        page = ctx.new_page()
        page.goto(live.url + "/")
        page.locator("#map-status").filter(has_text="53 Kreise dargestellt").wait_for(
            timeout=20_000)
        assert page.evaluate(f"() => {CFG_MAP}.getZoom()") < 7
        wait_kreise(page, expected_kreise(live))
        page.wait_for_timeout(300)
        assert geometry_requests(rec) == [] and figure_requests(rec) == [], (
            geometry_requests(rec), figure_requests(rec))
    finally:
        ctx.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_permalink_to_a_gemeinde_loads_its_land_and_shows_it(browser, rec, kreisweise_server,
                                                               artifacts, size):
    live = kreisweise_server
    ctx, page = open_page(browser, rec, size)
    try:
        page.goto(f"{live.url}/?gebiet={TELGTE}")
        wait_inside(page, "#detail-title", "Telgte", 10)
        wait_inside(page, "#detail-headline", expected_headline(live, TELGTE), 10)
        page.wait_for_function(
            f"() => {{ let s = null; {CFG_MAP}.eachLayer(l => {{ if (l.feature && "
            f"l.feature.properties.ags === '{TELGTE}' && l._path) {{ s = l._path.getAttribute("
            "'stroke'); } }); return s === '#000000'; }", polling=100, timeout=15_000)
        telgte = map_state(page)[TELGTE]
        assert telgte["drawn"], telgte
        page.screenshot(path=str(artifacts / f"kreisweise-permalink-{size}.png"))
        rec.assert_clean(live.url)
    finally:
        ctx.close()


def test_search_finds_a_gemeinde_of_a_land_not_loaded_yet(browser, rec, kreisweise_server):
    live = kreisweise_server
    ctx = browser.new_context(locale="de-DE", viewport={"width": 300, "height": 400})
    try:
        page = ctx.new_page()
        page.goto(live.url + "/")
        page.locator("#map-status").filter(has_text="Kreise dargestellt").wait_for(timeout=20_000)
        page.locator("#q").fill("Telgte")
        page.locator("#q").press("Enter")
        page.wait_for_url(f"**gebiet={TELGTE}**", timeout=15_000)
        page.locator("#detail-title").filter(has_text="Telgte").wait_for(timeout=15_000)
    finally:
        ctx.close()


DE_DB = ROOT / ".cache" / "bench" / "de.sqlite"
DE_UEBERSICHT = ROOT / "boundaries" / "de_uebersicht.topojson"


@pytest.mark.skipif(not (DE_DB.exists() and DE_UEBERSICHT.exists()),
                    reason="needs Germany's boundaries (scripts/build_boundaries.py --all) and "
                           "the benchmark's Germany database (.cache/bench/de.sqlite, made by "
                           "scripts/bench.py --gebiet de); CI has neither")
def test_germany_first_view_draws_its_kreise_without_a_gemeinde(browser, rec, serve_db,
                                                                tmp_path, artifacts):
    with serve_db(DE_DB, tmp_path, env={"OZGMAP_BOUNDARIES": "de"}) as live:
        for size in ("phone", "desktop"):
            rec.requests.clear()
            ctx, page = open_page(browser, rec, size)
            try:
                page.goto(live.url + "/")
                page.locator("#map-status").filter(has_text="Kreise dargestellt").wait_for(
                    timeout=120_000)
                wait_kreise(page, expected_kreise(live))
                assert geometry_requests(rec) == [], geometry_requests(rec)
                page.screenshot(path=str(artifacts / f"de-national-{size}.png"))
                page.evaluate(ZOOM_JS, [50.9, 6.9, 8])
                page.locator("#map-status").filter(has_text="Gemeinden dargestellt").wait_for(
                    timeout=60_000)
                page.wait_for_timeout(1000)
                page.screenshot(path=str(artifacts / f"de-land-{size}.png"))
            finally:
                ctx.close()


def test_enter_on_the_kreise_view_brings_the_gemeinden_of_the_kreis_in_the_middle(
        browser, rec, kreisweise_server):
    live = kreisweise_server
    ctx, page = open_page(browser, rec, "desktop")
    try:
        page.goto(live.url + "/")
        page.locator("#map-status").filter(has_text="dargestellt").wait_for(timeout=20_000)
        page.evaluate(ZOOM_JS, [51.93, 7.9, 6])  # Warendorf in the middle
        page.locator("#map-status").filter(has_text="Kreise dargestellt").wait_for(timeout=10_000)
        page.locator(".leaflet-container").focus()
        page.wait_for_timeout(500)  # the keyboard needs the modules loaded after the drawing
        page.keyboard.press("Enter")
        page.locator("#map-status").filter(has_text="396 Gemeinden dargestellt").wait_for(
            timeout=30_000)
        bounds = page.evaluate(f"() => {{ const b = {CFG_MAP}.getBounds(); "
                               "return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }")
        assert bounds[0] < 51.93 < bounds[2] and bounds[1] < 7.9 < bounds[3]
        assert page.evaluate(f"() => {CFG_MAP}.getZoom()") >= 8
        rec.assert_clean(live.url)
    finally:
        ctx.close()
