/* ozgmap, optional for host pages: gives every iframe with the OZG-Landkarte the height the
   map asks for (a postMessage {type: "ozgmap:hoehe", height}). Include once, anywhere:
     <script src="https://<ozgmap server>/static/ozgmap-hoehe.js" defer></script>
   Only messages from frames of this script's own origin are followed; the height is kept
   between 300 and 1200 px. Without this script the iframe keeps its own height and works. */
(function () {
  "use strict";
  var me = document.currentScript && new URL(document.currentScript.src, location.href).origin;
  window.addEventListener("message", function (ev) {
    var d = ev.data;
    if (!d || d.type !== "ozgmap:hoehe" || typeof d.height !== "number" || (me && ev.origin !== me)) { return; }
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === ev.source) {
        frames[i].style.height = Math.max(300, Math.min(1200, Math.round(d.height))) + "px";
      }
    }
  });
})();
