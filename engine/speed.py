"""Faster inference with the same numbers: `optimize_for_inference(net, device)`.

engine.load applies it to every network it builds. Each rewrite is exact up to float rounding:
outputs stay within 1e-4 of the eval-mode network in fp32 (tests/test_engine_speed.py checks
every architecture). Measured with `python -m engine.bench --threads 1` (2-core AVX-512 CPU,
batch 1 at 256 px, CPU time per image, plain -> here):

- oneDNN convolutions on weights laid out once per input shape (`mkldnn._convolution_pointwise`),
  in channels_last, with the following ReLU / LeakyReLU / Tanh fused in: the main win. The plain
  path re-lays-out every weight on every call, which dominates at the small, deep levels.
  Packing for the exact shape instead of a generic layout is worth another ~10%; the first call
  at a new shape pays for the packing (~0.5 s for the ngf-64 U-Net).
  pix2pix U-Net ngf 64: ~240 -> ~130 ms (near the CPU's fp32 peak); SPADE ngf 32: ~1.5 -> ~1.35 s.
- BatchNorm folded into the convolution before it (eval statistics), spectral norm baked into
  the weight (eval does no power iteration), Dropout removed (identity in eval). In the U-Net,
  the in-place LeakyReLU that opens each level moves into the conv that ends the level above.
- InstanceNorm is fast and exact only on NCHW tensors (on channels_last it copies, and the
  channels_last batch-norm kernel is off by up to 1e-3). In networks with InstanceNorm, large
  maps keep the plain NCHW convolution and only small, weight-bound maps (<= 32 x 32) are packed:
  BicycleGAN U-Net ~260 -> ~165 ms. CycleGAN's ResNet is compute-bound 3x3 convs at 64 x 64,
  already near peak: it stays at plain speed (~1.2 s).
- No gain or not worth it: channels_last alone and inference_mode instead of no_grad (within
  noise), torch.jit.trace + freeze + optimize_for_inference (~1.25x, slow to load), rewriting
  the last transposed conv as GEMM + col2im (-5 ms, not worth a kernel of our own). Threads: on
  a busy machine one thread beats two (OpenMP barriers wait for a descheduled thread); the engine
  leaves torch's default. torch.compile (inductor, frozen weights) matches this path on pix2pix
  and is ~15% faster on BicycleGAN, but compiles for 10-100 s per input shape: a bench option.
  Quiet 2-thread wall clock, p50: pix2pix 132 -> 69 ms, BicycleGAN 135 -> 84 ms, SPADE 808 -> 667 ms,
  CycleGAN 550 -> 546 ms.

On CUDA the networks go channels_last and Translator runs them under bf16 autocast; nothing is
packed. Rewritten networks are for inference only: no autograd, no state_dict round trip.
"""
from __future__ import annotations

import logging
import os

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

logger = logging.getLogger(__name__)

OPTIMIZE_ENV = "GANVAS_OPTIMIZE"  # "0": keep the plain eval networks (to rule this module out)
SMALL_MAP_PIXELS = 32 * 32  # in networks with InstanceNorm, only inputs this small are packed
PACKED_SHAPES_KEPT = 3  # weight layouts kept per conv, one per input shape seen most recently

_CONVS = (nn.Conv2d, nn.ConvTranspose2d)
_POST_OPS = {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Tanh: "tanh"}


def optimize_for_inference(net: nn.Module, device: str | torch.device) -> nn.Module:
    """Rewrite `net` in place for fast inference on `device` and return it; outputs unchanged."""
    device = torch.device(device)
    net.eval().requires_grad_(False)
    if os.environ.get(OPTIMIZE_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return net
    _bake_spectral_norm(net)
    _drop_dropout(net)
    _fold_batchnorm(net)
    if device.type == "cpu" and _packing_available():
        try:
            _pack_convolutions(net)
        except RuntimeError as exc:  # an unusual oneDNN build: the unpacked network is still correct
            logger.warning("oneDNN weight packing failed, running unpacked: %s", exc)
    elif device.type == "cuda":
        net.to(memory_format=torch.channels_last)
    return net


# ----- exact rewrites, any device -----
def _bake_spectral_norm(net: nn.Module) -> None:
    for module in net.modules():
        for hook in list(module._forward_pre_hooks.values()):
            if type(hook).__name__ == "SpectralNorm":
                nn.utils.remove_spectral_norm(module, name=hook.name)


def _drop_dropout(net: nn.Module) -> None:
    for module in net.modules():
        for name, child in module.named_children():
            if isinstance(child, nn.Dropout | nn.Dropout2d):
                setattr(module, name, nn.Identity())


def _fold_batchnorm(net: nn.Module) -> None:
    """A conv followed by a BatchNorm -> one conv (eval statistics): in a Sequential, and in modules
    that name their (conv, norm) attribute pairs in `conv_bn_pairs` (EfficientNet-Lite blocks)."""
    for seq in [m for m in net.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            folded = _folded(seq[i], seq[i + 1])
            if folded is not None:
                seq[i], seq[i + 1] = folded, nn.Identity()
    for module in [m for m in net.modules() if hasattr(m, "conv_bn_pairs")]:
        for conv_name, bn_name in module.conv_bn_pairs:
            folded = _folded(getattr(module, conv_name), getattr(module, bn_name))
            if folded is not None:
                setattr(module, conv_name, folded)
                setattr(module, bn_name, nn.Identity())


def _folded(conv: nn.Module, bn: nn.Module) -> nn.Module | None:
    if not (isinstance(conv, _CONVS) and isinstance(bn, nn.BatchNorm2d) and bn.running_mean is not None):
        return None
    if not bn.affine:  # fuse_conv_bn_eval wants a scale and shift: use 1 and 0
        bn = _with_unit_affine(bn)
    return fuse_conv_bn_eval(conv, bn, transpose=isinstance(conv, nn.ConvTranspose2d))  # a copy: keeps a subclass's forward


def _with_unit_affine(bn: nn.BatchNorm2d) -> nn.BatchNorm2d:
    out = nn.BatchNorm2d(bn.num_features, eps=bn.eps, affine=True).eval()
    out.running_mean.copy_(bn.running_mean)
    out.running_var.copy_(bn.running_var)
    return out


# ----- CPU: oneDNN convolutions with packed weights -----
def _packing_available() -> bool:
    ops = getattr(torch.ops, "mkldnn", None)
    return (
        torch.backends.mkldnn.is_available()
        and ops is not None
        and all(hasattr(ops, name) for name in ("_convolution_pointwise", "_convolution_transpose_pointwise"))
    )


def _packable(conv: nn.Module) -> bool:
    return (
        type(conv) in _CONVS  # not a subclass with a forward of its own (e.g. "same" padding)
        and conv.padding_mode == "zeros"
        and not isinstance(conv.padding, str)
        and conv.weight.dtype == torch.float32
        and conv.weight.device.type == "cpu"
    )


class PackedConv2d(nn.Module):
    """A Conv2d or ConvTranspose2d run by oneDNN on a weight laid out for the input shape, with the
    activation after it fused in. Returns channels_last (or NCHW with `small_maps_only`)."""

    def __init__(self, conv: nn.Conv2d | nn.ConvTranspose2d, *, post_op: nn.Module | None = None, small_maps_only: bool = False) -> None:
        super().__init__()
        self.transposed = isinstance(conv, nn.ConvTranspose2d)
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        self.padding, self.stride = list(conv.padding), list(conv.stride)
        self.dilation, self.groups = list(conv.dilation), conv.groups
        self.output_padding = list(conv.output_padding) if self.transposed else [0, 0]
        self.post_op = post_op
        self.attr = _POST_OPS[type(post_op)] if post_op is not None else "none"
        self.scalars = [post_op.negative_slope] if isinstance(post_op, nn.LeakyReLU) else [None]
        # Networks with InstanceNorm: large maps run the plain NCHW conv, small ones are packed.
        self.small_maps_only = small_maps_only
        # Plain tensors, not parameters: this module is a frozen inference kernel.
        self.weight = conv.weight.detach().float().contiguous()
        self.bias = None if conv.bias is None else conv.bias.detach().float().contiguous()
        self._packed: dict[tuple[int, ...], torch.Tensor] = {}
        self._pack(None)  # fail now, at load, if this oneDNN cannot pack it

    def _pack(self, shape: tuple[int, ...] | None) -> torch.Tensor:
        mk = torch.ops.mkldnn
        size = list(shape) if shape is not None else None
        if self.transposed:
            return mk._reorder_convolution_transpose_weight(
                self.weight, self.padding, self.output_padding, self.stride, self.dilation, self.groups, size
            )
        return mk._reorder_convolution_weight(self.weight, self.padding, self.stride, self.dilation, self.groups, size)

    def _packed_for(self, shape: tuple[int, ...]) -> torch.Tensor:
        packed = self._packed.get(shape)
        if packed is None:
            if len(self._packed) >= PACKED_SHAPES_KEPT:  # forget the oldest layout
                self._packed.pop(next(iter(self._packed), None), None)
            packed = self._packed[shape] = self._pack(shape)
        return packed

    def _plain(self, x: torch.Tensor) -> torch.Tensor:
        if self.transposed:
            y = F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding, self.groups, self.dilation)
        else:
            y = F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        return y if self.post_op is None else self.post_op(y)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.small_maps_only and x.shape[-2] * x.shape[-1] > SMALL_MAP_PIXELS:
            return self._plain(x.contiguous())
        x = x.contiguous(memory_format=torch.channels_last)
        w = self._packed_for(tuple(x.shape))
        mk = torch.ops.mkldnn
        if self.transposed:
            y = mk._convolution_transpose_pointwise(
                x, w, self.bias, self.padding, self.output_padding, self.stride, self.dilation, self.groups, self.attr, self.scalars, ""
            )
        else:
            y = mk._convolution_pointwise(x, w, self.bias, self.padding, self.stride, self.dilation, self.groups, self.attr, self.scalars, "")
        return y.contiguous() if self.small_maps_only else y

    def extra_repr(self) -> str:
        kind = ", transposed" if self.transposed else ""
        small = ", small maps only" if self.small_maps_only else ""
        return f"{self.in_channels}, {self.out_channels}, stride={tuple(self.stride)}{kind}, post_op={self.attr}{small}"


def _pack_convolutions(net: nn.Module) -> None:
    from .nets import UnetGenerator

    small_only = any(isinstance(m, nn.InstanceNorm2d) for m in net.modules())
    if not small_only:
        for module in list(net.modules()):
            if isinstance(module, UnetGenerator):
                _fuse_unet_skips(module)
    for module in list(net.modules()):
        if isinstance(module, nn.Sequential):
            for i, child in enumerate(module):
                if not _packable(child):
                    continue
                nxt = module[i + 1] if i + 1 < len(module) else None
                post_op = nxt if type(nxt) in _POST_OPS else None
                module[i] = PackedConv2d(child, post_op=post_op, small_maps_only=small_only)
                if post_op is not None:
                    module[i + 1] = nn.Identity()
        else:
            for name, child in module.named_children():
                if _packable(child):
                    setattr(module, name, PackedConv2d(child, small_maps_only=small_only))


def _last_layer(seq: nn.Sequential) -> int:
    return max(i for i, m in enumerate(seq) if not isinstance(m, nn.Identity))


def _fuse_unet_skips(unet: nn.Module) -> None:
    """Move the in-place activation that opens each U-Net level into the conv that ends the level above.

    UnetGenerator.forward keeps each level's output as its skip; the next level's in-place
    LeakyReLU rewrites that same tensor, so the skip already carries the activation (as in the
    original pix2pix code). Computing it in the conv instead is the same function. Not where z is
    concatenated at a level: there the activation hits the concatenation, not the skip.
    """
    if unet.nz and unet.inject_z == "all":
        return
    down, up = unet.down, unet.up
    for level in range(len(down) - 1):
        act = down[level + 1][0]
        if not (isinstance(act, nn.LeakyReLU | nn.ReLU) and act.inplace and _packable(down[level][_last_layer(down[level])])):
            return
    for level in range(len(down) - 1):
        upper, lower = down[level], down[level + 1]
        last = _last_layer(upper)
        upper[last] = PackedConv2d(upper[last], post_op=lower[0])
        lower[0] = nn.Identity()
    # The innermost output feeds only the innermost decoder, which opens with an in-place ReLU.
    inner, inner_up = down[-1], up[-1]
    last = _last_layer(inner)
    if _packable(inner[last]) and isinstance(inner_up[0], nn.ReLU):
        inner[last] = PackedConv2d(inner[last], post_op=inner_up[0])
        inner_up[0] = nn.Identity()
