/* The selection panel's frame: on wide screens it stays in the side column (scrolled to);
   on phones and in a narrow embed it is a bottom sheet over the map: peek (name and
   headline), half, full; a button or a drag on its handle changes the size; it closes. */
export const SIZES = ["peek", "half", "full"];

/** The size a drag ends in: the nearest of peek/half/full to *height* (px) in a view of
    *viewH*, or "closed" when dragged well below the peek height *peekH*. */
export function snapSize(height, viewH, peekH) {
  if (height < peekH * 0.6) { return "closed"; }
  const targets = { peek: peekH, half: viewH * 0.5, full: viewH * 0.92 };
  return Object.keys(targets).reduce((a, b) => (Math.abs(targets[a] - height) <= Math.abs(targets[b] - height) ? a : b));
}

export function createSheet(root, { onClose, onResize = () => {}, query = "(max-width: 760px)" }) {
  const mq = window.matchMedia(query);
  const isSheet = () => mq.matches;
  const handle = root.querySelector(".sheet-handle"), closeBtn = root.querySelector(".sheet-close");

  function setSize(size) {
    const changed = root.dataset.size !== size;
    root.dataset.size = size;
    root.style.height = "";
    if (changed && root.classList.contains("open")) { onResize(size); }
    if (handle) {
      handle.setAttribute("aria-label", size === "full" ? "Bereich verkleinern" : "Bereich vergrößern");
      handle.setAttribute("aria-expanded", size === "peek" ? "false" : "true");
    }
  }

  function open(size) {
    root.hidden = false;
    root.classList.add("open");
    document.body.classList.add("sheet-open");
    if (isSheet()) { setSize(size || root.dataset.size || "peek"); }
  }

  function close() {
    root.classList.remove("open");
    document.body.classList.remove("sheet-open");
    if (isSheet()) { root.hidden = true; }
  }

  if (handle) {
    handle.addEventListener("click", (ev) => {
      if (handle.dataset.dragged) { delete handle.dataset.dragged; ev.preventDefault(); return; }
      const i = SIZES.indexOf(root.dataset.size || "peek");
      setSize(SIZES[(i + 1) % SIZES.length]);
    });
    let startY = null, startH = 0;
    handle.addEventListener("pointerdown", (ev) => { startY = ev.clientY; startH = root.offsetHeight; handle.setPointerCapture(ev.pointerId); });
    handle.addEventListener("pointermove", (ev) => {
      if (startY === null || Math.abs(ev.clientY - startY) < 6) { return; }
      handle.dataset.dragged = "1";
      root.style.height = Math.max(40, startH + startY - ev.clientY) + "px";
      root.dataset.size = "drag";
    });
    handle.addEventListener("pointerup", (ev) => {
      if (startY === null) { return; }
      const moved = Math.abs(ev.clientY - startY) >= 6;
      startY = null;
      if (!moved) { return; }
      const peekH = root.querySelector(".panel-head") ? root.querySelector(".panel-head").offsetHeight + handle.offsetHeight : 90;
      const s = snapSize(root.offsetHeight, window.innerHeight, peekH);
      if (s === "closed") { setSize("peek"); onClose(); } else { setSize(s); }
    });
  }
  if (closeBtn) { closeBtn.addEventListener("click", () => onClose()); }
  root.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && root.classList.contains("open")) { onClose(); } });
  return { open, close, isSheet, setSize };
}
