"""Issue 16: what a person sees when choosing a Gemeinde, in Chromium at 360×640 (a phone,
touch) and 1280×800, on ``/`` and ``/embed?kreis=05570``. Everything is asserted by bounding
boxes in the viewport and page heights, not by DOM presence; screenshots go to test-artifacts/.
"""
from __future__ import annotations

import time

import pytest
from mapdom import app_frame, point_in, wait_map_ready

pytestmark = pytest.mark.browser
TELGTE = "05570044"
KREIS = "05570"
PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}

IN_VIEW_JS = """(sel) => {
  const e = document.querySelector(sel);
  if (!e) { return null; }
  const r = e.getBoundingClientRect();
  return {top: r.top, left: r.left, bottom: r.bottom, right: r.right, w: r.width, h: r.height,
          inside: r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
                  r.bottom <= innerHeight && r.right <= innerWidth,
          text: e.innerText};
}"""
PAGE_SIZE_JS = "() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth]"


def box(frame, selector: str) -> dict | None:
    return frame.evaluate(IN_VIEW_JS, selector)


def wait_inside(frame, selector: str, text: str, timeout: float) -> float:
    """Seconds until *selector* shows *text* wholly inside the viewport; fails after *timeout*."""
    start = time.monotonic()
    while True:
        b = box(frame, selector)
        if b and b["inside"] and text in b["text"]:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{selector} not in view with {text!r} after {timeout} s: {b}")
        frame.wait_for_timeout(25)


def expected_headline(live, ags: str, query: str = "") -> str:
    fig = next(g for g in live.json("/api/umsetzung" + query)["gebiete"] if g["ags"] == ags)
    share = round(fig["anteil"] * 100)
    return f"{fig['online']} von {fig['leistungen_im_filter']} online ({share} %)"


def new_page(browser, size: str):
    ctx = browser.new_context(locale="de-DE", **SIZES[size])
    return ctx, ctx.new_page()


def assert_legend_in_view(frame) -> None:
    nodata = frame.evaluate("""() => { const li = [...document.querySelectorAll('.map-legend li')]
        .find(l => l.innerText.trim() === 'keine Daten'); if (!li) { return null; }
        const r = li.getBoundingClientRect();
        return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; }""")
    assert nodata, "the legend's 'keine Daten' is not in the viewport"


@pytest.mark.parametrize("path", ["/", f"/embed?kreis={KREIS}"])
@pytest.mark.parametrize("how", ["tap", "search", "permalink"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_selecting_telgte_shows_name_and_headline_in_view(browser, live_server, artifacts,
                                                          size, how, path):
    ctx, page = new_page(browser, size)
    want = expected_headline(live_server, TELGTE, f"?kreis={KREIS}" if "kreis" in path else "")
    sep = "&" if "?" in path else "?"
    page.goto(live_server.url + path + (f"{sep}gebiet={TELGTE}" if how == "permalink" else ""))
    wait_map_ready(page)
    assert_legend_in_view(page)
    height = page.evaluate(PAGE_SIZE_JS)
    if how == "tap":
        x, y = point_in(page, TELGTE)
        (page.touchscreen.tap if size == "phone" else page.mouse.click)(x, y)
    elif how == "search":
        page.locator("#q").fill("Telgte")
        page.locator("#q").press("Enter")
    took = wait_inside(page, "#detail-title", "Telgte", 1.0)
    wait_inside(page, "#detail-headline", want, 1.0 - took)
    assert box(page, "#detail-headline")["text"] == want
    assert page.evaluate(PAGE_SIZE_JS) == height, "the page grew on selection"
    for tip in page.locator(".leaflet-tooltip").all():  # a tap's tooltip, if any, fits
        assert tip.evaluate("e => { const r = e.getBoundingClientRect(); return r.left >= 0 && "
                            "r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; }")
    assert height[1] <= SIZES[size]["viewport"]["width"], "sideways scrolling"
    assert f"gebiet={TELGTE}" in page.url
    if how in ("tap", "search"):
        # the selected name is on the map, inside the map's box
        label = page.locator(f'.map-label[data-ags="{TELGTE}"]')
        label.wait_for()
        assert box(page, f'.map-label[data-ags="{TELGTE}"]')["inside"]
    name = ("embed-" if "embed" in path else "karte-") + f"{size}-{how}.png"
    page.screenshot(path=str(artifacts / f"auswahl-{name}"))
    ctx.close()


@pytest.mark.parametrize("path", ["/", f"/embed?kreis={KREIS}"])
def test_headline_equals_the_tooltip(browser, live_server, path):
    ctx, page = new_page(browser, "desktop")
    page.goto(live_server.url + path)
    wait_map_ready(page)
    page.mouse.move(*point_in(page, TELGTE))
    tip = page.locator(".leaflet-tooltip .tt-figure")
    tip.wait_for()
    shown = tip.inner_text()
    page.mouse.click(*point_in(page, TELGTE))
    page.locator("#detail-headline").wait_for()
    assert page.locator("#detail-headline").inner_text() == shown
    q = f"?kreis={KREIS}" if "kreis" in path else ""
    assert shown == expected_headline(live_server, TELGTE, q)
    ctx.close()


def test_tooltips_stay_inside_the_viewport_at_the_edges(browser, live_server):
    ctx, page = new_page(browser, "desktop")
    page.goto(f"{live_server.url}/?kreis={KREIS}")
    wait_map_ready(page)
    m = box(page, ".mapwrap .leaflet-container")
    tried = 0
    for x, y in [(m["right"] - 4, m["top"] + 4), (m["right"] - 4, m["bottom"] - 30),
                 (m["left"] + 60, m["bottom"] - 30), (m["right"] - 4, (m["top"] + m["bottom"]) / 2),
                 (m["left"] + 60, m["top"] + 120)]:
        page.mouse.move(x - 10, y)
        page.mouse.move(x, y)
        page.wait_for_timeout(100)
        tip = box(page, ".leaflet-tooltip")
        if tip and tip["w"]:
            tried += 1
            assert tip["inside"], (x, y, tip)
    assert tried >= 3
    ctx.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("path", [f"/?kreis={KREIS}", f"/embed?kreis={KREIS}"])
def test_gemeinde_names_are_on_the_map_at_the_kreis_view(browser, live_server, artifacts,
                                                         size, path):
    ctx, page = new_page(browser, size)
    page.goto(live_server.url + path)
    wait_map_ready(page)
    page.wait_for_timeout(400)
    names = {g["name"] for g in live_server.json(f"/api/umsetzung?kreis={KREIS}")["gebiete"]}
    labels = page.evaluate("""() => {
      const m = document.querySelector('.mapwrap .leaflet-container').getBoundingClientRect();
      return [...document.querySelectorAll('.map-label')].map(l => {
        const r = l.getBoundingClientRect(), s = getComputedStyle(l);
        return {text: l.innerText, x: r.left, y: r.top, w: r.width, h: r.height,
                visible: s.visibility === 'visible' && +s.opacity > 0 && r.width > 0 &&
                         r.left >= m.left && r.right <= m.right && r.top >= m.top &&
                         r.bottom <= m.bottom};
      });
    }""")
    shown = {lb["text"] for lb in labels if lb["visible"]} & names
    assert len(shown) >= (7 if size == "phone" else 10), sorted(shown)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert not (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and
                        a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]), (a, b)
    kind = "embed" if "embed" in path else "karte"
    page.screenshot(path=str(artifacts / f"namen-{kind}-{size}.png"))
    ctx.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_tab_from_the_top_reaches_the_footer_in_under_40_presses(browser, live_server, size):
    ctx, page = new_page(browser, size)
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    for n in range(1, 41):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('footer')"):
            break
    assert n < 40, "the footer is not reached in under 40 Tab presses"
    # and nothing on the way is a Gemeinde shape: the map is one tab stop
    assert page.evaluate("() => document.querySelectorAll('path[tabindex=\"0\"]').length") == 0
    ctx.close()


def test_keyboard_a_to_z_list_reaches_telgte_and_enter_selects(browser, live_server, artifacts):
    ctx, page = new_page(browser, "desktop")
    page.goto(f"{live_server.url}/?kreis={KREIS}")
    wait_map_ready(page)
    page.locator("#map-az > summary").focus()
    page.keyboard.press("Enter")
    page.locator("#az-list button").first.wait_for()
    page.keyboard.press("Tab")
    for _ in range(20):
        if page.evaluate("() => document.activeElement.innerText") == "Telgte":
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.innerText") == "Telgte"
    assert page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }""")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'detail-title'")
    wait_inside(page, "#detail-title", "Telgte", 1.0)
    page.locator("details.tf > summary").nth(5).click()  # Familie & Kind, opened
    page.mouse.move(5, 5)
    page.wait_for_timeout(600)
    page.screenshot(path=str(artifacts / "panel-desktop-offen.png"))
    ctx.close()


def test_phone_sheet_grows_and_the_back_button_closes_it(browser, live_server, artifacts):
    ctx, page = new_page(browser, "phone")
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    page.locator("#q").fill("Telgte")
    page.locator("#q").press("Enter")
    wait_inside(page, "#detail-headline", "von", 1.0)
    peek = box(page, "#detail")
    assert 60 <= peek["h"] <= 160, peek  # name and headline, the map stays in view
    page.locator(".sheet-handle").click()
    page.wait_for_function("() => document.getElementById('detail').dataset.size === 'half'")
    assert 250 <= box(page, "#detail")["h"] <= 360
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "sheet-phone-half.png"))
    page.locator(".sheet-handle").click()
    page.wait_for_function("() => document.getElementById('detail').dataset.size === 'full'")
    assert box(page, "#detail")["h"] > 500
    page.locator("details.tf > summary").first.click()
    first = page.locator("details.tf[open] > ul.offers > li > a").first
    first.wait_for()
    assert first.is_visible()
    page.screenshot(path=str(artifacts / "sheet-phone-full.png"))
    page.go_back()
    page.wait_for_function("() => !document.getElementById('detail').classList.contains('open')")
    assert "gebiet=" not in page.url
    assert not box(page, "#detail")["w"]
    # forward opens it again; the × closes it
    page.go_forward()
    wait_inside(page, "#detail-title", "Telgte", 2.0)
    page.locator(".sheet-close").click()
    page.wait_for_function("() => !document.getElementById('detail').classList.contains('open')")
    assert "gebiet=" not in page.url and not box(page, "#detail")["w"]
    ctx.close()


def test_embed_in_a_500px_iframe_on_a_phone(browser, live_server, host, artifacts):
    ctx = browser.new_context(locale="de-DE", **PHONE)
    page = ctx.new_page()
    url = host.frame_page("kreis-handy", f"{live_server.url}/embed?kreis={KREIS}")
    viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
    host.pages["/kreis-handy.html"] = host.pages["/kreis-handy.html"].replace(
        'width="1000" height="700"', 'width="360" height="500"').replace(
        "<body>", '<body style="margin:0">').replace("<head>", "<head>" + viewport).replace(
        "<h1>Unser Kreis</h1>", "")
    page.goto(url)
    frame = app_frame(page, live_server, "/embed")
    wait_map_ready(frame)
    assert_legend_in_view(frame)
    height = frame.evaluate(PAGE_SIZE_JS)
    assert height == [500, 360]
    frame.locator("#q").fill("Telgte")
    frame.locator("#q").press("Enter")
    want = expected_headline(live_server, TELGTE, f"?kreis={KREIS}")
    wait_inside(frame, "#detail-headline", want, 1.0)
    assert frame.evaluate(PAGE_SIZE_JS) == height
    page.screenshot(path=str(artifacts / "embed-iframe-phone.png"))
    ctx.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_leistung_typed_by_name_shows_that_leistung(browser, live_server, size):
    wohngeld = [lst for lst in live_server.json("/api/leistungen")["leistungen"]
                if lst["name"] == "Wohngeld"]
    assert len(wohngeld) == 1
    ctx, page = new_page(browser, size)
    page.goto(live_server.url + "/?leistung=Wohngeld")
    wait_map_ready(page)
    assert f"leistung={wohngeld[0]['ozg_id']}" in page.url  # the permalink names it by ID
    if size == "desktop":  # the filter form names the chosen Leistung
        assert box(page, "#leistung-name")["inside"]
        assert box(page, "#leistung-name")["text"] == "Wohngeld"
    page.locator("#legend-box .legend-more > summary").click()
    what = box(page, "#legend-what")
    assert "Wohngeld" in what["text"] and what["inside"], what
    # the map is coloured for that one Leistung: the headline counts 1
    page.locator("#q").fill("Telgte")
    page.locator("#q").press("Enter")
    wait_inside(page, "#detail-headline", " von 1 online", 1.0)
    ctx.close()
