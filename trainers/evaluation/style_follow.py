"""Does a style photo set the look? Held-out photos, in several lights, are each used as the style of
label maps of other streets (never the photo's own frame, nor its neighbours: CamVid is video), and
the render's mean luma and mean colour are compared with the photo's. A model whose encoder carries light and
colour gives a correlation near 1 and a small gap; the same renders with random codes in place of
the photos' give the baseline (near 0), which says the figure measures the photo and not the maps.

A map's street is not the photo's street (more sky, fewer trees), so even a perfect renderer does not
score r = 1 and gap 0. Where the maps' own photos are known, two more figures say how far that goes:
"ceiling", the figures of each map's own photo in the style photo's light (what a perfect renderer
scores), and "against_own_photo", the renders against those photos (how far each render's light is
from its real street's in that light)."""
from __future__ import annotations

import numpy as np
import torch

import engine

from .rendering import render_inputs, spread_indices

LUMA = np.array(engine.LUMA_WEIGHTS)
STYLE_PHOTOS = 12
MAPS_PER_STYLE = 2
# The lights each held-out style photo is shown in: (gamma, R G B gains). Darker and brighter span
# dusk to bright sun (luma ~0.1-0.6 from a photo at 0.33), warm and cool a white-balance cast.
LOOKS = {
    "as taken": (1.0, (1.0, 1.0, 1.0)),
    "darker": (1.8, (1.0, 1.0, 1.0)),
    "brighter": (0.55, (1.0, 1.0, 1.0)),
    "warm": (1.0, (1.15, 1.0, 0.8)),
    "cool": (1.0, (0.85, 1.0, 1.15)),
}


def _mean_rgb(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """Mean R, G, B in [0, 1] of a 1 x 3 x H x W render in [-1, 1] or an H x W x 3 uint8 photo."""
    if isinstance(image, torch.Tensor):
        return ((image[0].float().mean((1, 2)).numpy() + 1) / 2).clip(0, 1)
    return np.asarray(image, dtype=np.float64).reshape(-1, 3).mean(0) / 255


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r; 0 where either side does not vary (no evidence of following)."""
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def follow_figures(photo_rgb: np.ndarray, render_rgb: np.ndarray) -> dict:
    """Pairs of mean colours (n x 3 each, in [0, 1]) -> luma r, colour r (mean over R, G, B), mean luma gap."""
    photo_luma, render_luma = photo_rgb @ LUMA, render_rgb @ LUMA
    per_channel = [_correlation(photo_rgb[:, c], render_rgb[:, c]) for c in range(3)]
    return {
        "luma_r": _correlation(photo_luma, render_luma),
        "rgb_r": float(np.mean(per_channel)),
        "rgb_r_per_channel": [round(r, 4) for r in per_channel],
        "luma_gap": float(np.abs(photo_luma - render_luma).mean()),
        "photo_luma_range": [round(float(photo_luma.min()), 3), round(float(photo_luma.max()), 3)],
        "render_luma_range": [round(float(render_luma.min()), 3), round(float(render_luma.max()), 3)],
    }


def relight(photo: np.ndarray, *, gamma: float, gains: tuple[float, float, float]) -> np.ndarray:
    """An H x W x 3 uint8 photo in another light: gamma on [0, 1] (above 1 darker), then per-channel gains."""
    x = (np.asarray(photo, dtype=np.float64) / 255) ** gamma * np.asarray(gains)
    return (x.clip(0, 1) * 255 + 0.5).astype(np.uint8)


Look = tuple[float, tuple[float, float, float]]  # relight's gamma and gains


def _figures_for(
    t: engine.Translator,
    maps: list[np.ndarray],
    styles: list[tuple[int, np.ndarray, Look | None]],
    *,
    maps_per_style: int,
    seed: int,
    own_photos: list[np.ndarray] | None = None,  # own_photos[i], the photo of maps[i], for the ceiling
) -> dict:
    """styles: (index of the photo's own frame in maps, or -1; photo; the look it is in, or None).
    Each photo is the style of maps_per_style maps spread over the rest of the set; figures, the
    random-z baseline, and with own_photos the ceiling and the renders against their own photos."""
    n = len(maps)
    per = min(maps_per_style, n - 1)
    step = max(1, n // (per + 1))  # the nearest map used is 1/(per + 1) of the set away from the photo's frame
    photo_rgb, encoded_rgb, random_rgb, truth_rgb = [], [], [], []
    for k, (own, photo, look) in enumerate(styles):
        start = own if own >= 0 else k * step
        chosen = [(start + step * (m + 1)) % n for m in range(per)]
        encoded = render_inputs(t, [maps[i] for i in chosen], z=t.encode(photo)[None].expand(per, -1))
        random = render_inputs(t, [maps[i] for i in chosen], z=t.random_z(seed + k, n=per))
        photo_rgb += [_mean_rgb(photo)] * per
        encoded_rgb += [_mean_rgb(r) for r in encoded]
        random_rgb += [_mean_rgb(r) for r in random]
        if own_photos is not None:
            gamma, gains = look or (1.0, (1.0, 1.0, 1.0))
            truth_rgb += [_mean_rgb(relight(own_photos[i], gamma=gamma, gains=gains)) for i in chosen]
    photo_rgb, encoded_rgb = np.array(photo_rgb), np.array(encoded_rgb)
    baseline = follow_figures(photo_rgb, np.array(random_rgb))
    result = {
        **follow_figures(photo_rgb, encoded_rgb), "renders": len(photo_rgb),
        "random_z": {k: baseline[k] for k in ("luma_r", "rgb_r", "luma_gap", "render_luma_range")},
    }
    if own_photos is not None:
        ceiling, against = follow_figures(photo_rgb, np.array(truth_rgb)), follow_figures(np.array(truth_rgb), encoded_rgb)
        result["ceiling"] = {k: ceiling[k] for k in ("luma_r", "rgb_r", "luma_gap")}
        result["against_own_photo"] = {k: against[k] for k in ("luma_r", "rgb_r", "luma_gap")}
    return result


def style_follow(
    t: engine.Translator,
    maps: list[np.ndarray],  # held-out label maps (class ids, H x W)
    photos: list[np.ndarray],  # held-out photos (H x W x 3 uint8), photos[i] the photo of maps[i]
    *,
    other_photos: list[np.ndarray] = (),  # photos of other drives (the training split), as taken
    n_photos: int = STYLE_PHOTOS,
    maps_per_style: int = MAPS_PER_STYLE,
) -> dict:
    """The headline figures: n_photos held-out photos, each in every light of LOOKS (a held-out set is
    often one drive on one day: CamVid's val photos span luma 0.29-0.38 only, too narrow for a
    correlation to mean anything), as the style of maps of other frames, with the ceiling a perfect
    renderer reaches on the same pairs (see the module's note). Beside them: the held-out
    photos as taken ("as_taken"), and photos of the other drives ("other_drives"; their encoder has
    seen them, the maps it has not)."""
    if len(maps) != len(photos) or len(maps) < 2:
        raise ValueError(f"style_follow needs paired maps and photos (2 or more), got {len(maps)} and {len(photos)}")
    picked = spread_indices(len(photos), n_photos)
    relit = [(j, relight(photos[j], gamma=g, gains=c), (g, c)) for j in picked for g, c in LOOKS.values()]
    result = {
        **_figures_for(t, maps, relit, maps_per_style=maps_per_style, seed=5000, own_photos=photos),
        "looks": list(LOOKS), "style_photos": len(picked),
    }
    as_taken = [(j, photos[j], None) for j in picked]
    result["as_taken"] = _figures_for(t, maps, as_taken, maps_per_style=maps_per_style, seed=6000, own_photos=photos)
    if len(other_photos):
        others = [(-1, other_photos[j], None) for j in spread_indices(len(other_photos), n_photos)]
        result["other_drives"] = _figures_for(t, maps, others, maps_per_style=maps_per_style, seed=7000)
    return result
