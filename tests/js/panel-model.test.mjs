import { test } from "node:test";
import assert from "node:assert/strict";
import { hasOverview, isWebLink, overviewFromOffers, providerName, rowFigure } from "../../ozgmap/static/js/panel-model.js";

const CATALOGUE = [
  { ozg_id: "1", name: "Wohngeld", themenfeld_id: 2, themenfeld: "Bauen", kommunal: true },
  { ozg_id: "2", name: "Abfall", themenfeld_id: 2, themenfeld: "Bauen", kommunal: true },
  { ozg_id: "3", name: "Pass", themenfeld_id: 5, themenfeld: "Reisen", kommunal: true },
  { ozg_id: "4", name: "Zoll", themenfeld_id: 5, themenfeld: "Reisen", kommunal: false },
];
const offer = (ozg_id, anbieter, leika_key) => ({ ozg_id, leistung: "x", leika_key, leika_name: "v" + leika_key,
  anbieter, anbieter_name: anbieter, url: "https://e.example/" + ozg_id, status: "umgesetzt", quelle: "Q", seit: "", beispieldaten: true });
const OLD = { ags: "05570044", name: "Telgte", beispieldaten: true, themenfelder: [
  { id: 2, name: "Bauen", leistungen: [offer("1", "Kreis", "a"), offer("1", "Gemeinde", "b")] },
  { id: 5, name: "Reisen", leistungen: [offer("4", "Bund", "c")] }] };

test("without the server's overview it is computed: online and not online add up", () => {
  const fig = { online: 1, leistungen_im_filter: 3, anteil: 1 / 3 };
  const b = overviewFromOffers(OLD, fig, CATALOGUE, {}, (id) => "/nachbarn?ags=05570044&leistung=" + id);
  assert.ok(hasOverview(b) && !hasOverview(OLD));
  assert.deepEqual(b.kopf, { leistungen_im_filter: 3, online: 1, anteil: 1 / 3,
    anbieter: { gemeinde: 1, kreis: 0, land: 0, bund: 0 }, beispieldaten: true });
  assert.deepEqual(b.uebersicht.map((r) => [r.id, r.im_filter, r.online]), [[2, 2, 1], [5, 1, 0]]);
  const wohngeld = b.uebersicht[0].online_leistungen[0];
  assert.equal(wohngeld.anbieter, "gemeinde");  // the nearest provider first, as the API names it
  assert.equal(wohngeld.varianten.length, 2);   // LeiKa variants folded under one OZG-Leistung
  assert.deepEqual(b.uebersicht[0].offen_leistungen, [{ ozg_id: "2", name: "Abfall", nachbarn_url: "/nachbarn?ags=05570044&leistung=2" }]);
  for (const r of b.uebersicht) { assert.equal(r.online_leistungen.length + r.offen_leistungen.length, r.im_filter); }
});

test("one chosen Leistung is the whole filter; a Themenfeld narrows it", () => {
  const one = overviewFromOffers(OLD, null, CATALOGUE, { leistung: "4" }, () => "");
  assert.deepEqual(one.uebersicht.map((r) => [r.id, r.im_filter, r.online]), [[5, 1, 1]]);
  const tf = overviewFromOffers(OLD, null, CATALOGUE, { themenfeld: "5" }, () => "");
  assert.deepEqual(tf.uebersicht.map((r) => [r.id, r.im_filter, r.online]), [[5, 1, 0]]);
});

test("row figures and links", () => {
  assert.deepEqual(rowFigure({ online: 6, im_filter: 30 }), { text: "6 von 30", share: 0.2 });
  assert.deepEqual(rowFigure({ online: 0, im_filter: 0 }), { text: "0 von 0", share: 0 });
  assert.deepEqual(rowFigure({ online: null, im_filter: 5 }), { text: "keine Daten", share: 0 });
  assert.equal(providerName("kreis"), "Kreis");
  assert.equal(providerName("Bund"), "Bund");
  assert.ok(isWebLink("https://a.example") && !isWebLink("javascript:alert(1)") && !isWebLink(null));
});
