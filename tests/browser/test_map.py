"""The map as a person uses it, in Debian's Chromium against ``ozgmap serve``."""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from mapdom import (OUT_OF_SCOPE, expected_colours, map_state, point_in, seen_colours,
                    wait_for_colours, wait_map_ready)

from ozgmap.maps import class_colour

pytestmark = pytest.mark.browser
KREIS = "05570"  # Kreis Warendorf: the home of the original OZG-Landkarte


def gemeinde_ags(live, name: str) -> str:
    hits = [g["ags"] for g in live.json("/api/umsetzung")["gebiete"] if g["name"] == name]
    assert len(hits) == 1, (name, hits)
    return hits[0]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_map_draws_every_gemeinde_in_its_colour(page, rec, live_server):
    expected = expected_colours(live_server)
    page.goto(live_server.url + "/")
    status = wait_map_ready(page)
    assert status.startswith(f"{len(expected)} Gemeinden dargestellt")
    state = map_state(page)
    assert set(state) == set(expected)
    assert all(s["drawn"] and s["in_view"] for s in state.values()), \
        [a for a, s in state.items() if not (s["drawn"] and s["in_view"])][:5]
    wait_for_colours(page, expected)
    # the legend a person reads shows exactly the colours used on the map
    legend = page.locator(".legend-classes .swatch").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)")
    used = {c for c in expected.values()}
    to_rgb = {c: "rgb({}, {}, {})".format(*(int(c[i:i + 2], 16) for i in (1, 3, 5)))
              for c in used}
    assert {to_rgb[c] for c in used} <= set(legend)
    rec.assert_clean(live_server.url)


def test_themenfeld_changes_colours_and_url_and_back_restores(page, rec, live_server):
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    before = expected_colours(live_server)
    wait_for_colours(page, before)
    # the Themenfeld whose map differs most from the overall one
    tfs = live_server.json("/api/themenfelder")["themenfelder"]
    options = {t["id"]: expected_colours(live_server, f"?themenfeld={t['id']}") for t in tfs}
    tf = max(options, key=lambda i: sum(options[i][a] != before[a] for a in before))
    assert sum(options[tf][a] != before[a] for a in before) > 0

    page.select_option("#f-themenfeld", str(tf))
    page.wait_for_url(re.compile(rf"[?&]themenfeld={tf}(&|$)"))
    wait_for_colours(page, options[tf])
    assert query_of(page.url) == {"themenfeld": str(tf)}

    page.go_back()
    page.wait_for_url(live_server.url + "/")
    wait_for_colours(page, before)
    assert page.locator("#f-themenfeld").input_value() == ""
    rec.assert_clean(live_server.url)


def test_leistung_suggestions_follow_the_chosen_themenfeld(page, rec, live_server):
    def suggested() -> dict[str, str]:
        return dict(page.locator("#leistungen-liste option").evaluate_all(
            "os => os.map(o => [o.value, o.textContent])"))

    def of(tf: str) -> dict[str, str]:
        return {r["ozg_id"]: r["name"]
                for r in live_server.json(f"/api/leistungen?themenfeld={tf}")["leistungen"]}
    def shows(tf: str) -> None:
        want = of(tf)
        page.wait_for_function("(n) => document.querySelectorAll('#leistungen-liste option')"
                               ".length === n", arg=len(want))
        assert suggested() == want
    page.goto(live_server.url + "/?themenfeld=9")
    wait_map_ready(page)
    assert suggested() == {}  # the page brings the list empty: it is filled when needed
    page.locator("#f-leistung").focus()
    shows("9")
    page.select_option("#f-themenfeld", "2")
    shows("2")
    page.go_back()
    shows("9")
    rec.assert_clean(live_server.url)


SUGGESTED_GEMEINDEN = """() => {
  const names = [...document.querySelectorAll('#gemeinden-liste option')]
    .map(o => [o.textContent, o.value]);
  const inOrder = (n, i) => !i || names[i - 1][1].localeCompare(n[1], 'de') <= 0;
  return {names, sorted: names.every(inOrder)};
}"""


def suggested_gemeinden(page, n: int) -> list[list[str]]:
    """[AGS, name] the search field suggests, once it has been used (waits for *n*)."""
    page.locator("#q").focus()
    page.wait_for_function("(n) => document.querySelectorAll('#gemeinden-liste option')"
                           ".length >= n", arg=n)
    got = page.evaluate(SUGGESTED_GEMEINDEN)
    assert got["sorted"], got["names"][:20]
    return got["names"]


def test_search_suggests_every_gemeinde_by_name_once_used(page, rec, live_server):
    want = {g["ags"]: g["name"] for g in live_server.json("/api/umsetzung")["gebiete"]}
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    assert page.locator("#gemeinden-liste option").count() == 0
    names = suggested_gemeinden(page, len(want))
    assert len(names) == len(want) == 396 and dict(names) == want
    rec.assert_clean(live_server.url)


def test_kreis_filter_colours_only_its_gemeinden(page, rec, live_server):
    page.goto(f"{live_server.url}/?kreis={KREIS}")
    wait_map_ready(page)
    expected = expected_colours(live_server, f"?kreis={KREIS}")
    wait_for_colours(page, expected, kreis=KREIS)
    others = {s["fill"] for s in map_state(page).values() if s["kreis_ags"] != KREIS}
    assert others == {OUT_OF_SCOPE}
    rec.assert_clean(live_server.url)


def test_clicking_a_gemeinde_shows_its_list(page, rec, live_server):
    ags = gemeinde_ags(live_server, "Telgte")
    body = live_server.json(f"/api/gebiete/{ags}")
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    fig = next(g for g in live_server.json("/api/umsetzung")["gebiete"] if g["ags"] == ags)
    page.mouse.click(*point_in(page, ags))
    title = page.locator("#detail-title")
    title.filter(has_text=body["name"]).wait_for()
    assert query_of(page.url) == {"gebiet": ags}
    # one row per Themenfeld, "x von y": together they are the headline's figure
    counts = [tuple(map(int, t.split(" von "))) for t in
              page.locator("#detail details.tf .tf-count").all_inner_texts()]
    assert len(counts) == 14
    assert sum(o for o, _ in counts) == fig["online"]
    assert sum(n for _, n in counts) == fig["leistungen_im_filter"]
    # opened, a row lists exactly its online and not-online OZG-Leistungen, each once
    first = page.locator("#detail details.tf").first
    first.locator("summary").click()
    online = first.locator("ul.online > li").count()
    offen = first.locator("ul.offen > li").count()
    assert (online, online + offen) == counts[0]
    assert first.locator("ul.offen a.near").count() == offen
    hrefs = first.locator("ul.offen a.near").evaluate_all("as => as.map(a => a.href)")
    assert all(f"ags={ags}" in h and "leistung=" in h for h in hrefs)
    assert map_state(page)[ags]["stroke"] == "#000000"  # the chosen Gemeinde is outlined
    # the full list, its JSON and CSV twins and the neighbours answer
    links = page.locator("#detail .detail-links a").evaluate_all("as => as.map(a => a.href)")
    assert [urlsplit(u).path for u in links] == [f"/gebiet/{ags}", f"/gebiet/{ags}.json",
                                                  f"/gebiet/{ags}.csv", "/nachbarn"]
    assert [page.request.get(u).status for u in links] == [200] * 4
    rec.assert_clean(live_server.url)


_VIEW_JS = """(to) => {
  const m = window[JSON.parse(document.getElementById('ozgmap-config').textContent).map];
  if (to) { m.setView(to.center, to.zoom, {animate: false}); }
  const c = m.getCenter();
  return {zoom: m.getZoom(), center: [+c.lat.toFixed(5), +c.lng.toFixed(5)]};
}"""


def test_hover_names_the_gemeinde_and_a_filter_change_keeps_the_view(page, rec, live_server):
    ags = gemeinde_ags(live_server, "Telgte")
    fig = next(g for g in live_server.json("/api/umsetzung")["gebiete"] if g["ags"] == ags)
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    # the page carries its own figures and overview geometry: no API request before the map
    fetched = [r.url.split("/", 3)[3] for r in rec.requests if "/api/" in r.url]
    assert fetched == [], fetched
    page.mouse.move(*point_in(page, ags))
    tip = page.locator(".leaflet-tooltip")
    tip.wait_for()
    text = tip.inner_text()
    assert "Telgte" in text and f"{round(fig['anteil'] * 100)} %" in text, text
    # the figures come slim (felder); the Kreis is named from the geometry
    assert f"{fig['kreis']} · AGS {ags}" in text and fig["kreis"] == "Warendorf", text
    assert f"{fig['online']} von {fig['leistungen_im_filter']} online" in text, text
    # a person zoomed in on their area; choosing a Themenfeld must not throw them out of it
    mine = page.evaluate(_VIEW_JS, {"center": [51.98, 7.83], "zoom": 10})
    page.select_option("#f-themenfeld", "2")
    page.wait_for_url(re.compile(r"[?&]themenfeld=2(&|$)"))
    wait_for_colours(page, expected_colours(live_server, "?themenfeld=2"))
    assert page.evaluate(_VIEW_JS, None) == mine
    # choosing a Kreis does zoom to it
    page.select_option("#f-kreis", KREIS)
    page.wait_for_url(re.compile(rf"[?&]kreis={KREIS}(&|$)"))
    page.wait_for_function(f"(z) => ({_VIEW_JS})(null).zoom !== z", arg=mine["zoom"])
    rec.assert_clean(live_server.url)


def test_search_finds_telgte_by_keyboard_with_visible_focus(page, rec, live_server):
    ags = gemeinde_ags(live_server, "Telgte")
    body = live_server.json(f"/api/gebiete/{ags}")
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    seen = []
    for _ in range(15):  # from the top of the page to the search box by Tab alone
        page.keyboard.press("Tab")
        seen.append(page.evaluate("""() => { const e = document.activeElement,
            s = getComputedStyle(e);
            return {id: e.id, text: (e.innerText || '').trim().slice(0, 40),
                    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}; }"""))
        if seen[-1]["id"] == "q":
            break
    assert seen[0]["text"] == "Zum Inhalt springen"
    assert seen[-1]["id"] == "q", seen
    assert all(s["outline"] for s in seen), [s for s in seen if not s["outline"]]
    page.keyboard.type("Telgte")
    page.keyboard.press("Enter")
    page.locator("#search-msg").filter(has_text="Telgte gefunden").wait_for()
    page.locator("#detail-title").filter(has_text="Telgte").wait_for()
    page.wait_for_function("() => document.activeElement.id === 'detail-title'")
    assert query_of(page.url) == {"gebiet": ags}
    # the details are next in the tab order: the list links, the first Themenfeld, its offers
    focus_js = """() => { const e = document.activeElement;
        return {tag: e.tagName, text: e.innerText.trim(), in_detail: !!e.closest('#detail'),
                in_offers: !!e.closest('#detail ul.offers')}; }"""
    for _ in range(6):
        page.keyboard.press("Tab")
        now = page.evaluate(focus_js)
        assert now["in_detail"], now
        if now["tag"] == "SUMMARY":
            break
    first = body["themenfelder"][0]
    assert now["tag"] == "SUMMARY" and now["text"].startswith(first["name"]), now
    page.keyboard.press("Enter")  # open the row
    page.keyboard.press("Tab")
    now = page.evaluate(focus_js)
    assert now["tag"] == "A" and now["in_offers"], now
    offered = {o["leistung"] for tf in body["themenfelder"] for o in tf["leistungen"]}
    assert now["text"] in offered or now["text"] == "Wer in der Nähe hat es?", now
    rec.assert_clean(live_server.url)


def test_table_and_csv_agree_with_the_map(page, rec, live_server):
    q = f"?kreis={KREIS}"
    page.goto(live_server.url + "/tabelle" + q)
    rows = page.locator("table.data tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.children].map(c => c.innerText.trim()))")
    resp = page.request.get(live_server.url + "/tabelle.csv" + q)
    assert resp.status == 200 and resp.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(resp.text().lstrip("\ufeff"))))
    header, data = table[0], table[1:]
    n_tf = len(header) - 6
    assert len(rows) == len(data) > 0
    assert page.locator("table.data caption").inner_text().startswith(f"{len(data)} Gemeinden")

    def pct(v: str) -> str:
        return "–" if v == "" else "%.0f" % (float(v) * 100)

    for shown, r in zip(rows, data):
        ags, name, kreis, total, online, anteil = r[:6]
        assert shown[:3] == [name, kreis, ags]
        assert shown[3] == ("–" if online == "" else f"{online} / {total}")
        assert shown[4] == ("–" if anteil == "" else pct(anteil) + " %")
        assert shown[5:] == [pct(v) for v in r[6:6 + n_tf]]

    page.goto(live_server.url + "/" + q)
    wait_map_ready(page)
    from_csv = {r[0]: class_colour(float(r[5]) if r[5] else None) for r in data}
    assert wait_for_colours(page, from_csv, kreis=KREIS) == from_csv
    assert set(seen_colours(page, KREIS)) == {r[0] for r in data}
    rec.assert_clean(live_server.url)


def test_no_page_requests_another_host_or_sets_cookies(context, rec, live_server):
    page = context.new_page()
    ags = gemeinde_ags(live_server, "Telgte")
    for path in ("/", f"/?kreis={KREIS}&gebiet={ags}", "/tabelle", "/daten", "/einbetten",
                 f"/nachbarn?ags={ags}&themenfeld=1", "/embed", "/barrierefreiheit",
                 "/suche?q=Tel"):
        page.goto(live_server.url + path)
        if page.locator("#map-status").count():
            wait_map_ready(page)
    page.goto(live_server.url + "/")
    wait_map_ready(page)
    page.select_option("#f-themenfeld", "2")
    page.mouse.click(*point_in(page, ags))
    page.locator("#detail-title").filter(has_text="Telgte").wait_for()
    assert rec.hosts() == {urlsplit(live_server.url).netloc}
    assert context.cookies() == []
    assert rec.set_cookies() == []
    rec.assert_clean(live_server.url)
