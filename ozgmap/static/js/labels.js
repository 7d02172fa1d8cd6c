/* Names on the map: a Leaflet layer of text in its own pane (above the shapes, below the
   tooltip, never catching a click). Kreis names at the overview, Gemeinde names from
   GEMEINDE_ZOOM on where they fit their shape; none overlaps another; the selected
   Gemeinde's name is always there. Placement is pure (labels-place.js).
   The main map and the /nachbarn map share it; the options after `inScope` (all optional)
   are what the small neighbour map sets differently. */
import { labelPoint } from "./geometry.js";
import { placeLabels } from "./labels-place.js";

export const GEMEINDE_ZOOM = 9;
const FONT_PX = 12, LINE_PX = 15;

/**
 * isSelected(ags): its name is always shown; inScope(item): a Gemeinde name preferred.
 * gemeindeZoom: from which zoom Gemeinde names are shown (GEMEINDE_ZOOM); rank(item): extra
 * priority of a Gemeinde name (default: 1e6 when in scope); placing: placeLabels' options
 * `fit` (how much wider than its shape a name may be) and `shifts` (where else it may go);
 * avoid: the selector of what lies on the map (names keep clear of it); classFor(item):
 * extra class names of a label.
 */
export function createLabelLayer(map, { isSelected, inScope = () => false, gemeindeZoom = GEMEINDE_ZOOM,
  rank = (it) => (inScope(it) ? 1e6 : 0), placing = {}, avoid = ".leaflet-control, .map-legend, .map-az, .map-status",
  classFor = () => "" }) {
  const pane = map.createPane("ozgLabels");
  pane.classList.add("leaflet-zoom-hide", "map-labels");
  pane.setAttribute("aria-hidden", "true");  // the names are in the A–Z list and the panel
  const points = { gemeinde: new Map(), kreis: new Map() };
  const ctx = document.createElement("canvas").getContext("2d");
  const family = getComputedStyle(map.getContainer()).fontFamily || "sans-serif";
  const widths = new Map();
  const measure = (text, bold) => {
    const key = (bold ? "b" : "n") + text;
    if (!widths.has(key)) { ctx.font = `${bold ? 700 : 600} ${FONT_PX}px ${family}`; widths.set(key, Math.ceil(ctx.measureText(text).width) + 4); }
    return widths.get(key);
  };

  /* names from GeoJSON features (properties ags, name, kreis_ags): placed inside the shape */
  function add(level, features) {
    addPoints(level, features.filter((f) => !points[level].has(f.properties.ags)).map((f) => {
      const p = f.properties, lp = labelPoint(f.geometry);
      return { ags: p.ags, name: p.name, kreis_ags: p.kreis_ags, latlng: [lp.point[1], lp.point[0]],
        bounds: L.geoJSON(f).getBounds(), area: lp.area };
    }));
  }

  /* names at points worked out elsewhere: {ags, name, latlng: [lat, lng], bounds: [[s, w], [n, e]]
     of the shape, area (for ranking), anything else rank/classFor read} */
  function addPoints(level, items) {
    for (const it of items) {
      if (!points[level].has(it.ags)) {
        points[level].set(it.ags, { ...it, latlng: L.latLng(it.latlng), bounds: L.latLngBounds(it.bounds) });
      }
    }
  }

  /* the boxes of what lies on the map (zoom buttons, legend, A–Z list), in map pixels */
  function controlBoxes() {
    const root = map.getContainer(), r0 = root.getBoundingClientRect(), out = [];
    const wrap = root.parentElement;
    for (const e of wrap.querySelectorAll(avoid)) {
      const r = e.getBoundingClientRect();
      if (r.width && r.height) { out.push({ x: r.left - r0.left, y: r.top - r0.top, w: r.width, h: r.height }); }
    }
    return out;
  }

  function layout() {
    const zoom = map.getZoom(), size = map.getSize(), view = map.getBounds().pad(0.1);
    const level = zoom >= gemeindeZoom ? "gemeinde" : "kreis";
    const cands = [];
    const consider = (lv, it, always) => {
      if (!always && !view.contains(it.latlng)) { return; }
      const c = map.latLngToContainerPoint(it.latlng);
      const nw = map.latLngToContainerPoint(it.bounds.getNorthWest()), se = map.latLngToContainerPoint(it.bounds.getSouthEast());
      cands.push({ id: lv + it.ags, it, x: c.x, y: c.y, w: measure(it.name, always), h: LINE_PX,
        shapeW: se.x - nw.x, shapeH: se.y - nw.y, shape: { x: nw.x, y: nw.y, w: se.x - nw.x, h: se.y - nw.y }, always,
        priority: (lv === "gemeinde" ? rank(it) : 0) + it.area * 1e3 });
    };
    for (const it of points[level].values()) { consider(level, it, level === "gemeinde" && isSelected(it.ags)); }
    if (level === "kreis") { for (const it of points.gemeinde.values()) { if (isSelected(it.ags)) { consider("gemeinde", it, true); } } }
    const placed = placeLabels(cands, size.x, size.y, { ...placing, blocked: controlBoxes() });
    const byId = new Map(cands.map((c) => [c.id, c]));
    pane.textContent = "";
    for (const box of placed) {
      const c = byId.get(box.id);
      const div = document.createElement("div");
      div.className = ["map-label", c.always ? "selected" : "", box.id.startsWith("kreis") ? "kreis" : "", classFor(c.it)]
        .filter(Boolean).join(" ");
      div.textContent = c.it.name;
      div.dataset.ags = c.it.ags;
      div.style.width = c.w + "px";
      pane.appendChild(div);
      L.DomUtil.setPosition(div, map.containerPointToLayerPoint([box.x, box.y]).round());
    }
  }

  map.on("zoomend moveend resize", layout);
  return { add, addPoints, layout };
}
