import { test } from "node:test";
import assert from "node:assert/strict";
import { headline, pct, providerLine } from "../../ozgmap/static/js/format.js";
import { colourFor } from "../../ozgmap/static/js/mapdata.js";

const LEGEND = [{ max: 0.2, colour: "a" }, { max: 0.4, colour: "b" }, { max: 1, colour: "c" }];

test("colours follow the legend's classes; null is keine Daten", () => {
  assert.equal(colourFor(0, LEGEND, "grey"), "a");
  assert.equal(colourFor(0.2, LEGEND, "grey"), "b");
  assert.equal(colourFor(1, LEGEND, "grey"), "c");
  assert.equal(colourFor(null, LEGEND, "grey"), "grey");
});

test("the headline reads like the tooltip: online of total and the rounded share", () => {
  assert.equal(headline({ online: 88, leistungen_im_filter: 405, anteil: 88 / 405 }), "88 von 405 online (22 %)");
  assert.equal(headline({ online: null, leistungen_im_filter: 405, anteil: null }), "keine Daten");
  assert.equal(headline(undefined), "keine Daten");
  assert.equal(pct(0.995), "100 %");
});

test("providers are named with their counts, empty ones left out", () => {
  assert.equal(providerLine({ gemeinde: 3, kreis: 0, land: 2, bund: 1 }), "Gemeinde 3 · Land 2 · Bund 1");
  assert.equal(providerLine(null), "");
});
