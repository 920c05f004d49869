# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Inputs beyond the normal set on which the student copies the teacher.

Distilling on the normal training images alone teaches the student what it already learns from its own losses:
to reconstruct normal images. What the teacher knows that the student does not is how it responds *off* the
normal set, where anomaly scores are decided. These functions make such inputs from a normal batch, so the
distillation loss can also be applied to them (``Pkdgan(distill_inputs=...)``):

* ``"mixup"``: each image blended with another image of the batch (weight uniform in ``[0.25, 0.75]``);
* ``"cutpaste"``: a rectangle of another image of the batch pasted at a random place: a synthetic local defect;
* ``"noise"``: Gaussian noise (standard deviation 0.3 on the ``[-1, 1]`` scale) added and clipped;
* ``"generated"``: images the teacher's decoder generates from random latents, drawn per latent unit from a
  normal distribution with the mean and deviation of the batch's teacher latents.

Example:
    >>> import torch
    >>> images = torch.rand(4, 1, 32, 32) * 2 - 1
    >>> off_normal_inputs("cutpaste", images, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([4, 1, 32, 32])
"""

import torch
from torch import nn

DISTILL_INPUTS = ("normal", "mixup", "cutpaste", "noise", "generated")
"""The choices of ``Pkdgan(distill_inputs=...)``; ``"normal"`` adds no inputs."""


def check_distill_inputs(name: str) -> str:
    """Return ``name`` if it is one of :data:`DISTILL_INPUTS`, else raise a ``ValueError`` naming the choices."""
    if name not in DISTILL_INPUTS:
        msg = f"PKDGAN distill_inputs must be one of {', '.join(DISTILL_INPUTS)}, got {name!r}."
        raise ValueError(msg)
    return name


def _partners(images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Each image's partner in the batch: the batch rolled by a random non-zero shift (itself for a batch of one)."""
    size = images.shape[0]
    shift = int(torch.randint(1, max(size, 2), (1,), generator=generator)) if size > 1 else 0
    return images.roll(shift, dims=0)


def mixup(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Blend each image with a partner from the batch (weight uniform in ``[0.25, 0.75]``)."""
    weight = torch.rand(images.shape[0], 1, 1, 1, generator=generator).to(images) * 0.5 + 0.25
    return weight * images + (1 - weight) * _partners(images, generator)


def cutpaste(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Paste a rectangle (each side an eighth to a third of the image's) of a partner image at a random place.

    Example:
        >>> images = torch.zeros(2, 1, 24, 24)
        >>> images[1] = 1
        >>> pasted = cutpaste(images, generator=torch.Generator().manual_seed(0))
        >>> bool((pasted[0] == 1).any()), bool((pasted[0] == 0).any())
        (True, True)
    """
    out = images.clone()
    partners = _partners(images, generator)
    height, width = images.shape[-2:]
    for index in range(images.shape[0]):
        sides = torch.randint(max(1, height // 8), max(2, height // 3 + 1), (2,), generator=generator)
        h, w = int(sides[0]), max(1, min(int(sides[1]) * width // height, width))  # the width scaled to the image's
        source = (
            torch.randint(0, height - h + 1, (1,), generator=generator),
            torch.randint(0, width - w + 1, (1,), generator=generator),
        )
        target = (
            torch.randint(0, height - h + 1, (1,), generator=generator),
            torch.randint(0, width - w + 1, (1,), generator=generator),
        )
        (sy, sx), (ty, tx) = (int(v) for v in source), (int(v) for v in target)
        out[index, :, ty : ty + h, tx : tx + w] = partners[index, :, sy : sy + h, sx : sx + w]
    return out


def noise(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Add Gaussian noise (deviation 0.3 on the ``[-1, 1]`` scale) and clip to ``[-1, 1]``."""
    return (images + 0.3 * torch.randn(images.shape, generator=generator).to(images)).clamp(-1, 1)


def generated(decoder: nn.Module, latents: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Images ``decoder`` makes from random latents with the per-unit mean and deviation of ``latents``.

    Args:
        decoder: The teacher's decoder ``G_D``: ``(B, l, 1, 1)`` latents to canvas-sized images.
        latents: The batch's teacher latents ``z``, ``(B, l, 1, 1)``.
        generator: Random generator (``None``: torch's global one).
    """
    latents = latents.detach()
    spread = latents.std(dim=0, keepdim=True) if latents.shape[0] > 1 else torch.ones_like(latents[:1])
    draw = torch.randn(latents.shape, generator=generator).to(latents)
    with torch.no_grad():
        return decoder(latents.mean(dim=0, keepdim=True) + spread * draw)


def off_normal_inputs(
    kind: str,
    images: torch.Tensor,
    decoder: nn.Module | None = None,
    latents: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Make a batch of ``kind`` inputs from the normal ``images`` (see the module docstring).

    ``"generated"`` needs the teacher's ``decoder`` and its ``latents`` of the batch and returns canvas-sized images.
    """
    if kind == "mixup":
        return mixup(images, generator)
    if kind == "cutpaste":
        return cutpaste(images, generator)
    if kind == "noise":
        return noise(images, generator)
    if kind == "generated":
        if decoder is None or latents is None:
            msg = "PKDGAN distill_inputs='generated' needs the teacher's decoder and latents."
            raise ValueError(msg)
        return generated(decoder, latents, generator)
    msg = f"PKDGAN off_normal_inputs has no inputs of kind {kind!r}."
    raise ValueError(msg)
