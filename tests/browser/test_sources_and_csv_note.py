"""What issue 19 changed on pages, in Chromium at phone and desktop size: the footer names at
most ten sources ("und N weitere"), and /daten says how CSV cells are kept from running as
formulas. The pages come from a Flask app with 14 sources, served through Playwright's router."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ozgmap import safety, services

ORIGIN = "http://ozgmap.test"


@pytest.fixture(scope="module")
def many_sources(app_copy):
    app = app_copy("sources")
    store = services(app).store
    _id, token = store.create_token("quellen", ["05570044"], by="test")
    free = [r["ozg_id"] for r in store.leistungen() if r["kommunal"]][:14]
    r = app.test_client().put("/api/umsetzungen", headers={"Authorization": f"Bearer {token}"},
                              json=[{"ags": "05570044", "ozg_id": o, "status": "umgesetzt",
                                     "quelle": f"Kreisliste Nummer {n:02d}"}
                                    for n, o in enumerate(free)])
    assert r.status_code == 200, r.get_json()
    return app


def _route(page, app):
    client = app.test_client()

    def handle(route):
        u = urlsplit(route.request.url)
        resp = client.get(u.path + (f"?{u.query}" if u.query else ""))
        route.fulfill(status=resp.status_code, body=resp.get_data(),
                      headers={k: v for k, v in resp.headers.items()
                               if k.lower() not in ("content-length", "content-encoding")})
    page.route(f"{ORIGIN}/**", handle)


@pytest.mark.parametrize("width,height", [(360, 640), (1280, 800)])
def test_footer_caps_the_sources_and_daten_explains_csv_cells(browser, many_sources, artifacts,
                                                              width, height):
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    page = ctx.new_page()
    _route(page, many_sources)
    try:
        page.goto(f"{ORIGIN}/daten")
        note = page.locator("#csv-formeln")
        note.scroll_into_view_if_needed()
        box = note.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert "Apostroph" in note.inner_text() and "=HYPERLINK" in note.inner_text()
        wide = page.evaluate("""[...document.querySelectorAll('main *')].filter(
            e => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 5).map(
            e => e.tagName + ' ' + e.textContent.slice(0, 60))""")
        assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0, wide
        page.screenshot(path=str(artifacts / f"i19-daten-csv-{width}.png"), full_page=False)
        footer = page.locator("p.credits")
        footer.scroll_into_view_if_needed()
        text = footer.inner_text()
        # the WSP.NRW list has the most records, then nine of the fourteen lists
        assert text.count("Kreisliste Nummer") == safety.MAX_SOURCES_SHOWN - 1
        assert "Wirtschafts-Service-Portal" in text and "und 5 weitere" in text
        fbox = footer.bounding_box()
        assert fbox and fbox["x"] >= 0 and fbox["x"] + fbox["width"] <= width
        assert fbox["height"] < height  # ten names, not a page of them
        page.screenshot(path=str(artifacts / f"i19-footer-sources-{width}.png"))
    finally:
        ctx.close()
