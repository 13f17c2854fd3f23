// While the applicant's page waits (the server reading a document or
// deciding a case, a phone doing the steps), follow it: ask for the page's
// state every second and a half, and show the next step as soon as it
// changes (instead of reloading the whole page every few seconds).
(function () {
  "use strict";
  var el = document.getElementById("progress-watch");
  if (!el) return;
  var waited = 0;
  async function poll() {
    try {
      var res = await fetch("/verify/state", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (res.ok) {
        var s = await res.json();
        if (s.key !== el.dataset.state) { location.reload(); return; }
      }
    } catch (e) { /* the network hiccuped: try again */ }
    waited += 1500;
    setTimeout(poll, waited > 120000 ? 5000 : 1500);
  }
  setTimeout(poll, 1000);
})();
