/* Pure geometry for labels and tooltips (plain numbers; no Leaflet). */

function ringArea(r) {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) { a += (r[j][0] + r[i][0]) * (r[j][1] - r[i][1]); }
  return a / 2;
}

function ringCentroid(r) {
  let a = 0, cx = 0, cy = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const f = r[j][0] * r[i][1] - r[i][0] * r[j][1];
    a += f; cx += (r[j][0] + r[i][0]) * f; cy += (r[j][1] + r[i][1]) * f;
  }
  if (!a) { return r[0]; }
  return [cx / (3 * a), cy / (3 * a)];
}

/** Is [x, y] inside ring *r* (even-odd)? */
export function inRing(pt, r) {
  let inside = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const [xi, yi] = r[i], [xj, yj] = r[j];
    if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) { inside = !inside; }
  }
  return inside;
}

/** Where a polygon's name goes, [lng, lat]: the centroid of its largest part, or (when the
    centroid falls outside, as for a crescent) the middle of the widest horizontal chord
    through that part's vertical middle. Also the part's area (square degrees), for ranking. */
export function labelPoint(geometry) {
  const polys = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
  let best = null, bestArea = -1;
  for (const p of polys) { const a = Math.abs(ringArea(p[0])); if (a > bestArea) { bestArea = a; best = p; } }
  const outer = best[0], c = ringCentroid(outer);
  if (inRing(c, outer)) { return { point: c, area: bestArea }; }
  // widest chord at the centroid's latitude
  const y = c[1], xs = [];
  for (let i = 0, j = outer.length - 1; i < outer.length; j = i++) {
    const [xi, yi] = outer[i], [xj, yj] = outer[j];
    if ((yi > y) !== (yj > y)) { xs.push(xi + ((y - yi) * (xj - xi)) / (yj - yi)); }
  }
  xs.sort((a, b) => a - b);
  let mid = c[0], width = -1;
  for (let k = 0; k + 1 < xs.length; k += 2) { if (xs[k + 1] - xs[k] > width) { width = xs[k + 1] - xs[k]; mid = (xs[k] + xs[k + 1]) / 2; } }
  return { point: [mid, y], area: bestArea };
}

/** Top-left corner that keeps a w×h box inside a W×H area (with *margin*), as close to
    (x, y) as possible; a box larger than the area sticks to its top-left corner. */
export function clampBox(x, y, w, h, W, H, margin = 4) {
  const cx = Math.max(margin, Math.min(x, W - w - margin));
  const cy = Math.max(margin, Math.min(y, H - h - margin));
  return [cx, cy];
}

/** Do two boxes {x, y, w, h} overlap (with *pad* pixels between them)? */
export function overlaps(a, b, pad = 0) {
  return a.x < b.x + b.w + pad && b.x < a.x + a.w + pad && a.y < b.y + b.h + pad && b.y < a.y + a.h + pad;
}
