"""Real Open-PVOG data on the map, in Chromium: after `ozgmap import --dashboard 05570` from
the fake API, Telgte's panel shows the PVOG Stand and no Beispieldaten notice; a Gemeinde of
another Kreis still shows its labelled sample data; the legend says what counts. At 360x640
and 1280x800, with screenshots in test-artifacts/."""
from __future__ import annotations

import shutil

import pytest
from fake_pvog import FakePvog, warendorf_rows
from mapdom import wait_map_ready

from ozgmap import create_app, services

pytestmark = pytest.mark.browser
TELGTE, ASCHEBERG = "05570044", "05558004"
STAND_TEXT = "Stand der PVOG-Daten: 28.11.2026"


@pytest.fixture(scope="module")
def pvog_server(template_db, tmp_path_factory, serve_db):
    tmp = tmp_path_factory.mktemp("pvog_live")
    db = tmp / "ozgmap.sqlite"
    shutil.copy(template_db, db)
    app = create_app({"TESTING": True, "OZGMAP_DATABASE_URL": f"sqlite:///{db}",
                      "OZGMAP_INSTANCE_DIR": str(tmp), "OZGMAP_CACHE_DIR": str(tmp / "cache"),
                      "OZGMAP_DASHBOARD_INTERVAL": 0, "OZGMAP_DASHBOARD_PAGE_SIZE": 100})
    store = services(app).store
    with FakePvog(warendorf_rows(store)) as api:
        app.config["OZGMAP_DASHBOARD_API"] = api.url
        result = app.test_cli_runner().invoke(args=["import", "--dashboard", "05570"])
        assert result.exit_code == 0, result.output
    store.engine.dispose()
    with serve_db(db, tmp) as server:
        yield server


def sheet_to(page, size: str) -> None:
    """On a phone the panel is a bottom sheet (peek, half, full): bring it to *size* with its
    handle, as a person would (on wide screens there is no handle)."""
    handle = page.locator(".sheet-handle")
    for _ in range(3):
        if not handle.is_visible() or page.evaluate(
                "document.getElementById('detail').dataset.size") == size:
            return
        handle.click()


def sheet_full(page) -> None:
    sheet_to(page, "full")


def choose(page, name: str) -> None:
    """Select a Gemeinde as a visitor does, through the search above the map."""
    page.locator("#q").fill(name)
    page.locator("#q").press("Enter")
    page.locator("#detail-title").filter(has_text=name).wait_for()
    page.wait_for_load_state("networkidle")


def inside_width(box, width: int) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5


@pytest.mark.parametrize("width,height", [(360, 640), (1280, 800)])
def test_real_and_sample_bodies_in_the_panel(browser, pvog_server, artifacts, width, height):
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{pvog_server.url}/?gebiet={TELGTE}")
    wait_map_ready(page)
    page.wait_for_load_state("networkidle")  # ozgmap.js draws the selected body's panel anew
    detail = page.locator("#detail")
    sheet_full(page)
    stand = detail.locator("p.stand")
    assert stand.all_inner_texts() == [STAND_TEXT]
    assert detail.locator(".notice.sample").count() == 0
    assert "Beispieldaten" not in detail.inner_text()
    assert "nicht gezählt: nicht in Auswertung berücksichtigt – Onlinedienst nur für " \
           "Verwaltungsmitarbeitende" in detail.text_content()  # in a closed Themenfeld
    stand.scroll_into_view_if_needed()
    box = stand.bounding_box()
    assert inside_width(box, width) and 0 <= box["y"] and box["y"] + box["height"] <= height
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"scrolls sideways by {overflow} px"
    page.screenshot(path=str(artifacts / f"pvog-telgte-{width}.png"))

    # the legend's help says what counts
    sheet_to(page, "peek")  # the legend on the map, beside the sheet's peek
    help_ = page.locator(".legend-help")
    help_.locator("summary").click()
    assert "„in mind. einer Kommune verfügbar“" in help_.inner_text()
    help_.scroll_into_view_if_needed()
    assert inside_width(help_.bounding_box(), width)
    page.screenshot(path=str(artifacts / f"pvog-legende-{width}.png"))

    # another Kreis's Gemeinde, chosen by a visitor (the panel drawn by ozgmap.js)
    choose(page, "Ascheberg")
    sheet_full(page)
    note = detail.locator(".notice.sample")
    assert note.count() == 1 and note.inner_text().startswith("Beispieldaten:")
    note.scroll_into_view_if_needed()
    box = note.bounding_box()
    assert inside_width(box, width) and 0 <= box["y"] and box["y"] + box["height"] <= height
    page.screenshot(path=str(artifacts / f"pvog-ascheberg-{width}.png"))
    # and back to Telgte: the Stand again, no notice
    choose(page, "Telgte")
    sheet_full(page)
    assert detail.locator("p.stand").all_inner_texts() == [STAND_TEXT]
    assert detail.locator(".notice.sample").count() == 0
    # the page-wide notice says the map mixes real and sample data
    top = page.locator("aside.notice.sample").inner_text()
    assert "ohne importierte Daten zeigt die Karte erzeugte Beispieldaten" in top
    assert overflow <= 0 and not errors, errors
    ctx.close()
