// While the server reads a document or decides a case, follow it: ask for
// the case every second and a half, and show the next step as soon as its
// status changes (instead of reloading the whole page every few seconds).
(function () {
  "use strict";
  var el = document.getElementById("progress-watch");
  if (!el) return;
  var url = "/v1/verifications/" + encodeURIComponent(el.dataset.case);
  var waited = 0;
  async function poll() {
    try {
      var res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (res.ok) {
        var v = await res.json();
        var doc = (v.document && v.document.status) || "";
        if (v.status !== el.dataset.status || doc !== el.dataset.document) { location.reload(); return; }
      }
    } catch (e) { /* the network hiccuped: try again */ }
    waited += 1500;
    setTimeout(poll, waited > 60000 ? 5000 : 1500);
  }
  setTimeout(poll, 1000);
})();
