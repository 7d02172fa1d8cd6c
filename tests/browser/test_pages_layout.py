"""The pages beside the map in front of a person, at 360x640 (phone) and 1280x800: /tabelle
(first column stays, cells in the legend's colours), /gebiet/<ags> (the full list),
/nachbarn and /statistik; none scrolls sideways. A Leistung typed by name on the map.

Screenshots go to test-artifacts/pages-*.png for a reviewer.
"""
from __future__ import annotations

import pytest
from mapdom import run_axe, wait_map_ready

pytestmark = pytest.mark.browser
TELGTE = "05570044"
VIEWPORTS = {"phone": (360, 640), "desktop": (1280, 800)}
PAGES = {"tabelle": "/tabelle", "gebiet": f"/gebiet/{TELGTE}",
         "nachbarn": f"/nachbarn?ags={TELGTE}&leistung=Wohngeld", "statistik": "/statistik",
         "nachbarn-leer": "/nachbarn", "auswahl": "/tabelle?leistung=geld"}


@pytest.fixture(params=list(VIEWPORTS))
def sized(request, browser):
    width, height = VIEWPORTS[request.param]
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    page = ctx.new_page()
    page.on("pageerror", lambda e: pytest.fail(f"page error: {e}"))
    yield request.param, page
    ctx.close()


def box(page, selector: str) -> dict:
    b = page.locator(selector).first.bounding_box()
    assert b, f"{selector} is not drawn"
    return b


def inside(b: dict, width: int, height: int | None = None) -> bool:
    ok = b["x"] >= 0 and b["x"] + b["width"] <= width + 0.5
    return ok and (height is None or (b["y"] >= 0 and b["y"] + b["height"] <= height + 0.5))


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement"
                         ".clientWidth")


@pytest.mark.parametrize("name", list(PAGES))
def test_no_sideways_scrolling(sized, live_server, artifacts, name):
    kind, page = sized
    width, height = VIEWPORTS[kind]
    resp = page.goto(live_server.url + PAGES[name])
    assert resp.status == (300 if name == "auswahl" else 200)
    if page.locator(".folium-map").count():  # the neighbour map: drawn and named
        page.locator(".nb-map .map-label.selected").wait_for()
        page.wait_for_timeout(300)
    shot = artifacts / f"pages-{name}-{width}x{height}.png"
    page.screenshot(path=str(shot), full_page=kind == "phone" and name not in ("gebiet",
                                                                             "tabelle"))
    assert horizontal_overflow(page) <= 0, f"{PAGES[name]} scrolls sideways at {width} px"
    h1 = box(page, "h1")
    assert inside(h1, width), h1
    assert shot.stat().st_size > 5_000


def test_table_first_column_stays_and_figures_are_in_view(sized, live_server, artifacts):
    kind, page = sized
    width, height = VIEWPORTS[kind]
    page.goto(live_server.url + "/tabelle?sort=anteil&richtung=ab")
    wrap = page.locator(".tablewrap")
    first = "tbody tr:first-child th[scope=row]"
    page.locator(first).scroll_into_view_if_needed()
    anteil = "tbody tr:first-child td:nth-child(5)"  # Gemeinde, Kreis, AGS, online, Anteil
    name_box, anteil_box = box(page, first), box(page, anteil)
    assert inside(name_box, width) and inside(anteil_box, width), (name_box, anteil_box)
    # scrolled to the last Themenfeld, the Gemeinde's name is still where it was
    wrap.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    page.wait_for_timeout(100)
    last = box(page, "tbody tr:first-child td:last-child")
    after = box(page, first)
    assert inside(last, width), last
    assert abs(after["x"] - name_box["x"]) < 1 and inside(after, width)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(artifacts / f"pages-tabelle-gescrollt-{width}x{height}.png"))
    # the name is not covered by the scrolled cells: it is what is drawn at its centre
    cx, cy = after["x"] + min(after["width"] / 2, 30), after["y"] + after["height"] / 2
    assert page.evaluate(f"document.elementFromPoint({cx}, {cy}).closest('th[scope=row]')"
                         " !== null")


def test_table_cells_wear_the_legend_colours(sized, live_server):
    _kind, page = sized
    page.goto(live_server.url + "/tabelle?kreis=05570")
    legend = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '.legend .swatch')].map(s => [[...s.classList].find(c => c !== 'swatch'),
        getComputedStyle(s).backgroundColor]))""")
    assert len(legend) == 6 and "nodata" in legend
    cells = page.evaluate("""() => [...document.querySelectorAll('tbody td.num[class*=" "]')]
        .map(td => [[...td.classList].find(c => c !== 'num'), td.textContent.trim(),
                    getComputedStyle(td).backgroundColor])""")
    assert len(cells) >= 15 * 10  # Anteil and 14 Themenfelder for each Gemeinde of the Kreis
    seen = set()
    for cls, text, colour in cells:
        assert colour == legend[cls], (cls, text, colour)
        share = None if text == "–" else int(text.rstrip(" %"))
        if share is None:
            assert cls == "nodata"
        else:
            assert cls == f"c{min(share // 20, 4)}" or (share % 20 == 0 and cls ==
                                                        f"c{min(share // 20 - 1, 4)}"), (cls, text)
        seen.add(cls)
    assert len(seen) >= 2


def test_list_page_headline_in_view_on_load(sized, live_server):
    kind, page = sized
    width, height = VIEWPORTS[kind]
    page.goto(live_server.url + f"/gebiet/{TELGTE}")
    head = box(page, "#headline")
    assert inside(head, width, height), head
    assert page.locator("#headline").inner_text().endswith("von den OZG-Leistungen im Filter")
    assert page.locator(".tf-list").count() == 14


def test_map_takes_a_leistung_by_name(sized, live_server, artifacts):
    kind, page = sized
    width, height = VIEWPORTS[kind]
    ids = {r["name"]: r["ozg_id"] for r in live_server.json("/api/leistungen")["leistungen"]}
    page.goto(live_server.url + "/?leistung=Wohngeld")
    wait_map_ready(page)
    page.locator("#legend-box .legend-more > summary").click()  # the legend's "Was zählt?"
    if kind == "phone":  # on phones the filters start folded under their button
        page.locator(".filter-box > summary").click()
    assert page.locator("#leistung-name").inner_text() == "Wohngeld"
    assert page.locator("#f-leistung").input_value() == ids["Wohngeld"]
    assert page.evaluate("location.search") == f"?leistung={ids['Wohngeld']}"
    assert "Wohngeld" in page.locator("#legend-what").inner_text()
    page.screenshot(path=str(artifacts / f"pages-karte-wohngeld-{width}x{height}.png"))


def test_map_keeps_the_map_for_a_name_that_fits_nothing(sized, live_server, artifacts):
    kind, page = sized
    width, height = VIEWPORTS[kind]
    page.goto(live_server.url + "/?leistung=Xylophonstimmung")
    wait_map_ready(page)
    msg = page.locator("#leistung-fehler")
    assert "Keine OZG-Leistung passt zu „Xylophonstimmung“" in msg.inner_text()
    assert inside(box(page, "#leistung-fehler"), width, height)  # seen without scrolling
    assert inside(box(page, ".folium-map"), width)
    assert page.evaluate("location.search") == ""
    page.screenshot(path=str(artifacts / f"pages-karte-unbekannt-{width}x{height}.png"))


@pytest.mark.parametrize("path", [f"/gebiet/{TELGTE}?themenfeld=6", "/tabelle?kreis=05570",
                                  "/tabelle?leistung=geld", "/?leistung=Xylophonstimmung"])
def test_axe_finds_no_violation(sized, live_server, axe_source, path):
    _kind, page = sized
    page.goto(live_server.url + path)
    if page.locator("#map-status").count():
        wait_map_ready(page)
    violations = run_axe(page, axe_source)
    assert violations == [], "\n".join(f"{v['id']}: {v['help']} {v['nodes']}"
                                       for v in violations)


def test_list_page_prints_the_list_not_the_controls(browser, live_server, artifacts):
    ctx = browser.new_context(viewport={"width": 800, "height": 1100}, locale="de-DE")
    page = ctx.new_page()
    page.goto(live_server.url + f"/gebiet/{TELGTE}?themenfeld=14")
    page.emulate_media(media="print")
    for hidden in ("header.site nav", ".filter-box", ".twins", ".tf-toc",
                   ".open-list a.noprint"):
        assert not page.locator(hidden).first.is_visible(), hidden
    for shown in ("h1", "#headline", ".tf-list h2", ".online-list", ".open-list",
                  ".notice.sample"):
        assert page.locator(shown).first.is_visible(), shown
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(artifacts / "pages-gebiet-druck.png"))
    ctx.close()
