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


def generic_palette(n: int) -> tuple[PaletteEntry, ...]:
    """Distinct colours for n classes named "class i" (the PASCAL VOC bit-interleaving colour map)."""
    entries = []
    for i in range(n):
        rgb, c = [0, 0, 0], i
        for bit in range(8):
            for ch in range(3):
                rgb[ch] |= ((c >> ch) & 1) << (7 - bit)
            c >>= 3
        entries.append(PaletteEntry(f"class {i}", (rgb[0], rgb[1], rgb[2])))
    return tuple(entries)


def palette_from(source: object) -> tuple[PaletteEntry, ...]:
    """The one palette reader: PaletteEntry items, or a list (at the top level or under "palette"
    or "classes" of a dict) whose entries are {"name", "rgb" (or "color")}, (name, rgb),
    [name, r, g, b] or a bare [r, g, b] (named "class i"). Raises ValueError naming a bad entry."""
    if isinstance(source, dict):
        source = source.get("palette", source.get("classes"))
    if not isinstance(source, list | tuple) or not source:
        raise ValueError("expected a non-empty list of colours (at the top level or under 'palette'/'classes')")
    entries = []
    for i, item in enumerate(source):
        if isinstance(item, PaletteEntry):
            entries.append(item)
            continue
        if isinstance(item, dict) and "name" in item and ("rgb" in item or "color" in item):
            name, rgb = item["name"], item.get("rgb", item.get("color"))
        elif isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str):
            name, rgb = item
        elif isinstance(item, list | tuple) and len(item) == 4 and isinstance(item[0], str):
            name, rgb = item[0], item[1:]
        elif isinstance(item, list | tuple) and len(item) == 3:
            name, rgb = f"class {i}", item
        else:
            raise ValueError(f"palette entry {item!r} is not {{'name': ..., 'rgb': [r, g, b]}}, [name, r, g, b] or [r, g, b]")
        try:
            values = tuple(int(c) for c in rgb)
        except (TypeError, ValueError):
            values = ()
        if len(values) != 3:
            raise ValueError(f"palette entry {item!r}: the colour must be [r, g, b]")
        entries.append(PaletteEntry(str(name), values))
    return tuple(entries)
