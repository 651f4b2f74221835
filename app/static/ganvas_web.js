// GANvas: render the canvases' pictures in the visitor's browser with ONNX Runtime Web.
// The page's canvases (paint_canvas.js) ask `GanvasWeb.claims(model)`: when true they hand their
// pixels to `GanvasWeb.paint` instead of posting them to the server. A model is claimed once the
// runtime, its web spec and its graph are loaded here and the visitor has not chosen the server;
// until then, and whenever anything fails or the device proves too slow, the server renders.
// Pre/post-processing is GanvasTensor's (the engine's rules, from the model's web spec).
(() => {
  const T = window.GanvasTensor;
  const config = window.GANVAS_WEB_CONFIG || {};
  const CDN = `https://cdn.jsdelivr.net/npm/onnxruntime-web@${config.version}/dist/`;
  const WHERE_KEY = "ganvas-render-where";  // the visitor's switch, remembered by the browser
  const SLOW_MS = 1500;    // first pictures slower than this (median of 3): the server is faster
  const BREATHE_MS = 16;   // between back-to-back live pictures: a frame for the pen to draw in
  const params = new URLSearchParams(location.search);

  const state = {
    wanted: params.get("render") || localStorage.getItem(WHERE_KEY) || "device",
    runtime: null,     // promise of {ort, backend, threads}
    runtimeInfo: null,
    runtimeError: null,
    models: {},        // name -> {status: "loading" | "ready" | "failed", spec, session, reason, first: []}
    latents: {},       // name -> Float32Array (style code / z) the next pictures use
    painters: {},      // name -> {repaint()} of the canvas that shows the model
    jobs: {},          // name -> {busy, next}
    stats: {},         // name -> {pictures, live, settled, ms: []}
  };

  // ----- the runtime ----------------------------------------------------------------------
  function addScript(src) {
    return new Promise((ok, fail) => {
      const s = document.createElement("script");
      s.src = src; s.async = true; s.crossOrigin = "anonymous";
      s.onload = () => ok(); s.onerror = () => { s.remove(); fail(new Error(`could not load ${src}`)); };
      document.head.appendChild(s);
    });
  }
  async function webgpuAdapter() {
    if (params.get("ep") === "wasm" || !navigator.gpu) return false;
    try { return Boolean(await navigator.gpu.requestAdapter()); } catch (e) { return false; }
  }
  async function loadRuntime() {
    const gpu = await webgpuAdapter();
    const file = gpu ? "ort.webgpu.min.js" : "ort.wasm.min.js";
    const bases = [config.runtime, CDN].filter((b, i, all) => b && all.indexOf(b) === i);
    let base = null, lastError = null;
    for (const b of bases) {
      try { await addScript(b + file); base = b; break; } catch (e) { lastError = e; }
    }
    if (!base || !window.ort) throw lastError || new Error("ONNX Runtime Web did not load");
    const ort = window.ort;
    // Threads need SharedArrayBuffer, i.e. a cross-origin isolated page; ?threads=N caps them.
    const cap = Number(params.get("threads")) || 4;
    const threads = self.crossOriginIsolated ? Math.max(1, Math.min(cap, navigator.hardwareConcurrency || 1)) : 1;
    ort.env.wasm.wasmPaths = new URL(base, location.href).href;
    ort.env.wasm.numThreads = threads;
    // Inference in a worker keeps the page's own thread free for the pen (?proxy=0: on the page's thread).
    ort.env.wasm.proxy = !gpu && params.get("proxy") !== "0";
    ort.env.logLevel = "error";
    return { ort, backend: gpu ? "webgpu" : "wasm", threads, proxy: ort.env.wasm.proxy };
  }
  function runtime() {
    if (!state.runtime) {
      state.runtime = loadRuntime().then(
        (info) => { state.runtimeInfo = info; return info; },
        (err) => { state.runtimeError = err; throw err; },
      );
    }
    return state.runtime;
  }

  // ----- models ---------------------------------------------------------------------------
  async function loadModel(name) {
    const info = await runtime();
    const response = await fetch(`/ganvas/models/${name}/web.json`, { cache: "no-cache" });
    if (!response.ok) throw new Error((await response.json().catch(() => ({}))).error || `no web spec (${response.status})`);
    const spec = await response.json();
    const graph = await fetch(spec.graph.url);
    if (!graph.ok) throw new Error(`the graph did not download (${graph.status})`);
    const bytes = new Uint8Array(await graph.arrayBuffer());
    const providers = info.backend === "webgpu" ? ["webgpu", "wasm"] : ["wasm"];
    const session = await info.ort.InferenceSession.create(bytes, { executionProviders: providers, graphOptimizationLevel: "all" });
    return { spec, session };
  }
  function prepare(name) {  // start loading (idempotent); the server renders meanwhile
    if (state.wanted !== "device") return;
    const m = state.models[name];
    if (m && m.status !== "failed") return;
    state.models[name] = { status: "loading", first: [] };
    refresh(name);
    loadModel(name).then(
      ({ spec, session }) => { Object.assign(state.models[name], { status: "ready", spec, session }); refresh(name); repaint(name); prefetch(); },
      (err) => { Object.assign(state.models[name], { status: "failed", reason: String(err && err.message || err) }); refresh(name); },
    );
  }
  function ready(name) {  // loaded here and wanted here: renders of latents the server sends
    const m = state.models[name];
    return state.wanted === "device" && Boolean(m) && m.status === "ready";
  }
  // The other canvases' models load while the visitor draws on this one, so the first picture of
  // another tab is rendered here too; not on a connection or a device that asks to be spared.
  let prefetched = false;
  function prefetch() {
    const c = navigator.connection;
    if (prefetched || (c && (c.saveData || /(^|-)2g|3g/.test(c.effectiveType || ""))) || (navigator.deviceMemory || 8) < 4) return;
    prefetched = true;
    const later = window.requestIdleCallback || ((fn) => setTimeout(fn, 2000));
    later(() => (config.canvas_models || []).forEach((n) => prepare(n)));
  }
  function claims(name) {  // a canvas's pictures: also needs its latent (the street's style code)
    return ready(name) && (!state.models[name].spec.nz || Boolean(state.latents[name]));
  }

  // ----- rendering ------------------------------------------------------------------------
  async function run(name, input, zs) {
    const { ort } = state.runtimeInfo, m = state.models[name], n = zs ? zs.length : 1;
    const [, c, h, w] = input.dims, plane = c * h * w;
    let x = input.data;
    if (n > 1) { x = new Float32Array(n * plane); for (let i = 0; i < n; i++) x.set(input.data, i * plane); }
    const feeds = { [m.spec.graph.inputs[0]]: new ort.Tensor("float32", x, [n, c, h, w]) };
    if (m.spec.nz) {
      const z = new Float32Array(n * m.spec.nz);
      zs.forEach((row, i) => z.set(row, i * m.spec.nz));
      feeds[m.spec.graph.inputs[1]] = new ort.Tensor("float32", z, [n, m.spec.nz]);
    }
    const out = (await m.session.run(feeds))[m.spec.graph.outputs[0]];
    return Array.from({ length: n }, (_, i) => T.outputPixels(out.data, out.dims, input.placement, i));
  }
  // Pictures for several latents of one canvas (the variations), in one run.
  async function renderMany(name, { rgba, width, height, zs }) {
    const m = state.models[name];
    if (!m || m.status !== "ready") throw new Error(`${name} is not loaded in this page`);
    return run(name, T.modelInput(rgba, width, height, m.spec), zs);
  }
  // One picture of a canvas: the latest pixels win; a new request while one runs waits for it.
  function paint(name, job) {
    const q = (state.jobs[name] = state.jobs[name] || { busy: false, next: null });
    q.next = { ...job, final: job.final || Boolean(q.next && q.next.final) };
    if (!q.busy) drain(name);
  }
  async function drain(name) {
    const q = state.jobs[name];
    q.busy = true;
    while (q.next) {
      const job = q.next; q.next = null;
      const m = state.models[name], started = performance.now();
      try {
        const input = T.modelInput(job.pixels(), job.width, job.height, m.spec);
        const [picture] = await run(name, input, m.spec.nz ? [state.latents[name]] : null);
        const ms = performance.now() - started;
        show(name, job, picture, ms);
        judgeSpeed(name, ms);
      } catch (err) {
        Object.assign(m, { status: "failed", reason: `a render failed (${err && err.message || err})` });
        refresh(name);
        if (job.fallback) job.fallback();
        break;
      }
      if (q.next) await new Promise((r) => setTimeout(r, BREATHE_MS));
    }
    q.busy = false;
  }
  function judgeSpeed(name, ms) {
    const m = state.models[name];
    if (m.first.length >= 3) return;
    m.first.push(ms);
    if (m.first.length === 3) {
      const median = [...m.first].sort((a, b) => a - b)[1];
      if (median > SLOW_MS) {
        Object.assign(m, { status: "failed", reason: `this device takes ${Math.round(median)} ms a picture` });
        refresh(name); repaintOnServer(name);
      }
    }
  }

  // ----- the picture on the page ----------------------------------------------------------
  // body[data-ganvas-<output id>="device"] while the page's picture covers the server's (CSS hides
  // the server's status line then).
  const flag = (outputId) => "ganvas" + outputId.replace(/(^|-)(\w)/g, (_, __, a) => a.toUpperCase());
  function overlay(outputId) {
    const box = document.getElementById(outputId);
    if (!box) return null;
    let o = box.querySelector(".ganvas-device-out");
    if (!o) {
      o = document.createElement("div");
      o.className = "ganvas-device-out";
      o.innerHTML = '<canvas></canvas><div class="gdo-bar"><span class="gdo-note"></span><a class="gdo-save" title="Download this picture as PNG">⤓ PNG</a></div>';
      box.appendChild(o);
    }
    return o;
  }
  function show(name, job, picture, ms) {
    if (!ready(name)) return;  // the visitor switched to the server while this one rendered
    const o = overlay(job.output);
    const s = (state.stats[name] = state.stats[name] || { pictures: 0, live: 0, settled: 0, ms: [] });
    s.pictures++; s[job.final ? "settled" : "live"]++; s.ms.push(ms);
    if (!o) return;
    const c = o.querySelector("canvas");
    c.width = picture.width; c.height = picture.height;
    c.getContext("2d").putImageData(new ImageData(picture.rgba, picture.width, picture.height), 0, 0);
    o.hidden = false;
    document.body.dataset[flag(job.output)] = "device";
    o.querySelector(".gdo-note").textContent = `rendered on this device · ${Math.round(ms)} ms`;
    o.dataset.pictures = String(s.pictures);
    if (job.final) {
      const save = o.querySelector(".gdo-save");
      save.download = `ganvas-${name.split(".").pop()}.png`;
      c.toBlob((blob) => { if (save.href) URL.revokeObjectURL(save.href); save.href = URL.createObjectURL(blob); });
    }
    o.dispatchEvent(new CustomEvent("ganvas-picture", { bubbles: true, composed: true, detail: { name, final: job.final, ms } }));
  }
  function hideOverlay(outputId) {  // the server's picture shows again
    const box = document.getElementById(outputId), o = box && box.querySelector(".ganvas-device-out");
    if (o) o.hidden = true;
    delete document.body.dataset[flag(outputId)];
  }

  // Pictures for latents the server sent (the variations and their morph) of a canvas on the page.
  async function renderLatents(name, value) {
    const source = document.querySelector(`#${value.canvas} canvas.pc-canvas`);
    if (!source || !value.zs || !value.zs.length) return;
    const rgba = source.getContext("2d").getImageData(0, 0, source.width, source.height).data;
    const started = performance.now();
    let pictures;
    try {
      pictures = await renderMany(name, { rgba, width: source.width, height: source.height, zs: value.zs });
    } catch (err) {
      const m = state.models[name];
      if (m) Object.assign(m, { status: "failed", reason: `a render failed (${err && err.message || err})` });
      const o = overlay(value.output);
      if (o) { o.hidden = false; o.querySelector(".gdo-note").textContent = "This device could not render them: press the button again and the server will."; }
      return;
    }
    const ms = performance.now() - started;
    if (value.output === "variation-gallery") showGrid(name, value, pictures, ms);
    else show(name, { output: value.output, final: true }, pictures[0], ms);
  }
  function showGrid(name, value, pictures, ms) {
    const o = overlay(value.output);
    if (!o) return;
    const grid = document.createElement("div");
    grid.className = "gdo-grid";
    pictures.forEach((picture, i) => {
      const figure = document.createElement("figure"), c = document.createElement("canvas"), save = document.createElement("a");
      c.width = picture.width; c.height = picture.height;
      c.getContext("2d").putImageData(new ImageData(picture.rgba, picture.width, picture.height), 0, 0);
      save.textContent = value.captions[i] || `#${i + 1}`;
      save.title = "Download this picture as PNG";
      save.download = `ganvas-${name.split(".").pop()}-${i + 1}.png`;
      c.toBlob((blob) => { save.href = URL.createObjectURL(blob); });
      figure.append(c, save); grid.append(figure);
    });
    o.querySelectorAll(".gdo-grid").forEach((g) => { g.querySelectorAll("a[href]").forEach((a) => URL.revokeObjectURL(a.href)); g.remove(); });
    o.querySelector("canvas").hidden = true;
    o.querySelector(".gdo-save").hidden = true;
    o.insertBefore(grid, o.querySelector(".gdo-bar"));
    o.querySelector(".gdo-note").textContent = `${pictures.length} pictures rendered on this device · ${Math.round(ms)} ms`;
    o.hidden = false;
    o.dataset.pictures = String(pictures.length);
    o.dispatchEvent(new CustomEvent("ganvas-picture", { bubbles: true, composed: true, detail: { name, final: true, ms } }));
  }

  // ----- the canvases and the indicator ---------------------------------------------------
  function register(name, painter) { state.painters[name] = painter; refresh(name); }
  function repaint(name) { const p = state.painters[name]; if (p && claims(name)) p.repaint(); }
  function repaintOnServer(name) { const p = state.painters[name]; if (p) p.repaint(); }
  function setLatent(name, z) {
    if (!z || !z.length) return;
    state.latents[name] = Float32Array.from(z);
    repaint(name);
    refresh(name);
  }
  function where(name) {
    const m = state.models[name], info = state.runtimeInfo;
    if (claims(name)) {
      const how = info.backend === "webgpu" ? "WebGPU" : `WebAssembly, ${info.threads} thread${info.threads > 1 ? "s" : ""}`;
      return { where: "device", text: `Pictures are rendered on this device (${how}, ${m.spec.graph.precision})` };
    }
    if (state.wanted !== "device") return { where: "server", text: "Pictures are rendered on the server (your choice)" };
    if (state.runtimeError) return { where: "server", text: `Pictures are rendered on the server: this browser could not load the renderer` };
    if (m && m.status === "failed") return { where: "server", text: `Pictures are rendered on the server: ${m.reason}` };
    return { where: "server", text: "Pictures are rendered on the server while this device gets ready…" };
  }
  function refresh(name) {
    const w = where(name);
    document.querySelectorAll(`.pc-where[data-model="${name}"]`).forEach((el) => {
      el.dataset.where = w.where;
      el.querySelector(".pc-where-text").textContent = w.text;
      const b = el.querySelector("button");
      b.textContent = state.wanted !== "device" ? "Render on this device" : failed(name) ? "Try this device again" : "Render on the server";
    });
    const p = state.painters[name];
    if (p && !claims(name) && p.output) hideOverlay(p.output);
  }
  const failed = (name) => Boolean(state.runtimeError || (state.models[name] && state.models[name].status === "failed"));
  function toggle(name) {  // device <-> server; after a failure on this device, "try again"
    state.wanted = state.wanted === "device" && !failed(name) ? "server" : "device";
    localStorage.setItem(WHERE_KEY, state.wanted);
    if (state.wanted === "device" && state.runtimeError) { state.runtime = null; state.runtimeError = null; }
    Object.keys(state.painters).forEach((n) => {
      const m = state.models[n];
      if (state.wanted === "device" && (!m || m.status === "failed")) { delete state.models[n]; prepare(n); }
      refresh(n);
    });
    repaintOnServer(name);
  }

  window.GanvasWeb = { prepare, ready, claims, paint, renderMany, renderLatents, register, setLatent, toggle, refresh, state };
})();
