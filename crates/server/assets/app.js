// The vecspace playground: plain JavaScript over the JSON API (see /openapi.json).
"use strict";

const $ = (id) => document.getElementById(id);

function headers() {
  const h = { "content-type": "application/json" };
  const token = $("token").value.trim();
  if (token) h.authorization = "Bearer " + token;
  return h;
}

// POSTs JSON; resolves to the parsed JSON (or a Blob for images), rejects with the API's message.
async function api(path, body, as = "json") {
  const response = await fetch(path, { method: body === undefined ? "GET" : "POST", headers: headers(), body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try { message = (await response.json()).message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return as === "blob" ? response.blob() : response.json();
}

function listInto(list, results) {
  list.replaceChildren(...results.map((r) => {
    const item = document.createElement("li");
    item.textContent = r.word;
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = r.score.toFixed(4);
    item.append(score);
    return item;
  }));
}

// --- tabs -------------------------------------------------------------------------------------
const tabs = ["words", "faces", "steering"];
function show(name) {
  for (const t of tabs) {
    $("tab-" + t).setAttribute("aria-selected", String(t === name));
    $(t).hidden = t !== name;
  }
  if (name === "faces" && !$("face-grid").children.length) sampleFaces();
  if (name === "steering" && !$("lm-model").options.length) loadModels();
}
for (const t of tabs) $("tab-" + t).addEventListener("click", () => show(t));

// --- words ------------------------------------------------------------------------------------
const space = () => $("space").value || undefined;

async function loadSpaces() {
  try {
    const spaces = await api("/api/spaces");
    $("space").replaceChildren(...spaces.map((s) => new Option(`${s.name} (${s.words} × ${s.dims})`, s.name)));
    runQuery();
  } catch (e) { $("expression-error").textContent = e.message; }
}

let queryTimer = null;
let querySerial = 0;
async function runQuery() {
  const expression = $("expression").value.trim();
  if (!expression) return;
  const serial = ++querySerial;
  try {
    const answer = await api("/api/query", { expression, k: 10, space: space() });
    if (serial !== querySerial) return; // a newer keystroke has its own answer coming
    $("expression-error").textContent = answer.value !== undefined ? `= ${answer.value}` : "";
    listInto($("results"), answer.results);
  } catch (e) {
    if (serial === querySerial) { $("expression-error").textContent = e.message; $("results").replaceChildren(); }
  }
}
$("expression").addEventListener("input", () => { clearTimeout(queryTimer); queryTimer = setTimeout(runQuery, 200); });

$("analogy-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const answer = await api("/api/analogy", { a: $("a").value, b: $("b").value, c: $("c").value, method: $("method").value, k: 10, space: space() });
    listInto($("analogy-results"), answer.results);
  } catch (e) { $("analogy-results").replaceChildren(Object.assign(document.createElement("li"), { textContent: e.message })); }
});

$("similarity-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const answer = await api("/api/similarity", { a: $("sim-a").value, b: $("sim-b").value, space: space() });
    $("similarity").textContent = answer.similarity.toFixed(4);
  } catch (e) { $("similarity").textContent = e.message; }
});

$("plot-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const words = $("plot-words").value.split(/[\s,]+/).filter(Boolean);
  const axes = document.querySelector("input[name=layout]:checked").value === "axes" ? [$("axis-x").value, $("axis-y").value] : undefined;
  const svg = $("plot");
  try {
    const layout = await api("/api/plot", { words, axes, space: space() });
    drawPlot(svg, layout);
  } catch (e) { svg.replaceChildren(svgText(20, 30, e.message)); }
});

function svgText(x, y, text) {
  const t = document.createElementNS("http://www.w3.org/2000/svg", "text");
  t.setAttribute("x", x); t.setAttribute("y", y); t.textContent = text;
  return t;
}

function drawPlot(svg, layout) {
  const width = svg.width.baseVal.value, height = svg.height.baseVal.value, pad = 50;
  const xs = layout.points.map((p) => p.x), ys = layout.points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => pad + ((x - x0) / (x1 - x0 || 1)) * (width - 2 * pad);
  const sy = (y) => height - pad - ((y - y0) / (y1 - y0 || 1)) * (height - 2 * pad);
  const parts = [svgText(width / 2 - 40, height - 12, layout.axes[0])];
  const yTitle = svgText(12, height / 2, layout.axes[1]);
  yTitle.setAttribute("transform", `rotate(-90 12 ${height / 2})`);
  parts.push(yTitle);
  for (const p of layout.points) {
    const g = document.createElementNS("http://www.w3.org/2000/svg", "g");
    g.setAttribute("class", "point");
    g.setAttribute("tabindex", "0");
    const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
    c.setAttribute("cx", sx(p.x)); c.setAttribute("cy", sy(p.y)); c.setAttribute("r", 4); c.setAttribute("fill", "#1f5fbf");
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = `${p.word}: (${p.x.toFixed(3)}, ${p.y.toFixed(3)})`;
    g.append(c, title, svgText(sx(p.x) + 6, sy(p.y) - 6, p.word));
    parts.push(g);
  }
  svg.replaceChildren(...parts);
}

// --- faces ------------------------------------------------------------------------------------
const marks = new Map(); // seed -> "positive" | "negative"

async function faceImage(body) {
  const blob = await api("/api/faces/render", body, "blob");
  return URL.createObjectURL(blob);
}

async function sampleFaces() {
  const from = Math.max(0, parseInt($("seed-from").value, 10) || 0);
  const grid = $("face-grid");
  grid.replaceChildren();
  $("faces-error").textContent = "";
  for (let seed = from; seed < from + 16; seed++) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.seed = String(seed);
    button.setAttribute("aria-label", `seed ${seed}, not marked`);
    const img = document.createElement("img");
    img.alt = `face of seed ${seed}`;
    button.append(img);
    button.addEventListener("click", () => cycleMark(button, seed));
    grid.append(button);
    try {
      // One at a time: the server runs a few heavy requests at once and refuses the rest.
      img.src = await faceImage({ latents: [`seed:${seed}`], scale: 2 });
    } catch (e) { $("faces-error").textContent = e.message; return; }
    paint(button, seed);
  }
}

function paint(button, seed) {
  const mark = marks.get(seed);
  button.className = mark || "";
  button.setAttribute("aria-label", `seed ${seed}, ${mark || "not marked"}`);
  button.setAttribute("aria-pressed", mark ? "true" : "false");
}

function cycleMark(button, seed) {
  const next = { undefined: "positive", positive: "negative", negative: undefined }[marks.get(seed)];
  if (next) marks.set(seed, next); else marks.delete(seed);
  paint(button, seed);
}

$("sample").addEventListener("click", sampleFaces);
$("strength").addEventListener("input", () => { $("strength-value").textContent = $("strength").value; });

$("apply").addEventListener("click", async () => {
  const positive = [...marks].filter(([, m]) => m === "positive").map(([s]) => s);
  const negative = [...marks].filter(([, m]) => m === "negative").map(([s]) => s);
  const k = parseFloat($("strength").value);
  const latent = $("edit-latent").value;
  $("faces-error").textContent = "";
  try {
    $("edited").src = URL.createObjectURL(await api("/api/faces/edit", { latent, positive, negative, strengths: [0, k], scale: 3 }, "blob"));
    const sweep = [-k, -k / 2, 0, k / 2, k];
    $("sweep").src = URL.createObjectURL(await api("/api/faces/edit", { latent, positive, negative, strengths: sweep, scale: 2 }, "blob"));
  } catch (e) { $("faces-error").textContent = e.message; }
});

$("slerp-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    $("slerp").src = URL.createObjectURL(await api("/api/faces/interpolate", { from: $("slerp-from").value, to: $("slerp-to").value, steps: 8 }, "blob"));
  } catch (e) { $("faces-error").textContent = e.message; }
});

$("discover-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("discover-error").textContent = "";
  try {
    const sheet = await api("/api/faces/discover", { method: $("discover-method").value, top: 5, seeds: [0, 1, 2], steps: 5 }, "blob");
    $("discover-sheet").src = URL.createObjectURL(sheet);
  } catch (e) { $("discover-error").textContent = e.message; }
});

// The server takes PNGs of at most 4 MB; saying so here spares a useless upload.
const MOST_UPLOAD_BYTES = 4 << 20;

$("invert-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("invert-error").textContent = $("invert-status").textContent = "";
  const file = $("invert-file").files[0];
  if (!file) { $("invert-error").textContent = "choose a PNG image first"; return; }
  if (file.type !== "image/png") { $("invert-error").textContent = `${file.name} is not a PNG image`; return; }
  if (file.size > MOST_UPLOAD_BYTES) { $("invert-error").textContent = `${file.name} is ${file.size} bytes; at most ${MOST_UPLOAD_BYTES} are accepted`; return; }
  const query = new URLSearchParams({ steps: $("invert-steps").value, starts: "2" });
  const crop = $("invert-crop").value.trim();
  if (crop) query.set("crop", crop);
  const h = headers();
  h["content-type"] = "image/png";
  $("invert-status").textContent = "searching…";
  try {
    const response = await fetch("/api/faces/invert?" + query, { method: "POST", headers: h, body: file });
    const answer = await response.json().catch(() => ({ message: response.status + " " + response.statusText }));
    if (!response.ok) throw new Error(answer.message);
    $("invert-faces").src = "data:image/png;base64," + answer.faces_png;
    $("invert-status").textContent = `found: ${answer.rms_levels.toFixed(1)} levels rms from your image (of 255)`;
  } catch (e) { $("invert-status").textContent = ""; $("invert-error").textContent = e.message; }
});

// --- steering ---------------------------------------------------------------------------------
// Reads a server-sent event stream from a POST (EventSource only does GET), appending tokens.
async function stream(body, target) {
  target.textContent = "";
  const response = await fetch("/api/lm/generate", { method: "POST", headers: headers(), body: JSON.stringify(body) });
  if (!response.ok) throw new Error((await response.json()).message);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!data) continue;
      const payload = JSON.parse(data);
      if (event === "token") target.textContent += payload.text;
      else if (event === "error") throw new Error(payload.message);
      else if (event === "done") target.dataset.done = "true";
    }
  }
}

// The models the server offers; choosing one applies its measured steering settings.
let models = [];
async function loadModels() {
  try {
    models = (await api("/api/lm/models")).models;
    $("lm-model").replaceChildren(...models.map((m) => new Option(m.name + (m.downloaded ? "" : " (downloaded on first use)"), m.name)));
    chooseModel();
  } catch (e) { $("steer-error").textContent = e.message; }
}

function chooseModel() {
  const model = models.find((m) => m.name === $("lm-model").value);
  if (!model) return;
  $("lm-about").textContent = model.description + (model.license ? " — " + model.license : "");
  if (model.layers) for (const id of ["layer-from", "layer-to"]) $(id).max = model.layers - 1;
  if (model.preset) {
    [$("layer-from").value, $("layer-to").value] = model.preset.layers;
    $("coefficient").value = model.preset.coefficient;
    $("normalize").checked = model.preset.normalize;
  }
}
$("lm-model").addEventListener("change", chooseModel);

$("steer-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("steer-error").textContent = "";
  $("plain").dataset.done = $("steered").dataset.done = "";
  const prompt = $("prompt").value;
  const max_tokens = parseInt($("max-tokens").value, 10);
  const layers = [parseInt($("layer-from").value, 10), parseInt($("layer-to").value, 10)];
  try {
    const model = $("lm-model").value || undefined;
    const vector = await api("/api/lm/vector", { model, positive: $("positive").value, negative: $("negative").value, normalize: $("normalize").checked });
    for (const id of ["layer-from", "layer-to"]) $(id).max = vector.layers;
    // One after the other: each holds one of the server's heavy slots while it streams.
    await stream({ model, prompt, max_tokens }, $("plain"));
    await stream({ model, prompt, max_tokens, steer: [{ vector: vector.id, coefficient: parseFloat($("coefficient").value) }], layers }, $("steered"));
  } catch (e) { $("steer-error").textContent = e.message; }
});

loadSpaces();
