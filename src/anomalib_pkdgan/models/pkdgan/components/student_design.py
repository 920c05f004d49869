# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Student designs at a fixed cost: the paper's shape, depthwise-separable convolutions, or fully connected layers.

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

:class:`DenseGenerator` spends the budget elsewhere. At two or three base channels a convolutional student's
feature maps are too narrow to hold a digit, while one fully connected layer from the 32x32 canvas to ``h`` units
costs ``1024 * h`` multiply-adds, as little as a 3-channel convolution stage. Its ``G_E``, ``G_D`` and ``E`` are
each two fully connected layers through ``h`` hidden units (``h`` is the student's ``n_features``); the latents
keep the ``(B, latent, 1, 1)`` shape, so distillation, scores, maps and export are the same as for the other
designs.

Example:
    >>> import torch
    >>> from anomalib.models.image.ganomaly.torch_model import Generator
    >>> generator = make_separable(Generator((32, 32), 100, 1, n_features=16))
    >>> generator(torch.zeros(2, 1, 32, 32))[0].shape
    torch.Size([2, 1, 32, 32])
    >>> [tuple(out.shape) for out in DenseGenerator(32, latent=16, channels=1, hidden=24)(torch.zeros(2, 1, 32, 32))]
    [(2, 1, 32, 32), (2, 16, 1, 1), (2, 16, 1, 1)]
"""

import torch
from torch import nn

STUDENT_BLOCKS = ("standard", "separable", "dense")
"""Designs a student generator can be built with."""


def dense_encoder(pixels: int, hidden: int, latent: int) -> nn.Sequential:
    """``(B, C, S, S)`` to ``(B, latent, 1, 1)`` through ``hidden`` units (LeakyReLU, as GANomaly's encoder)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(pixels, hidden),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Linear(hidden, latent),
        nn.Unflatten(1, (latent, 1, 1)),
    )


class DenseGenerator(nn.Module):
    """Encoder-decoder-encoder generator of fully connected layers, with the interface of Anomalib's ``Generator``.

    Args:
        canvas: Side of the square canvas the images are padded onto.
        latent: Size of ``z`` and ``z'``.
        channels: Image channels.
        hidden: Units of the hidden layer of each of ``G_E``, ``G_D`` and ``E``.
    """

    def __init__(self, canvas: int, latent: int, channels: int, hidden: int) -> None:
        super().__init__()
        pixels = channels * canvas * canvas
        self.encoder1 = dense_encoder(pixels, hidden, latent)
        self.decoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(latent, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, pixels),
            nn.Unflatten(1, (channels, canvas, canvas)),
            nn.Tanh(),
        )
        self.encoder2 = dense_encoder(pixels, hidden, latent)

    def forward(self, canvas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return ``(reconstruction, z, z')`` of a canvas batch, as Anomalib's ``Generator``."""
        latent_i = self.encoder1(canvas)
        reconstruction = self.decoder(latent_i)
        return reconstruction, latent_i, self.encoder2(reconstruction)


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


__all__ = ["STUDENT_BLOCKS", "DenseGenerator", "check_block", "make_separable"]
