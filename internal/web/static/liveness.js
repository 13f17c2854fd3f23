// The liveness capture page: the camera is shown in an oval, frames are sent
// to the server (WebSocket, or HTTP where WebSockets are blocked), and the
// server's answers drive the instructions. The server reveals one challenge
// at a time; for the light challenge this page fills the screen with the
// server's colours and says when it began. The server decides; this page
// only captures.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const video = $("video"), startBtn = $("start");
  const FRAME_MS = 100; // ten frames a second: brisk real turns change a third less between frames than at 150 ms (docs/liveness.md)
  const MAX_GAP_MS = 300;
  let stream = null, done = false, count = 0, finished = false;
  // The light challenge: when the page began showing the colours (Unix ms),
  // and whether it has run for the current task.
  let lightStart = 0, lightShown = false;

  // The page's texts in its language (live.*, guide.*), from the server.
  const strings = JSON.parse(($("strings") || {}).textContent || "{}");
  const tr = (key, fallback) => strings[key] || fallback || key;
  // What a failed session's reason means for the person in front of the camera.
  const advice = (code) => strings["live.why." + code];

  function stepText(n, of) { return tr("live.step").replace("{n}", n).replace("{count}", of); }

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
        return tr("live.cam_denied");
      case "NotFoundError": case "OverconstrainedError": case "DevicesNotFoundError":
        return tr("live.cam_none");
      case "NotReadableError":
        return tr("live.cam_busy");
    }
    return tr("live.cam_other") + " (" + (err && err.message) + ")";
  }

  function stop() {
    done = true;
    if (stream) stream.getTracks().forEach((t) => t.stop());
  }

  function render(msg) {
    if (finished) return; // answers to frames still in flight when it ended
    if (msg.error) { show("live-error", msg.error.message); return; }
    show("live-error", "");
    say(tr("guide." + msg.guidance, msg.instruction));
    const pct = Math.round(100 * (msg.progress || 0));
    $("bar").style.width = pct + "%";
    $("progress").setAttribute("aria-valuenow", String(pct));
    if (count) $("step").textContent = msg.state === "done" ? "" : stepText(Math.min(msg.challenge_index + 1, count), count);
    if (msg.task && msg.task.type === "light" && msg.guidance === "light" && !lightShown) flash(msg.task);
    if (!msg.task || msg.task.type !== "light") { lightShown = false; lightStart = 0; }
    if (msg.state === "done" && msg.result) {
      finished = true;
      stop();
      const ok = msg.result.status === "succeeded";
      const r = $("result");
      r.hidden = false;
      r.id = "result";
      r.className = ok ? "notice" : "error";
      r.dataset.status = msg.result.status;
      r.dataset.reasons = (msg.result.reasons || []).join(" ");
      const next = new URLSearchParams(location.search).get("next");
      if (ok && next && next.startsWith("/") && !next.startsWith("//")) {
        const a = document.createElement("a");
        a.id = "continue"; a.className = "button"; a.href = next; a.textContent = tr("live.continue");
        r.after(a);
      }
      const why = (msg.result.reasons || []).map(advice).find(Boolean);
      r.textContent = ok ? tr("live.ok") : tr("live.fail") + " " + (why || tr("live.fail_default"));
      $("bar").style.width = ok ? "100%" : $("bar").style.width;
      if (!ok) {
        startBtn.hidden = false;
        startBtn.textContent = tr("live.again");
      }
    }
  }

  // flash fills the screen with the task's colours, each for flash_ms, and
  // notes when the first was painted.
  function flash(task) {
    lightShown = true;
    const o = $("flash");
    o.hidden = false;
    document.body.classList.add("flashing");
    let k = 0;
    const next = () => {
      if (k >= task.colors.length || done) { o.hidden = true; document.body.classList.remove("flashing"); return; }
      o.style.background = task.colors[k];
      if (k === 0) requestAnimationFrame(() => { lightStart = Date.now(); });
      k++;
      setTimeout(next, task.flash_ms);
    };
    next();
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
    done = false; finished = false;
    const old = $("continue");
    if (old) old.remove();
    let vid = new URLSearchParams(location.search).get("verification");
    let session;
    try {
      if (!vid) vid = (await api("POST", "/v1/verifications", {})).id;
      session = await api("POST", "/v1/verifications/" + encodeURIComponent(vid) + "/liveness");
    } catch (e) { show("live-error", e.message); startBtn.hidden = false; return; }
    count = session.challenge_count || session.challenges.length;
    $("step").textContent = count ? stepText(1, count) : "";
    lightShown = false; lightStart = 0;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (e) { show("live-error", cameraError(e)); startBtn.hidden = false; return; }
    video.srcObject = stream;
    await video.play();
    say(tr("guide.look_straight"));

    const base = "/v1/liveness/" + encodeURIComponent(session.session_id);
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + base + "/stream");
    ws.binaryType = "arraybuffer";
    const opened = await new Promise((res) => { ws.onopen = () => res(true); ws.onerror = () => res(false); setTimeout(() => res(false), 4000); });
    // Frames are captured on a steady clock, whatever the server's pace:
    // the server judges movement only between frames a fraction of a
    // second apart. Over the WebSocket a few frames may await their
    // answers; over HTTP the frames captured while a request is out go in
    // the next one.
    let inflight = 0, lastCapture = 0, captured = 0;
    const queue = [];
    let posting = false;
    if (opened) {
      ws.onmessage = (ev) => { inflight = Math.max(0, inflight - 1); render(JSON.parse(ev.data)); };
      ws.onclose = () => { if (!done) { show("live-error", tr("live.lost")); stop(); startBtn.hidden = false; } };
    } else {
      // Give the stream up for good: a late one would hold the session.
      ws.onopen = () => ws.close();
      ws.close();
      show("live-notice", tr("live.slow"));
    }
    async function post() {
      if (posting || !queue.length || done) return;
      posting = true;
      const batch = queue.splice(0);
      const form = new FormData();
      for (const f of batch) {
        form.append("timestamp_ms", String(f.ts));
        if (f.light) form.append("light_start_ms", String(f.light));
        form.append("frame", f.blob, "frame.jpg");
      }
      try {
        const res = await fetch(base + "/frames", { method: "POST", body: form, credentials: "same-origin" });
        const m = await res.json();
        // The abandoned stream still holds the session: it lets go within
        // seconds; these frames are dropped.
        if (!(m.error && m.error.reason === "session_busy")) render(m);
      } catch (e) {
        show("live-error", tr("live.lost"));
      } finally {
        posting = false;
      }
      post();
    }
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    while (!done) {
      const t0 = performance.now();
      const w = video.videoWidth, h = video.videoHeight;
      // A slow server holds the capture back, but never so long that two
      // frames are too far apart to compare (the server's limit is 400 ms).
      const behind = opened ? inflight >= 4 : queue.length >= 20;
      if (w && h && (!behind || performance.now() - lastCapture >= MAX_GAP_MS)) {
        lastCapture = performance.now();
        canvas.width = w; canvas.height = h;
        ctx.drawImage(video, 0, 0, w, h);
        const ts = Date.now();
        const light = lightStart && lightStart <= ts ? lightStart : 0;
        if (captured++ % 5 === 0) { // reading the pixels back is slow on small devices
          show("live-notice", tooDark(ctx, w, h) ? tr("live.dark") : (opened ? "" : $("live-notice").textContent));
        }
        const blob = await new Promise((res) => canvas.toBlob(res, "image/jpeg", 0.85));
        if (opened) {
          inflight++;
          ws.send(JSON.stringify(light ? { timestamp_ms: ts, light_start_ms: light } : { timestamp_ms: ts }));
          ws.send(await blob.arrayBuffer());
        } else {
          queue.push({ ts, light, blob });
          post();
        }
      }
      const wait = FRAME_MS - (performance.now() - t0);
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
    if (opened) ws.close();
  }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    show("live-error", tr("live.no_camera_api"));
    startBtn.hidden = true;
    return;
  }
  startBtn.addEventListener("click", run);
})();
