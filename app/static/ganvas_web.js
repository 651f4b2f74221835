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
  const SLOW_GPU_MS = 250; // WebGPU slower than this: WebAssembly (~100 ms on a laptop) is likely faster
  const FIRST_RENDER_MS = 15000;  // the first run of a session compiles it (WebGPU: its shaders)
  const RENDER_MS = 5000;
  const BREATHE_MS = 16;   // at least this between pictures: a frame for the pen to draw in
  const params = new URLSearchParams(location.search);
  const LIVE_GAP = Number(params.get("gap") ?? 1);  // idle between live pictures, x a render's time

  const state = {
    wanted: params.get("render") || localStorage.getItem(WHERE_KEY) || "device",
    runtime: null,     // promise of {ort, backend, threads}
    runtimeInfo: null,
    runtimeError: null,
    models: {},        // name -> {status: "loading" | "ready" | "failed", spec, session, reason, first: []}
    latents: {},       // name -> Float32Array (style code / z) the next pictures use
    latentVersions: {}, // name -> how many times it changed
    painters: {},      // name -> {repaint()} of the canvas that shows the model
    jobs: {},          // name -> {busy, next}
    stats: {},         // name -> {pictures, live, settled, ms: []}
    stalled: null,     // why a render never returned (then the server renders everything)
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
  // A hardware WebGPU adapter (or ?ep=webgpu). Software ones (SwiftShader, a fallback adapter) are
  // passed over: their runs of these graphs stalled here, and WebAssembly beats them anyway.
  async function webgpuAdapter() {
    if (params.get("ep") === "wasm" || !navigator.gpu) return false;
    try {
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) return false;
      if (params.get("ep") === "webgpu") return true;
      const info = adapter.info || {};
      const software = info.isFallbackAdapter || adapter.isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(`${info.architecture} ${info.description} ${info.device}`);
      return !software;
    } catch (e) { return false; }
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
  async function loadModel(name, backend) {
    const info = await runtime();
    const response = await fetch(`/ganvas/models/${name}/web.json`, { cache: "no-cache" });
    if (!response.ok) throw new Error((await response.json().catch(() => ({}))).error || `no web spec (${response.status})`);
    const spec = await response.json();
    const graph = await fetch(spec.graph.url);
    if (!graph.ok) throw new Error(`the graph did not download (${graph.status})`);
    const bytes = new Uint8Array(await graph.arrayBuffer());
    const providers = backend === "webgpu" ? ["webgpu", "wasm"] : ["wasm"];
    const session = await info.ort.InferenceSession.create(bytes, { executionProviders: providers, graphOptimizationLevel: "all" });
    return { spec, session };
  }
  function prepare(name, backend = null) {  // start loading (idempotent); the server renders meanwhile
    if (state.wanted !== "device") return;
    const m = state.models[name];
    if (m && m.status !== "failed" && !backend) return;
    const entry = (state.models[name] = { status: "loading", first: [], backend });
    refresh(name);
    runtime()
      .then((info) => { entry.backend = entry.backend || info.backend; return loadModel(name, entry.backend); })
      .then(({ spec, session }) => { Object.assign(entry, { spec, session }); return inTime(warmUp(name), FIRST_RENDER_MS); })
      .then(
        () => { entry.status = "ready"; refresh(name); repaint(name); prefetch(); },
        (err) => giveUp(name, String(err && err.message || err), { stalled: Boolean(err && err.stalled) }),
      );
  }
  // WebGPU that fails or crawls (a software adapter, an op it lacks) hands over to WebAssembly;
  // WebAssembly that fails or crawls hands over to the server.
  // A stalled run still holds the runtime, so it leaves no WebAssembly session beside it: server.
  function giveUp(name, reason, { stalled = false } = {}) {
    const m = state.models[name];
    if (m && m.backend === "webgpu" && state.runtimeInfo && !stalled) return prepare(name, "wasm");
    if (stalled) state.stalled = reason;  // the runtime is held by that run: every model goes to the server
    state.models[name] = { ...(m || {}), status: "failed", reason, first: [] };
    refresh(name);
  }
  function ready(name) {  // loaded here and wanted here: renders of latents the server sends
    const m = state.models[name];
    return state.wanted === "device" && !state.stalled && Boolean(m) && m.status === "ready";
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
  // One run at a time across all sessions: the runtime's WebGPU build interleaves concurrent runs
  // of different sessions badly, and on a CPU they would only share the same cores.
  let chain = Promise.resolve();
  function exclusive(task) {
    const result = chain.then(task);
    chain = result.catch(() => {});
    return result;
  }
  // A render that never returns (a stalled GPU) counts as failed: the next picture goes elsewhere.
  function inTime(promise, ms) {
    let timer;
    const late = new Promise((_, fail) => {
      timer = setTimeout(() => fail(Object.assign(new Error(`no picture after ${ms / 1000} s`), { stalled: true })), ms);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }
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
    const out = (await exclusive(() => m.session.run(feeds)))[m.spec.graph.outputs[0]];
    return Array.from({ length: n }, (_, i) => T.outputPixels(out.data, out.dims, input.placement, i));
  }
  // One render of a blank canvas before the model is used: the first run of a session compiles
  // it (WebGPU: its shaders), and a device that cannot render fails here, not under the pen.
  function warmUp(name) {
    const spec = state.models[name].spec, side = spec.size, rgba = new Uint8ClampedArray(side * side * 4).fill(255);
    if (spec.kind === "labels") {
      const [r, g, b] = spec.canvas_palette[spec.blank_class];
      for (let i = 0; i < rgba.length; i += 4) { rgba[i] = r; rgba[i + 1] = g; rgba[i + 2] = b; }
    }
    return run(name, T.modelInput(rgba, side, side, spec), spec.nz ? [new Float32Array(spec.nz)] : null);
  }
  // Pictures for several latents of one canvas (the variations), in one run.
  async function renderMany(name, { rgba, width, height, zs }) {
    const m = state.models[name];
    if (!m || m.status !== "ready") throw new Error(`${name} is not loaded in this page`);
    return run(name, T.modelInput(rgba, width, height, m.spec), zs);
  }
  // One picture of a canvas: the latest pixels win; a new request while one runs waits for it.
  // A settled picture of pixels (and latent) already rendering or shown needs no render of its own:
  // the pen usually lifts where it last moved, so the picture in flight is the settled one.
  const versionOf = (name, job) => `${job.version ? job.version() : Math.random()}:${state.latentVersions[name] || 0}`;
  function paint(name, job) {
    const q = (state.jobs[name] = state.jobs[name] || { busy: false, next: null, current: null, shown: null });
    const v = versionOf(name, job);
    if (job.final && !q.next) {
      if (q.busy && q.current && q.current.v === v) { Object.assign(q.current.job, { final: true, settled: job.settled }); return; }
      if (!q.busy && q.shown && q.shown.v === v) { if (!q.shown.job.final) settleShown(name, q.shown.job, job.settled); else if (job.settled) job.settled(); return; }
    }
    q.next = { ...job, final: job.final || Boolean(q.next && q.next.final) };
    if (!q.busy) drain(name);
  }
  async function drain(name) {
    const q = state.jobs[name];
    q.busy = true;
    while (q.next) {
      const job = q.next; q.next = null;
      const m = state.models[name], started = performance.now();
      q.current = { job, v: versionOf(name, job) };
      try {
        const input = T.modelInput(job.pixels(), job.width, job.height, m.spec);
        const [picture] = await inTime(run(name, input, m.spec.nz ? [state.latents[name]] : null), m.first.length ? RENDER_MS : FIRST_RENDER_MS);
        const ms = performance.now() - started;
        show(name, job, picture, ms);
        q.shown = q.current;
        judgeSpeed(name, ms);
      } catch (err) {
        giveUp(name, `a render failed (${err && err.message || err})`, { stalled: Boolean(err && err.stalled) });
        if (job.fallback) job.fallback();
        break;
      }
      if (q.next) await new Promise((r) => setTimeout(r, q.next.final ? BREATHE_MS : liveGap(name)));
    }
    q.busy = false;
    q.current = null;
  }
  // Live pictures leave the CPU idle for a while between them, so that when the pen lifts a live
  // render is less often still running ahead of the settled one (on 2 cores the pen's own
  // handling slows renders that overlap it, too).
  function liveGap(name) {
    const recent = (state.stats[name] || { ms: [] }).ms.slice(-5).sort((a, b) => a - b);
    return Math.max(BREATHE_MS, LIVE_GAP * (recent[Math.floor(recent.length / 2)] || 0));
  }
  function judgeSpeed(name, ms) {
    const m = state.models[name];
    if (m.first.length >= 3) return;
    m.first.push(ms);
    if (m.first.length === 3) {
      const median = [...m.first].sort((a, b) => a - b)[1];
      if (median > (m.backend === "webgpu" ? SLOW_GPU_MS : SLOW_MS)) {
        giveUp(name, `this device takes ${Math.round(median)} ms a picture`);
        repaintOnServer(name);
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
    if (job.final) { offerDownload(name, o); if (job.settled) job.settled(); }
    o.dispatchEvent(new CustomEvent("ganvas-picture", { bubbles: true, composed: true, detail: { name, final: job.final, ms } }));
  }
  function offerDownload(name, o) {
    const save = o.querySelector(".gdo-save");
    save.download = `ganvas-${name.split(".").pop()}.png`;
    o.querySelector("canvas").toBlob((blob) => { if (save.href) URL.revokeObjectURL(save.href); save.href = URL.createObjectURL(blob); });
  }
  function settleShown(name, job, settled) {  // the picture on screen is already the settled one
    job.final = true;
    if (settled) settled();
    const o = overlay(job.output), s = state.stats[name];
    if (!o || !s) return;
    s.settled++;
    offerDownload(name, o);
    o.dispatchEvent(new CustomEvent("ganvas-picture", { bubbles: true, composed: true, detail: { name, final: true, ms: 0 } }));
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
      pictures = await inTime(renderMany(name, { rgba, width: source.width, height: source.height, zs: value.zs }), FIRST_RENDER_MS);
    } catch (err) {
      giveUp(name, `a render failed (${err && err.message || err})`, { stalled: Boolean(err && err.stalled) });
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
    state.latentVersions[name] = (state.latentVersions[name] || 0) + 1;
    repaint(name);
    refresh(name);
  }
  function where(name) {
    const m = state.models[name], info = state.runtimeInfo;
    if (claims(name)) {
      const how = m.backend === "webgpu" ? "WebGPU" : `WebAssembly, ${info.threads} thread${info.threads > 1 ? "s" : ""}`;
      return { where: "device", text: `Rendered on this device (${how}, ${m.spec.graph.precision})` };
    }
    if (state.wanted !== "device") return { where: "server", text: "Rendered on the server (your choice)" };
    if (state.runtimeError) return { where: "server", text: "Rendered on the server: this browser could not load the renderer" };
    if (state.stalled) return { where: "server", text: `Rendered on the server: this device stalled (${state.stalled}); reload the page to try it again` };
    if (m && m.status === "failed") return { where: "server", text: `Rendered on the server: ${m.reason}` };
    return { where: "server", text: "Rendered on the server while this device gets ready…" };
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
