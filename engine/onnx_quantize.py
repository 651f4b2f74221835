"""int8 compute for a generator's ONNX graph: ONNX Runtime static quantization, calibrated on real inputs.

QDQ format, weights int8 per output channel (symmetric), activations uint8 with ranges from the
calibration inputs (percentile calibration: min-max let a few extreme activations widen the ranges
and cost realism on the cat model). Only generators are quantized: encoders run once per style
photo and stay fp32. The calibration inputs are files (the project's assets plus training-split
inputs), listed in onnx.json with how each became a network input, so the graph can be made again.
"""
from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

PERCENTILE = 99.999


@dataclass
class Calibration:
    """Network inputs per generator role, and the record of where they came from (for onnx.json)."""

    feeds: dict[str, list[dict[str, np.ndarray]]]  # role -> [{"x": ..., "z": ...}, ...]
    record: dict = field(default_factory=dict)
    keep_fp32: str | None = None  # regular expression over node names that stay fp32


def quantize_graph(src: Path, dst: Path, feeds: list[dict[str, np.ndarray]], *, keep_fp32: str | None = None) -> list[str]:
    """fp32 graph at src -> int8 QDQ graph at dst, activation ranges from feeds. Nodes whose name
    matches the regular expression keep_fp32 stay in fp32; returns their names."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not feeds:
        raise ValueError("int8 quantization needs calibration inputs")
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        kept = [n.name for n in onnx.load(str(pre)).graph.node if keep_fp32 and re.search(keep_fp32, n.name)]
        reader = _feed_reader(feeds)
        quantize_static(
            str(pre), str(dst), reader, quant_format=QuantFormat.QDQ, per_channel=True, nodes_to_exclude=kept,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile, extra_options={"CalibPercentile": PERCENTILE},
        )
    return kept


def _feed_reader(feeds: list[dict[str, np.ndarray]]) -> object:
    """ONNX Runtime's CalibrationDataReader over a list of feeds (its module loads onnx: imported late)."""
    from onnxruntime.quantization import CalibrationDataReader

    class FeedReader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._it, None)

    return FeedReader()


def int8_deviation(fp32: Path, int8: Path, feeds: list[dict[str, np.ndarray]]) -> tuple[float, float]:
    """(mean, max) |int8 - fp32| over the feeds, in the output's [-1, 1] units."""
    from .onnx_backend import make_session

    a, b = make_session(fp32), make_session(int8)
    means, worst = [], 0.0
    for feed in feeds:
        d = np.abs(a.run(None, feed)[0] - b.run(None, feed)[0])
        means.append(float(d.mean()))
        worst = max(worst, float(d.max()))
    return float(np.mean(means)), worst
