/* /nachbarn: the neighbours map's names, written by the main map's label layer (none over
   another, the own body's always, those with a solution first), and its first view, fitted
   again so that what lies on the map's foot (legend, scale, credits) covers nothing of it:
   everything drawn in focus, or, where that would leave the own body too small to carry
   its name (a phone), the own body and its direct neighbours. */
import { createLabelLayer } from "./js/labels.js";

const cfg = JSON.parse(document.getElementById("nb-config").textContent);
const map = window[cfg.map];
const wrap = map.getContainer().parentElement;
const legend = wrap.querySelector(".nb-legend");
const own = cfg.labels.find((l) => l.kind === "own");
const OWN_MIN_PX = 64;  // the own body at least this wide at the first view (its name fits)

L.control.scale({ imperial: false }).addTo(map);

/** Pixels at the map's foot covered by the legend (when it lies on the map) or a control. */
function coveredFoot() {
  const m = map.getContainer().getBoundingClientRect();
  let foot = 0;
  for (const e of wrap.querySelectorAll(".leaflet-bottom .leaflet-control, .nb-legend")) {
    const r = e.getBoundingClientRect();
    if (r.height && r.top < m.bottom && r.bottom > m.top) { foot = Math.max(foot, m.bottom - r.top); }
  }
  return foot;
}

const labels = createLabelLayer(map, {
  isSelected: (ags) => Boolean(own) && ags === own.ags,
  gemeindeZoom: 0,                      // a small map: the bodies' names at every zoom
  rank: (it) => it.rank * 1e6,          // maps.LABEL_RANKS
  // a name may be wider than its shape, and move a little when its point is taken: never so
  // far that its point leaves it (a name always stands on its place), never over another
  placing: { fit: Infinity, shifts: [[0, 0], [0, -0.5], [0, 0.5], [0.35, 0], [-0.35, 0],
    [0.35, -0.5], [-0.35, -0.5], [0.35, 0.5], [-0.35, 0.5]] },
  avoid: ".leaflet-control, .nb-legend",
  classFor: (it) => "nb-label-" + it.kind,
});
labels.addPoints("gemeinde", cfg.labels);
/** The first view: cfg.bounds, or cfg.near where cfg.bounds leaves the own body too small. */
function fitFirstView() {
  const tl = L.point(6, 6), br = L.point(6, coveredFoot() + 6);
  const zoom = map.getBoundsZoom(cfg.bounds, false, tl.add(br));
  const ownPx = (b) => map.project(b.getNorthEast(), zoom).x - map.project(b.getSouthWest(), zoom).x;
  const small = own && ownPx(L.latLngBounds(own.bounds)) < OWN_MIN_PX;
  map.fitBounds(small ? cfg.near : cfg.bounds, { paddingTopLeft: tl, paddingBottomRight: br, animate: false });
}
fitFirstView();
labels.layout();
if (legend) { legend.addEventListener("toggle", () => labels.layout()); }
