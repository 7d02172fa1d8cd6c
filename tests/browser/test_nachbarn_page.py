"""/nachbarn as a coordinator sees it in Chromium: the answer first, a page that stays short on
a phone (both lists paged), no sideways scrolling, the neighbours map with names, outlines and
legend; screenshots in test-artifacts/ for review."""
from __future__ import annotations

import pytest

from ozgmap.maps import OWN_OUTLINE, STATUS_COLOURS

pytestmark = pytest.mark.browser
TELGTE = "05570044"
CASES = {
    "wohngeld": f"/nachbarn?ags={TELGTE}&leistung=Wohngeld",       # by name, no neighbour
    "familie": f"/nachbarn?ags={TELGTE}&themenfeld=6",            # Familie & Kind: 400+ bodies
    "gesundheit": f"/nachbarn?ags={TELGTE}&themenfeld=8",         # the longest gap names
    "luecken": f"/nachbarn?ags={TELGTE}&alle=1",                  # gap list only, all marked
}


def rgb(hex_colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


@pytest.fixture(params=[(360, 640), (1280, 800)], ids=["360x640", "1280x800"])
def sized(request, browser, rec):
    width, height = request.param
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    ctx.on("request", lambda r: rec.requests.append(r))
    ctx.on("response", lambda r: rec.responses.append(r))
    ctx.on("page", rec.watch)
    yield ctx.new_page(), width, height
    ctx.close()


@pytest.mark.parametrize("name", list(CASES))
def test_answer_first_short_page_no_sideways_scrolling(sized, rec, live_server, artifacts,
                                                       name):
    page, width, height = sized
    assert page.goto(live_server.url + CASES[name]).status == 200
    page.locator(".folium-map path.leaflet-interactive").first.wait_for()
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / f"nachbarn-{name}-{width}.png"), full_page=True)
    dims = page.evaluate("[document.documentElement.scrollWidth, innerWidth,"
                         " document.documentElement.scrollHeight]")
    assert dims[0] <= dims[1], f"scrolls sideways by {dims[0] - dims[1]} px"
    assert dims[2] < 4 * height, f"{dims[2]} px high: more than 4 screens of {height}"
    if name != "luecken":                          # the one-line answer, in view at load
        answer = box(page, "#antwort")
        assert answer["y"] >= 0 and answer["y"] + answer["height"] <= height
        assert answer["width"] <= width
        assert page.locator("#antwort").inner_text().endswith(".")
    # both lists paged: at most ten bodies and ten gaps, with a link on to the next page
    assert page.locator(".nb-card").count() + page.locator(".nb-list > li").count() <= 10
    assert page.locator(".nb-gaps > li").count() <= 10
    if name in ("familie", "gesundheit"):
        assert page.locator("#weitere-seiten a[rel=next]").count() == 1
    for el in page.locator(".nb-card, .nb-list > li, .nb-gaps > li").all():
        b = el.bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= width
    rec.assert_clean(live_server.url)


def test_neighbour_map_names_outlines_status_colours_and_legend(sized, rec, live_server):
    page, _width, _height = sized
    page.goto(live_server.url + f"/nachbarn?ags={TELGTE}&themenfeld=6")
    page.locator(".folium-map path.leaflet-interactive").first.wait_for()
    page.wait_for_timeout(300)
    m = box(page, ".nb-map")
    # the own Gemeinde outlined in red and named on the map
    strokes = page.locator(".folium-map path").evaluate_all(
        "ps => ps.map(p => [p.getAttribute('stroke'), p.getAttribute('fill')])")
    assert [OWN_OUTLINE, "#ffffff"] in [[s, f] for s, f in strokes]
    own = page.locator(".nb-label-own", has_text="Telgte")
    assert own.count() == 1
    b = own.bounding_box()
    assert m["x"] <= b["x"] and b["x"] + b["width"] <= m["x"] + m["width"]
    assert m["y"] <= b["y"] and b["y"] + b["height"] <= m["y"] + m["height"]
    # the direct neighbours named too; bodies with a solution in their status' class colour
    for n in ("Münster", "Greven", "Everswinkel", "Ostbevern", "Warendorf"):
        assert page.locator(".nb-label", has_text=n).count() >= 1, n
    assert STATUS_COLOURS["umgesetzt"] in {f for _s, f in strokes}
    # Land and Kreis outlines: lines without fill
    lines = page.locator(".folium-map path:not(.leaflet-interactive)").count()
    assert lines >= 2
    # the legend sits on the map and names what the colours mean
    legend = box(page, ".nb-legend")
    assert m["x"] <= legend["x"] and legend["x"] + legend["width"] <= m["x"] + m["width"]
    assert m["y"] <= legend["y"] and legend["y"] + legend["height"] <= m["y"] + m["height"]
    text = page.locator(".nb-legend").inner_text()
    assert "Telgte" in text and "umgesetzt" in text and "ohne Lösung" in text
    swatch = page.locator(".nb-legend .sw.st3").evaluate("e => getComputedStyle(e).backgroundColor")
    assert swatch == rgb(STATUS_COLOURS["umgesetzt"])
    rec.assert_clean(live_server.url)


def test_paging_and_alle_work_without_script(browser, live_server):
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, locale="de-DE",
                              java_script_enabled=False)
    page = ctx.new_page()
    page.goto(live_server.url + f"/nachbarn?ags={TELGTE}&themenfeld=6")
    first = page.locator(".nb-list > li").first.inner_text()
    with page.expect_navigation():  # the new page loaded, not only its URL committed
        page.locator("#weitere-seiten a[rel=next]").click()
    assert "seite=2" in page.url
    assert page.locator(".nb-list > li").first.inner_text() != first
    assert page.locator(".nb-list > li").count() == 10
    page.check("input[name=alle]")
    with page.expect_navigation():
        page.locator(".nb-alle button").click()
    assert "alle=1" in page.url and "seite=2" in page.url
    assert page.locator(".nb-gaps .nb-covered").count() >= 1
    ctx.close()


def test_export_prints_without_page_chrome(browser, live_server, artifacts):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
    page = ctx.new_page()
    page.goto(live_server.url + f"/nachbarn/export?ags={TELGTE}&leistung=Wohngeld")
    assert page.locator("header.site").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    assert not page.locator(".nb-noprint").is_visible()
    assert page.locator(".nb-answer").is_visible() and page.locator(".nb-gaps li").count() > 10
    page.pdf(path=str(artifacts / "nachbarn-export.pdf"))
    page.screenshot(path=str(artifacts / "nachbarn-export-print.png"), full_page=True)
    ctx.close()
