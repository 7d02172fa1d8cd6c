/* What the first drawing of the map needs, pure: TopoJSON (every border once, on an integer
   grid) to GeoJSON features, and the legend's class colour of a share. */

/** Fill colour of a share (0..1) by the legend's classes [{max, colour}], or *noData*. */
export function colourFor(share, legend, noData) {
  if (share === null || share === undefined) { return noData; }
  for (let i = 0; i < legend.length; i++) {
    if (share < legend[i].max || i === legend.length - 1) { return legend[i].colour; }
  }
  return noData;
}

/** GeoJSON features per object of a TopoJSON topology. */
export function topoFeatures(topo) {
  const t = topo.transform, out = {};
  const arcs = topo.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map((d) => { x += d[0]; y += d[1]; return [x * t.scale[0] + t.translate[0], y * t.scale[1] + t.translate[1]]; });
  });
  const ring = (ids) => {
    const pts = [];
    for (const i of ids) {
      const a = i >= 0 ? arcs[i] : arcs[~i].slice().reverse();
      for (let k = pts.length ? 1 : 0; k < a.length; k++) { pts.push(a[k]); }
    }
    return pts;
  };
  for (const name of Object.keys(topo.objects)) {
    out[name] = topo.objects[name].geometries.map((g) => {
      const polys = (g.type === "MultiPolygon" ? g.arcs : [g.arcs]).map((p) => p.map(ring));
      return { type: "Feature", properties: g.properties,
        geometry: { type: g.type, coordinates: g.type === "MultiPolygon" ? polys : polys[0] } };
    });
  }
  return out;
}
