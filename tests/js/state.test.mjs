// node --test: the pure parts of the map's script (ozgmap/static/js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createStore, defaults, readParams, toQuery } from "../../ozgmap/static/js/state.js";

const DEFS = [{ name: "themenfeld", default: null }, { name: "status", default: "umgesetzt" },
  { name: "ansicht", default: "einwohner" }];

test("defaults come from the filter definition", () => {
  assert.deepEqual(defaults(DEFS), { status: "umgesetzt", ansicht: "einwohner" });
});

test("the URL is read for the defined parameters and gebiet only", () => {
  assert.deepEqual(readParams("?themenfeld=2&gebiet=05570044&utm=x&status=", DEFS),
    { themenfeld: "2", gebiet: "05570044" });
});

test("a permalink leaves defaults out and keeps gebiet when asked", () => {
  const s = { themenfeld: "2", status: "umgesetzt", ansicht: "eigene", gebiet: "05570044" };
  assert.equal(toQuery(s, DEFS), "?themenfeld=2&ansicht=eigene");
  assert.equal(toQuery(s, DEFS, { withGebiet: true }), "?themenfeld=2&ansicht=eigene&gebiet=05570044");
  assert.equal(toQuery({}, DEFS), "");
  assert.equal(toQuery({}, DEFS, { extra: { felder: "a,b" } }), "?felder=a%2Cb");
});

test("the store reports what changed and drops empty values", () => {
  const st = createStore({ themenfeld: "2" }), seen = [];
  st.subscribe((s, changed) => seen.push(changed));
  assert.deepEqual(st.set({ gebiet: "05570044" }), ["gebiet"]);
  assert.deepEqual(st.set({ gebiet: undefined }), ["gebiet"]);
  assert.deepEqual(st.get(), { themenfeld: "2" });
  assert.deepEqual(st.set({ themenfeld: "2" }), []);
  assert.deepEqual(seen, [["gebiet"], ["gebiet"]]);
  st.set({ kreis: "05570" }, true);
  assert.deepEqual(st.get(), { kreis: "05570" });
});
