// Renders the OpenAPI document as a readable page, with no third-party code.
"use strict";
(async function () {
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const kid of kids) e.append(kid);
    return e;
  };
  let doc;
  try {
    const res = await fetch("/openapi.json");
    doc = await res.json();
  } catch (err) {
    document.getElementById("meta").textContent = "Could not load /openapi.json: " + err;
    return;
  }
  const schemas = (doc.components && doc.components.schemas) || {};
  const resolve = (s) => {
    if (s && s.$ref) return schemas[s.$ref.split("/").pop()] || s;
    return s;
  };
  // example builds a sample value from a schema, following $refs a few levels deep.
  const example = (s, depth) => {
    s = resolve(s);
    if (!s || depth > 6) return null;
    if (s.examples && s.examples.length) return s.examples[0];
    if (s.example !== undefined) return s.example;
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
    if (type === "object" || s.properties) {
      const o = {};
      for (const [k, v] of Object.entries(s.properties || {})) {
        if (k !== "$schema") o[k] = example(v, depth + 1);
      }
      return o;
    }
    if (type === "array") return [example(s.items, depth + 1)];
    if (s.enum) return s.enum[0];
    if (type === "integer" || type === "number") return 0;
    if (type === "boolean") return false;
    return s.format || "string";
  };
  document.getElementById("meta").textContent =
    `${doc.info.title} ${doc.info.version}: ${doc.info.description || ""}`;
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "Other";
      (byTag[tag] = byTag[tag] || []).push({ path, method: method.toUpperCase(), op });
    }
  }
  const toc = document.getElementById("toc");
  const ops = document.getElementById("ops");
  for (const tag of Object.keys(byTag).sort()) {
    const id = "tag-" + tag.replace(/\W+/g, "-");
    toc.append(el("a", { href: "#" + id }, tag), " ");
    ops.append(el("h2", { id }, tag));
    for (const { path, method, op } of byTag[tag]) {
      const body = el("div");
      if (op.description) body.append(el("p", {}, op.description));
      if (op.parameters && op.parameters.length) {
        const t = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "description")));
        for (const p of op.parameters) {
          t.append(el("tr", {}, el("td", {}, p.name + (p.required ? " *" : "")), el("td", {}, p.in), el("td", {}, p.description || "")));
        }
        body.append(t);
      }
      if (op.requestBody) {
        for (const [ct, media] of Object.entries(op.requestBody.content || {})) {
          body.append(el("p", {}, "Request body (" + ct + "):"), el("pre", {}, JSON.stringify(example(media.schema, 0), null, 2)));
        }
      }
      for (const [status, res] of Object.entries(op.responses || {})) {
        body.append(el("p", {}, el("strong", {}, status), " " + (res.description || "")));
        const media = res.content && Object.values(res.content)[0];
        if (media && media.schema) body.append(el("pre", {}, JSON.stringify(example(media.schema, 0), null, 2)));
      }
      ops.append(el("details", { class: "op", id: op.operationId || "" },
        el("summary", {}, el("span", { class: "method " + method }, method), " " + path + " — " + (op.summary || "")), body));
    }
  }
})();
