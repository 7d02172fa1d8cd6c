/* Which names fit on the map: greedy, in order of priority, never two overlapping.
   Pure: candidates come with their screen point, text size and the size of their shape. */
import { overlaps } from "./geometry.js";

/**
 * candidates: [{id, x, y, w, h, shapeW, shapeH, priority, always, shape}] (x, y: centre in
 * px; shape: the shape's box {x, y, w, h}, only needed with *shifts*).
 * A name is placed when it fits its shape (unless `always`, the selected one), lies inside
 * the W×H view and overlaps neither a name placed before it nor a *blocked* box (the map's
 * controls). *shifts*: where else a name may go when its point is taken, as [dx, dy] in
 * name widths and heights ([[0, 0]]: only at its point); a shifted name's centre stays in
 * its shape's box. Returns the placed boxes.
 */
export function placeLabels(candidates, W, H, { pad = 3, fit = 1.1, blocked = [], shifts = [[0, 0]] } = {}) {
  const order = candidates.slice().sort((a, b) => (b.always - a.always) || (b.priority - a.priority));
  const placed = [];
  const free = (c, box) => {
    if (!c.always && (box.x < 0 || box.y < 0 || box.x + box.w > W || box.y + box.h > H)) { return false; }
    if (placed.some((p) => overlaps(p, box, pad))) { return false; }
    return c.always || !blocked.some((b) => overlaps(b, box, 0));
  };
  for (const c of order) {
    if (!c.always && (c.w > c.shapeW * fit || c.h > c.shapeH * fit)) { continue; }
    for (const [dx, dy] of shifts) {
      const cx = c.x + dx * c.w, cy = c.y + dy * c.h;
      if ((dx || dy) && !(c.shape && cx >= c.shape.x && cx <= c.shape.x + c.shape.w
        && cy >= c.shape.y && cy <= c.shape.y + c.shape.h)) { continue; }
      const box = { id: c.id, x: cx - c.w / 2, y: cy - c.h / 2, w: c.w, h: c.h, always: !!c.always };
      if (free(c, box)) { placed.push(box); break; }
    }
  }
  return placed;
}
