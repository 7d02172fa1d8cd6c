"""The embed on a Kreis website: another origin frames ``/embed`` in a real browser."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from mapdom import app_frame, expected_colours, wait_for_colours, wait_map_ready

pytestmark = pytest.mark.browser
KREIS = "05570"


def test_embed_works_in_a_cross_origin_iframe(context, rec, live_server, host):
    src = f"{live_server.url}/embed?kreis={KREIS}"
    host_url = host.frame_page("kreis-website", src)
    page = context.new_page()
    page.goto(host_url)
    frame = app_frame(page, live_server, "/embed")
    assert urlsplit(host_url).netloc != urlsplit(frame.url).netloc
    wait_map_ready(frame)
    wait_for_colours(frame, expected_colours(live_server, f"?kreis={KREIS}"), kreis=KREIS)

    # the search suggests the Kreis's own Gemeinden only
    want = {g["ags"]: g["name"]
            for g in live_server.json(f"/api/umsetzung?kreis={KREIS}")["gebiete"]}
    frame.locator("#q").focus()
    frame.wait_for_function("(n) => document.querySelectorAll('#gemeinden-liste option')"
                            ".length >= n", arg=len(want))
    offered = frame.locator("#gemeinden-liste option").evaluate_all(
        "os => os.map(o => [o.textContent, o.value])")
    assert len(want) == 13 and dict(offered) == want

    # search inside the frame, as a visitor of the Kreis website would
    frame.locator("#q").fill("Telgte")
    frame.locator("#q").press("Enter")
    frame.locator("#detail-title").filter(has_text="Telgte").wait_for()
    assert frame.locator("#detail details.tf").count() > 0

    # every link inside the embed opens outside the frame; the host page stays
    targets = frame.locator("a[href]").evaluate_all(
        "as => as.map(a => (a.target || (document.querySelector('base[target]') || {}).target"
        " || '') + ' ' + a.href)")
    assert targets and all(t.startswith("_blank ") for t in targets), \
        [t for t in targets if not t.startswith("_blank ")][:5]
    with context.expect_page() as popup:
        frame.get_by_role("link", name="Tabelle").click()
    popup.value.wait_for_load_state()
    assert popup.value.url == f"{live_server.url}/tabelle?kreis={KREIS}"
    assert page.url == host_url
    assert frame.url.startswith(src)

    assert context.cookies() == [] and rec.set_cookies() == []
    rec.assert_clean(host.origin, live_server.url)


def test_embed_preview_on_einbetten_works(page, rec, live_server):
    page.goto(f"{live_server.url}/einbetten?kreis={KREIS}")
    snippet = page.locator("#snippet").input_value()
    assert f'src="{live_server.url}/embed?kreis={KREIS}"' in snippet
    frame = app_frame(page, live_server, "/embed")
    wait_map_ready(frame)
    rec.assert_clean(live_server.url)


@pytest.mark.parametrize("which,path", [("stranger", "/embed"), ("host", "/"),
                                        ("host", "/tabelle")])
def test_framing_is_refused_where_not_allowed(page, rec, live_server, host, stranger,
                                              which, path):
    origin = {"host": host, "stranger": stranger}[which]
    page.goto(origin.frame_page(f"frame-{which}-{path.strip('/') or 'karte'}",
                                live_server.url + path))
    # Chromium: "Framing '<url>' violates ... frame-ancestors" (older: "Refused to frame")
    refused = re.compile(r"(Framing|Refused to frame) '" + re.escape(live_server.url)
                         + r"/?'.*frame-ancestors", re.S)
    for _ in range(100):
        if any(refused.search(m) for m in rec.console_errors):
            break
        page.wait_for_timeout(50)
    assert any(refused.search(m) for m in rec.console_errors), rec.console_errors
    # the server did answer (200), the browser showed nothing of it
    assert [r.status for r in rec.responses if r.url == live_server.url + path] == [200]
    assert page.frame_locator("#ozg").locator("main, #ozgmap-config").count() == 0


def test_optional_height_script_sizes_the_iframe_and_plain_iframes_keep_theirs(
        context, rec, live_server, host):
    src = f"{live_server.url}/embed?kreis={KREIS}"
    script = f'<script src="{live_server.url}/static/ozgmap-hoehe.js" defer></script>'
    for name, extra in (("mit-skript", script), ("ohne-skript", "")):
        host.pages[f"/{name}.html"] = (
            '<!doctype html><html lang="de"><head><meta charset="utf-8">'
            f'<link rel="icon" href="data:,"><title>Kreis</title>{extra}</head><body>'
            f'<iframe id="ozg" src="{src}" title="Karte" width="360" height="450" '
            'style="border:0"></iframe>'
            '</body></html>')
    height_js = "() => document.getElementById('ozg').getBoundingClientRect().height"
    page = context.new_page()
    page.goto(f"{host.origin}/mit-skript.html")
    page.wait_for_function(f"() => ({height_js})() === 540", timeout=20_000)
    # a message from another origin than the map's is ignored
    page.evaluate("() => window.postMessage({type: 'ozgmap:hoehe', height: 999}, '*')")
    page.wait_for_timeout(200)
    assert page.evaluate(height_js) == 540
    # without the script the iframe keeps its height, and the map inside fits it
    page.goto(f"{host.origin}/ohne-skript.html")
    wait_map_ready(app_frame(page, live_server, "/embed"))
    assert page.evaluate(height_js) == 450
    rec.assert_clean(host.origin, live_server.url)
