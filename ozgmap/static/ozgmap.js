/* ozgmap: the map page's behaviour (an ES module; its parts are in js/). Geometry is
   fetched once; a filter change fetches only the figures (/api/umsetzung) and restyles.
   Every name from the data goes into the page as text, never as HTML. The whole view state
   lives in the URL (permalink, back/forward); js/state.js holds it. */
// What the first drawing needs is imported here (and preloaded by the page); the rest (panel,
// sheet, names, tooltip, keyboard list) comes by import() once the map is drawn or a
// Gemeinde is chosen: on a phone's network every request before the drawing costs a round.
import { createStore, readParams, toQuery } from "./js/state.js";
import { colourFor, topoFeatures } from "./js/mapdata.js";

const cfg = JSON.parse(document.getElementById("ozgmap-config").textContent);
const map = window[cfg.map];
const DEFS = cfg.filter_definition;
const FILTERS = DEFS.map((d) => d.name);
/* The filter as the server read it (a Leistung typed by name comes as its OZG-ID, one it
   could not resolve not at all), with the selection from the URL. */
const store = createStore({ ...(cfg.filter || {}), gebiet: readParams(window.location.search, DEFS).gebiet });
const form = document.getElementById("filters");
const statusEl = document.getElementById("map-status");
const detail = document.getElementById("detail");
const detailContent = document.getElementById("detail-content");
const aside = document.querySelector(".panel");
const figures = {}, layers = {}, kreisLayers = {}, kreisNames = {};
let gemeindeLayer = null, kreisLayer = null, figuresLoaded = false, labels = null;
/* A large area (all of Germany, cfg.kreisweise) starts with its Kreise, coloured by the mean
   of their Gemeinden (kreisFigures); a Land's Gemeinden and their figures load when it is in
   view from the zoom where Gemeinden fit (gemeindenIndex.ab_zoom), or when one is chosen. */
const KREISWEISE = !!cfg.kreisweise;
const kreisFigures = {}, kreisFillLayers = {}, landFigures = {}, lands = {};
let kreisFill = null, landLayer = null, gemeindenIndex = null;

/* The modules for everything after the first drawing, loaded once. */
let ui = null, uiLoading = null;
function loadUi() {
  if (!uiLoading) {
    uiLoading = Promise.all([import("./js/dom.js"), import("./js/format.js"), import("./js/panel-model.js"), import("./js/panel.js"),
      import("./js/sheet.js"), import("./js/labels.js"), import("./js/tooltip.js"), import("./js/geometry.js"),
      import("./js/embed.js")])
      .then(([dom, format, model, panel, sheetMod, labelsMod, tooltipMod, geometryMod, embed]) => {
        ui = { el: dom.el, ...format, ...model, ...panel, ...labelsMod, ...tooltipMod, ...geometryMod, ...embed,
          sheet: sheetMod.createSheet(detail, { onClose: closeSelection,
            onResize: (size) => { if (size !== "full" && store.get().gebiet) { showOnMap(store.get().gebiet, true); } } }) };
        return ui;
      });
  }
  return uiLoading;
}
const isSheet = () => (ui ? ui.sheet.isSheet() : window.matchMedia("(max-width: 760px)").matches);

map.attributionControl.setPrefix(false);
map.attributionControl.addAttribution(cfg.attribution);

const query = (s, withGebiet, extra) => toQuery(s, DEFS, { withGebiet, extra });
const filterOf = (s) => Object.fromEntries(FILTERS.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
const sameFilter = (a, b) => query(filterOf(a), false) === query(filterOf(b), false);
const inScope = (p) => !store.get().kreis || p.kreis_ags === store.get().kreis;

function formState() {
  const s = {}, fd = new FormData(form);
  for (const k of FILTERS) { const v = fd.get(k); if (v) { s[k] = String(v).trim(); } }
  return s;
}

function syncForm(s) {
  if (!form) { return; }
  for (const d of DEFS) {
    for (const i of form.querySelectorAll(`[name="${d.name}"]`)) {
      const v = s[d.name] !== undefined ? s[d.name] : (d.default === null || d.default === undefined ? "" : String(d.default));
      if (i.type === "radio") { i.checked = i.value === v; }
      else if (i.type === "checkbox") { i.checked = !!v && v !== "0"; }
      else { i.value = v; }
    }
  }
}

/* ---- colours, tooltip, status ------------------------------------------------------ */
function style(feature) {
  const p = feature.properties;
  if (!inScope(p)) { return { fillColor: "#ffffff", fillOpacity: 0.6, color: "#bbbbbb", weight: 0.5 }; }
  const f = figures[p.ags];
  return { fillColor: colourFor(f ? f.anteil : null, cfg.legend, cfg.no_data), fillOpacity: 0.9, color: "#ffffff", weight: 0.7 };
}

function kreisStyle(feature) {
  const p = feature.properties;
  if (store.get().kreis && p.ags !== store.get().kreis) { return { fillColor: "#ffffff", fillOpacity: 0.6, color: "#bbbbbb", weight: 0.5 }; }
  const f = kreisFigures[p.ags];
  return { fillColor: colourFor(f ? f.anteil : null, cfg.legend, cfg.no_data), fillOpacity: 0.9, color: "#ffffff", weight: 0.6 };
}

/** Whether the Gemeinden are the map's level now (else the Kreise of a large area). */
const gemeindenShown = () => !KREISWEISE || !gemeindenIndex || map.getZoom() >= gemeindenIndex.ab_zoom;

function kreisTooltip(layer) {
  const p = layer.feature.properties, el = ui.el, f = kreisFigures[p.ags];
  return el("div", { class: "tt" }, el("strong", null, p.name),
    el("div", null, "Kreis · AGS " + p.ags),
    el("div", { class: "tt-figure" }, f && f.anteil !== null
      ? "Ø " + Math.round(f.anteil * 100) + " % online, Mittel seiner " + f.gemeinden_mit_daten + " Gemeinden" : "keine Daten"),
    f && f.beispieldaten ? el("div", { class: "sample" }, "Beispieldaten") : null,
    el("div", null, "Antippen: die Gemeinden des Kreises"));
}

function tooltip(layer) {
  const p = layer.feature.properties, el = ui.el;
  return el("div", { class: "tt" }, el("strong", null, p.name),
    el("div", null, (kreisNames[p.kreis_ags] || "") + " · AGS " + p.ags),
    el("div", { class: "tt-figure" }, ui.headline(figures[p.ags])),
    figures[p.ags] && figures[p.ags].beispieldaten ? el("div", { class: "sample" }, "Beispieldaten") : null);
}

function markSelected() {
  const sel = store.get().gebiet && layers[store.get().gebiet];
  if (sel) { sel.setStyle({ color: "#000000", weight: 3 }); sel.bringToFront(); }
}

function restyle() {
  if (!gemeindeLayer) { return; }
  gemeindeLayer.setStyle(style);
  if (kreisFill) { kreisFill.setStyle(kreisStyle); }
  if (kreisLayer) { kreisLayer.bringToFront(); }
  if (landLayer) { landLayer.bringToFront(); }
  markSelected();
  if (labels) { labels.layout(); }
  showStatus();
}

function showStatus() {
  if (!gemeindeLayer || !figuresLoaded) { return; }
  const kreise = !gemeindenShown();
  const all = Object.values(kreise ? kreisFigures : figures), nodata = all.filter((g) => g.anteil === null).length;
  if (KREISWEISE && !all.length && !kreise) { statusEl.textContent = "Gemeinden werden geladen …"; return; }  // their Land's part is on its way
  statusEl.textContent = all.length + (kreise ? " Kreise" : " Gemeinden") + " dargestellt" + (nodata ? ", " + nodata + " ohne Daten" : "") + "."
    + (kreise ? " Näher heran: die Gemeinden." : "");
  const legendLevel = document.getElementById("legend-level");
  if (legendLevel) { legendLevel.hidden = !kreise; }
}

async function getJson(url) {
  const r = await fetch(url);
  const j = await r.json();
  if (!r.ok) { throw new Error(j.error ? j.error.message : "Fehler"); }
  return j;
}

/* What the page carries inline (the overview geometry, the figures of its own filter), read
   once: on a phone's network it came while the browser fetched the scripts. */
function inlineJson(id) {
  const node = document.getElementById(id);
  if (!node) { return null; }
  node.remove();
  return JSON.parse(node.textContent);
}
let firstFigures = inlineJson("ozgmap-figures");

/* The figures of the current filter: those of every Gemeinde, or (KREISWEISE) of every Kreis
   and of the Gemeinden of each Land loaded so far. */
async function loadFigures() {
  statusEl.textContent = "Daten werden geladen …";
  const s = store.get();
  const url = KREISWEISE ? cfg.api + query(s, false, { felder: cfg.kreis_felder, ebene: "kreise" })
    : cfg.api + query(s, false, { felder: cfg.felder });
  const inline = firstFigures;
  firstFigures = null;
  try {
    const [j, ...perLand] = await Promise.all([inline || getJson(url),
      ...Object.keys(lands).map((land) => getJson(cfg.api + query(s, false, { felder: cfg.felder, land })))]);
    if (!sameFilter(s, store.get())) { return; }  // a newer filter is on its way
    const into = KREISWEISE ? kreisFigures : figures;
    for (const k of Object.keys(into)) { delete into[k]; }
    if (KREISWEISE) { for (const k of Object.keys(figures)) { delete figures[k]; } }
    const legendWhat = document.getElementById("legend-what");
    if (legendWhat && j.legende) { legendWhat.textContent = j.legende; }
    for (const g of j.gebiete) { into[g.ags] = g; }
    for (const p of perLand) { for (const g of p.gebiete) { figures[g.ags] = g; } }
    figuresLoaded = true;
    restyle();
  } catch (e) { statusEl.textContent = "Daten konnten nicht geladen werden: " + e.message; }
}

/** The Gemeinden of one Land (KREISWEISE): their 500 m geometry and their figures for the
    current filter, loaded once; resolves when both are on the map. */
function ensureLand(land) {
  if (!KREISWEISE || !gemeindenIndex || !gemeindenIndex.teile[land]) { return Promise.resolve(); }
  if (!lands[land]) {
    const s = store.get();
    lands[land] = Promise.all([loadTopo("gemeinden-" + land),
      getJson(cfg.api + query(s, false, { felder: cfg.felder, land }))]).then(([topo, j]) => {
      const geo = topoFeatures(topo);
      if (sameFilter(s, store.get())) { for (const g of j.gebiete) { figures[g.ags] = g; } }
      swapIn(gemeindeLayer, layers, geo.gemeinden);
      swapIn(kreisLayer, kreisLayers, geo.kreise);
      for (const l of geo.gemeinden) { if (layers[l.properties.ags] && layers[l.properties.ags]._path) { layers[l.properties.ags]._path.setAttribute("tabindex", "-1"); } }
      gemeindenByName = null;
      const list = document.getElementById("gemeinden-liste");
      if (list) { list.textContent = ""; }
      if (labels) { labels.add("gemeinde", geo.gemeinden); }
      restyle();
    }).catch((e) => { delete lands[land]; throw e; });
  }
  return lands[land];
}

/* KREISWEISE: the Gemeinden on the map from their zoom on, the Kreise below it. */
function showLevel() {
  if (!KREISWEISE || !gemeindeLayer || gemeindenShown() === map.hasLayer(gemeindeLayer)) { return; }
  const on = gemeindenShown();
  for (const l of [gemeindeLayer, kreisLayer]) {
    if (on) { l.addTo(map); } else { map.removeLayer(l); }
  }
  restyle();
}

/* ---- the selection panel ------------------------------------------------------------ */
let catalogue = null;  // /api/leistungen, only for a server without the panel overview
let panelRequest = 0;

function panelLinks(ags) {
  const q = query(store.get(), false);
  const base = (cfg.gebiet_page || "/gebiet/") + encodeURIComponent(ags);
  return { liste: base + q, json: base + ".json" + q, csv: base + ".csv" + q,
    nachbarn: "/nachbarn?ags=" + encodeURIComponent(ags) };
}

async function panelData(ags) {
  const s = store.get();
  const body = await getJson(cfg.body_api + encodeURIComponent(ags) + query(s, false));
  if (ui.hasOverview(body)) { return body; }
  if (!catalogue) { catalogue = (await getJson(cfg.leistungen_api)).leistungen; }
  return ui.overviewFromOffers(body, figures[ags], catalogue, filterOf(s),
    (id) => "/nachbarn" + query({ ...filterOf(s), themenfeld: undefined }, false, { ags, leistung: id }));
}

/** Show the selected Gemeinde's panel (a sheet opens at its peek: name and headline); focus
    moves to its heading, so that screen readers announce it; on wide screens it stands at
    the top of its column. *how*: tap, search, list, key, load (no focus), refresh. */
async function showPanel(how) {
  const ags = store.get().gebiet;
  if (!ags) { return; }
  const mine = ++panelRequest;
  const { el, sheet } = await loadUi();
  try {
    const body = await panelData(ags);
    if (mine !== panelRequest || store.get().gebiet !== ags) { return; }
    ui.renderPanel(detailContent, body, panelLinks(ags));
  } catch (e) {
    detailContent.textContent = "";
    detailContent.appendChild(el("h2", { id: "detail-title", tabindex: "-1" }, "Details konnten nicht geladen werden"));
    detailContent.appendChild(el("p", null, e.message));
  }
  sheet.open(how === "refresh" ? undefined : "peek");
  if (how === "refresh") { return; }
  if (!sheet.isSheet() && aside) { aside.scrollTop = 0; }  // the panel is at the top of its column
  const title = document.getElementById("detail-title");
  if (title && how !== "load") { title.focus({ preventScroll: true }); }
}

function pushUrl() {
  window.history.pushState({ ozgmap: true }, "", window.location.pathname + query(store.get(), true));
}

function select(ags, how) {
  const s = store.get();
  if (s.kreis && ags.slice(0, 5) !== s.kreis && cfg.embed) { return; }
  if (s.kreis && ags.slice(0, 5) !== s.kreis) { store.set({ kreis: undefined }); syncForm(store.get()); loadFigures(); }
  store.set({ gebiet: ags });
  pushUrl();
  restyle();
  // a Gemeinde of a Land not loaded yet (search, permalink): its Land first
  return Promise.all([showPanel(how), ensureLand(ags.slice(0, 2)).catch(() => null)])
    .then(() => { markSelected(); if (how !== "tap") { showOnMap(ags, true); } });
}

/** Bring the Gemeinde into the part of the map that the legend and the sheet leave free. */
function showOnMap(ags, animate) {
  if (!layers[ags]) { return; }
  const legend = document.querySelector(".map-legend");
  const right = legend ? legend.offsetWidth + 10 : 10;
  const bottom = isSheet() && detail.classList.contains("open") ? detail.offsetHeight + 10 : 10;
  map.fitBounds(layers[ags].getBounds(), { maxZoom: 10, paddingTopLeft: [10, 10],
    paddingBottomRight: [right, bottom], animate });
}

function closeSelection() {
  const { el, sheet } = ui;
  if (!store.get().gebiet) { sheet.close(); return; }
  const prev = store.get().gebiet;
  store.set({ gebiet: undefined });
  pushUrl();  // closing is a step in the history too: back opens the Gemeinde again
  if (layers[prev]) { gemeindeLayer.resetStyle(layers[prev]); }
  restyle();
  sheet.close();
  detailContent.textContent = "";
  detailContent.appendChild(el("h2", { id: "detail-title", tabindex: "-1" }, "Details"));
  detailContent.appendChild(el("p", null, "Gemeinde in der Karte antippen, in der Liste A–Z wählen oder oben suchen."));
  map.getContainer().focus({ preventScroll: true });
}

/* ---- suggestion lists, search ------------------------------------------------------- */
let listThemenfeld = null;

function refreshLeistungen(first) {
  const tf = store.get().themenfeld || "", list = document.getElementById("leistungen-liste");
  if (!list || (listThemenfeld === null && !first) || tf === listThemenfeld) { return; }
  listThemenfeld = tf;
  getJson(cfg.leistungen_api + (tf ? "?themenfeld=" + encodeURIComponent(tf) : ""))
    .then((j) => {
      if (listThemenfeld !== tf) { return; }
      list.textContent = "";
      for (const l of j.leistungen) {
        const o = document.createElement("option");
        o.value = l.ozg_id;
        o.textContent = l.name;
        list.appendChild(o);
      }
    })
    .catch(() => { listThemenfeld = null; });
}

let gemeindenByName = null;
function gemeinden() {
  if (!gemeindenByName) {
    gemeindenByName = Object.keys(layers).map((ags) => layers[ags].feature.properties)
      .filter((p) => !cfg.embed || !cfg.kreis || p.kreis_ags === cfg.kreis)
      .map((p) => [p.ags, p.name]).sort((a, b) => a[1].localeCompare(b[1], "de"));
  }
  return gemeindenByName;
}

function fillGemeinden() {
  const list = document.getElementById("gemeinden-liste");
  if (!list || list.firstChild) { return; }
  for (const g of gemeinden()) { list.appendChild(ui.el("option", { value: g[1] }, g[0])); }
}

document.addEventListener("focusin", (ev) => {
  const which = ev.target.getAttribute && ev.target.getAttribute("list");
  if (which === "leistungen-liste") { refreshLeistungen(true); }
  if (which === "gemeinden-liste") { geometry.then(loadUi).then(fillGemeinden); }
});

const searchMsg = document.getElementById("search-msg");
document.getElementById("search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = document.getElementById("q").value.trim().toLowerCase();
  if (q) { geometry.then(() => find(q)); }
});

function find(q) {
  const all = gemeinden();
  let hits = all.filter((g) => g[0] === q || g[1].toLowerCase() === q);
  if (!hits.length) { hits = all.filter((g) => g[1].toLowerCase().includes(q)); }
  if (KREISWEISE && !(hits.length === 1 && hits[0][1].toLowerCase() === q) && !/^\d{8}$/.test(q)) {
    // only some Länder are loaded: the server searches all of them (one hit opens it here)
    window.location.assign(cfg.suche + query(store.get(), false, { q }));
    return;
  }
  if (KREISWEISE && !hits.length) { select(q, "search"); return; }
  if (hits.length === 1) {
    searchMsg.textContent = hits[0][1] + " gefunden.";
    select(hits[0][0], "search");
  } else if (hits.length > 1) {
    searchMsg.textContent = hits.length + " Treffer: " + hits.slice(0, 8).map((g) => g[1]).join(", ") + (hits.length > 8 ? " …" : "") + ". Bitte genauer.";
  } else {
    searchMsg.textContent = "Keine Gemeinde gefunden.";
  }
}

/* ---- filters, history ---------------------------------------------------------------- */
function apply(push) {
  if (push) { pushUrl(); }
  syncForm(store.get());
  refreshLeistungen();
  return loadFigures().then(() => (store.get().gebiet ? showPanel(push ? "refresh" : "load") : null));
}

function scopeBounds() {
  const k = store.get().kreis;
  if (k && kreisLayers[k]) { return kreisLayers[k].getBounds(); }
  if (k && kreisFillLayers[k]) { return kreisFillLayers[k].getBounds(); }
  if (kreisFill) { return kreisFill.getBounds(); }
  return gemeindeLayer ? gemeindeLayer.getBounds() : null;
}

function zoomToScope(animate) {
  const b = scopeBounds();
  if (b) { map.fitBounds(b, { padding: store.get().kreis ? [10, 10] : [0, 0], animate: animate !== false }); }
}

function onFilterChange() {
  const s = { ...formState(), gebiet: store.get().gebiet };
  const kreisChanged = s.kreis !== store.get().kreis;
  store.set(s, true);
  apply(true);
  if (kreisChanged) { zoomToScope(); }
}

if (form) {
  form.addEventListener("change", (ev) => {
    // a Leistung by name is resolved by the server (a page load): the map's API takes IDs
    if (ev.target && ev.target.name === "leistung") {
      const v = ev.target.value.trim();
      if (v && !/^\d+$/.test(v)) { form.submit(); return; }
    }
    onFilterChange();
  });
  form.addEventListener("submit", (ev) => {
    const v = (form.querySelector('[name="leistung"]') || {}).value || "";
    if (v.trim() && !/^\d+$/.test(v.trim())) { return; }  // the server resolves the name
    ev.preventDefault();
    onFilterChange();
  });
}

window.addEventListener("popstate", () => {
  const before = store.get();
  store.set(readParams(window.location.search, DEFS), true);
  const now = store.get();
  if (before.gebiet && !now.gebiet) {
    if (layers[before.gebiet]) { gemeindeLayer.resetStyle(layers[before.gebiet]); }
    if (ui) { ui.sheet.close(); }
  }
  apply(false).then(() => { if (now.gebiet && now.gebiet !== before.gebiet) { showPanel("tap"); } });
  if (now.kreis !== before.kreis) { zoomToScope(); }
});

/* ---- keyboard: the map is one tab stop; Enter selects the Gemeinde at its centre; the
   A–Z list names every Gemeinde in view ---------------------------------------------- */
/** The AGS of the shape of *index* (layers, or the Kreise of a large area) at *latlng*. */
function shapeAt(latlng, index) {
  const pt = [latlng.lng, latlng.lat];
  for (const ags of Object.keys(index)) {
    const l = index[ags];
    if (!l.getBounds().contains(latlng)) { continue; }
    const geom = l.feature.geometry;
    const polys = geom.type === "MultiPolygon" ? geom.coordinates : [geom.coordinates];
    if (polys.some((p) => ui.inRing(pt, p[0]))) { return ags; }
  }
  return null;
}

map.getContainer().addEventListener("keydown", (ev) => {
  if (ev.key !== "Enter" || ev.target !== map.getContainer() || !ui) { return; }
  if (!gemeindenShown()) {  // the Kreise of a large area: Enter brings the Kreis's Gemeinden
    const k = shapeAt(map.getCenter(), kreisFillLayers);
    if (k) { ev.preventDefault(); map.fitBounds(kreisFillLayers[k].getBounds(), { padding: [10, 10] }); }
    return;
  }
  const ags = shapeAt(map.getCenter(), layers);
  if (ags && inScope(layers[ags].feature.properties)) { ev.preventDefault(); select(ags, "key"); }
});

const az = document.getElementById("map-az"), azList = document.getElementById("az-list");
function fillAz() {
  if (!az || !az.open || !ui) { return; }
  const el = ui.el;
  const view = map.getBounds();
  const names = gemeinden().filter(([ags]) => layers[ags] && view.intersects(layers[ags].getBounds())
    && inScope(layers[ags].feature.properties));
  azList.textContent = "";
  for (const [ags, name] of names) {
    azList.appendChild(el("li", null, el("button", { type: "button", "data-ags": ags,
      "aria-current": store.get().gebiet === ags ? "true" : null }, name)));
  }
  if (!names.length) { azList.appendChild(el("li", null, "Keine Gemeinde im Ausschnitt.")); }
}
if (az) {
  az.addEventListener("toggle", () => geometry.then(loadUi).then(fillAz));
  azList.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-ags]");
    if (b) { az.open = false; select(b.dataset.ags, "list"); }
  });
  azList.addEventListener("keydown", (ev) => {
    if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") { return; }
    const bs = [...azList.querySelectorAll("button")], i = bs.indexOf(document.activeElement);
    const next = bs[Math.max(0, Math.min(bs.length - 1, i + (ev.key === "ArrowDown" ? 1 : -1)))];
    if (next) { ev.preventDefault(); next.focus(); }
  });
}

/* On phones the filters start folded: the map comes first. */
const filterBox = document.querySelector(".filter-box");
if (filterBox && window.matchMedia("(max-width: 760px)").matches) { filterBox.open = false; }

/* ---- geometry ------------------------------------------------------------------------- */
let detailIndex = null;
const detailParts = {};

async function loadTopo(name) {
  const inline = name === "uebersicht" && inlineJson("ozgmap-uebersicht");
  if (inline) { return inline; }
  const r = await fetch(cfg.topojson.replace("NAME", encodeURIComponent(name)));
  if (!r.ok) { throw new Error("HTTP " + r.status); }
  return r.json();
}

function swapIn(group, index, features) {
  for (const f of features) {
    const old = index[f.properties.ags];
    if (old) { group.removeLayer(old); }
    group.addData(f);
  }
}

/** The Länder (of an index {ab_zoom, teile: {land: [w, s, e, n]}}) in view at its zoom. */
function partsInView(index) {
  if (!index || map.getZoom() < index.ab_zoom) { return []; }
  const view = map.getBounds();
  return Object.keys(index.teile).filter((land) => {
    const b = index.teile[land];
    return view.intersects(L.latLngBounds([b[1], b[0]], [b[3], b[2]]));
  });
}

function loadDetail() {
  showLevel();
  for (const land of partsInView(gemeindenIndex)) { ensureLand(land).catch(() => null); }
  for (const land of partsInView(detailIndex)) {
    if (detailParts[land]) { continue; }
    detailParts[land] = true;
    ensureLand(land).then(() => loadTopo("karte-" + land)).then((topo) => {
      const geo = topoFeatures(topo);
      swapIn(gemeindeLayer, layers, geo.gemeinden);
      swapIn(kreisLayer, kreisLayers, geo.kreise);
      restyle();
    }).catch(() => { detailParts[land] = false; });
  }
}

// the address as the server read it (a Leistung's name becomes its OZG-ID)
window.history.replaceState(null, "", window.location.pathname + query(store.get(), true));
apply(false);  // the figures load while the geometry does
if (cfg.embed) { loadUi().then(() => ui.announceHeight()); }
const geometry = loadTopo("uebersicht").then((topo) => {
  const geo = topoFeatures(topo);
  geo.gemeinden = geo.gemeinden || [];
  const renderer = geo.gemeinden.length > 2000 ? L.canvas() : undefined;
  detailIndex = topo.detail || null;
  gemeindenIndex = KREISWEISE ? topo.gemeinden : null;
  if (KREISWEISE) {
    kreisFill = L.geoJSON(geo.kreise, { style: kreisStyle, smoothFactor: 0,
      onEachFeature: (feature, layer) => {
        kreisFillLayers[feature.properties.ags] = layer;
        kreisNames[feature.properties.ags] = feature.properties.name;
      } });
    // a tap on a Kreis brings its Gemeinden
    kreisFill.on("click", (ev) => map.fitBounds(ev.layer.getBounds(), { padding: [10, 10] }));
    landLayer = L.geoJSON(geo.laender, { interactive: false, smoothFactor: 0,
      style: () => ({ fill: false, color: "#222222", weight: 1.4 }) });
  }
  gemeindeLayer = L.geoJSON(geo.gemeinden, {
    style, renderer, smoothFactor: 0,
    onEachFeature: (feature, layer) => { layers[feature.properties.ags] = layer; },
  });
  gemeindeLayer.on("click", (ev) => {
    const p = ev.layer.feature.properties;
    if (inScope(p)) { select(p.ags, "tap"); }
  });
  kreisLayer = L.geoJSON(geo.kreise, { interactive: false, renderer, smoothFactor: 0,
    onEachFeature: (feature, layer) => {
      kreisLayers[feature.properties.ags] = layer;
      kreisNames[feature.properties.ags] = feature.properties.name;
    },
    style: () => ({ fill: false, color: "#222222", weight: 1.6 }) });
  zoomToScope(false);
  if (store.get().gebiet) {
    const ags = store.get().gebiet;
    ensureLand(ags.slice(0, 2)).then(() => { markSelected(); showOnMap(ags, false); }).catch(() => null);
  }
  if (kreisFill) { kreisFill.addTo(map); }
  if (!KREISWEISE || gemeindenShown()) { gemeindeLayer.addTo(map); kreisLayer.addTo(map); }
  if (landLayer) { landLayer.addTo(map); }
  map.getContainer().setAttribute("aria-label", "Karte der Gemeinden nach Umsetzungsgrad. Pfeiltasten verschieben, Enter wählt die Gemeinde in der Mitte"
    + (KREISWEISE ? " (in der Übersicht der Kreise: zeigt die Gemeinden des Kreises in der Mitte)" : "") + "; alle Gemeinden im Ausschnitt stehen in der Liste A–Z.");
  for (const l of Object.values(layers)) { if (l._path) { l._path.setAttribute("tabindex", "-1"); } }
  markSelected();
  showStatus();  // when the figures came first; else loadFigures() will
  map.on("moveend", loadDetail);
  map.on("moveend", fillAz);
  loadDetail();
  return geo;
}).then((geo) => loadUi().then(() => {
  // hover is a bonus, never needed: a tap selects and the panel shows the same figure
  if (window.matchMedia("(hover: hover)").matches) {
    gemeindeLayer.bindTooltip(ui.clampedTooltip(map)(tooltip, { sticky: true }));
    if (kreisFill) { kreisFill.bindTooltip(ui.clampedTooltip(map)(kreisTooltip, { sticky: true })); }
  }
  labels = ui.createLabelLayer(map, { isSelected: (ags) => store.get().gebiet === ags, inScope });
  labels.add("gemeinde", Object.values(layers).map((l) => l.feature));  // with the Länder loaded so far
  labels.add("kreis", geo.kreise);
  labels.layout();
  // what lies on the map changed size: names move out of its way
  for (const d of document.querySelectorAll(".mapwrap details")) { d.addEventListener("toggle", () => labels.layout()); }
})).catch((e) => { statusEl.textContent = "Karte konnte nicht geladen werden: " + e.message; });
