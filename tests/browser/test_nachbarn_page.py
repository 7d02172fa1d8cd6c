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
    page.locator(".nb-map .map-label.selected").wait_for()          # drawn and named
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


def intersects(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (outer["x"] - slack <= inner["x"]
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and outer["y"] - slack <= inner["y"]
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


# the page boxes of shapes on the neighbour map, by AGS (Leaflet's layers carry the feature)
SHAPE_BOXES = """(agsList) => { const out = {};
  window.map_nachbarn.eachLayer((l) => {
    const a = l.feature && l.feature.properties.ags;
    if (l._path && agsList.includes(a)) {
      const r = l._path.getBoundingClientRect();
      out[a] = {x: r.x, y: r.y, width: r.width, height: r.height};
    } });
  return out; }"""


# where each name shown belongs: its place's point (nb-config) on the page, by its text
ANCHORS = """() => { const cfg = JSON.parse(document.getElementById("nb-config").textContent);
  const m = window.map_nachbarn, r0 = m.getContainer().getBoundingClientRect(), out = {};
  for (const e of document.querySelectorAll(".nb-map .map-label")) {
    const lb = cfg.labels.find((l) => l.ags === e.dataset.ags);
    const p = m.latLngToContainerPoint(lb.latlng);
    out[e.textContent] = [r0.x + p.x, r0.y + p.y];
  }
  return out; }"""


@pytest.mark.parametrize("name", ["familie", "wohngeld"])
def test_neighbour_map_names_outlines_status_colours_and_legend(sized, rec, live_server,
                                                                 artifacts, name):
    """What a coordinator sees on the map: names that never overlap and stay on the map, the
    own Gemeinde outlined in red and named, the direct neighbours with a solution named and
    in their status' colour; the legend (folding) and the scale cover none of them."""
    page, width, _height = sized
    query = CASES[name].split("?", 1)[1].replace("=Wohngeld", "=10092")  # the API takes IDs
    page.goto(live_server.url + CASES[name])
    page.locator(".nb-map .map-label.selected").wait_for()
    page.wait_for_timeout(300)
    page.locator(".nb-map").scroll_into_view_if_needed()
    page.locator(".nb-map").screenshot(path=str(artifacts / f"nachbarn-karte-{name}-{width}.png"))
    m = box(page, ".nb-map .folium-map")
    strokes = page.locator(".folium-map path").evaluate_all(
        "ps => ps.map(p => [p.getAttribute('stroke'), p.getAttribute('fill')])")
    assert [OWN_OUTLINE, "#ffffff"] in [[s, f] for s, f in strokes]
    # names: visible text boxes, none over another, all inside the map
    labels = [(el.inner_text(), el.bounding_box())
              for el in page.locator(".nb-map .map-label").all() if el.is_visible()]
    assert len(labels) >= 2
    for i, (text, b) in enumerate(labels):
        assert inside(b, m), f"{text} off the map: {b}"
        for other, b2 in labels[i + 1:]:
            assert not intersects(b, b2), f"{text} overlaps {other}"
    named = [t for t, _b in labels]
    # and each stands on its place: the point inside its shape is under the name
    anchors = page.evaluate(ANCHORS)
    assert sorted(anchors) == sorted(named)
    for text, b in labels:
        x, y = anchors[text]
        assert b["x"] - 1 <= x <= b["x"] + b["width"] + 1, (text, x, b)
        assert b["y"] - 1 <= y <= b["y"] + b["height"] + 1, (text, y, b)
    assert named.count("Telgte") == 1
    assert page.locator(".nb-map .map-label.selected").inner_text() == "Telgte"
    # every direct neighbour with a solution (a Gemeinde sharing a border) is named
    api = live_server.json(f"/api/nachbarn?{query}")
    with_it = {t["ags"]: t["name"] for t in api["treffer"]
               if t["ring"] == 1 and t["ebene"] == "gemeinde"}
    assert (len(with_it) >= 4) if name == "familie" else not with_it
    for n in with_it.values():
        assert n in named, f"{n} (direct neighbour with a solution) not named: {named}"
    if name == "familie":
        assert STATUS_COLOURS["umgesetzt"] in {f for _s, f in strokes}
    # Land and Kreis outlines: lines without fill
    assert page.locator(".folium-map path:not(.leaflet-interactive)").count() >= 2
    # the legend names what the colours mean; wide: on the map's foot, phone: right below it
    legend = box(page, ".nb-legend")
    if width > 760:
        assert inside(legend, m)
    else:
        assert abs(legend["y"] - (m["y"] + m["height"])) <= 2 and legend["width"] <= width
    text = page.locator(".nb-legend").inner_text()
    assert "Telgte" in text and "ohne Lösung" in text
    if name == "familie":
        assert "umgesetzt" in text
        swatch = page.locator(".nb-legend .sw.st3").evaluate(
            "e => getComputedStyle(e).backgroundColor")
        assert swatch == rgb(STATUS_COLOURS["umgesetzt"])
    # neither the legend nor the scale bar or credits cover the own Gemeinde's shape or a
    # direct neighbour's at the first view
    own = page.locator(".folium-map path").evaluate_all(
        f"ps => ps.filter(p => p.getAttribute('stroke') === '{OWN_OUTLINE}'"
        " && p.getAttribute('fill') === '#ffffff').map(p => { const r = p.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; })")
    assert len(own) == 1
    direct = live_server.json(f"/api/luecken?ags={TELGTE}")["nachbarn"]
    shapes = page.evaluate(SHAPE_BOXES, [TELGTE] + [d["ags"] for d in direct])
    assert len(shapes) == 1 + len(direct) and inside(shapes[TELGTE], own[0], slack=1)
    assert page.locator(".leaflet-control-scale-line").count() == 1   # km only
    feet = [legend] + [el.bounding_box() for el in
                       page.locator(".nb-map .leaflet-bottom .leaflet-control").all()]
    for ags, shape in shapes.items():
        assert inside(shape, m, slack=1), f"{ags} not wholly in view"
        for foot in feet:
            assert not intersects(shape, foot), f"{ags} under {foot}"
    # the legend folds with one tap and opens again; the names keep clear of it
    page.locator(".nb-legend > summary").click()
    assert not page.locator(".nb-legend > span").first.is_visible()
    page.locator(".nb-legend > summary").click()
    assert page.locator(".nb-legend > span").first.is_visible()
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
