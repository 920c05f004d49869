# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""P-KDGAN's default Anomalib pre-processor.

The decoder ends in Tanh, so inputs are scaled to its range ``[-1, 1]`` rather than ImageNet-normalised.
Anomalib batches always hold RGB images; the model itself converts them to the channel count it was built
for (see :func:`~.torch_model.convert_channels`), inside exported graphs too. The ONNX and OpenVINO exports fold
this pre-processor into the student's graph (:mod:`.fused_student`): the resize runs only for images of another
size, and the normalisation and the channel conversion are one per-channel affine map.

Example:
    >>> import torch
    >>> pre = default_pre_processor((32, 32))
    >>> out = pre(torch.ones(2, 3, 64, 48))
    >>> out.shape, out.max().item()
    (torch.Size([2, 3, 32, 32]), 1.0)
"""

from anomalib.pre_processing import PreProcessor
from torchvision.transforms.v2 import Compose, Normalize, Resize


def default_pre_processor(image_size: tuple[int, int]) -> PreProcessor:
    """Resize to ``image_size`` (antialiased) and scale ``[0, 1]`` to ``[-1, 1]``."""
    return PreProcessor(
        transform=Compose(
            [
                Resize(image_size, antialias=True),
                Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5]),
            ]
        ),
    )
