// GANvas painting canvas (runs as gr.HTML's js_on_load: `element`, `props`, `trigger`, `watch`).
// Pixels live in one ImageData that we write ourselves: no antialiasing, so a label map holds only
// palette colours and the fill bucket fills exact regions. The picture is posted to the server as a
// PNG while the pen moves (throttled; event "input") and once more when it settles (pen-up, undo,
// clear, a loaded picture; event "submit"). See widgets.render_on_canvas for how the page renders.
(() => {
  const W = props.width, H = props.height;
  const classes = props.classes;           // [{name, hex}], index = class id; sketch: [paper, ink]
  const blank = props.blank;               // class the eraser and "clear" paint
  const isSketch = props.mode === "sketch";
  const LIVE_MS = props.live_ms || 150;    // at most one live render per LIVE_MS while drawing
  const HISTORY = 60;

  const canvas = element.querySelector("canvas.pc-canvas");
  canvas.width = W; canvas.height = H;
  const g = canvas.getContext("2d", { willReadFrequently: true });
  let img = g.createImageData(W, H);
  const rgbOf = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const colours = classes.map((c) => rgbOf(c.hex));

  let tool = isSketch ? "pen" : "brush";
  let current = isSketch || blank === 0 ? 1 : 0;  // ink, or the first class that is not the blank one
  let size = props.brush_size || (isSketch ? 3 : 12);
  let history = [], at = -1, seq = 0;

  // ----- pixels ---------------------------------------------------------------------------
  function fillAll(cls) {
    const [r, gg, b] = colours[cls], d = img.data;
    for (let i = 0; i < d.length; i += 4) { d[i] = r; d[i + 1] = gg; d[i + 2] = b; d[i + 3] = 255; }
  }
  function disc(cx, cy, radius, rgb) {
    const d = img.data, r2 = radius * radius;
    const x0 = Math.max(0, Math.floor(cx - radius)), x1 = Math.min(W - 1, Math.ceil(cx + radius));
    const y0 = Math.max(0, Math.floor(cy - radius)), y1 = Math.min(H - 1, Math.ceil(cy + radius));
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      if (dx * dx + dy * dy <= r2) { const i = (y * W + x) * 4; d[i] = rgb[0]; d[i + 1] = rgb[1]; d[i + 2] = rgb[2]; d[i + 3] = 255; }
    }
  }
  function line(a, b, rgb) {
    const radius = Math.max(0.5, size / 2), steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y)));
    for (let s = 0; s <= steps; s++) disc(a.x + (b.x - a.x) * s / steps, a.y + (b.y - a.y) * s / steps, radius, rgb);
  }
  function rect(a, b, rgb) {
    const d = img.data;
    const x0 = Math.max(0, Math.round(Math.min(a.x, b.x))), x1 = Math.min(W, Math.round(Math.max(a.x, b.x)));
    const y0 = Math.max(0, Math.round(Math.min(a.y, b.y))), y1 = Math.min(H, Math.round(Math.max(a.y, b.y)));
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
      const i = (y * W + x) * 4; d[i] = rgb[0]; d[i + 1] = rgb[1]; d[i + 2] = rgb[2]; d[i + 3] = 255;
    }
  }
  function fill(p, rgb) {  // scanline flood fill of the region of exactly p's colour
    const d = img.data, x = Math.min(W - 1, Math.floor(p.x)), y = Math.min(H - 1, Math.floor(p.y));
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i0 = (y * W + x) * 4, from = [d[i0], d[i0 + 1], d[i0 + 2]];
    if (from[0] === rgb[0] && from[1] === rgb[1] && from[2] === rgb[2]) return;
    const same = (i) => d[i] === from[0] && d[i + 1] === from[1] && d[i + 2] === from[2];
    const stack = [[x, y]];
    while (stack.length) {
      let [sx, sy] = stack.pop(), i = (sy * W + sx) * 4;
      while (sx > 0 && same(i - 4)) { sx--; i -= 4; }
      let up = false, down = false;
      for (; sx < W && same(i); sx++, i += 4) {
        d[i] = rgb[0]; d[i + 1] = rgb[1]; d[i + 2] = rgb[2]; d[i + 3] = 255;
        if (sy > 0) { const u = same(i - W * 4); if (u && !up) stack.push([sx, sy - 1]); up = u; }
        if (sy < H - 1) { const v = same(i + W * 4); if (v && !down) stack.push([sx, sy + 1]); down = v; }
      }
    }
  }
  let version = 0;  // counts changes of the pixels: a picture of this version needs no new render
  const show = () => { version++; g.putImageData(img, 0, 0); };

  // ----- history --------------------------------------------------------------------------
  function remember() {
    history = history.slice(0, at + 1);
    history.push(new ImageData(new Uint8ClampedArray(img.data), W, H));
    if (history.length > HISTORY) history.shift();
    at = history.length - 1;
    refreshButtons();
  }
  function restore(to) {
    if (to < 0 || to >= history.length) return;
    at = to; img = new ImageData(new Uint8ClampedArray(history[at].data), W, H);
    show(); refreshButtons(); post(true);
  }

  // ----- rendering: in this page (ganvas_web.js) or on the server -------------------------
  const web = () => (props.model && window.Ganvas?.web) || null;
  const here = () => Boolean(web() && web().claims(props.model));
  let lastLive = 0, liveTimer = null;
  function post(final) {
    clearTimeout(liveTimer); liveTimer = null; lastLive = performance.now();
    element.dispatchEvent(new CustomEvent("pc-changed", { bubbles: true, composed: true }));
    if (here()) {
      // The settled canvas is still the value other events read (variations, the API): stored once
      // its picture is shown, so that encoding it does not compete with the render.
      const settled = () => { props.value = { png: canvas.toDataURL("image/png"), final, seq: ++seq, origin: "browser", where: "device" }; };
      web().paint(props.model, { pixels: () => img.data, version: () => version, width: W, height: H, final, output: props.output, fallback: () => post(final), settled });
      return;
    }
    props.value = { png: canvas.toDataURL("image/png"), final, seq: ++seq, origin: "browser", where: "server" };
    element.dataset.posted = String(seq);
    trigger(final ? "submit" : "input");  // the page renders "input" only when idle; "submit" always
  }
  function postLive() {  // throttled: the first move posts at once, later ones at most every LIVE_MS
    if (here()) return post(false);  // in the page: as fast as pictures come (ganvas_web keeps the latest)
    const wait = LIVE_MS - (performance.now() - lastLive);
    if (wait <= 0) post(false);
    else if (!liveTimer) liveTimer = setTimeout(() => post(false), wait);
  }
  function load(value) {  // a picture from the server (example, upload, random layout)
    if (!value || !value.png || value.origin === "browser") return Promise.resolve();
    return new Promise((done) => {
      const im = new Image();
      im.onload = () => {
        g.imageSmoothingEnabled = false;
        g.clearRect(0, 0, W, H);
        g.drawImage(im, 0, 0, W, H);
        img = g.getImageData(0, 0, W, H);
        version++;
        remember();
        if (value.render !== false) post(true);
        done();
      };
      im.onerror = () => done();
      im.src = value.png;
    });
  }
  watch("value", () => load(props.value));

  // ----- pointer --------------------------------------------------------------------------
  // Points are clamped to the canvas: a stroke or rectangle may start or end just outside it.
  const clamp = (v, hi) => Math.min(Math.max(v, 0), hi);  // hi: the far edge, so a rectangle reaches it
  const at_ = (e) => { const r = canvas.getBoundingClientRect(); return { x: clamp((e.clientX - r.left) * W / r.width, W), y: clamp((e.clientY - r.top) * H / r.height, H) }; };
  const paintColour = () => colours[tool === "eraser" ? blank : current];
  let down = null, last = null, before = null;
  const MARGIN_PX = 24;  // a press this close outside the canvas starts on its edge (a rectangle from a corner)
  const nearCanvas = (e) => {
    const r = canvas.getBoundingClientRect();
    if (!r.width || e.target === canvas || !e.target.closest || e.target.closest("button, input, select, textarea, a, label, [role=tab], .ganvas-output")) return false;
    return e.clientX > r.left - MARGIN_PX && e.clientX < r.right + MARGIN_PX && e.clientY > r.top - MARGIN_PX && e.clientY < r.bottom + MARGIN_PX;
  };
  document.addEventListener("pointerdown", (e) => { if (e.button === 0 && nearCanvas(e)) start(e); });
  canvas.addEventListener("pointerdown", (e) => start(e));
  function start(e) {
    if (e.button !== 0) return;
    e.preventDefault(); canvas.setPointerCapture(e.pointerId);
    down = last = at_(e);
    if (tool === "fill") { fill(down, paintColour()); show(); remember(); post(true); down = null; return; }
    before = new Uint8ClampedArray(img.data);
    if (tool !== "rect") { line(down, down, paintColour()); show(); postLive(); }
  }
  canvas.addEventListener("pointermove", (e) => {
    if (!down) return;
    const p = at_(e);
    if (tool === "rect") { img.data.set(before); rect(down, p, paintColour()); }
    else line(last, p, paintColour());
    last = p; show(); postLive();
  });
  const finish = (e) => {
    if (!down) return;
    if (tool === "rect") { img.data.set(before); rect(down, at_(e), paintColour()); show(); }
    down = null; remember(); post(true);
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  // ----- toolbar --------------------------------------------------------------------------
  const $ = (sel) => element.querySelector(sel);
  const $$ = (sel) => Array.from(element.querySelectorAll(sel));
  function refreshButtons() {
    $$("[data-tool]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.tool === tool)));
    $$("[data-class]").forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.class) === current && tool !== "eraser")));
    const now = $(".pc-current");
    if (now && classes[current]) {
      now.textContent = tool === "eraser" ? `Erasing to: ${classes[blank].name}` : `Painting: ${classes[current].name}`;
      now.style.setProperty("--swatch", classes[tool === "eraser" ? blank : current].hex);
    }
    const u = $("[data-act=undo]"), r = $("[data-act=redo]");
    if (u) u.disabled = at <= 0;
    if (r) r.disabled = at >= history.length - 1;
    canvas.dataset.tool = tool;
  }
  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b || !element.contains(b)) return;
    if (b.dataset.tool) { tool = b.dataset.tool; refreshButtons(); }
    if (b.dataset.class !== undefined) { current = Number(b.dataset.class); if (tool === "eraser") tool = isSketch ? "pen" : "brush"; refreshButtons(); }
    if (b.dataset.act === "undo") restore(at - 1);
    if (b.dataset.act === "redo") restore(at + 1);
    if (b.dataset.act === "clear") { fillAll(blank); show(); remember(); post(true); }
    if (b.dataset.act === "where" && web()) web().toggle(props.model);
  });
  const sizeInput = $("input.pc-size");
  if (sizeInput) { sizeInput.value = size; sizeInput.addEventListener("input", () => { size = Number(sizeInput.value); }); }
  document.addEventListener("keydown", (e) => {
    if (!element.offsetParent || !(e.ctrlKey || e.metaKey)) return;  // only the visible tab's canvas
    if (e.target.closest && e.target.closest("input, textarea, [contenteditable]")) return;
    const k = e.key.toLowerCase();
    if (k === "z" && !e.shiftKey) { e.preventDefault(); restore(at - 1); }
    else if (k === "y" || (k === "z" && e.shiftKey)) { e.preventDefault(); restore(at + 1); }
  });

  fillAll(blank); show(); remember();
  if (web()) {  // the page's renderer loads the model the first time the canvas is on screen
    web().register(props.model, { output: props.output, repaint: () => post(true) });
    const near = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { near.disconnect(); web().prepare(props.model); }
    });
    near.observe(canvas);
  }
  // The starting picture renders the first time the canvas is on screen (its tab opened), so a
  // page load renders only the visible tab's model.
  if (props.value && props.value.png) {
    const start = props.value, loaded = load({ ...start, render: false });
    if (start.render !== false) {
      const seen = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) { seen.disconnect(); loaded.then(() => post(true)); }
      });
      seen.observe(canvas);
    }
  }
})();
