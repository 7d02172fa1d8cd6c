/* Names on the map: a Leaflet layer of text in its own pane (above the shapes, below the
   tooltip, never catching a click). Kreis names at the overview, Gemeinde names from
   GEMEINDE_ZOOM on where they fit their shape; none overlaps another; the selected
   Gemeinde's name is always there. Placement is pure (labels-place.js). */
import { labelPoint } from "./geometry.js";
import { placeLabels } from "./labels-place.js";

export const GEMEINDE_ZOOM = 9;
const FONT_PX = 12, LINE_PX = 15;

export function createLabelLayer(map, { isSelected, inScope }) {
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

  function add(level, features) {
    for (const f of features) {
      const p = f.properties;
      if (points[level].has(p.ags)) { continue; }
      const lp = labelPoint(f.geometry);
      const b = L.geoJSON(f).getBounds();
      points[level].set(p.ags, { ags: p.ags, name: p.name, kreis_ags: p.kreis_ags, latlng: L.latLng(lp.point[1], lp.point[0]),
        bounds: b, area: lp.area });
    }
  }

  /* the boxes of what lies on the map (zoom buttons, legend, A–Z list), in map pixels */
  function controlBoxes() {
    const root = map.getContainer(), r0 = root.getBoundingClientRect(), out = [];
    const wrap = root.parentElement;
    for (const e of wrap.querySelectorAll(".leaflet-control, .map-legend, .map-az, .map-status")) {
      const r = e.getBoundingClientRect();
      if (r.width && r.height) { out.push({ x: r.left - r0.left, y: r.top - r0.top, w: r.width, h: r.height }); }
    }
    return out;
  }

  function layout() {
    const zoom = map.getZoom(), size = map.getSize(), view = map.getBounds().pad(0.1);
    const level = zoom >= GEMEINDE_ZOOM ? "gemeinde" : "kreis";
    const cands = [];
    const consider = (lv, it, always) => {
      if (!always && !view.contains(it.latlng)) { return; }
      const c = map.latLngToContainerPoint(it.latlng);
      const nw = map.latLngToContainerPoint(it.bounds.getNorthWest()), se = map.latLngToContainerPoint(it.bounds.getSouthEast());
      cands.push({ id: lv + it.ags, it, x: c.x, y: c.y, w: measure(it.name, always), h: LINE_PX,
        shapeW: se.x - nw.x, shapeH: se.y - nw.y, always,
        priority: (lv === "gemeinde" && inScope(it) ? 1e6 : 0) + it.area * 1e3 });
    };
    for (const it of points[level].values()) { consider(level, it, level === "gemeinde" && isSelected(it.ags)); }
    if (level === "kreis") { for (const it of points.gemeinde.values()) { if (isSelected(it.ags)) { consider("gemeinde", it, true); } } }
    const placed = placeLabels(cands, size.x, size.y, { blocked: controlBoxes() });
    const byId = new Map(cands.map((c) => [c.id, c]));
    pane.textContent = "";
    for (const box of placed) {
      const c = byId.get(box.id);
      const div = document.createElement("div");
      div.className = "map-label" + (c.always ? " selected" : "") + (box.id.startsWith("kreis") ? " kreis" : "");
      div.textContent = c.it.name;
      div.dataset.ags = c.it.ags;
      div.style.width = c.w + "px";
      pane.appendChild(div);
      L.DomUtil.setPosition(div, map.containerPointToLayerPoint([box.x, box.y]).round());
    }
  }

  map.on("zoomend moveend resize", layout);
  return { add, layout };
}
