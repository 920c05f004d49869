# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""MVTec AD-format defect data sets with exact masks, made from images that ship with scikit-image.

Each data set is one MVTec-style category (``Folder(mask_dir=...)`` and ``MVTecAD`` both read it)::

    ROOT/<source>_<size>_<colour>/train/good/000.png             normal crops
                                  test/good/000.png              normal crops from held-out source pixels
                                  test/<defect>/000.png          a held-out normal crop with one synthetic defect
                                  ground_truth/<defect>/000_mask.png   255 where the defect was applied, else 0
                                  manifest.json                  the settings it was written with

Sources (scikit-image's bundled files, nothing is downloaded): ``brick`` and ``gravel`` (grey textures),
``ihc`` (scikit-image's ``immunohistochemistry``, an RGB stained-tissue texture) and ``coffee`` (an RGB object: the
cup, re-framed with a small random shift, rotation and brightness change per image). Texture crops cover a fixed
field of view of the source (128 source pixels) resized to ``size``, so the 64 and 128 px data sets show the same
content at two resolutions; test crops (normal and defective) come from the bottom 40 % of the texture, which no
training crop touches. Larger textures (256 px) are cut at the source's own resolution (a field of ``size`` source
pixels, never upsampled): training crops from the top of the source, test crops from its bottom ``size`` rows, each
flipped at random along either axis (the 512 px sources leave these bands little room to move). The object is
resized from its field (340 source pixels) at every size.

Defects (:data:`DEFECTS`), each placed in units of the image side and sized in units of the image side up to
:data:`DEFECT_UNIT` pixels (so that the 64 and 128 px data sets get the same ones) and of :data:`DEFECT_UNIT` pixels
above: a 256 px image gets defects as many pixels across as a 128 px image, half as wide relative to the image (the
small defects that tiling is for):
``scratch`` (a thin bright or dark line), ``stain`` (an irregular dark, for RGB brownish, blob), ``hole`` (a
missing patch filled with black), ``shift`` (a region blended towards a contrasting intensity, for RGB a saturated
colour) and ``noise`` (Gaussian noise in a rectangle). A defect changes the pixels of its mask and no others, so
the masks are exact.

Writing is deterministic (the same seed gives the same bytes), idempotent (an existing data set with the same
settings is left alone; other settings are refused) and atomic (each data set is written into a temporary folder
beside it, then renamed into place).

    python -m benchmarks.defects.data --root benchmarks/work/defects                 # 8 data sets, ~10 s
    python -m benchmarks.defects.data --root /tmp/d --sources brick --sizes 32 --train 24 --test-good 6 --per-defect 3
"""

import argparse
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image, ImageDraw

from benchmarks.common.paths import WORK

FORMAT_VERSION = 1
"""Bumped whenever the same settings would write other images; part of the manifest."""

COUNTS = {"train": 300, "test_good": 60, "per_defect": 16}
"""Images per data set by default, about an MVTec AD category's: normal training images, normal test images, and
defective test images of each kind."""

TEST_BAND = 0.6
"""Texture test crops (normal and defective) start below this fraction of the source's height; training crops
end above it (textures larger than their source field: see :func:`texture_window`)."""

DEFECT_UNIT = 128
"""Defects are sized in units of the image side up to this many pixels, and of this many pixels in larger images."""

LARGE_SIZE = 256
"""Data sets of at least this side are the large-image benchmark: tiled models run there beside whole-image ones."""


@dataclass(frozen=True)
class Source:
    """A scikit-image sample image and how normal images are cut from it.

    Attributes:
        loader: Name of the ``skimage.data`` function (bundled with scikit-image, no download).
        colour: ``"grey"`` or ``"rgb"``.
        kind: ``"texture"`` (random crops) or ``"object"`` (the same object, re-framed with small random changes).
        field: Side of the square cut from the source, in source pixels, before resizing to the data set's size.
        centre: Object centre ``(row, column)`` in source pixels (objects only).
    """

    loader: str
    colour: str
    kind: str
    field: int
    centre: tuple[int, int] = (0, 0)


SOURCES = {
    "brick": Source("brick", "grey", "texture", 128),
    "gravel": Source("gravel", "grey", "texture", 128),
    "ihc": Source("immunohistochemistry", "rgb", "texture", 128),
    "coffee": Source("coffee", "rgb", "object", 340, centre=(195, 285)),
}
"""Data set sources: two grey textures, an RGB texture and an RGB object."""


def load_source(source: Source) -> np.ndarray:
    """The source image as float32 ``(H, W, C)`` in ``[0, 1]``, ``C`` = 1 (grey) or 3 (RGB)."""
    image = np.asarray(getattr(skimage.data, source.loader)(), dtype=np.float32) / 255
    return image[..., None] if source.colour == "grey" else image[..., :3]


def to_pil(image: np.ndarray) -> Image.Image:
    """A float ``(H, W, C)`` image in ``[0, 1]`` as an 8-bit PIL image (``L`` or ``RGB``)."""
    array = np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)
    return Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


def from_pil(image: Image.Image) -> np.ndarray:
    """An 8-bit PIL image as float32 ``(H, W, C)`` in ``[0, 1]``."""
    array = np.asarray(image, dtype=np.float32) / 255
    return array[..., None] if array.ndim == 2 else array


def texture_window(source: Source, size: int, height: int) -> tuple[int, int]:
    """The field (side of the square cut from a texture source of ``height`` rows) and the first test row.

    Up to ``source.field`` pixels the field is ``source.field`` and the test band starts at :data:`TEST_BAND`; larger
    images are cut at the source's resolution (the field is ``size``) and the test band is the bottom ``size`` rows.

    Example:
        >>> [texture_window(SOURCES["brick"], size, 512) for size in (64, 128, 256)]
        [(128, 307), (128, 307), (256, 256)]
    """
    if size <= source.field:
        return source.field, round(TEST_BAND * height)
    return size, height - size


def normal_image(pixels: np.ndarray, source: Source, size: int, held_out: bool, rng: np.random.Generator) -> np.ndarray:
    """One normal image of ``size`` x ``size`` cut from the source's ``pixels``.

    Textures: a random square of the field (:func:`texture_window`), from the training part of the source
    (``held_out=False``) or the held-out test band, flipped at random along each axis when cut at the source's
    resolution. Objects: the object's square, shifted by up to 6 % of the field, rotated by up to 4 degrees and
    scaled in brightness by 0.9 to 1.1. Random draws do not depend on ``size`` up to the source's field.
    """
    height, width = pixels.shape[:2]
    field = source.field
    if source.kind == "texture":
        field, band = texture_window(source, size, height)
        low, high = (band, height - field) if held_out else (0, band - field)
        top = int(rng.integers(low, high + 1))
        left = int(rng.integers(0, width - field + 1))
        window = pixels[top : top + field, left : left + field]
        if field != source.field:
            flip_rows, flip_columns = rng.integers(0, 2, size=2)
            window = window[:: 1 - 2 * flip_rows, :: 1 - 2 * flip_columns]
        crop, gain = to_pil(window), 1.0
    else:
        shift = rng.uniform(-0.06, 0.06, size=2) * field
        angle, gain = rng.uniform(-4, 4), rng.uniform(0.9, 1.1)
        row, col = source.centre[0] + shift[0], source.centre[1] + shift[1]
        rotated = to_pil(pixels).rotate(angle, resample=Image.Resampling.BICUBIC, center=(col, row))
        box = (round(col - field / 2), round(row - field / 2), round(col + field / 2), round(row + field / 2))
        crop = rotated.crop(box)
    resized = crop.resize((size, size), Image.Resampling.LANCZOS) if size != field else crop
    return np.clip(from_pil(resized) * gain, 0, 1)


def _contrast(image: np.ndarray, mask: np.ndarray) -> float:
    """A grey level far from the masked region's mean: 1 (white) on dark regions, 0 (black) on bright ones."""
    return 1.0 if image[mask].mean() < 0.5 else 0.0


def defect_scale(size: int) -> float:
    """Defect sizes drawn in units of the image side are multiplied by this: 1 up to :data:`DEFECT_UNIT` pixels.

    Example:
        >>> [defect_scale(size) for size in (64, 128, 256)]
        [1.0, 1.0, 0.5]
    """
    return min(size, DEFECT_UNIT) / size


def _blob(size: int, rng: np.random.Generator, radius: tuple[float, float], wobble: float) -> np.ndarray:
    """A filled irregular closed shape (a wobbly ellipse) at a random place; radii in units of :data:`DEFECT_UNIT`
    pixels or the image side, whichever is smaller."""
    centre = rng.uniform(0.2, 0.8, size=2)
    radii = rng.uniform(*radius, size=2) * defect_scale(size)
    harmonics = rng.uniform(-wobble, wobble, size=(3, 2))  # amplitude and phase of harmonics 2, 3, 4
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    scale = 1 + sum(a * np.cos((k + 2) * angles + 3 * p) for k, (a, p) in enumerate(harmonics))
    points = [
        (float((centre[1] + radii[1] * s * np.cos(t)) * size), float((centre[0] + radii[0] * s * np.sin(t)) * size))
        for t, s in zip(angles, scale, strict=True)
    ]
    canvas = Image.new("L", (size, size), 0)
    ImageDraw.Draw(canvas).polygon(points, fill=255)
    return np.asarray(canvas) > 0


def scratch(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A thin straight or bent line (1 px at 64, 2 px at 128 and above), almost white or almost black."""
    size = image.shape[0]
    start = rng.uniform(0.15, 0.85, size=2)
    angle, length, bend = rng.uniform(0, np.pi), rng.uniform(0.3, 0.6), rng.uniform(-0.5, 0.5)
    length *= defect_scale(size)
    middle = start + length / 2 * np.array([np.cos(angle), np.sin(angle)])
    end = middle + length / 2 * np.array([np.cos(angle + bend), np.sin(angle + bend)])
    points = [tuple(float(v) for v in np.clip(p, 0.02, 0.98) * size) for p in (start, middle, end)]
    canvas = Image.new("L", (size, size), 0)
    ImageDraw.Draw(canvas).line(points, fill=255, width=max(1, round(min(size, DEFECT_UNIT) / 64)), joint="curve")
    mask = np.asarray(canvas) > 0
    value = _contrast(image, mask)
    out = image.copy()
    out[mask] = 0.15 * image[mask] + 0.85 * value
    return out, mask


def stain(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An irregular blob darkened to about half (grey), or darkened with a brown tint (RGB)."""
    mask = _blob(image.shape[0], rng, radius=(0.07, 0.14), wobble=0.25)
    factor = rng.uniform(0.45, 0.6)
    tint = np.array([1.0, 0.75, 0.45]) if image.shape[-1] == 3 else np.ones(1)
    out = image.copy()
    out[mask] = image[mask] * factor * tint
    return out, mask


def hole(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A missing patch: a rounded blob filled with near-black."""
    mask = _blob(image.shape[0], rng, radius=(0.05, 0.1), wobble=0.1)
    out = image.copy()
    out[mask] = rng.uniform(0.0, 0.06)
    return out, mask


def shift(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A region blended 45-60 % towards a contrasting grey (grey images) or a saturated colour (RGB)."""
    mask = _blob(image.shape[0], rng, radius=(0.1, 0.18), wobble=0.05)
    alpha = rng.uniform(0.45, 0.6)
    if image.shape[-1] == 3:
        colours = np.array([[0.1, 0.8, 0.2], [0.1, 0.3, 0.95], [0.9, 0.1, 0.9], [0.95, 0.9, 0.1]])
        mean = image[mask].mean(axis=0)
        target = colours[np.argmax(np.abs(colours - mean).sum(axis=1))]  # the colour furthest from the region
    else:
        target = np.array([_contrast(image, mask)])
    out = image.copy()
    out[mask] = (1 - alpha) * image[mask] + alpha * target
    return out, mask


def noise(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian noise (standard deviation 0.2 to 0.3) in an axis-aligned rectangle, clipped to ``[0, 1]``."""
    size = image.shape[0]
    height, width = rng.uniform(0.1, 0.22, size=2) * defect_scale(size)
    top, left = rng.uniform(0.05, 0.95 - height), rng.uniform(0.05, 0.95 - width)
    mask = np.zeros((size, size), dtype=bool)
    mask[round(top * size) : round((top + height) * size), round(left * size) : round((left + width) * size)] = True
    out = image.copy()
    sigma = rng.uniform(0.2, 0.3)
    out[mask] = np.clip(image[mask] + rng.normal(0, sigma, size=out[mask].shape), 0, 1)
    return out, mask


DEFECTS: dict[str, Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]] = {
    "scratch": scratch,
    "stain": stain,
    "hole": hole,
    "shift": shift,
    "noise": noise,
}
"""Defect kinds: ``image, rng -> (defective image, mask)``; pixels outside the mask are unchanged."""


@dataclass(frozen=True)
class Settings:
    """Everything that decides a data set's bytes (stored in its ``manifest.json``)."""

    source: str
    size: int
    train: int
    test_good: int
    per_defect: int
    defects: tuple[str, ...]
    seed: int
    version: int = FORMAT_VERSION

    @property
    def name(self) -> str:
        """The data set's folder (and MVTec category) name, e.g. ``brick_64_grey``."""
        return f"{self.source}_{self.size}_{SOURCES[self.source].colour}"

    @staticmethod
    def size_of(name: str) -> int:
        """The image side of a data set from its name (:attr:`name`), e.g. ``brick_64_grey`` -> 64."""
        return int(name.rsplit("_", 2)[1])

    def manifest(self) -> dict:
        """The settings as written to ``manifest.json``."""
        return {**asdict(self), "defects": list(self.defects), "colour": SOURCES[self.source].colour}


def rng_for(settings: Settings, part: str, index: int) -> np.random.Generator:
    """The random generator of one image: fixed by the seed, source, part and index, not by the image size."""
    keys = (settings.source, part)
    return np.random.default_rng([settings.seed, *(zlib.crc32(key.encode()) for key in keys), index])


def _write(folder: Path, settings: Settings) -> None:
    """Write every image and mask of a data set into ``folder``, then its manifest."""
    source = SOURCES[settings.source]
    pixels = load_source(source)

    def save(image: np.ndarray, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_pil(image).save(path)

    for part, count in (("train/good", settings.train), ("test/good", settings.test_good)):
        for index in range(count):
            image = normal_image(pixels, source, settings.size, part != "train/good", rng_for(settings, part, index))
            save(image, folder / part / f"{index:03d}.png")
    for defect in settings.defects:
        for index in range(settings.per_defect):
            rng = rng_for(settings, f"test/{defect}", index)
            image, mask = DEFECTS[defect](normal_image(pixels, source, settings.size, True, rng), rng)
            save(image, folder / "test" / defect / f"{index:03d}.png")
            save(mask[..., None].astype(np.float32), folder / "ground_truth" / defect / f"{index:03d}_mask.png")
    (folder / "manifest.json").write_text(json.dumps(settings.manifest(), indent=2) + "\n")


def write_dataset(root: Path, settings: Settings) -> Path:
    """Write one data set under ``root`` (see the module docstring) unless it is there already; return its folder.

    Raises:
        ValueError: ``root`` holds a data set of this name written with other settings.
    """
    unknown = [d for d in settings.defects if d not in DEFECTS]
    if settings.source not in SOURCES or unknown:
        msg = f"unknown source {settings.source!r} or defects {unknown} (sources: {list(SOURCES)}; {list(DEFECTS)})"
        raise ValueError(msg)
    target = Path(root) / settings.name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{settings.name}.", dir=target.parent))
        try:
            _write(partial, settings)
            os.rename(partial, target)  # atomic; fails if another process put the data set there first
        except OSError:
            if not target.exists():
                raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    written = json.loads((target / "manifest.json").read_text())
    if written != settings.manifest():
        msg = f"{target} was written with other settings ({written}); remove it or use another root"
        raise ValueError(msg)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=WORK / "defects")
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--sizes", default="64,128")
    parser.add_argument("--train", type=int, default=COUNTS["train"], help="normal training images per data set")
    parser.add_argument("--test-good", type=int, default=COUNTS["test_good"], help="normal test images")
    parser.add_argument("--per-defect", type=int, default=COUNTS["per_defect"], help="defective images of each kind")
    parser.add_argument("--defects", default=",".join(DEFECTS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for source in args.sources.split(","):
        for size in map(int, args.sizes.split(",")):
            settings = Settings(source, size, args.train, args.test_good, args.per_defect,
                                tuple(args.defects.split(",")), args.seed)  # fmt: skip
            print(write_dataset(args.root, settings))


if __name__ == "__main__":
    main()
