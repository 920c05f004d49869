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

from collections.abc import Sequence
from dataclasses import dataclass

import torch

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
