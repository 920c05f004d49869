# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""CIFAR-10 read from torchvision's file layout without torchvision's checksums.

torchvision's ``CIFAR10`` refuses files whose MD5 differs from the official archive's, so a copy that was
converted, re-pickled or cut down (as tests and offline mirrors do) cannot be read through it. The format itself is
simple: ``ROOT/cifar-10-batches-py/data_batch_1`` ... ``data_batch_5`` and ``test_batch`` are pickled dicts with
``data`` (``N x 3072`` uint8, the red, green and blue planes of 32x32 images) and ``labels``. This module reads them
as they are; downloading stays torchvision's job (``OneClassVision(download=True)``).

Example:
    >>> import tempfile
    >>> read_cifar10(tempfile.mkdtemp(), train=True)
    Traceback (most recent call last):
    ...
    FileNotFoundError: CIFAR-10 ...
"""

import pickle  # nosec B403: CIFAR-10's own format; the user points root at the files
from pathlib import Path

import numpy as np
import torch

FOLDER = "cifar-10-batches-py"
"""The folder torchvision extracts CIFAR-10's python archive to, under ``root``."""

TRAIN_FILES = tuple(f"data_batch_{index}" for index in range(1, 6))
TEST_FILES = ("test_batch",)


def read_cifar10(root: str | Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Read the images ``(N, 3, 32, 32)`` uint8 and class targets ``(N,)`` of a CIFAR-10 split.

    Args:
        root: The folder holding ``cifar-10-batches-py``.
        train: The training split (five batches) or the test split.

    Raises:
        FileNotFoundError: A batch file is missing; the message names it and how to get the data.
        ValueError: A batch file does not hold CIFAR-10's ``data`` and ``labels``.
    """
    folder = Path(root) / FOLDER
    images, targets = [], []
    for name in TRAIN_FILES if train else TEST_FILES:
        path = folder / name
        if not path.is_file():
            msg = (
                f"CIFAR-10 file {path} is missing: put the extracted python version of CIFAR-10 "
                f"({FOLDER}/) under root={root}, or pass download=True where the internet is reachable."
            )
            raise FileNotFoundError(msg)
        with path.open("rb") as handle:
            batch = pickle.load(handle, encoding="latin1")  # nosec B301
        if not isinstance(batch, dict) or "data" not in batch or "labels" not in batch:
            msg = f"{path} is not a CIFAR-10 batch: expected a pickled dict with 'data' and 'labels'."
            raise ValueError(msg)
        data = np.asarray(batch["data"], dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(batch["labels"]) != len(data):
            msg = f"{path} holds data of shape {data.shape} and {len(batch['labels'])} labels, not N x 3072 and N."
            raise ValueError(msg)
        images.append(torch.from_numpy(data.reshape(-1, 3, 32, 32)))
        targets.append(torch.as_tensor(batch["labels"], dtype=torch.long))
    return torch.cat(images), torch.cat(targets)
