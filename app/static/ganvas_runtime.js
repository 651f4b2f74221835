// GANvas: ONNX Runtime Web for the page, loaded once (Ganvas.runtime.load): the WebGPU build on a
// hardware adapter, else the WebAssembly build; from this app's own static files, else the CDN at
// the same pinned version. Threads where the page is cross-origin isolated; inference in the
// runtime's worker so the page's own thread stays free for the pen.
(() => {
  const Ganvas = (window.Ganvas = window.Ganvas || {});
  const config = Ganvas.config || {};
  const params = new URLSearchParams(location.search);
  const CDN = `https://cdn.jsdelivr.net/npm/onnxruntime-web@${config.version}/dist/`;

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

  /**
   * Load the runtime (once per call: callers keep the promise).
   * @returns {Promise<{ort: object, backend: "webgpu" | "wasm", threads: number, proxy: boolean}>}
   */
  Ganvas.runtime = { load: loadRuntime };
})();
