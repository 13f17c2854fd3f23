// kycd.js: kycd's hosted verification in a modal on an integrator's page.
//
//   <script src="https://kyc.example.com/sdk/kycd.js"></script>
//   Kycd.open({clientSecret, onComplete({session, verification}), onClose()})
//
// The client secret comes from POST /v1/verification-sessions on your
// server. The modal is an iframe of kycd; your site must be one of the
// key's embed_origins. When the user is done, kycd's frame tells this
// page (postMessage, checked here to come from that frame and kycd's
// origin); fetch the result on your server, or wait for the webhook.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script.src).origin;

  function open(opts) {
    opts = opts || {};
    if (!/^kvs_[A-Za-z0-9_-]+$/.test(opts.clientSecret || "")) {
      throw new Error("Kycd.open: clientSecret (kvs_…) from POST /v1/verification-sessions is required");
    }
    var overlay = document.createElement("div");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", opts.title || "Identity verification");
    overlay.setAttribute("data-kycd", "modal");
    overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;" +
      "justify-content:center;background:rgba(0,0,0,.6)";
    var frame = document.createElement("iframe");
    frame.src = base + "/s/" + encodeURIComponent(opts.clientSecret) + "?embed=" + encodeURIComponent(location.origin);
    frame.allow = "camera";
    frame.title = opts.title || "Identity verification";
    frame.style.cssText = "width:min(480px,100vw);height:min(780px,100vh);border:0;border-radius:12px;background:#fff";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "Close");
    close.style.cssText = "position:absolute;top:8px;right:12px;font:28px/1 sans-serif;color:#fff;background:none;border:0;cursor:pointer";
    overlay.appendChild(frame);
    overlay.appendChild(close);

    var done = false;
    function finish() {
      if (done) return;
      done = true;
      window.removeEventListener("message", onMessage);
      document.removeEventListener("keydown", onKey);
      overlay.remove();
    }
    function onMessage(e) {
      if (e.origin !== base || e.source !== frame.contentWindow) return;
      var d = e.data || {};
      if (d.type === "kycd:complete") {
        finish();
        if (opts.onComplete) opts.onComplete({ session: d.session, verification: d.verification });
      }
    }
    function onKey(e) {
      if (e.key === "Escape") { finish(); if (opts.onClose) opts.onClose(); }
    }
    close.addEventListener("click", function () { finish(); if (opts.onClose) opts.onClose(); });
    window.addEventListener("message", onMessage);
    document.addEventListener("keydown", onKey);
    document.body.appendChild(overlay);
    frame.focus();
    return { close: finish };
  }

  window.Kycd = { open: open };
})();
