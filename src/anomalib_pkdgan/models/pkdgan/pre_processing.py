# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""P-KDGAN's default Anomalib pre-processor, and the channel conversion the model applies after it.

The decoder ends in Tanh, so inputs are scaled to its range ``[-1, 1]`` rather than ImageNet-normalised.
Anomalib batches always hold RGB images; the model itself converts them to the channel count it was built
for (:func:`convert_channels`), inside exported graphs too. The ONNX and OpenVINO exports fold this
pre-processor into the student's graph (:mod:`.export.fused_student`): the resize runs only for images of another
size, and the normalisation and the channel conversion are one per-channel affine map. With a tiler, the default
pre-processor keeps whole images at their size (:func:`match_tiling`): the model cuts them into tiles itself.

Example:
    >>> import torch
    >>> pre = default_pre_processor((32, 32))
    >>> out = pre(torch.ones(2, 3, 64, 48))
    >>> out.shape, out.max().item()
    (torch.Size([2, 3, 32, 32]), 1.0)
"""

import torch
from anomalib.data.transforms.utils import extract_transforms_by_type
from anomalib.pre_processing import PreProcessor
from anomalib.pre_processing.utils.transform import get_exportable_transform
from torchvision.transforms.v2 import Compose, Normalize, Resize

LUMA = (0.2989, 0.587, 0.114)
"""RGB-to-grey weights (ITU-R 601-2, as torchvision's ``Grayscale``)."""


def default_pre_processor(image_size: tuple[int, int] | None) -> PreProcessor:
    """Resize to ``image_size`` (antialiased; ``None``: keep the size) and scale ``[0, 1]`` to ``[-1, 1]``."""
    resize = [] if image_size is None else [Resize(image_size, antialias=True)]
    return PreProcessor(transform=Compose([*resize, Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])]))


def match_tiling(pre_processor: PreProcessor, input_size: tuple[int, int], tiled: bool) -> bool:
    """Make P-KDGAN's default pre-processor keep whole images for a tiler, or resize them to ``input_size`` without.

    The transform is replaced in place (Anomalib holds the pre-processor as a callback, and saves its transform in
    checkpoints). Returns whether it changed.

    Example:
        >>> pre = default_pre_processor((32, 32))
        >>> match_tiling(pre, (32, 32), tiled=True), match_tiling(pre, (32, 32), tiled=True)
        (True, False)
        >>> pre(torch.ones(1, 3, 64, 48)).shape
        torch.Size([1, 3, 64, 48])
    """
    transform = pre_processor.transform
    steps = transform.transforms if isinstance(transform, Compose) else [transform]
    if any(isinstance(step, Resize) for step in steps) != tiled:
        return False
    fresh = default_pre_processor(None if tiled else input_size)
    pre_processor.transform, pre_processor.export_transform = fresh.transform, fresh.export_transform
    return True


def set_resize(pre_processor: PreProcessor, image_size: tuple[int, int]) -> None:
    """Make ``pre_processor`` resize to ``image_size``, in place.

    In place because an Anomalib datamodule holds the pre-processor's ``Resize`` itself (its datasets resize before
    collating), so the datasets follow without being set up again.

    Example:
        >>> pre = default_pre_processor((32, 32))
        >>> set_resize(pre, (64, 48))
        >>> pre(torch.ones(1, 3, 100, 100)).shape
        torch.Size([1, 3, 64, 48])
    """
    for resize in extract_transforms_by_type(pre_processor.transform, Resize):
        resize.size = list(image_size)
    pre_processor.export_transform = get_exportable_transform(pre_processor.transform)


def convert_channels(images: torch.Tensor, num_channels: int, luma: torch.Tensor) -> torch.Tensor:
    """Convert a batch to ``num_channels`` channels.

    Anomalib batches are RGB. A grey model takes their luminance (``luma``: ITU-R 601 weights shaped
    ``(1, 3, 1, 1)``, as torchvision's ``Grayscale``); a colour model repeats a grey image to three channels.
    Other channel counts are refused with a ``ValueError`` naming them.

    Example:
        >>> luma = torch.tensor(LUMA).view(1, 3, 1, 1)
        >>> convert_channels(torch.ones(2, 3, 8, 8), 1, luma).shape
        torch.Size([2, 1, 8, 8])
    """
    channels = images.shape[1] if images.ndim == 4 else None
    if channels == num_channels:
        return images
    if channels == 3 and num_channels == 1:
        return (images * luma).sum(dim=1, keepdim=True)
    if channels == 1 and num_channels == 3:
        return images.expand(-1, 3, -1, -1)
    msg = (
        f"PKDGAN was built for {num_channels}-channel images and converts 1- or 3-channel input, "
        f"but got a batch of shape {tuple(images.shape)}."
    )
    raise ValueError(msg)
