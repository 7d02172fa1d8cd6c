/* The selection panel: name and headline first, then one collapsed row per Themenfeld
   ("6 von 30" and a bar); opened, a row lists what is online (LeiKa variants folded under
   each OZG-Leistung) and what is not yet, with "Wer in der Nähe hat es?". */
import { el } from "./dom.js";
import { headline, providerLine } from "./format.js";
import { isWebLink, providerName, rowFigure } from "./panel-model.js";

function variantDetails(v) {
  const who = providerName(v.anbieter);
  const bits = [v.anbieter_name && who !== "Gemeinde" ? `${who}: ${v.anbieter_name}` : who,
    v.status, v.seit ? `seit ${v.seit}` : "", v.leika_key ? `LeiKa ${v.leika_key}` : "",
    v.quelle ? `Quelle: ${v.quelle}${v.beispieldaten ? " (Beispieldaten)" : ""}` : ""];
  return bits.filter(Boolean).join(" · ");
}

function onlineItem(o) {
  const name = isWebLink(o.url)
    ? el("a", { href: o.url, target: "_blank", rel: "noopener noreferrer" }, o.name) : el("span", null, o.name);
  const who = providerName(o.anbieter);
  const li = el("li", null, name, " ", el("span", { class: "badge prov-" + who.toLowerCase(),
    title: o.anbieter_name ? `${who}: ${o.anbieter_name}` : null }, who));
  const vs = o.varianten || [];
  if (vs.length) {
    const list = el("ul", { class: "variants" }, ...vs.map((v) => el("li", null,
      isWebLink(v.url) && vs.length > 1 ? el("a", { href: v.url, target: "_blank", rel: "noopener noreferrer" }, v.name || o.name)
        : (vs.length > 1 ? (v.name || o.name) : null),
      el("span", { class: "meta" }, variantDetails(v)))));
    li.appendChild(el("details", { class: "more" },
      el("summary", null, vs.length > 1 ? `${vs.length} Varianten` : "Details"), list));
  }
  return li;
}

function offenItem(o) {
  return el("li", null, el("span", null, o.name), o.nachbarn_url ? " " : null,
    o.nachbarn_url ? el("a", { class: "near", href: o.nachbarn_url }, "Wer in der Nähe hat es?") : null);
}

function themenfeldRow(row) {
  const fig = rowFigure(row);
  const bar = el("span", { class: "bar", "aria-hidden": "true" }, el("span"));
  bar.firstChild.style.width = Math.round(fig.share * 100) + "%";
  const d = el("details", { class: "tf" },
    el("summary", null, el("span", { class: "tf-name" }, row.name), el("span", { class: "tf-count" }, fig.text), bar));
  // the lists are built when the row is first opened (most rows never are): on the click
  // that opens it, so that the next Tab finds them, or on any other opening
  const fill = () => {
    if (d.dataset.filled) { return; }
    d.dataset.filled = "1";
    if (row.online_leistungen.length) {
      d.appendChild(el("h3", null, `Online (${row.online_leistungen.length})`));
      d.appendChild(el("ul", { class: "offers online" }, ...row.online_leistungen.map(onlineItem)));
    }
    if (row.offen_leistungen.length) {
      d.appendChild(el("h3", null, `Noch nicht online (${row.offen_leistungen.length})`));
      d.appendChild(el("ul", { class: "offers offen" }, ...row.offen_leistungen.map(offenItem)));
    }
  };
  d.firstChild.addEventListener("click", fill);
  d.addEventListener("toggle", () => { if (d.open) { fill(); } });
  return el("li", null, d);
}

/** What the panel says about its data: a Beispieldaten note where the shown offers rest on
    sample data (only there), the Stand of each real source, and records that count nowhere
    (with their Begründung). */
function dataNotes(body) {
  const out = [];
  if (body.beispieldaten) {
    out.push(el("p", { class: "notice sample" }, el("strong", null, "Beispieldaten:"),
      ` Die Angaben hier sind ${body.nur_beispieldaten ? "" : "teils "}erzeugte Beispieldaten, keine echten Umsetzungsstände.`));
  }
  for (const s of body.stand || []) { out.push(el("p", { class: "stand" }, s.text)); }
  const uncounted = (body.themenfelder || []).flatMap((t) => t.leistungen || []).filter((i) => i.gezaehlt === false);
  if (uncounted.length) {
    out.push(el("details", { class: "uncounted" },
      el("summary", null, `${uncounted.length} ${uncounted.length === 1 ? "Eintrag" : "Einträge"} nicht gezählt`),
      el("ul", null, ...uncounted.map((i) => el("li", null,
        `${i.leistung}: nicht gezählt: ${i.flaechendeckung}${i.hinweis ? " – " + i.hinweis : ""}`)))));
  }
  return out;
}

/** Fill *root* with the panel of *body* (new shape); *links*: {liste, json, csv, nachbarn}. */
export function renderPanel(root, body, links) {
  const k = body.kopf;
  root.textContent = "";
  const sub = body.bez + (body.kreis && body.ebene === "gemeinde" ? ", " + body.kreis : "");
  root.appendChild(el("div", { class: "panel-head" },
    el("h2", { id: "detail-title", tabindex: "-1" }, body.name, " ", el("span", { class: "sub" }, sub)),
    el("p", { class: "headline", id: "detail-headline" }, headline(k))));
  const prov = providerLine(k.anbieter);
  const body2 = el("div", { class: "panel-body" });
  if (prov) { body2.appendChild(el("p", { class: "providers" }, "Angeboten von: " + prov)); }
  body2.append(...dataNotes(body));
  body2.appendChild(el("p", { class: "detail-links" },
    el("a", { href: links.liste }, "Vollständige Liste"), " (", el("a", { href: links.json }, "JSON"), ", ",
    el("a", { href: links.csv }, "CSV"), ") · ", el("a", { href: links.nachbarn }, "Nachbarn vergleichen")));
  const rows = body.uebersicht.filter((r) => r.im_filter > 0);
  if (!rows.length) { body2.appendChild(el("p", null, "Keine Leistungen im gewählten Filter.")); }
  body2.appendChild(el("ul", { class: "tf-rows", "aria-label": "Themenfelder" }, ...rows.map(themenfeldRow)));
  root.appendChild(body2);
}
