/* ozgmap: the map's behaviour. Geometry is fetched once; a filter change fetches only the
   figures (/api/umsetzung) and restyles. Every name from the data is put into the page with
   textContent, never as HTML. The whole view state lives in the URL (permalink, back/forward). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("ozgmap-config").textContent);
  var map = window[cfg.map];
  if (!map) { return; }
  /* the filter parameters and their defaults, as the server defines them (ozgmap.filters) */
  var FILTERS = cfg.filter_definition.map(function (d) { return d.name; });
  var DEFAULTS = {};
  cfg.filter_definition.forEach(function (d) { if (d.default) { DEFAULTS[d.name] = d.default; } });
  var form = document.getElementById("filters");
  var statusEl = document.getElementById("map-status");
  var detail = document.getElementById("detail");
  var figures = {};
  var layers = {};
  var gemeindeLayer = null, kreisLayer = null;
  var state = serverState();

  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(cfg.attribution);

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function readUrl() {
    var p = new URLSearchParams(window.location.search), s = {};
    FILTERS.concat(["gebiet"]).forEach(function (k) { if (p.get(k)) { s[k] = p.get(k); } });
    return s;
  }

  /* The filter as the server read it (a Leistung typed by name comes as its OZG-ID, one it
     could not resolve not at all), with the selection from the URL. */
  function serverState() {
    var s = readUrl();
    FILTERS.forEach(function (k) { delete s[k]; if (cfg.filter && cfg.filter[k]) { s[k] = cfg.filter[k]; } });
    return s;
  }

  function query(s, withGebiet, extra) {
    var p = new URLSearchParams();
    FILTERS.forEach(function (k) {
      if (s[k] && s[k] !== DEFAULTS[k]) { p.set(k, s[k]); }
    });
    if (withGebiet && s.gebiet) { p.set("gebiet", s.gebiet); }
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    var q = p.toString();
    return q ? "?" + q : "";
  }

  function formState() {
    var s = {};
    var fd = new FormData(form);
    FILTERS.forEach(function (k) { var v = fd.get(k); if (v) { s[k] = String(v).trim(); } });
    return s;
  }

  function syncForm(s) {
    if (!form) { return; }
    FILTERS.forEach(function (k) {
      var inputs = form.querySelectorAll('[name="' + k + '"]');
      inputs.forEach(function (i) {
        if (i.type === "radio") { i.checked = (i.value === (s[k] || DEFAULTS[k])); }
        else if (i.type === "checkbox") { i.checked = !!s[k] && s[k] !== "0"; }
        else { i.value = s[k] || DEFAULTS[k] || ""; }
      });
    });
  }

  function colour(share) {
    if (share === null || share === undefined) { return cfg.no_data; }
    for (var i = 0; i < cfg.legend.length; i++) {
      if (share < cfg.legend[i].max || i === cfg.legend.length - 1) { return cfg.legend[i].colour; }
    }
    return cfg.legend[cfg.legend.length - 1].colour;
  }

  function inScope(props) { return !state.kreis || props.kreis_ags === state.kreis; }

  function style(feature) {
    var p = feature.properties;
    if (!inScope(p)) {
      return { fillColor: "#ffffff", fillOpacity: 0.6, color: "#bbbbbb", weight: 0.5 };
    }
    var f = figures[p.ags];
    return { fillColor: colour(f ? f.anteil : null), fillOpacity: 0.9, color: "#ffffff",
             weight: 0.7 };
  }

  function pct(v) { return v === null || v === undefined ? "keine Daten" : Math.round(v * 100) + " %"; }

  function tooltip(layer) {
    var p = layer.feature.properties, f = figures[p.ags];
    var box = el("div", { "class": "tt" });
    box.appendChild(el("strong", null, p.name));
    box.appendChild(el("div", null, (kreisNames[p.kreis_ags] || "") + " · AGS " + p.ags));
    box.appendChild(el("div", null, f && f.online !== null
      ? pct(f.anteil) + " (" + f.online + " von " + f.leistungen_im_filter + ")" : "keine Daten"));
    if (f && f.beispieldaten) { box.appendChild(el("div", { "class": "sample" }, "Beispieldaten")); }
    return box;
  }

  function restyle() {
    if (!gemeindeLayer) { return; }
    gemeindeLayer.setStyle(style);
    if (kreisLayer) { kreisLayer.bringToFront(); }
    showStatus();
  }

  function showStatus() {
    var shown = 0, nodata = 0;
    Object.keys(figures).forEach(function (a) { shown++; if (figures[a].anteil === null) { nodata++; } });
    if (gemeindeLayer && figuresLoaded) {
      statusEl.textContent = shown + " Gemeinden dargestellt" + (nodata ? ", " + nodata + " ohne Daten" : "") + ".";
    }
  }

  /* The page's own filter comes from the URL the page preloads (cfg.figures): the browser
     fetches it while it parses the page. Later filters build their query. */
  var firstFigures = cfg.figures, figuresLoaded = false;

  function loadFigures() {
    statusEl.textContent = "Daten werden geladen …";
    var url = firstFigures || cfg.api + query(state, false, { felder: cfg.felder });
    firstFigures = null;
    return fetch(url)
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (!res.ok) { throw new Error(res.j.error ? res.j.error.message : "Fehler"); }
        figures = {};
        var legendWhat = document.getElementById("legend-what");
        if (legendWhat && res.j.legende) { legendWhat.textContent = res.j.legende; }
        res.j.gebiete.forEach(function (g) { figures[g.ags] = g; });
        figuresLoaded = true;
        restyle();
      })
      .catch(function (e) { statusEl.textContent = "Daten konnten nicht geladen werden: " + e.message; });
  }

  function scopeBounds() {
    if (state.kreis && kreisLayers[state.kreis]) { return kreisLayers[state.kreis].getBounds(); }
    return gemeindeLayer ? gemeindeLayer.getBounds() : null;
  }

  /* Fit the view to the chosen Kreis or the whole area (on load without animation, before
     the shapes are on the map, so that they are projected and drawn once). */
  function zoomToScope(animate) {
    var b = scopeBounds();
    if (!b) { return; }
    map.fitBounds(b, { padding: state.kreis ? [10, 10] : [0, 0], animate: animate !== false });
  }

  function renderBody(b) {
    detail.textContent = "";
    var h = el("h2", { id: "detail-title", tabindex: "-1" }, b.name + " ");
    var sub = el("span", { "class": "sub" }, b.bez + (b.kreis && b.ebene === "gemeinde" ? ", " + b.kreis : ""));
    h.appendChild(sub);
    detail.appendChild(h);
    detail.appendChild(el("p", null, b.anzahl + " Angebote " + (b.ansicht === "eigene"
      ? "der Gemeinde selbst" : "für die Einwohner (Gemeinde, Kreis, Land, Bund)") + " im gewählten Filter"
      + (b.nicht_gezaehlt ? ", dazu " + b.nicht_gezaehlt + " nicht gezählte" : "") + "."));
    if (b.beispieldaten) {
      var note = el("p", { "class": "notice sample body-data" });
      note.appendChild(el("strong", null, "Beispieldaten:"));
      note.appendChild(document.createTextNode(" Die Angaben hier sind " + (b.nur_beispieldaten ? "" : "teils ")
        + "erzeugte Beispieldaten, keine echten Umsetzungsstände."));
      detail.appendChild(note);
    }
    (b.stand || []).forEach(function (s) { detail.appendChild(el("p", { "class": "stand body-data" }, s.text)); });
    var links = el("p", { "class": "detail-links" });
    var nb = el("a", { href: "/nachbarn?ags=" + encodeURIComponent(b.ags) }, "Nachbarn vergleichen");
    links.appendChild(nb);
    detail.appendChild(links);
    if (!b.themenfelder.length) { detail.appendChild(el("p", null, "Keine Angebote im gewählten Filter.")); }
    b.themenfelder.forEach(function (tf, i) {
      var d = el("details", { "class": "tf" });
      if (i === 0) { d.open = true; }
      d.appendChild(el("summary", null, tf.name + " (" + tf.leistungen.length + ")"));
      var ul = el("ul", { "class": "offers" });
      tf.leistungen.forEach(function (o) {
        var li = el("li");
        var label = o.leistung + (o.leika_name && o.leika_name !== o.leistung ? ": " + o.leika_name : "");
        if (o.url && /^https?:\/\//i.test(o.url)) {
          var a = el("a", { href: o.url, target: "_blank", rel: "noopener noreferrer" }, label);
          li.appendChild(a);
        } else { li.appendChild(document.createTextNode(label)); }
        var meta = o.anbieter + (o.anbieter !== "Gemeinde" ? ": " + o.anbieter_name : "") + " · " + o.status;
        if (o.reifegrad !== null) { meta += " · Reifegrad " + o.reifegrad; }
        if (o.seit) { meta += " · seit " + o.seit; }
        if (o.leika_key) { meta += " · LeiKa " + o.leika_key; }
        if (o.stelle) { meta += " · zuständig: " + o.stelle; }
        li.appendChild(el("span", { "class": "meta" }, meta));
        if (!o.gezaehlt) {
          li.appendChild(el("span", { "class": "meta uncounted" }, "nicht gezählt: " + o.flaechendeckung
            + (o.hinweis ? " – " + o.hinweis : "")));
        }
        li.appendChild(el("span", { "class": "source" + (o.beispieldaten ? " sample" : "") }, "Quelle: " + o.quelle));
        ul.appendChild(li);
      });
      d.appendChild(ul);
      detail.appendChild(d);
    });
  }

  function selectBody(ags, focus) {
    if (!ags) { return Promise.resolve(); }
    return fetch(cfg.body_api + encodeURIComponent(ags) + query(state, false))
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (!res.ok) { throw new Error(res.j.error ? res.j.error.message : "Fehler"); }
        renderBody(res.j);
        Object.keys(layers).forEach(function (a) {
          if (a === ags) { layers[a].setStyle({ color: "#000000", weight: 3 }); layers[a].bringToFront(); }
        });
        if (focus) { document.getElementById("detail-title").focus(); }
      })
      .catch(function (e) { detail.textContent = "Details konnten nicht geladen werden: " + e.message; });
  }

  /* The suggestion lists come empty with the page (filled, they were three quarters of its
     bytes) and are filled when their field is first used: the Gemeinden from the geometry,
     the Leistungen of the chosen Themenfeld from /api/leistungen, anew on each change. */
  var listThemenfeld = null;  // whose Leistungen the list holds; null: none yet

  function refreshLeistungen(first) {
    var tf = state.themenfeld || "", list = document.getElementById("leistungen-liste");
    if (!list || (listThemenfeld === null && !first) || tf === listThemenfeld) { return; }
    listThemenfeld = tf;
    fetch(cfg.leistungen_api + (tf ? "?themenfeld=" + encodeURIComponent(tf) : ""))
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (j) {
        if (listThemenfeld !== tf) { return; }  // another Themenfeld was chosen meanwhile
        list.textContent = "";
        j.leistungen.forEach(function (l) { list.appendChild(el("option", { value: l.ozg_id }, l.name)); });
      })
      .catch(function () { listThemenfeld = null; });  // try again when the field is next used
  }

  /* [AGS, name] of every Gemeinde the search offers, by name (in an embed for a Kreis, its
     own only): from the geometry, once it is drawn. */
  var gemeindenByName = null;

  function gemeinden() {
    if (!gemeindenByName) {
      gemeindenByName = [];
      Object.keys(layers).forEach(function (ags) {
        var p = layers[ags].feature.properties;
        if (!cfg.embed || !cfg.kreis || p.kreis_ags === cfg.kreis) { gemeindenByName.push([ags, p.name]); }
      });
      gemeindenByName.sort(function (a, b) { return a[1].localeCompare(b[1], "de"); });
    }
    return gemeindenByName;
  }

  function fillGemeinden() {
    var list = document.getElementById("gemeinden-liste");
    if (!list || list.firstChild) { return; }
    gemeinden().forEach(function (g) { list.appendChild(el("option", { value: g[1] }, g[0])); });
  }

  document.addEventListener("focusin", function (ev) {
    var which = ev.target.getAttribute && ev.target.getAttribute("list");
    if (which === "leistungen-liste") { refreshLeistungen(true); }
    if (which === "gemeinden-liste") { geometry.then(fillGemeinden); }
  });

  function apply(push) {
    var url = window.location.pathname + query(state, true);
    if (push) { window.history.pushState(state, "", url); }
    syncForm(state);
    refreshLeistungen();
    return loadFigures().then(function () { return selectBody(state.gebiet, false); });
  }

  function onFilterChange() {
    var s = formState();
    s.gebiet = state.gebiet;
    var kreisChanged = s.kreis !== state.kreis;
    state = s;
    apply(true);
    if (kreisChanged) { zoomToScope(); }
  }

  if (form) form.addEventListener("change", function (ev) {
    if (ev.target && ev.target.name === "leistung") {
      var v = ev.target.value.trim();
      if (v && !/^\d+$/.test(v)) { return; }  // still typing a name: wait for a choice
    }
    onFilterChange();
  });
  if (form) form.addEventListener("submit", function (ev) { ev.preventDefault(); onFilterChange(); });
  window.addEventListener("popstate", function () {
    var before = state.kreis;
    state = readUrl();
    apply(false);
    if (state.kreis !== before) { zoomToScope(); }
  });

  var search = document.getElementById("search");
  var searchMsg = document.getElementById("search-msg");
  search.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = document.getElementById("q").value.trim().toLowerCase();
    if (q) { geometry.then(function () { find(q); }); }
  });

  function find(q) {
    var all = gemeinden();
    var hits = all.filter(function (g) { return g[0] === q || g[1].toLowerCase() === q; });
    if (!hits.length) { hits = all.filter(function (g) { return g[1].toLowerCase().indexOf(q) >= 0; }); }
    if (hits.length === 1) {
      var ags = hits[0][0];
      searchMsg.textContent = hits[0][1] + " gefunden.";
      if (state.kreis && ags.slice(0, 5) !== state.kreis) { state.kreis = undefined; syncForm(state); }
      state.gebiet = ags;
      // one render of the details, then focus on them (a second render would drop the focus)
      apply(true).then(function () {
        var title = document.getElementById("detail-title");
        if (title) { title.focus(); }
      });
      if (layers[ags]) { map.fitBounds(layers[ags].getBounds(), { maxZoom: 11 }); }
    } else if (hits.length > 1) {
      searchMsg.textContent = hits.length + " Treffer: " + hits.slice(0, 8).map(function (g) { return g[1]; }).join(", ") + (hits.length > 8 ? " …" : "") + ". Bitte genauer.";
    } else {
      searchMsg.textContent = "Keine Gemeinde gefunden.";
    }
  }

  /* Geometry comes as TopoJSON (every border once, on an integer grid): first the overview
     of all Gemeinden and Kreise, simplified for small scales; from zoom detail.ab_zoom on, the
     detailed part of each Land in view replaces its overview shapes (once per Land). */
  var kreisLayers = {}, kreisNames = {}, detailIndex = null, detailParts = {};

  function loadTopo(name) {
    var url = cfg.topojson.replace("NAME", encodeURIComponent(name));
    return fetch(url).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  function topoFeatures(topo) {
    var t = topo.transform, out = {};
    var arcs = topo.arcs.map(function (arc) {
      var x = 0, y = 0;
      return arc.map(function (d) {
        x += d[0]; y += d[1];
        return [x * t.scale[0] + t.translate[0], y * t.scale[1] + t.translate[1]];
      });
    });
    function ring(ids) {
      var pts = [];
      ids.forEach(function (i) {
        var a = i >= 0 ? arcs[i] : arcs[~i].slice().reverse();
        for (var k = pts.length ? 1 : 0; k < a.length; k++) { pts.push(a[k]); }
      });
      return pts;
    }
    Object.keys(topo.objects).forEach(function (name) {
      out[name] = topo.objects[name].geometries.map(function (g) {
        var polys = (g.type === "MultiPolygon" ? g.arcs : [g.arcs]).map(function (p) { return p.map(ring); });
        return { type: "Feature", properties: g.properties,
                 geometry: { type: g.type, coordinates: g.type === "MultiPolygon" ? polys : polys[0] } };
      });
    });
    return out;
  }

  function swapIn(group, index, features) {
    features.forEach(function (f) {
      var old = index[f.properties.ags];
      if (old) { group.removeLayer(old); }
      group.addData(f);
    });
  }

  function loadDetail() {
    if (!detailIndex || map.getZoom() < detailIndex.ab_zoom) { return; }
    var view = map.getBounds();
    Object.keys(detailIndex.teile).forEach(function (land) {
      var b = detailIndex.teile[land];
      if (detailParts[land] || !view.intersects(L.latLngBounds([b[1], b[0]], [b[3], b[2]]))) { return; }
      detailParts[land] = true;
      loadTopo("karte-" + land).then(function (topo) {
        var geo = topoFeatures(topo);
        swapIn(gemeindeLayer, layers, geo.gemeinden);
        swapIn(kreisLayer, kreisLayers, geo.kreise);
        restyle();
        markSelected();
      }).catch(function () { detailParts[land] = false; });
    });
  }

  function markSelected() {
    var sel = state.gebiet && layers[state.gebiet];
    if (sel) { sel.setStyle({ color: "#000000", weight: 3 }); sel.bringToFront(); }
  }

  // the address as the server read it (a Leistung's name becomes its OZG-ID)
  window.history.replaceState(state, "", window.location.pathname + query(state, true));
  apply(false);  // the figures load while the geometry does
  var geometry = loadTopo("uebersicht")
    .then(function (topo) {
      var geo = topoFeatures(topo);
      // thousands of shapes (all of Germany) draw much faster on a canvas than as SVG
      var renderer = geo.gemeinden.length > 2000 ? L.canvas() : undefined;
      detailIndex = topo.detail || null;
      // The server simplified the shapes for this scale already, so Leaflet need not again
      // (smoothFactor 0: one pass less over every point on each redraw). One tooltip and one
      // click handler serve the whole group. The view is set before the shapes are added, so
      // they are projected and drawn once.
      gemeindeLayer = L.geoJSON(geo.gemeinden, {
        style: style, renderer: renderer, smoothFactor: 0,
        onEachFeature: function (feature, layer) { layers[feature.properties.ags] = layer; }
      });
      gemeindeLayer.bindTooltip(tooltip, { sticky: true });
      gemeindeLayer.on("click", function (ev) {
        var props = ev.layer.feature.properties;
        if (!inScope(props)) { return; }
        state.gebiet = props.ags;
        window.history.pushState(state, "", window.location.pathname + query(state, true));
        restyle();
        selectBody(state.gebiet, false);
      });
      kreisLayer = L.geoJSON(geo.kreise, { interactive: false, renderer: renderer, smoothFactor: 0,
        onEachFeature: function (feature, layer) {
          kreisLayers[feature.properties.ags] = layer;
          kreisNames[feature.properties.ags] = feature.properties.name;
        },
        style: function () { return { fill: false, color: "#222222", weight: 1.6 }; } });
      zoomToScope(false);
      gemeindeLayer.addTo(map);
      kreisLayer.addTo(map);
      map.getContainer().setAttribute("aria-label", "Karte: Gemeinden nach Umsetzungsgrad; Details per Suche, Liste oder Tabelle");
      showStatus();  // when the figures came first; else loadFigures() will
      markSelected();
      map.on("moveend", loadDetail);
      loadDetail();
    })
    .catch(function (e) { statusEl.textContent = "Karte konnte nicht geladen werden: " + e.message; });
})();
