// The liveness capture page: the camera is shown in an oval, frames are sent
// to the server (WebSocket, or HTTP where WebSockets are blocked), and the
// server's answers drive the instructions. The server decides; this page
// only captures.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const video = $("video"), startBtn = $("start");
  const FRAME_MS = 160;
  let stream = null, done = false;

  function show(id, text) { const e = $(id); e.textContent = text; e.hidden = !text; }
  function say(text) { $("instruction").textContent = text; }

  async function api(method, path, body) {
    const res = await fetch(path, { method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || ("request failed: " + res.status));
    return data;
  }

  function cameraError(err) {
    switch (err && err.name) {
      case "NotAllowedError": case "SecurityError":
        return "Camera access was denied. Allow the camera for this site in your browser's settings, then reload the page.";
      case "NotFoundError": case "OverconstrainedError": case "DevicesNotFoundError":
        return "No camera was found. Connect a camera, or open this page on your phone.";
      case "NotReadableError":
        return "The camera is in use by another app. Close it and try again.";
    }
    return "The camera could not be started (" + (err && err.message) + ").";
  }

  function stop() {
    done = true;
    if (stream) stream.getTracks().forEach((t) => t.stop());
  }

  function render(msg) {
    if (msg.error) { show("live-error", msg.error.message); return; }
    show("live-error", "");
    say(msg.instruction);
    const pct = Math.round(100 * (msg.progress || 0));
    $("bar").style.width = pct + "%";
    $("progress").setAttribute("aria-valuenow", String(pct));
    document.querySelectorAll("#steps li").forEach((li, i) => { li.className = i < msg.challenge_index ? "met" : (i === msg.challenge_index ? "current" : ""); });
    if (msg.state === "done" && msg.result) {
      stop();
      const ok = msg.result.status === "succeeded";
      const r = $("result");
      r.hidden = false;
      r.id = "result";
      r.className = ok ? "notice" : "error";
      r.dataset.status = msg.result.status;
      const next = new URLSearchParams(location.search).get("next");
      if (ok && next && next.startsWith("/") && !next.startsWith("//")) {
        const a = document.createElement("a");
        a.id = "continue"; a.className = "button"; a.href = next; a.textContent = "Continue";
        r.after(a);
      }
      r.textContent = ok ? "Liveness confirmed. You can continue." :
        "We could not confirm it was you (" + msg.result.reasons.join(", ") + "). Try again in good light, following each instruction.";
      $("bar").style.width = ok ? "100%" : $("bar").style.width;
      if (!ok) {
        startBtn.hidden = false;
        startBtn.textContent = "Try again";
      }
    }
  }

  // tooDark reports a frame whose mean luminance is very low.
  function tooDark(ctx, w, h) {
    const d = ctx.getImageData(0, 0, w, h).data;
    let sum = 0, n = 0;
    for (let i = 0; i < d.length; i += 4 * 97) { sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]; n++; }
    return sum / n < 40;
  }

  async function run() {
    startBtn.hidden = true;
    show("live-error", ""); show("live-notice", ""); $("result").hidden = true;
    done = false;
    let vid = new URLSearchParams(location.search).get("verification");
    let session;
    try {
      if (!vid) vid = (await api("POST", "/v1/verifications", {})).id;
      session = await api("POST", "/v1/verifications/" + encodeURIComponent(vid) + "/liveness");
    } catch (e) { show("live-error", e.message); startBtn.hidden = false; return; }
    $("steps").replaceChildren(...session.challenges.map((c) => { const li = document.createElement("li"); li.textContent = c.instruction; return li; }));
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (e) { show("live-error", cameraError(e)); startBtn.hidden = false; return; }
    video.srcObject = stream;
    await video.play();
    say("Look straight at the camera");

    const base = "/v1/liveness/" + encodeURIComponent(session.session_id);
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + base + "/stream");
    ws.binaryType = "arraybuffer";
    const opened = await new Promise((res) => { ws.onopen = () => res(true); ws.onerror = () => res(false); setTimeout(() => res(false), 4000); });
    let pending = null;
    if (opened) {
      ws.onmessage = (ev) => { const m = JSON.parse(ev.data); render(m); if (pending) { pending(); pending = null; } };
      ws.onclose = () => { if (!done) { show("live-error", "The connection was lost. Press start to try again."); stop(); startBtn.hidden = false; } };
    } else {
      // Give the stream up for good: a late one would hold the session.
      ws.onopen = () => ws.close();
      ws.close();
      show("live-notice", "Your network blocks live connections, so a slower mode is used.");
    }
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    while (!done) {
      const t0 = performance.now();
      const w = video.videoWidth, h = video.videoHeight;
      if (w && h) {
        canvas.width = w; canvas.height = h;
        ctx.drawImage(video, 0, 0, w, h);
        show("live-notice", tooDark(ctx, w, h) ? "It is too dark: turn towards a light." : (opened ? "" : $("live-notice").textContent));
        const blob = await new Promise((res) => canvas.toBlob(res, "image/jpeg", 0.85));
        const ts = Date.now();
        if (opened) {
          const answered = new Promise((res) => { pending = res; });
          ws.send(JSON.stringify({ timestamp_ms: ts }));
          ws.send(await blob.arrayBuffer());
          await answered;
        } else {
          const form = new FormData();
          form.append("timestamp_ms", String(ts));
          form.append("frame", blob, "frame.jpg");
          const res = await fetch(base + "/frames", { method: "POST", body: form, credentials: "same-origin" });
          const m = await res.json();
          // The abandoned stream still holds the session: it lets go within seconds.
          if (m.error && m.error.reason === "session_busy") { await new Promise((r) => setTimeout(r, 500)); continue; }
          render(m);
        }
      }
      const wait = FRAME_MS - (performance.now() - t0);
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
    if (opened) ws.close();
  }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    show("live-error", "This browser cannot use a camera here. Open the page over HTTPS in a current browser, or on your phone.");
    startBtn.hidden = true;
    return;
  }
  startBtn.addEventListener("click", run);
})();
