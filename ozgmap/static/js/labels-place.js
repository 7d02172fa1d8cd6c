/* Which names fit on the map: greedy, in order of priority, never two overlapping.
   Pure: candidates come with their screen point, text size and the size of their shape. */
import { overlaps } from "./geometry.js";

/**
 * candidates: [{id, x, y, w, h, shapeW, shapeH, priority, always}] (x, y: centre in px).
 * A name is placed when it fits its shape (unless `always`, the selected one), lies inside
 * the W×H view and overlaps neither a name placed before it nor a *blocked* box (the map's
 * controls). Returns the placed boxes.
 */
export function placeLabels(candidates, W, H, { pad = 3, fit = 1.1, blocked = [] } = {}) {
  const order = candidates.slice().sort((a, b) => (b.always - a.always) || (b.priority - a.priority));
  const placed = [];
  for (const c of order) {
    const box = { id: c.id, x: c.x - c.w / 2, y: c.y - c.h / 2, w: c.w, h: c.h, always: !!c.always };
    if (!c.always) {
      if (c.w > c.shapeW * fit || c.h > c.shapeH * fit) { continue; }
      if (box.x < 0 || box.y < 0 || box.x + box.w > W || box.y + box.h > H) { continue; }
    }
    if (placed.some((p) => overlaps(p, box, pad))) { continue; }
    if (!c.always && blocked.some((b) => overlaps(b, box, 0))) { continue; }
    placed.push(box);
  }
  return placed;
}
