"""Accessibility in a real browser: axe-core finds no violation; screenshots for review.

axe-core (pinned in package.json, installed by scripts/install_test_deps.sh) runs with its
default rule set (WCAG 2.0/2.1 A and AA plus best practices) on every page a person can reach,
in the states that matter: map drawn, details open, Nachnutzung answered.
"""
from __future__ import annotations

import re

import pytest
from mapdom import run_axe, wait_map_ready

pytestmark = pytest.mark.browser
TELGTE = "05570044"
ABFALL = "10110"  # OZG-Leistung "Abfallentsorgung"
NACHBARN = f"/nachbarn?ags={TELGTE}&leistung={ABFALL}"

# /tabelle with a Kreis filter: the same template as all 396 rows, which take axe 30 s
PAGES = ["/", f"/?kreis=05570&gebiet={TELGTE}", "/tabelle?kreis=05570&sort=anteil",
         "/nachbarn", NACHBARN, f"/nachbarn?ags={TELGTE}&themenfeld=6&alle=1",
         f"/nachbarn/export?ags={TELGTE}&leistung={ABFALL}", "/embed", "/einbetten",
         "/barrierefreiheit", "/daten",
         "/suche?q=berg", "/?themenfeld=99", "/statistik", "/ogc"]


def settle(page) -> None:
    """Wait until what the page loads after the document (map, folium map) is drawn."""
    if page.locator("#map-status").count():
        wait_map_ready(page)
    elif page.locator(".folium-map").count():  # the neighbour map: drawn and named
        page.locator(".nb-map .map-label.selected").wait_for()


def assert_no_violations(page, axe_source: str) -> None:
    violations = run_axe(page, axe_source)
    assert violations == [], "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations)


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violation(page, live_server, axe_source, path):
    resp = page.goto(live_server.url + path)
    assert resp.status == (400 if "themenfeld=99" in path else 200)
    settle(page)
    assert page.evaluate("document.documentElement.lang") == "de"
    assert page.title()
    assert_no_violations(page, axe_source)


def test_axe_after_choosing_a_gemeinde_on_a_phone(browser, live_server, axe_source):
    """The state a script builds (details rendered by ozgmap.js) at 360 px."""
    ctx = browser.new_context(viewport={"width": 360, "height": 780}, locale="de-DE")
    page = ctx.new_page()
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    page.locator("#q").fill("Telgte")
    page.locator("#q").press("Enter")
    page.locator("#detail-title").filter(has_text="Telgte").wait_for()
    page.locator(".sheet-handle").click()  # the sheet from its peek to half height
    page.locator("details.tf > summary").first.click()  # a Themenfeld opened in the sheet
    page.locator("details.tf[open] ul.offers").first.wait_for()
    assert_no_violations(page, axe_source)
    page.locator(".filter-box > summary").click()  # on phones the filters start folded
    page.select_option("#f-themenfeld", "2")
    page.locator("#detail-title").filter(has_text="Telgte").wait_for()
    wait_map_ready(page)
    assert_no_violations(page, axe_source)
    ctx.close()


@pytest.mark.parametrize("path", ["/", NACHBARN])
def test_map_has_a_label_and_german_zoom_buttons(page, live_server, path):
    page.goto(live_server.url + path)
    settle(page)
    region = page.get_by_role("region", name=re.compile("Karte"))
    assert region.count() == 1 and region.locator(".leaflet-container").count() == 1
    for name in ("Vergrößern", "Verkleinern"):
        assert page.get_by_role("button", name=name).count() == 1, name


def test_statement_names_a_feedback_contact(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Barrierefreiheit").click()
    page.wait_for_url(live_server.url + "/barrierefreiheit")
    assert page.get_by_role("heading", level=1).inner_text() == "Erklärung zur Barrierefreiheit"
    mail = page.locator("#feedback ~ p a[href^='mailto:']")
    assert mail.count() == 1 and "@" in mail.inner_text()
    assert page.get_by_role("heading", name="Durchsetzungsverfahren").count() == 1


SHOTS = [("karte", "/"), ("embed", "/embed?kreis=05570"), ("nachbarn", NACHBARN)]


@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots_and_no_sideways_scrolling(browser, live_server, artifacts, width):
    """Screenshots in test-artifacts/ for a reviewer; the pages reflow to 360 px (WCAG 1.4.10)."""
    ctx = browser.new_context(viewport={"width": width, "height": 900 if width > 400 else 780},
                              locale="de-DE")
    page = ctx.new_page()
    for name, path in SHOTS:
        page.goto(live_server.url + path)
        settle(page)
        page.wait_for_timeout(300)  # let Leaflet finish its fit-bounds animation
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=width < 400)
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{path} at {width} px scrolls sideways by {overflow} px"
        assert (artifacts / f"{name}-{width}.png").stat().st_size > 10_000
    ctx.close()
