# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""A shuffling sampler whose order depends only on a seed and the epoch, so a resumed run sees the same batches.

PyTorch's default ``RandomSampler`` draws its order from the global RNG when the epoch's iterator is created;
after ``--ckpt_path`` resumption that RNG is not where the uninterrupted run left it, so the batches of the
remaining epochs differ. Lightning calls ``set_epoch`` on the sampler before every training epoch (as it does
for ``DistributedSampler``), so this sampler's epoch ``e`` order is the same whether the run was interrupted
or not.
"""

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class EpochSeededSampler(Sampler[int]):
    """Random permutation of ``range(num_samples)`` drawn from ``seed`` and the current epoch.

    Args:
        num_samples: Size of the dataset.
        seed: Base seed of the permutations.

    Example:
        >>> sampler = EpochSeededSampler(5, seed=0)
        >>> sampler.set_epoch(3)
        >>> first = list(sampler)
        >>> sampler.set_epoch(3)
        >>> list(sampler) == first, sorted(first)
        (True, [0, 1, 2, 3, 4])
    """

    def __init__(self, num_samples: int, seed: int = 0) -> None:
        self.num_samples = num_samples
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the permutation of ``epoch`` (called by Lightning at the start of each training epoch)."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return iter(torch.randperm(self.num_samples, generator=generator).tolist())

    def __len__(self) -> int:
        return self.num_samples
