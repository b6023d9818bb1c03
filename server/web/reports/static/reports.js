/* The reports page: show the date fields that fit the chosen kind of period; the print page's
   button. A file of its own, not an inline script: pages run under script-src 'self'
   (docs/security.md). */
(function () {
  "use strict";
  var sel = QMS.$("period");
  if (sel) {
    var sync = function () {
      var range = sel.value === "range";
      document.querySelectorAll("#filters .range").forEach(function (el) { el.hidden = !range; });
      document.querySelectorAll("#filters .anchor").forEach(function (el) { el.hidden = range; });
    };
    sel.addEventListener("change", sync);
    sync();
  }
  var print = QMS.$("print-button");
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
})();
