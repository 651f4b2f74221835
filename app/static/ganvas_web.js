// GANvas: render the canvases' pictures in the visitor's browser with ONNX Runtime Web.
// The page's canvases (paint_canvas.js) ask `Ganvas.web.claims(model)`: when true they hand their
// pixels to `Ganvas.web.paint` instead of posting them to the server. A model is claimed once the
// runtime, its web spec and its graph are loaded here and the visitor has not chosen the server;
// until then, and whenever anything fails or the device proves too slow, the server renders.
// Pre/post-processing is Ganvas.tensor's (the engine's rules, from the model's web spec); the
// runtime comes from Ganvas.runtime, the pictures go on the page through Ganvas.picture.
(() => {
  const Ganvas = (window.Ganvas = window.Ganvas || {});
  const T = Ganvas.tensor;
  const config = Ganvas.config || {};
  const WHERE_KEY = "ganvas-render-where";  // the visitor's switch, remembered by the browser
  const SLOW_MS = 1500;    // first pictures slower than this (median of 3): the server is faster
  const SLOW_GPU_MS = 250; // WebGPU slower than this: WebAssembly (~100 ms on a laptop) is likely faster
  const FIRST_RENDER_MS = 15000;  // the first run of a session compiles it (WebGPU: its shaders)
  const RENDER_MS = 5000;
  const BREATHE_MS = 16;   // at least this between pictures: a frame for the pen to draw in
  const params = new URLSearchParams(location.search);
  const LIVE_GAP = Number(params.get("gap") ?? 0.5);  // idle between live pictures, x a render's time

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

  function runtime() {
    if (!state.runtime) {
      state.runtime = Ganvas.runtime.load().then(
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
  /** Start loading `name` here (idempotent; the server renders meanwhile). @param {string} name @param {?string} backend */
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
  /** @returns {boolean} `name` is loaded here and the visitor wants pictures here */
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
  /** @returns {boolean} a canvas of `name` renders here now (ready, and its latent is known) */
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
  /** @returns {Promise<Array<object>>} the pictures of one canvas for each latent in zs */
  async function renderMany(name, { rgba, width, height, zs }) {
    const m = state.models[name];
    if (!m || m.status !== "ready") throw new Error(`${name} is not loaded in this page`);
    return run(name, T.modelInput(rgba, width, height, m.spec), zs);
  }
  // One picture of a canvas: the latest pixels win; a new request while one runs waits for it.
  // A settled picture of pixels (and latent) already rendering or shown needs no render of its own:
  // the pen usually lifts where it last moved, so the picture in flight is the settled one.
  const versionOf = (name, job) => `${job.version ? job.version() : Math.random()}:${state.latentVersions[name] || 0}`;
  /**
   * A picture of a canvas: job = {pixels(), version(), width, height, final, output, fallback(), settled()}.
   * @param {string} name @param {object} job
   */
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

  function count(name, final, ms) {
    const s = (state.stats[name] = state.stats[name] || { pictures: 0, live: 0, settled: 0, ms: [] });
    s.pictures++; s[final ? "settled" : "live"]++; s.ms.push(ms);
  }
  function show(name, job, picture, ms) {
    if (!ready(name)) return;  // the visitor switched to the server while this one rendered
    count(name, job.final, ms);
    Ganvas.picture.show({ name, outputId: job.output, picture, ms, final: job.final });
    if (job.final && job.settled) job.settled();
  }
  function settleShown(name, job, settled) {  // the picture on screen is already the settled one
    job.final = true;
    if (settled) settled();
    (state.stats[name] || { settled: 0 }).settled++;
    Ganvas.picture.settle(name, job.output);
  }

  // Pictures for latents the server sent (the variations and their morph) of a canvas on the page.
  /** Render latents the server sent ({zs, captions, output, canvas}) over `output`. */
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
      Ganvas.picture.note(value.output, "This device could not render them: press the button again and the server will.");
      return;
    }
    const ms = performance.now() - started;
    if (pictures.length > 1 || value.captions.length) Ganvas.picture.showGrid({ name, outputId: value.output, pictures, captions: value.captions, ms });
    else show(name, { output: value.output, final: true }, pictures[0], ms);
  }
  // ----- the canvases and the indicator ---------------------------------------------------
  /** The canvas showing `name`: {output: its output element's id, repaint()}. */
  function register(name, painter) { state.painters[name] = painter; refresh(name); }
  function repaint(name) { const p = state.painters[name]; if (p && claims(name)) p.repaint(); }
  function repaintOnServer(name) { const p = state.painters[name]; if (p) p.repaint(); }
  /** The latent (style code) the canvas of `name` renders with from now on; re-renders. */
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
    if (p && !claims(name) && p.output) Ganvas.picture.hide(p.output);
  }
  const failed = (name) => Boolean(state.runtimeError || (state.models[name] && state.models[name].status === "failed"));
  /** The visitor's switch: this device <-> the server (after a failure here: try again). */
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

  Ganvas.web = { prepare, ready, claims, paint, renderMany, renderLatents, register, setLatent, toggle, refresh, state };
})();
