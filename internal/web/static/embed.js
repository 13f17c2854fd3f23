// In an integrator's modal (/sdk/kycd.js), tell the embedding page that
// the user is done: only that page's origin (checked by kycd when the
// session opened) receives the message.
(function () {
  "use strict";
  var el = document.getElementById("kycd-embed");
  if (!el || window.parent === window) return;
  window.parent.postMessage({ type: "kycd:complete", session: el.dataset.session, verification: el.dataset.verification },
    el.dataset.origin);
})();
