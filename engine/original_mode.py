"""The authors' test-time behaviour for pix2pix and CycleGAN generators.

pytorch-CycleGAN-and-pix2pix's test.py calls `model.eval()` only when `--eval` is passed, and the
documented pix2pix test command does not pass it: released pix2pix U-Nets were run with batch
statistics in every BatchNorm and with Dropout(0.5) active. GANvas runs every network in eval mode;
`use_original_test_mode(translator)` switches a loaded model to the authors' behaviour and
`use_original_test_mode(translator, enabled=False)` switches it back. SPADE's and BicycleGAN's test
scripts call eval(), so there is nothing to switch for them.

Loading rewrites networks for speed (BatchNorm folded into convolutions, Dropout removed), so the
switch puts networks rebuilt from the model folder in their place, and switching back restores the
fast ones. BatchNorm layers use the statistics of the batch being translated without updating
their stored running statistics. With dropout active, outputs change from call to call (torch's
global generator drives it), as they did for the authors.
"""
from __future__ import annotations

from torch import nn

from .families import FAMILIES, family_spec
from .loading import build_networks
from .model_format import read_tensors, split_by_role
from .translator import Translator

_SAVED = "_eval_networks"  # where a translator keeps its eval networks while in the original mode


def set_original_test_mode(net: nn.Module, enabled: bool = True, *, dropout: bool = True) -> nn.Module:
    """Batch statistics (and, with dropout, active Dropout) in `net`; enabled=False: plain eval."""
    for module in net.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            if enabled:
                # training + not tracking: F.batch_norm normalises with batch statistics and
                # leaves running_mean / running_var untouched.
                module.train()
                module.track_running_stats = False
            else:
                module.eval()
                module.track_running_stats = module.running_mean is not None
        elif isinstance(module, nn.modules.dropout._DropoutNd):
            module.train(enabled and dropout)
    return net


def _as_built(translator: Translator, roles: list[str]) -> dict[str, nn.Module]:
    """The generators as their constructors build them, with the folder's weights."""
    if translator.folder is None:  # made in memory: its networks are as built
        return {role: translator.networks[role] for role in roles}
    networks = build_networks({"networks": {role: translator.config["networks"][role] for role in roles}})
    state, _ = split_by_role(read_tensors(translator.folder))
    for role, net in networks.items():
        net.load_state_dict(state[role], strict=True)
        net.requires_grad_(False).to(translator.device)
    return networks


def use_original_test_mode(translator: Translator, enabled: bool = True, *, dropout: bool = True) -> Translator:
    """Run a pix2pix or CycleGAN model as the authors' test.py did; returns the same translator."""
    if not translator.spec.official_test_skips_eval:
        without_eval = [f for f in FAMILIES if family_spec(f).official_test_skips_eval]
        raise ValueError(
            f"{translator.name} is a {translator.family} model, whose official test script already runs in eval mode; "
            f"the original test mode exists for {', '.join(without_eval)} models"
        )
    roles = [role for role in translator.spec.generators if role in translator.networks]
    saved = getattr(translator, _SAVED, None)
    if not enabled:
        if saved is not None:
            translator.networks.update(saved)
            delattr(translator, _SAVED)
        for role in roles:
            if isinstance(translator.networks[role], nn.Module):  # not an ONNX graph
                set_original_test_mode(translator.networks[role], False)
        return translator
    if saved is None:
        setattr(translator, _SAVED, {role: translator.networks[role] for role in roles})
        translator.networks.update(_as_built(translator, roles))
    for role in roles:
        set_original_test_mode(translator.networks[role], dropout=dropout)
    return translator
