"""The input contract of a model: what it takes, at what size, with which controls.

It travels in the model's config.json and in its manifest entry; the app decides which controls
to show from it (palette swatches, seed and z controls, a style photo, a direction switch).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

INPUT_KINDS = ("sketch", "labels", "photo")
LABEL_ENCODINGS = ("onehot", "rgb")


@dataclass(frozen=True)
class PaletteEntry:
    name: str
    rgb: tuple[int, int, int]


@dataclass(frozen=True)
class InputContract:
    kind: str  # "sketch" (black ink on white), "labels" (a painted class map) or "photo"
    size: int = 256  # native side in pixels: the long side inputs are scaled to
    channels: int = 3  # channels the network itself takes (1 for sketches, K for one-hot labels)
    value_range: tuple[float, float] = (-1.0, 1.0)  # network input/output range
    palette: tuple[PaletteEntry, ...] = ()  # label classes with their colours, id = position
    label_encoding: str = "onehot"  # how labels enter the network: one-hot ids or palette RGB
    blank_class: int = 0  # the class an empty canvas and padding are filled with
    nz: int = 0  # latent size for models that take z (0: none)
    style: bool = False  # takes a style photo through a style encoder
    encoder: bool = False  # ships an encoder that maps a photo to z
    directions: dict[str, str] = field(default_factory=dict)  # e.g. {"AtoB": "horse → zebra"}
    any_resolution: bool = False  # fully convolutional: runs at the photo's own size up to a cap

    def __post_init__(self) -> None:
        if self.kind not in INPUT_KINDS:
            raise ValueError(f"input kind must be one of {INPUT_KINDS}, got {self.kind!r}")
        if self.label_encoding not in LABEL_ENCODINGS:
            raise ValueError(f"label_encoding must be one of {LABEL_ENCODINGS}, got {self.label_encoding!r}")
        if self.kind == "labels" and not self.palette:
            raise ValueError("a label-map model needs a palette")

    @property
    def takes_z(self) -> bool:
        return self.nz > 0

    @property
    def class_names(self) -> list[str]:
        return [p.name for p in self.palette]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["palette"] = [{"name": p.name, "rgb": list(p.rgb)} for p in self.palette]
        data["value_range"] = list(self.value_range)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> InputContract:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown contract fields {sorted(unknown)}; valid: {sorted(known)}")
        data = dict(data)
        data["palette"] = tuple(PaletteEntry(p["name"], tuple(p["rgb"])) for p in data.get("palette", ()))
        if "value_range" in data:
            data["value_range"] = tuple(data["value_range"])
        return cls(**data)
