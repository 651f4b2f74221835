"""The style-follow figure of `trainers evaluate`: renders whose mean colour is their style photo's
score r = 1 and no gap; renders that ignore the photo score r = 0; each render is paired with its
own style photo, in every light, and never with its own frame's map."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from trainers.evaluation.style_follow import LOOKS, follow_figures, relight, style_follow


class ColourFromCode:
    """A stand-in translator whose render is a flat picture in the colour its code says; its encoder
    reads a photo's mean colour (follows=True) or gives one code whatever the photo (follows=False)."""

    def __init__(self, *, follows: bool) -> None:
        self.follows = follows
        self.maps_seen: list[int] = []

    def prepare(self, ids: np.ndarray) -> tuple[torch.Tensor, SimpleNamespace]:
        self.maps_seen.append(int(ids[0, 0]))
        return torch.zeros(1, 1, *ids.shape), SimpleNamespace(scaled=(ids.shape[1], ids.shape[0]))

    def encode(self, photo: np.ndarray) -> torch.Tensor:
        mean = torch.tensor(np.asarray(photo, dtype=np.float32).reshape(-1, 3).mean(0) / 127.5 - 1)
        return mean if self.follows else torch.zeros(3)

    def random_z(self, seed: int, n: int = 1) -> torch.Tensor:
        return torch.rand(n, 3, generator=torch.Generator().manual_seed(seed)) * 2 - 1

    def forward_tensor(self, x: torch.Tensor, *, z: torch.Tensor, direction: str | None = None) -> torch.Tensor:
        return z.view(-1, 3, 1, 1).expand(-1, 3, *x.shape[-2:]).clone()


def _street(n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """n maps (map i is filled with i, to see which were used) and n photos of varied colour."""
    rng = np.random.default_rng(0)
    maps = [np.full((8, 8), i, np.uint8) for i in range(n)]
    photos = [np.broadcast_to(rng.integers(40, 200, 3).astype(np.uint8), (8, 8, 3)).copy() for _ in range(n)]
    return maps, photos


def test_a_render_in_its_photos_colours_follows_it_and_random_codes_do_not():
    maps, photos = _street(20)
    follower = ColourFromCode(follows=True)
    result = style_follow(follower, maps, photos, other_photos=photos[:6], n_photos=10, maps_per_style=2)
    assert result["luma_r"] > 0.99 and result["rgb_r"] > 0.99 and result["luma_gap"] < 0.01
    assert result["renders"] == 10 * len(LOOKS) * 2 and result["style_photos"] == 10
    assert abs(result["random_z"]["luma_r"]) < 0.5 and result["random_z"]["luma_gap"] > 0.05
    assert result["as_taken"]["luma_r"] > 0.99 and result["other_drives"]["renders"] == 6 * 2
    # The relit photos span far more light than the photos as taken.
    assert np.ptp(result["photo_luma_range"]) > np.ptp(result["as_taken"]["photo_luma_range"])


def test_the_ceiling_is_what_a_perfect_renderer_scores_on_other_streets():
    maps, photos = _street(20)
    result = style_follow(ColourFromCode(follows=True), maps, photos, other_photos=photos[:6], n_photos=10, maps_per_style=2)
    for figures in (result, result["as_taken"]):
        # Each map's own photo (in the style photo's light) is another colour than the style photo:
        # a renderer copying the style photo's colour scores 1 against the style photo, and exactly
        # the ceiling's figures against the maps' own photos (the same pairs, the other way round).
        ceiling, against = figures["ceiling"], figures["against_own_photo"]
        assert ceiling["luma_gap"] > 0.02 and ceiling["luma_r"] < 0.999
        assert against["luma_r"] == pytest.approx(ceiling["luma_r"]) and against["luma_gap"] == pytest.approx(ceiling["luma_gap"])
    # Relit, the maps' own photos take the same light as their style photo: the ceiling's r rises.
    assert result["ceiling"]["luma_r"] > result["as_taken"]["ceiling"]["luma_r"]
    assert "ceiling" not in result["other_drives"]  # their maps are not in the set


def test_a_model_deaf_to_the_photo_scores_no_correlation():
    maps, photos = _street(20)
    result = style_follow(ColourFromCode(follows=False), maps, photos, n_photos=10, maps_per_style=2)
    assert result["luma_r"] == 0.0 and result["rgb_r"] == 0.0 and result["luma_gap"] > 0.05


def test_no_photo_styles_its_own_frame_or_its_neighbours():
    maps, photos = _street(25)
    model = ColourFromCode(follows=True)
    style_follow(model, maps, photos, n_photos=5, maps_per_style=4)
    # First the relit photos: per style photo j (0, 6, 12, 18, 24) and look, 4 maps for the encoded
    # renders and the same 4 for the random ones.
    used = np.array(model.maps_seen[: 5 * len(LOOKS) * 2 * 4]).reshape(5, len(LOOKS), 2, 4)[:, 0, 0]
    for j, maps_used in zip((0, 6, 12, 18, 24), used, strict=True):
        distance = np.minimum(np.abs(maps_used - j), 25 - np.abs(maps_used - j))
        assert distance.min() >= 5, f"photo {j} styled maps {maps_used}"


def test_follow_figures_and_relight():
    colours = np.random.default_rng(1).random((30, 3))
    same = follow_figures(colours, colours)
    assert same["luma_r"] == pytest.approx(1.0) and same["luma_gap"] == pytest.approx(0.0)
    assert follow_figures(colours, np.full_like(colours, 0.4))["luma_r"] == 0.0
    photo = np.full((4, 4, 3), 120, np.uint8)
    assert relight(photo, gamma=1.8, gains=(1, 1, 1)).mean() < 120 < relight(photo, gamma=0.55, gains=(1, 1, 1)).mean()
    warm = relight(photo, gamma=1.0, gains=(1.15, 1.0, 0.8))[0, 0]
    assert warm[0] > 120 > warm[2]


def test_maps_and_photos_must_pair():
    maps, photos = _street(4)
    with pytest.raises(ValueError, match="paired maps and photos"):
        style_follow(ColourFromCode(follows=True), maps, photos[:3])
