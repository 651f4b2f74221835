// GANvas: a canvas's pixels -> a model's input tensor, and its output tensor -> pixels, by the rules
// the engine writes into a model's web spec (engine/web_spec.py): the page's copy of
// Translator.prepare and Translator._to_image. Pure functions, no DOM: the page uses them as
// Ganvas.tensor, and tests/test_web_tensor.py runs them in Node against the engine's own.
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else (root.Ganvas = root.Ganvas || {}).tensor = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // Python's round(): halves go to the even neighbour.
  function roundHalfEven(v) {
    const f = Math.floor(v), d = v - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return f % 2 === 0 ? f : f + 1;
  }

  /**
   * engine.geometry.plan_placement: long side scaled to spec.size, sides padded to the multiple.
   * @returns {{source: number[], scaled: number[], padded: number[]}} [width, height] each
   */
  function placement(width, height, spec) {
    const scale = spec.size / Math.max(width, height);
    const sw = Math.max(1, roundHalfEven(width * scale)), sh = Math.max(1, roundHalfEven(height * scale));
    const pad = (v) => Math.ceil(Math.max(v, spec.min_side) / spec.size_multiple) * spec.size_multiple;
    return { source: [width, height], scaled: [sw, sh], padded: [pad(sw), pad(sh)] };
  }

  // OpenCV's RGB -> grey in fixed point (cv2.cvtColor COLOR_RGB2GRAY on uint8).
  const grey = (r, g, b) => (r * 4899 + g * 9617 + b * 1868 + 8192) >> 14;

  // Transparent pixels show `under` (app.canvas.flatten): the canvas is opaque, uploads may not be.
  function flattened(d, i, under) {
    const a = d[i + 3];
    if (a === 255) return [d[i], d[i + 1], d[i + 2]];
    const t = a / 255;
    return [0, 1, 2].map((c) => Math.floor(d[i + c] * t + under[c] * (1 - t) + 0.5));
  }

  // PIL's NEAREST resize: output pixel x samples input pixel floor(scale / 2 + x * scale), the
  // position summed step by step in doubles as Pillow does (its rounding included).
  function nearestIndex(out, size) {
    const scale = size / out, idx = new Int32Array(out);
    let at = scale * 0.5;
    for (let x = 0; x < out; x++, at += scale) idx[x] = Math.min(size - 1, Math.floor(at));
    return idx;
  }

  // A sketch canvas -> 1 x C x H x W in [-1, 1]: ink (grey < threshold) -1, paper +1, padded with paper.
  function sketchInput(rgba, width, height, spec) {
    const p = placement(width, height, spec);
    const [sw, sh] = p.scaled, [pw, ph] = p.padded;
    if (sw !== width || sh !== height) throw new Error(`a ${width}x${height} sketch would need a bicubic resize to ${sw}x${sh}; the server does that`);
    const plane = new Float32Array(pw * ph).fill(spec.sketch_paper);
    const paper = [255, 255, 255];
    for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) {
      const [r, g, b] = flattened(rgba, (y * width + x) * 4, paper);
      plane[y * pw + x] = grey(r, g, b) < spec.ink_threshold ? -1 : 1;
    }
    const data = new Float32Array(spec.channels * pw * ph);
    for (let c = 0; c < spec.channels; c++) data.set(plane, c * pw * ph);
    return { data, dims: [1, spec.channels, ph, pw], placement: p };
  }

  // Painted colours -> class ids of the nearest canvas colour (squared RGB distance, ties to the
  // lower id), as app.canvas.snap_labels does for the colours a canvas holds.
  function classIds(rgba, width, height, canvasPalette, blankClass) {
    const ids = new Uint8Array(width * height), known = new Map();
    const under = canvasPalette[blankClass];
    for (let i = 0, n = width * height; i < n; i++) {
      const [r, g, b] = flattened(rgba, i * 4, under);
      const key = (r << 16) | (g << 8) | b;
      let id = known.get(key);
      if (id === undefined) {
        let best = Infinity;
        canvasPalette.forEach(([pr, pg, pb], k) => {
          const dist = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
          if (dist < best) { best = dist; id = k; }
        });
        known.set(key, id);
      }
      ids[i] = id;
    }
    return ids;
  }

  // A label canvas -> 1 x K x H x W one-hot (or 1 x 3 x H x W palette RGB in [-1, 1]).
  function labelInput(rgba, width, height, spec) {
    const p = placement(width, height, spec);
    const [sw, sh] = p.scaled, [pw, ph] = p.padded;
    const ids = classIds(rgba, width, height, spec.canvas_palette, spec.blank_class);
    const xs = nearestIndex(sw, width), ys = nearestIndex(sh, height);
    const padded = new Uint8Array(pw * ph).fill(spec.blank_class);
    for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) padded[y * pw + x] = ids[ys[y] * width + xs[x]];
    const plane = pw * ph;
    if (spec.label_encoding === "onehot") {
      const k = spec.palette.length, data = new Float32Array(k * plane);
      for (let i = 0; i < plane; i++) data[padded[i] * plane + i] = 1;
      return { data, dims: [1, k, ph, pw], placement: p };
    }
    const data = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) data[c * plane + i] = Math.fround(spec.palette[padded[i]][c] / 127.5 - 1);
    return { data, dims: [1, 3, ph, pw], placement: p };
  }

  /**
   * A canvas's RGBA pixels -> the model's input tensor, as the engine makes it.
   * @param {Uint8ClampedArray} rgba @param {number} width @param {number} height @param {object} spec the web spec
   * @returns {{data: Float32Array, dims: number[], placement: object}}
   */
  function modelInput(rgba, width, height, spec) {
    return spec.kind === "sketch" ? sketchInput(rgba, width, height, spec) : labelInput(rgba, width, height, spec);
  }

  /**
   * Output N x C x H x W in [-1, 1] -> RGBA pixels of sample `index`, cropped to the content:
   * uint8((clamp(y) + 1) * 127.5 + 0.5) in float32, as the engine rounds.
   * @returns {{rgba: Uint8ClampedArray, width: number, height: number}}
   */
  function outputPixels(data, dims, p, index = 0) {
    const [, c, ph, pw] = dims, [sw, sh] = p.scaled, plane = ph * pw, base = index * c * plane;
    const f = Math.fround, rgba = new Uint8ClampedArray(sw * sh * 4);
    for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) {
      const o = (y * sw + x) * 4;
      for (let ch = 0; ch < 3; ch++) {
        const v = Math.min(1, Math.max(-1, data[base + (c === 1 ? 0 : ch) * plane + y * pw + x]));
        rgba[o + ch] = Math.floor(f(f(f(v + 1) * 127.5) + 0.5));
      }
      rgba[o + 3] = 255;
    }
    return { rgba, width: sw, height: sh };
  }

  return { roundHalfEven, placement, sketchInput, labelInput, modelInput, classIds, outputPixels, grey };
});
