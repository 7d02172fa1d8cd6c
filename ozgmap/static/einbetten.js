/* /einbetten: filters reload the page (new snippet and preview); the copy button copies. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  form.addEventListener("change", function (ev) {
    if (ev.target && ev.target.name === "leistung" && !/^\d*$/.test(ev.target.value.trim())) { return; }
    form.submit();
  });
  document.getElementById("copy").addEventListener("click", function () {
    var ta = document.getElementById("snippet"), msg = document.getElementById("copy-msg");
    ta.select();
    var done = function () { msg.textContent = "Kopiert."; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(ta.value).then(done, function () { document.execCommand("copy"); done(); });
    } else { document.execCommand("copy"); done(); }
  });
})();
