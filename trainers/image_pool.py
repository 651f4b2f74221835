"""The history of generated images CycleGAN's discriminators also learn from (Shrivastava et al.)."""
from __future__ import annotations

import torch


class ImagePool:
    def __init__(self, *, size: int) -> None:
        self.size = size
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor, *, generator: torch.Generator) -> torch.Tensor:
        """Return a batch where each image is, with probability 1/2 once the pool is full, swapped
        for an older one (the new one takes its place). Randomness from `generator`: resumable."""
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand((), generator=generator).item() > 0.5:
                idx = int(torch.randint(0, self.size, (), generator=generator))
                # An image from before a resume at another crop size is only replaced: a batch
                # needs one size.
                same_size = self.images[idx].shape == image.shape
                out.append(self.images[idx].clone() if same_size else image)
                self.images[idx] = image.clone()
            else:
                out.append(image)
        return torch.cat(out, 0)

    def state_dict(self) -> dict:
        return {"images": [t.cpu() for t in self.images]}

    def load_state_dict(self, state: dict, *, device: torch.device) -> None:
        self.images = [t.to(device) for t in state["images"]]
