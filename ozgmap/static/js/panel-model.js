/* The selection panel's content, as data: from /api/gebiete/<ags> (its `kopf` and
   `uebersicht`), or, from an older server that answers without them, computed from its
   offer list, the map's figure and the catalogue (the same arithmetic as the server's). */

const PROVIDER_RANK = { gemeinde: 0, kreis: 1, land: 2, bund: 3 };
const PROVIDER_NAME = { gemeinde: "Gemeinde", kreis: "Kreis", land: "Land", bund: "Bund" };
const key = (anbieter) => String(anbieter || "").toLowerCase();

/** "Kreis" for "kreis" (the API's key) or "Kreis". */
export function providerName(anbieter) { return PROVIDER_NAME[key(anbieter)] || String(anbieter || ""); }

/** Is the answer of the new shape (headline and per-Themenfeld overview)? */
export function hasOverview(body) { return !!(body && body.kopf && Array.isArray(body.uebersicht)); }

/** The new shape from the old one: *body* (themenfelder[].leistungen[] offers), *figure*
    ({leistungen_im_filter, online, anteil} of the map), *catalogue* (/api/leistungen rows),
    *filter* (the state: themenfeld, leistung), *nachbarnUrl(ozg_id)*. */
export function overviewFromOffers(body, figure, catalogue, filter, nachbarnUrl) {
  const wanted = catalogue.filter((l) => (filter.leistung ? l.ozg_id === filter.leistung
    : l.kommunal && (!filter.themenfeld || String(l.themenfeld_id) === String(filter.themenfeld))));
  const wantedIds = new Set(wanted.map((l) => l.ozg_id));
  const offers = {};
  for (const tf of body.themenfelder || []) {
    for (const o of tf.leistungen) {
      if (!wantedIds.has(o.ozg_id)) { continue; }
      (offers[o.ozg_id] = offers[o.ozg_id] || []).push(o);
    }
  }
  const anbieter = { gemeinde: 0, kreis: 0, land: 0, bund: 0 };
  const byTf = new Map();
  for (const l of wanted) {
    if (!byTf.has(l.themenfeld_id)) {
      byTf.set(l.themenfeld_id, { id: l.themenfeld_id, name: l.themenfeld, im_filter: 0, online: 0,
        online_leistungen: [], offen_leistungen: [] });
    }
    const row = byTf.get(l.themenfeld_id), os = offers[l.ozg_id];
    row.im_filter++;
    if (os) {
      os.sort((a, b) => PROVIDER_RANK[key(a.anbieter)] - PROVIDER_RANK[key(b.anbieter)]);
      const first = os[0];
      row.online++;
      anbieter[key(first.anbieter)]++;
      row.online_leistungen.push({ ozg_id: l.ozg_id, name: l.name, anbieter: key(first.anbieter),
        anbieter_name: first.anbieter_name,
        url: first.url, varianten: os.map((o) => ({ leika_key: o.leika_key, name: o.leika_name || o.leistung,
          url: o.url, status: o.status, quelle: o.quelle, seit: o.seit, anbieter: key(o.anbieter),
          anbieter_name: o.anbieter_name, beispieldaten: o.beispieldaten })) });
    } else {
      row.offen_leistungen.push({ ozg_id: l.ozg_id, name: l.name, nachbarn_url: nachbarnUrl(l.ozg_id) });
    }
  }
  const uebersicht = [...byTf.values()].sort((a, b) => a.id - b.id);
  for (const r of uebersicht) {
    r.online_leistungen.sort((a, b) => a.name.localeCompare(b.name, "de"));
    r.offen_leistungen.sort((a, b) => a.name.localeCompare(b.name, "de"));
  }
  return { ...body, kopf: { leistungen_im_filter: figure ? figure.leistungen_im_filter : wanted.length,
    online: figure ? figure.online : null, anteil: figure ? figure.anteil : null, anbieter,
    beispieldaten: !!body.beispieldaten }, uebersicht };
}

/** One Themenfeld row's words and bar: "6 von 30", share 0..1. */
export function rowFigure(row) {
  if (row.online === null || row.online === undefined) { return { text: "keine Daten", share: 0 }; }
  return { text: `${row.online} von ${row.im_filter}`, share: row.im_filter ? row.online / row.im_filter : 0 };
}

/** Only http(s) URLs become links; anything else (javascript:, data:) stays text. */
export function isWebLink(url) { return typeof url === "string" && /^https?:\/\//i.test(url); }
