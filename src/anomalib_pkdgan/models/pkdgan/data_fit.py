# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The image size and channels the networks take when the user leaves them to the data.

``Pkdgan(input_size=None, num_input_channels=None)`` (the defaults) builds 1-channel 32x32 networks, P-KDGAN's
setting for MNIST-like digits. When a fit starts, :func:`look_at` reads a few training images as the datamodule gives
them (before the pre-processor resizes them) and :func:`fitted_input` decides what the data needs: colour images
train in colour, and images at least :data:`LARGE_SIDE` pixels on their shorter side (MVTec AD's parts) at
:data:`LARGE_INPUT_SIZE`, as ``configs/mvtecad.yaml`` does. An argument the user gave is never changed.

Example:
    >>> fitted_input(DataLook(colour=True, height=900, width=900), None, None)
    ((128, 128), 3)
    >>> fitted_input(DataLook(colour=False, height=28, width=28), None, None)
    ((32, 32), 1)
    >>> fitted_input(DataLook(colour=True, height=900, width=900), None, 1)  # explicit grey is kept
    ((128, 128), 1)
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from anomalib.data import AnomalibDataModule
from anomalib.pre_processing import PreProcessor

from .pre_processing import match_tiling, set_resize
from .torch_model import PkdganModel, teacher_width

logger = logging.getLogger(__name__)

DEFAULT_INPUT_SIZE = (32, 32)
"""Height and width of the networks when neither the user nor the data asks for another size."""

LARGE_SIDE = 128
"""Training images at least this many pixels on their shorter side train at :data:`LARGE_INPUT_SIZE`."""

LARGE_INPUT_SIZE = (128, 128)
"""The size large images train at by default: that of ``configs/mvtecad.yaml``."""

LOOKED_AT = 8
"""How many training images, spread over the data set, :func:`look_at` reads."""


@dataclass(frozen=True)
class DataLook:
    """What a few training images say about the data.

    Attributes:
        colour: Whether any of them has colour (channels that differ), not grey stored as RGB.
        height: The smallest height among them.
        width: The smallest width among them.
    """

    colour: bool
    height: int
    width: int


def is_colour(image: torch.Tensor) -> bool:
    """Whether a ``(C, H, W)`` image in ``[0, 1]`` has colour: its channels differ by more than rounding.

    Example:
        >>> grey = torch.rand(1, 8, 8).expand(3, -1, -1)
        >>> is_colour(grey), is_colour(torch.rand(3, 8, 8))
        (False, True)
    """
    if image.shape[0] == 1:
        return False
    return bool((image - image.mean(dim=0, keepdim=True)).abs().mean() > 0.01)


def look_at(dataset: Sequence) -> DataLook | None:
    """Read up to :data:`LOOKED_AT` images spread over an Anomalib dataset, as stored; ``None`` if it has none.

    The dataset's ``augmentations`` (which Anomalib's datamodules end with the model's resize) are left out while
    reading, so the images have their own size.
    """
    if len(dataset) == 0:
        return None
    count = min(LOOKED_AT, len(dataset))
    augmentations = getattr(dataset, "augmentations", None)
    try:
        if augmentations is not None:
            dataset.augmentations = None
        images = [dataset[index * len(dataset) // count].image for index in range(count)]
    finally:
        if augmentations is not None:
            dataset.augmentations = augmentations
    return DataLook(
        colour=any(is_colour(image) for image in images),
        height=min(int(image.shape[-2]) for image in images),
        width=min(int(image.shape[-1]) for image in images),
    )


def fitted_input(
    look: DataLook, input_size: tuple[int, int] | None, num_input_channels: int | None
) -> tuple[tuple[int, int], int]:
    """Return ``(input_size, num_input_channels)``: those given, and for each ``None`` what the data needs."""
    if input_size is None:
        input_size = LARGE_INPUT_SIZE if min(look.height, look.width) >= LARGE_SIDE else DEFAULT_INPUT_SIZE
    if num_input_channels is None:
        num_input_channels = 3 if look.colour else 1
    return input_size, num_input_channels


__all__ = ["DEFAULT_INPUT_SIZE", "DataLook", "fitted_input", "is_colour", "look_at"]


class InputFitMixin:
    """Hooks of :class:`~anomalib_pkdgan.Pkdgan` that fit its networks and pre-processor to the data it is given.

    Mixed in before the checkpoint mixin and ``AnomalibModule``: the size and channels left at ``None`` follow the
    training images when a fit starts, and a checkpoint's before its weights load; the default pre-processor keeps
    whole images for a tiler and resizes to ``input_size`` without one.
    """

    model: PkdganModel
    pre_processor: Any
    from_data: dict[str, bool]
    network_args: dict[str, Any]
    teacher_features: int | str
    teacher_pretrained: bool
    default_pre_processor: bool
    _hparams: Any

    def setup(self, stage: str) -> None:
        """Fit the networks to the data and the default pre-processor to the tiler, before the loaders are built.

        When a fit starts, the size and channels left at ``None`` follow the training images (with a tiler, the size
        is the tiles'); then the default pre-processor keeps whole images for a tiler (``TilerConfigurationCallback``,
        set up before the model) and resizes to ``input_size`` without one.
        """
        super().setup(stage)
        self._fit_to_data(stage)
        self.match_pre_processor()

    def _fit_to_data(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        dataset = getattr(datamodule, "train_data", None)
        if stage != "fit" or not any(self.from_data.values()) or dataset is None:
            return
        look = look_at(dataset)
        if look is None:
            return
        keep_size = not self.from_data["input_size"] or self.model.tiler is not None
        input_size, channels = fitted_input(
            look,
            self.model.student.input_size if keep_size else None,
            None if self.from_data["num_input_channels"] else self.model.num_input_channels,
        )
        if self._rebuild(input_size, channels):
            kind = "colour" if look.colour else "grey"
            logger.info(
                "PKDGAN trains at %dx%d with %d channel(s), fitted to the %s %dx%d training images (set "
                "--model.input_size and --model.num_input_channels, or use a config such as configs/mvtecad.yaml, "
                "to choose).",
                *input_size,
                channels,
                kind,
                look.height,
                look.width,
            )

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Build the networks at the size and channels a checkpoint was trained with, where they were left open."""
        saved = checkpoint.get("hyper_parameters", {})
        current = {"input_size": self.model.student.input_size, "num_input_channels": self.model.num_input_channels}
        wanted = {
            name: tuple(saved[name]) if name == "input_size" else int(saved[name])
            for name in current
            if self.from_data[name] and saved.get(name) is not None
        }
        self._rebuild(
            wanted.get("input_size", current["input_size"]),
            wanted.get("num_input_channels", current["num_input_channels"]),
        )
        super().on_load_checkpoint(checkpoint)

    def _rebuild(self, input_size: Sequence[int], channels: int) -> bool:
        """Build new networks (and the default pre-processor's resize) for another size or channel count."""
        input_size = (int(input_size[0]), int(input_size[1]))
        if (input_size, channels) == (self.model.student.input_size, self.model.num_input_channels):
            return False
        if self.teacher_pretrained:
            msg = (
                f"PKDGAN's teacher_checkpoint holds a {self.model.num_input_channels}-channel "
                f"{self.model.student.input_size[0]}x{self.model.student.input_size[1]} teacher, but the training "
                f"images need {channels} channel(s) at {input_size[0]}x{input_size[1]}. Set --model.input_size and "
                "--model.num_input_channels as in the run that trained the teacher."
            )
            raise ValueError(msg)
        width = teacher_width(input_size, self.teacher_features)
        tiler, top_k = self.model.tiler, self.model.tile_top_k
        self.model = PkdganModel(input_size, channels, width, **self.network_args)
        self.model.tiler, self.model.tile_top_k = tiler, top_k
        if self.from_data["input_size"]:
            set_resize(self.pre_processor, input_size)
        self._hparams["input_size"], self._hparams["num_input_channels"] = list(input_size), channels
        return True

    def match_pre_processor(self) -> None:
        """Make the default pre-processor keep whole images for a tiler, and resize to ``input_size`` without one."""
        if not (self.default_pre_processor and isinstance(self.pre_processor, PreProcessor)):
            return
        if not match_tiling(self.pre_processor, self.model.student.input_size, tiled=self.model.tiler is not None):
            return
        # Anomalib's datamodules copy the pre-processor's resize into their data sets in their ``setup``, which
        # Lightning runs before the callbacks' (where the tiler is set); set up again, they copy the new transform.
        datamodule = getattr(self._trainer, "datamodule", None)
        if isinstance(datamodule, AnomalibDataModule):
            datamodule.setup()
