"""What a person sees on the map, read from the live DOM, and what the data says they should see.

The expected side comes from the running server's API and ``ozgmap.maps.class_colour`` (the
Python definition of the legend), the seen side from the SVG paths Leaflet drew, so the map
script's own colour logic is checked against the server's.
"""
from __future__ import annotations

import time

from ozgmap.maps import class_colour

OUT_OF_SCOPE = "#ffffff"  # Gemeinden outside the chosen Kreis are drawn white

# Every Gemeinde polygon Leaflet drew: its SVG fill/stroke and where it is on screen.
_STATE_JS = """() => {
  const cfg = JSON.parse(document.getElementById('ozgmap-config').textContent);
  const m = window[cfg.map], box = m.getContainer().getBoundingClientRect(), out = {};
  m.eachLayer(l => {
    const p = l.feature && l.feature.properties;
    if (!p || !p.ags || p.ags.length !== 8 || !l._path) { return; }
    const r = l._path.getBoundingClientRect();
    out[p.ags] = {name: p.name, kreis_ags: p.kreis_ags, fill: l._path.getAttribute('fill'),
                  stroke: l._path.getAttribute('stroke'), drawn: l._path.isConnected,
                  in_view: r.width > 0 && r.height > 0 && r.left >= box.left - 1 &&
                           r.top >= box.top - 1 && r.right <= box.right + 1 &&
                           r.bottom <= box.bottom + 1};
  });
  return out;
}"""

# A point inside the polygon of one Gemeinde where it is the topmost element (clickable).
_POINT_JS = """(ags) => {
  const cfg = JSON.parse(document.getElementById('ozgmap-config').textContent);
  let path = null;
  window[cfg.map].eachLayer(l => {
    if (l.feature && l.feature.properties.ags === ags && l._path) { path = l._path; }
  });
  if (!path) { return null; }
  const r = path.getBoundingClientRect();
  for (let n = 4; n <= 64; n *= 2) {
    for (let i = 1; i < n; i++) { for (let j = 1; j < n; j++) {
      const x = r.left + r.width * i / n, y = r.top + r.height * j / n;
      if (document.elementFromPoint(x, y) === path) { return [x, y]; }
    } }
  }
  return null;
}"""


def wait_map_ready(frame, timeout: float = 20_000) -> str:
    """Wait until the map script reports the drawn Gemeinden; return that status text."""
    status = frame.locator("#map-status")
    status.filter(has_text="Gemeinden dargestellt").wait_for(timeout=timeout)
    return status.inner_text()


def map_state(frame) -> dict[str, dict]:
    return frame.evaluate(_STATE_JS)


def point_in(frame, ags: str) -> tuple[float, float]:
    pt = frame.evaluate(_POINT_JS, ags)
    assert pt, f"no clickable point inside Gemeinde {ags}"
    return pt[0], pt[1]


def expected_colours(live, query: str = "") -> dict[str, str]:
    """Fill colour of every drawn Gemeinde for a filter, from ``/api/umsetzung``."""
    figures = live.json("/api/umsetzung" + query)["gebiete"]
    return {r["ags"]: class_colour(r["anteil"]) for r in figures}


def seen_colours(frame, kreis: str | None = None) -> dict[str, str]:
    """Fill colour of every drawn in-scope Gemeinde (all of them without a Kreis filter)."""
    return {a: s["fill"] for a, s in map_state(frame).items()
            if kreis is None or s["kreis_ags"] == kreis}


def wait_for_colours(frame, expected: dict[str, str], kreis: str | None = None,
                     timeout: float = 15) -> dict[str, str]:
    """Poll until the map shows *expected*; fail with the first differences otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        seen = seen_colours(frame, kreis)
        if seen == expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    diff = sorted((a, expected.get(a), seen.get(a)) for a in set(seen) | set(expected)
                  if expected.get(a) != seen.get(a))
    assert not diff, f"{len(diff)} Gemeinden differ (ags, expected, seen): {diff[:8]}"
    return seen


def run_axe(page, axe_source: str) -> list[dict]:
    """axe-core's violations for the page as it is now (injected past the page's CSP)."""
    page.evaluate("() => {" + axe_source + "\n}")
    return page.evaluate("""async () => {
      const r = await axe.run(document, {resultTypes: ['violations']});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""")


def app_frame(page, live_server, path: str):
    """The frame of *page* that shows *path* of the app (waits until it is attached)."""
    prefix = live_server.url + path
    page.wait_for_function("p => [...document.querySelectorAll('iframe')].some("
                           "f => f.src.startsWith(p))", arg=prefix)
    for _ in range(100):
        frames = [f for f in page.frames if f.url.startswith(prefix)]
        if frames:
            return frames[0]
        page.wait_for_timeout(50)
    raise AssertionError(f"no frame with {prefix}: {[f.url for f in page.frames]}")
