/* Building DOM from data: every name goes in as text, never as HTML. */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) { continue; }
    if (k === "class") { e.className = v; } else { e.setAttribute(k, v === true ? "" : v); }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) { continue; }
    e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return e;
}
