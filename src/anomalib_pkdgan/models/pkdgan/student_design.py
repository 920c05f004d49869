# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Student designs at a fixed cost: the paper's shape, or the same shape with depthwise-separable convolutions.

The paper's student is the teacher's GANomaly generator with fewer channels; at 2-3 base channels that is a
severe bottleneck. A depthwise-separable convolution (a per-channel spatial filter followed by a 1x1 channel
mix) costs about ``k*k + C_out`` multiply-adds per input channel and pixel instead of ``k*k*C_out``, so at the
same FLOPs the student can be several times wider. :func:`make_separable` turns every convolution of a generator
that mixes channels spatially into that form, keeping every feature map's shape:

* ``Conv2d(C_in, C_out, k, s, p)`` becomes ``Conv2d(C_in, C_in, k, s, p, groups=C_in)`` then
  ``Conv2d(C_in, C_out, 1)``;
* ``ConvTranspose2d(C_in, C_out, k, s, p)`` becomes ``Conv2d(C_in, C_out, 1)`` then
  ``ConvTranspose2d(C_out, C_out, k, s, p, groups=C_out)``.

A convolution with a single input channel (the grey input) or a 1x1 kernel is left as it is. The
discriminator, which only training uses, keeps the standard design.

Example:
    >>> import torch
    >>> from anomalib.models.image.ganomaly.torch_model import Generator
    >>> generator = make_separable(Generator((32, 32), 100, 1, n_features=16))
    >>> generator(torch.zeros(2, 1, 32, 32))[0].shape
    torch.Size([2, 1, 32, 32])
"""

from torch import nn

STUDENT_BLOCKS = ("standard", "separable")
"""Designs a student generator can be built with."""


def _separable(layer: nn.Module) -> nn.Module:
    """Return the depthwise-separable form of one convolution (see the module docstring), or the layer itself."""
    if isinstance(layer, nn.ConvTranspose2d) and layer.in_channels > 1 and layer.kernel_size != (1, 1):
        return nn.Sequential(
            nn.Conv2d(layer.in_channels, layer.out_channels, 1, bias=False),
            nn.ConvTranspose2d(
                layer.out_channels,
                layer.out_channels,
                layer.kernel_size,  # type: ignore[arg-type]
                layer.stride,  # type: ignore[arg-type]
                layer.padding,  # type: ignore[arg-type]
                groups=layer.out_channels,
                bias=False,
            ),
        )
    if isinstance(layer, nn.Conv2d) and layer.in_channels > 1 and layer.kernel_size != (1, 1):
        return nn.Sequential(
            nn.Conv2d(
                layer.in_channels,
                layer.in_channels,
                layer.kernel_size,  # type: ignore[arg-type]
                layer.stride,  # type: ignore[arg-type]
                layer.padding,  # type: ignore[arg-type]
                groups=layer.in_channels,
                bias=False,
            ),
            nn.Conv2d(layer.in_channels, layer.out_channels, 1, bias=False),
        )
    return layer


def make_separable(module: nn.Module) -> nn.Module:
    """Replace, in place, every spatial convolution of ``module`` by its depthwise-separable form; return it."""
    for name, child in module.named_children():
        replacement = _separable(child)
        if replacement is child:
            make_separable(child)
        else:
            setattr(module, name, replacement)
    return module


def check_block(block: str) -> str:
    """Return ``block`` if it names a design, else raise a ``ValueError`` listing them."""
    if block not in STUDENT_BLOCKS:
        msg = f"PKDGAN student_block must be one of {', '.join(map(repr, STUDENT_BLOCKS))}, got {block!r}."
        raise ValueError(msg)
    return block


__all__ = ["STUDENT_BLOCKS", "check_block", "make_separable"]
