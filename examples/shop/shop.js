// The shop's page: "Verify here" asks the shop's server for a session and
// opens it in kycd's modal; when kycd says the customer is done, the page
// asks the shop's server for the outcome (never the browser's word).
(function () {
  "use strict";
  var status = document.getElementById("status");
  var attempt = 0;
  document.getElementById("verify-modal").addEventListener("click", async function () {
    var form = new FormData(document.getElementById("customer"));
    form.set("flow", "modal");
    form.set("attempt", String(++attempt));
    var res = await fetch("/sessions", { method: "POST", body: new URLSearchParams(form) });
    if (!res.ok) { status.textContent = "Could not start the verification."; return; }
    var s = await res.json();
    Kycd.open({
      clientSecret: s.client_secret,
      onComplete: async function (done) {
        status.textContent = "Checking…";
        for (;;) {
          var r = await (await fetch("/sessions/" + encodeURIComponent(done.session))).json();
          if (r.status !== "in_progress") {
            status.dataset.status = r.outcome;
            status.textContent = "Verification " + r.outcome;
            return;
          }
          await new Promise(function (ok) { setTimeout(ok, 500); });
        }
      },
      onClose: function () { status.textContent = "Verification not finished."; }
    });
  });
})();
