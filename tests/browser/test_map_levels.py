"""The map's geometry levels in the browser: overview first, the detailed part on zooming in."""
from __future__ import annotations

import pytest
from mapdom import expected_colours, map_state, wait_for_colours, wait_map_ready

pytestmark = pytest.mark.browser
TELGTE = "05570044"

# Vertices Leaflet holds for the drawn Gemeinden, and the style of one of them.
_VERTICES_JS = """() => {
  const m = window[JSON.parse(document.getElementById('ozgmap-config').textContent).map];
  let n = 0;
  m.eachLayer(l => { if (l.feature && l.feature.properties.ags.length === 8 && l._path) {
    n += l.getLatLngs().flat(Infinity).length; } });
  return n;
}"""
_ZOOM_JS = """([lat, lng, z]) => {
  window[JSON.parse(document.getElementById('ozgmap-config').textContent).map]
    .setView([lat, lng], z, {animate: false});
}"""


def geometry_requests(rec) -> list[str]:
    return [r.url.split("/api/geometrie/")[1].split("?")[0] for r in rec.requests
            if "/api/geometrie/" in r.url]


def test_zooming_in_swaps_in_the_detailed_geometry_once_keeping_colours_and_selection(
        page, rec, live_server):
    expected = expected_colours(live_server)
    page.goto(f"{live_server.url}/")
    wait_map_ready(page)
    assert geometry_requests(rec) == []  # the overview comes inside the page
    overview_vertices = page.evaluate(_VERTICES_JS)

    # choosing Telgte zooms to it, well past the detail zoom
    with page.expect_response(lambda r: "karte-05.topojson" in r.url):
        page.locator("#q").fill("Telgte")
        page.locator("#q").press("Enter")
    page.wait_for_function(f"() => {overview_vertices} < ({_VERTICES_JS})()", polling=100)
    state = map_state(page)
    assert set(state) == set(expected)        # one shape per Gemeinde, none lost or doubled
    wait_for_colours(page, expected)
    assert state[TELGTE]["stroke"] == "#000000"  # the selection survives the swap

    page.evaluate(_ZOOM_JS, [51.5, 7.0, 11])     # further in and elsewhere: nothing new
    page.wait_for_timeout(300)
    assert geometry_requests(rec) == ["karte-05.topojson"]
    rec.assert_clean(live_server.url)
