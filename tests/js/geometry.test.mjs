import { test } from "node:test";
import assert from "node:assert/strict";
import { clampBox, inRing, labelPoint, overlaps } from "../../ozgmap/static/js/geometry.js";
import { placeLabels } from "../../ozgmap/static/js/labels-place.js";
import { topoFeatures } from "../../ozgmap/static/js/mapdata.js";
import { snapSize } from "../../ozgmap/static/js/sheet.js";

const square = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]];

test("a label sits inside its shape, also for a U-shaped one", () => {
  assert.deepEqual(labelPoint({ type: "Polygon", coordinates: [square] }).point, [2, 2]);
  const u = [[0, 0], [6, 0], [6, 6], [5, 6], [5, 1], [1, 1], [1, 6], [0, 6], [0, 0]];
  const p = labelPoint({ type: "Polygon", coordinates: [u] }).point;
  assert.ok(inRing(p, u), `outside: ${p}`);
  const multi = { type: "MultiPolygon", coordinates: [[[[10, 10], [11, 10], [11, 11], [10, 10]]], [square]] };
  assert.deepEqual(labelPoint(multi).point, [2, 2]);  // the largest part
});

test("a tooltip box is kept inside the view", () => {
  assert.deepEqual(clampBox(-58, 10, 120, 40, 360, 640), [4, 10]);
  assert.deepEqual(clampBox(300, 620, 120, 40, 360, 640), [236, 596]);
  assert.deepEqual(clampBox(50, 50, 120, 40, 360, 640), [50, 50]);
});

test("names are placed without overlaps, where they fit, the selected one always", () => {
  const c = (id, x, priority, extra = {}) => ({ id, x, y: 50, w: 40, h: 15, shapeW: 60, shapeH: 40, priority, always: false, ...extra });
  const placed = placeLabels([c("a", 100, 1), c("b", 120, 2), c("c", 300, 0), c("tiny", 200, 5, { shapeW: 10 }),
    c("sel", 105, 0, { always: true, shapeW: 5 })], 400, 100).map((b) => b.id);
  assert.deepEqual(placed, ["sel", "c"]);
  const row = placeLabels([c("a", 100, 1), c("b", 130, 2), c("d", 160, 0), c("e", 220, 3)], 400, 100);
  assert.deepEqual(row.map((b) => b.id), ["e", "b"]);
  for (const a of row) { for (const b of row) { if (a !== b) { assert.ok(!overlaps(a, b)); } } }
  assert.deepEqual(placeLabels([c("a", 100, 1)], 400, 100, { blocked: [{ x: 90, y: 40, w: 20, h: 20 }] }), []);
});

test("with shifts a name whose point is taken moves within its shape's box, never over another", () => {
  const c = (id, x, y, priority, shape) => ({ id, x, y, w: 40, h: 15, shapeW: 60, shapeH: 60, priority, always: false, shape });
  const own = { ...c("own", 100, 50, 0), always: true };
  const tall = c("tall", 110, 55, 1, { x: 80, y: 0, w: 60, h: 100 });     // room above and below
  const flat = c("flat", 90, 52, 2, { x: 70, y: 45, w: 60, h: 14 });      // no room anywhere
  assert.deepEqual(placeLabels([own, tall, flat], 400, 100).map((b) => b.id), ["own"]);  // default: no shifts
  const shifts = [[0, 0], [0, -1.1], [0, 1.1]];
  const placed = placeLabels([own, tall, flat], 400, 100, { shifts });
  assert.deepEqual(placed.map((b) => b.id), ["own", "tall"]);
  const moved = placed[1];
  assert.equal(moved.x, 90);
  // above is still within 3 px of "own"; below is free
  assert.ok(Math.abs(moved.y + moved.h / 2 - (55 + 16.5)) < 1e-9, `centre at ${moved.y + moved.h / 2}`);
  assert.ok(!overlaps(placed[0], moved, 3));
});

test("TopoJSON arcs become GeoJSON rings (deltas, reversed arcs)", () => {
  const topo = { transform: { scale: [1, 1], translate: [0, 0] }, arcs: [[[0, 0], [2, 0], [0, 2]], [[2, 2], [-2, 0], [0, -2]]],
    objects: { g: { geometries: [{ type: "Polygon", arcs: [[0, 1]], properties: { ags: "1" } }] } } };
  const f = topoFeatures(topo).g[0];
  assert.deepEqual(f.geometry.coordinates, [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]);
  assert.equal(f.properties.ags, "1");
});

test("a dragged sheet snaps to the nearest size or closes", () => {
  assert.equal(snapSize(100, 640, 100), "peek");
  assert.equal(snapSize(300, 640, 100), "half");
  assert.equal(snapSize(600, 640, 100), "full");
  assert.equal(snapSize(30, 640, 100), "closed");
});

import { preferredHeight } from "../../ozgmap/static/js/embed.js";

test("the embed asks for a height that suits its width, within bounds", () => {
  assert.equal(preferredHeight(360), 540);
  assert.equal(preferredHeight(300), 500);
  assert.equal(preferredHeight(1000), 660);
  assert.equal(preferredHeight(2000), 800);
});
