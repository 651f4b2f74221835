"""Networks that describe themselves, and the registry of architecture names.

A GANvas network subclasses `Network` and is registered under its architecture name with
`@register_network("unet")`. It records the keyword arguments it was built with (`init_kwargs`,
as passed, so a saved config is what the caller asked for) and declares, in one way, what input
it takes: `size_multiple` (the input side must be a multiple of it), `min_size`, `input_size`
(a fixed native side, for encoders that have one) and `example_inputs` (a batch it accepts).
"""
from __future__ import annotations

import functools
from typing import ClassVar

import torch
from torch import nn

ARCHITECTURES: dict[str, type[Network]] = {}


class Network(nn.Module):
    arch: ClassVar[str] = ""  # set by register_network
    size_multiple: int = 1
    min_size: int = 1
    input_size: int | None = None  # a fixed input side (an encoder with a dense head), else None
    takes_latent: ClassVar[bool] = False  # forward(x, z): z is a second input
    init_kwargs: dict

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            return
        init = cls.__init__

        @functools.wraps(init)
        def recording_init(self: Network, *args: object, **kw: object) -> None:
            if args:
                raise TypeError(f"{cls.__name__} takes keyword arguments only")
            init(self, **kw)
            self.init_kwargs = dict(kw)  # a subclass's constructor finishes last: its arguments win

        cls.__init__ = recording_init

    def example_inputs(self, *, batch: int, size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
        """A batch the network accepts at `size` x `size`: images in [-1, 1] (and z where it takes one)."""
        x = torch.rand(batch, self.init_kwargs.get("in_channels", 3), size, size, generator=generator) * 2 - 1
        nz = self.init_kwargs.get("nz", 0)
        return (x, torch.randn(batch, nz, generator=generator)) if nz and self.takes_latent else (x,)


def register_network(arch: str):  # noqa: ANN201  (a class decorator)
    def register(cls: type[Network]) -> type[Network]:
        if arch in ARCHITECTURES:
            raise ValueError(f"architecture {arch!r} is registered twice")
        cls.arch = arch
        ARCHITECTURES[arch] = cls
        return cls

    return register


def build_network(arch: str, **kwargs: object) -> Network:
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(sorted(ARCHITECTURES))}")
    try:
        return ARCHITECTURES[arch](**kwargs)
    except TypeError as exc:  # an unknown or missing keyword: name the architecture
        raise ValueError(f"bad arguments for {arch!r}: {exc}") from exc


def describe(net: nn.Module) -> tuple[str, dict]:
    """(architecture name, constructor arguments) of a GANvas network (compiled or not)."""
    net = getattr(net, "_orig_mod", net)  # torch.compile's wrapper
    if not isinstance(net, Network):
        raise TypeError(f"{type(net).__name__} is not a GANvas network (engine.nets.Network)")
    return net.arch, dict(net.init_kwargs)
