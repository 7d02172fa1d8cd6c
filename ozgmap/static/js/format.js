/* Pure formatting: the headline figure shared by tooltip and panel, the providers' line. */

export function pct(share) {
  return share === null || share === undefined ? "keine Daten" : Math.round(share * 100) + " %";
}

/** The headline figure: "88 von 405 online (22 %)" — the same words in tooltip and panel. */
export function headline(fig) {
  if (!fig || fig.online === null || fig.online === undefined || !fig.leistungen_im_filter) {
    return "keine Daten";
  }
  return `${fig.online} von ${fig.leistungen_im_filter} online (${pct(fig.anteil)})`;
}

/** "Gemeinde 20 · Kreis 31 · Land 25 · Bund 12" (providers with at least one Leistung). */
export function providerLine(anbieter) {
  const names = [["gemeinde", "Gemeinde"], ["kreis", "Kreis"], ["land", "Land"], ["bund", "Bund"]];
  return names.filter(([k]) => anbieter && anbieter[k]).map(([k, n]) => `${n} ${anbieter[k]}`).join(" · ");
}
