/* The embed tells the page around it which height suits it (postMessage), for the optional
   auto-height script of host pages (static/ozgmap-hoehe.js, documented on /einbetten). A
   plain iframe ignores the message: the embed fits any height it is given. */

/** The height (px) the embed asks for at a frame width of *width*: a map about as tall as
    wide on phones (at least 500 px), two thirds of the width on wide frames, at most 800. */
export function preferredHeight(width) {
  if (width < 600) { return Math.max(500, Math.min(640, Math.round(width * 1.5))); }
  return Math.max(500, Math.min(800, Math.round(width * 0.66)));
}

export const MESSAGE = "ozgmap:hoehe";

export function announceHeight(win = window) {
  if (win.parent === win) { return; }
  const send = () => win.parent.postMessage({ type: MESSAGE, height: preferredHeight(win.innerWidth) }, "*");
  send();
  let last = win.innerWidth;
  win.addEventListener("resize", () => { if (win.innerWidth !== last) { last = win.innerWidth; send(); } });
}
