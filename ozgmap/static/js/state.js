/* The one place for the view state: the filter (its names and defaults come from the
   server's filter definition, cfg.filter_definition), the selected Gemeinde (`gebiet`), and
   its translation to and from the URL, so that every view is a permalink. */

/** {name: default} of a filter definition [{name, default, values, label}]. */
export function defaults(definition) {
  const out = {};
  for (const d of definition) { if (d.default !== null && d.default !== undefined && d.default !== "") { out[d.name] = String(d.default); } }
  return out;
}

/** The state in a query string: the filter's parameters and `gebiet`, nothing else. */
export function readParams(search, definition) {
  const p = new URLSearchParams(search), s = {};
  for (const k of definition.map((d) => d.name).concat(["gebiet"])) {
    const v = p.get(k);
    if (v !== null && v.trim() !== "") { s[k] = v.trim(); }
  }
  return s;
}

/** "?a=b…" of a state: defaults left out (short permalinks), `gebiet` only if asked for. */
export function toQuery(state, definition, { withGebiet = false, extra = {} } = {}) {
  const p = new URLSearchParams(), dflt = defaults(definition);
  for (const d of definition) {
    const v = state[d.name];
    if (v !== undefined && v !== null && v !== "" && v !== dflt[d.name]) { p.set(d.name, v); }
  }
  if (withGebiet && state.gebiet) { p.set("gebiet", state.gebiet); }
  for (const [k, v] of Object.entries(extra)) { p.set(k, v); }
  const q = p.toString();
  return q ? "?" + q : "";
}

/** A small store: `get()`, `set(patch)` and `subscribe(fn)`; fn(state, changedKeys). */
export function createStore(initial) {
  let state = Object.fromEntries(Object.entries(initial).filter(([, v]) => v !== undefined && v !== ""));
  const subs = [];
  return {
    get: () => state,
    set(patch, replace = false) {
      const next = replace ? { ...patch } : { ...state, ...patch };
      for (const k of Object.keys(next)) { if (next[k] === undefined || next[k] === "") { delete next[k]; } }
      const changed = [...new Set([...Object.keys(state), ...Object.keys(next)])]
        .filter((k) => state[k] !== next[k]);
      state = next;
      if (changed.length) { subs.forEach((fn) => fn(state, changed)); }
      return changed;
    },
    subscribe(fn) { subs.push(fn); },
  };
}
