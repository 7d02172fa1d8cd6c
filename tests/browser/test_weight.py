"""The map's weight: ``/`` with everything it loads stays under 120 KB gzip for NRW (issue 16),
the ES modules included; measured in Chromium, each answer gzip-compressed as the server sends
it (level 6)."""
from __future__ import annotations

import gzip

import pytest
from mapdom import wait_map_ready

pytestmark = pytest.mark.browser
LIMIT = 120_000


def test_map_page_with_everything_it_loads_is_under_120_kb_gzip(page, rec, live_server):
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    page.wait_for_load_state("networkidle")
    sizes = {}
    for r in rec.responses:
        if r.url.startswith(live_server.url) and r.status == 200 and r.request.method == "GET":
            sizes[r.url.removeprefix(live_server.url)] = len(gzip.compress(r.body(), 6))
    modules = [u for u in sizes if u.startswith("/static/js/") or "/static/ozgmap.js" in u]
    assert len(modules) >= 8, sorted(sizes)  # the module files are counted too
    total = sum(sizes.values())
    print(f"\n`/` in total: {total / 1000:.1f} KB gzip in {len(sizes)} files; "
          f"scripts of the map: {sum(sizes[u] for u in modules) / 1000:.1f} KB")
    assert total < LIMIT, sorted(sizes.items(), key=lambda kv: -kv[1])
    rec.assert_clean(live_server.url)
