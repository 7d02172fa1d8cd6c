/* A Leaflet tooltip that never leaves the map (and so the viewport): after Leaflet places
   it, it is shifted back inside the map's box. */
import { clampBox } from "./geometry.js";

export function clampedTooltip(map) {
  const Clamped = L.Tooltip.extend({
    _setPosition(pos) {
      L.Tooltip.prototype._setPosition.call(this, pos);
      const box = this._container, size = map.getSize();
      if (!box) { return; }
      const at = map.layerPointToContainerPoint(L.DomUtil.getPosition(box));
      // the part of the map box that is in the viewport
      const r = map.getContainer().getBoundingClientRect();
      const top = Math.max(0, -r.top), left = Math.max(0, -r.left);
      const H = Math.min(size.y, window.innerHeight - r.top), W = Math.min(size.x, window.innerWidth - r.left);
      const [x, y] = clampBox(at.x - left, at.y - top, box.offsetWidth, box.offsetHeight, W - left, H - top);
      L.DomUtil.setPosition(box, map.containerPointToLayerPoint([x + left, y + top]));
    },
  });
  return (content, options) => new Clamped(options).setContent(content);
}
