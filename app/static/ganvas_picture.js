// GANvas: the page's own pictures, shown over the server's output (Ganvas.picture): a canvas with
// a note and a PNG download, or a grid of them (the variations). Each new picture raises a
// "ganvas-picture" event (detail: name, final, ms) that leaves the component (composed).
(() => {
  const Ganvas = (window.Ganvas = window.Ganvas || {});
  // body[data-ganvas-<output id>="device"] while the page's picture covers the server's (CSS hides
  // the server's status line then).
  const flag = (outputId) => "ganvas" + outputId.replace(/(^|-)(\w)/g, (_, __, a) => a.toUpperCase());
  const fileName = (name, suffix = "") => `ganvas-${name.split(".").pop()}${suffix}.png`;
  const announce = (o, detail) => o.dispatchEvent(new CustomEvent("ganvas-picture", { bubbles: true, composed: true, detail }));

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
  function draw(canvas, picture) {
    canvas.width = picture.width; canvas.height = picture.height;
    canvas.getContext("2d").putImageData(new ImageData(picture.rgba, picture.width, picture.height), 0, 0);
  }
  function offerDownload(name, o) {
    const save = o.querySelector(".gdo-save");
    save.download = fileName(name);
    o.querySelector("canvas").toBlob((blob) => { if (save.href) URL.revokeObjectURL(save.href); save.href = URL.createObjectURL(blob); });
  }

  /**
   * Show one picture over the output `outputId`.
   * @param {{name: string, outputId: string, picture: {rgba: Uint8ClampedArray, width: number, height: number}, ms: number, final: boolean}} shown
   */
  function show({ name, outputId, picture, ms, final }) {
    const o = overlay(outputId);
    if (!o) return;
    const c = o.querySelector(":scope > canvas");
    draw(c, picture);
    c.hidden = false;
    o.querySelector(".gdo-save").hidden = false;
    o.querySelectorAll(".gdo-grid").forEach((g) => g.remove());
    o.hidden = false;
    document.body.dataset[flag(outputId)] = "device";
    o.querySelector(".gdo-note").textContent = `rendered on this device · ${Math.round(ms)} ms`;
    if (final) offerDownload(name, o);
    announce(o, { name, final, ms });
  }
  /** The picture shown over `outputId` is already the settled one: offer it and say so. */
  function settle(name, outputId) {
    const o = overlay(outputId);
    if (!o) return;
    offerDownload(name, o);
    announce(o, { name, final: true, ms: 0 });
  }
  /**
   * Show several pictures as a grid over `outputId`, each captioned and downloadable.
   * @param {{name: string, outputId: string, pictures: Array<object>, captions: string[], ms: number}} shown
   */
  function showGrid({ name, outputId, pictures, captions, ms }) {
    const o = overlay(outputId);
    if (!o) return;
    const grid = document.createElement("div");
    grid.className = "gdo-grid";
    pictures.forEach((picture, i) => {
      const figure = document.createElement("figure"), c = document.createElement("canvas"), save = document.createElement("a");
      draw(c, picture);
      save.textContent = captions[i] || `#${i + 1}`;
      save.title = "Download this picture as PNG";
      save.download = fileName(name, `-${i + 1}`);
      c.toBlob((blob) => { save.href = URL.createObjectURL(blob); });
      figure.append(c, save); grid.append(figure);
    });
    o.querySelectorAll(".gdo-grid").forEach((g) => { g.querySelectorAll("a[href]").forEach((a) => URL.revokeObjectURL(a.href)); g.remove(); });
    o.querySelector(":scope > canvas").hidden = true;
    o.querySelector(".gdo-save").hidden = true;
    o.insertBefore(grid, o.querySelector(".gdo-bar"));
    o.querySelector(".gdo-note").textContent = `${pictures.length} pictures rendered on this device · ${Math.round(ms)} ms`;
    o.hidden = false;
    announce(o, { name, final: true, ms });
  }
  /** A note over `outputId` where the page meant to show a picture and could not. */
  function note(outputId, text) {
    const o = overlay(outputId);
    if (o) { o.hidden = false; o.querySelector(".gdo-note").textContent = text; }
  }
  /** The server's picture shows again. */
  function hide(outputId) {
    const box = document.getElementById(outputId), o = box && box.querySelector(".ganvas-device-out");
    if (o) o.hidden = true;
    delete document.body.dataset[flag(outputId)];
  }

  Ganvas.picture = { show, settle, showGrid, note, hide };
})();
