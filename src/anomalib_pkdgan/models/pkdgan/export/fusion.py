# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Generic graph rewrites for export: the same numbers from layers that OpenVINO's CPU kernels run faster.

Nothing here knows P-KDGAN; the rewrites apply to any list of layers in forward order:

* :func:`fold_batch_norm`: a BatchNorm (eval mode) folded into the convolution before it;
* :class:`SubPixelConvTranspose`: a 4x4, stride-2, padding-1 transposed convolution as a sub-pixel convolution (the
  same weights, rearranged), for which OpenVINO's CPU kernels are faster at few channels;
* :class:`OnePixelConvTranspose`: a transposed convolution of a 1x1 input (a decoder's latent) as a matrix product;
* :func:`fuse` and :func:`on_latent`: apply them along a list of layers.

Example:
    >>> layers = [nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1), nn.BatchNorm2d(2).eval(), nn.ReLU()]
    >>> fused = fuse(layers)
    >>> fused
    Sequential(
      (0): SubPixelConvTranspose(
        (conv): Conv2d(4, 8, kernel_size=(2, 2), stride=(1, 1), padding=(1, 1))
        (activation): ReLU()
      )
    )
    >>> x = torch.rand(1, 4, 3, 3)
    >>> torch.allclose(fused(x), nn.Sequential(*layers)(x), atol=1e-6)
    True
"""

from copy import deepcopy

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

PRE_SHUFFLE_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU)
"""Element-wise activations that move before a pixel shuffle, where OpenVINO fuses them into the convolution."""


def fold_batch_norm(layer: nn.Conv2d | nn.ConvTranspose2d, norm: nn.BatchNorm2d) -> nn.Module:
    """Return a copy of ``layer``, with a bias, whose output is ``norm(layer(x))`` for ``norm`` in eval mode.

    Example:
        >>> conv, norm = nn.Conv2d(2, 4, 3, groups=2, bias=False), nn.BatchNorm2d(4).eval()
        >>> _ = norm.running_mean.uniform_(), norm.running_var.uniform_(1, 2)
        >>> x = torch.rand(1, 2, 5, 5)
        >>> torch.allclose(fold_batch_norm(conv, norm)(x), norm(conv(x)), atol=1e-6)
        True
    """
    scale = norm.running_var.add(norm.eps).rsqrt()
    if norm.weight is not None:
        scale = scale * norm.weight
    shift = -norm.running_mean * scale
    if norm.bias is not None:
        shift = shift + norm.bias
    if layer.bias is not None:
        shift = shift + layer.bias * scale
    weight = layer.weight.detach()
    if isinstance(layer, nn.ConvTranspose2d):  # weight (C_in, C_out / groups, k, k): outputs in dim 1, per group
        groups = layer.groups
        grouped = weight.view(groups, weight.shape[0] // groups, *weight.shape[1:])
        folded = (grouped * scale.view(groups, 1, -1, 1, 1)).view_as(weight)
    else:
        folded = weight * scale.view(-1, 1, 1, 1)
    fused = deepcopy(layer)
    fused.weight = nn.Parameter(folded.detach().clone())
    fused.bias = nn.Parameter(shift.detach().clone())
    return fused


class SubPixelConvTranspose(nn.Module):
    """A 4x4, stride-2, padding-1 ``ConvTranspose2d`` as a sub-pixel convolution with the same output.

    Output row ``2i - 1`` of the transposed convolution takes kernel rows 2 and 0 over input rows ``i - 1`` and
    ``i``; output row ``2i`` takes kernel rows 3 and 1 over the same two rows (columns alike). A 2x2 convolution
    with padding 1 and four outputs per channel, one per (row, column) parity, computes both for ``i = 0..H``;
    the pixel shuffle interleaves them into rows ``-1..2H`` and the crop keeps rows ``0..2H-1``. An element-wise
    ``activation`` runs before the shuffle. The weights are the transposed convolution's, rearranged.

    Example:
        >>> layer = nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, groups=2)
        >>> x = torch.rand(1, 4, 5, 7)
        >>> torch.allclose(SubPixelConvTranspose(layer)(x), layer(x), atol=1e-6)
        True
    """

    TAPS = ((2, 0), (3, 1))
    """Kernel rows (columns) of the two taps over input rows ``i - 1`` and ``i``, for output parities odd, even."""

    def __init__(self, layer: nn.ConvTranspose2d, activation: nn.Module | None = None) -> None:
        super().__init__()
        groups, channels_in, channels_out = layer.groups, layer.in_channels, layer.out_channels
        weight = layer.weight.detach().view(groups, channels_in // groups, channels_out // groups, 4, 4)
        weight = weight.permute(0, 2, 1, 3, 4)  # (groups, C_out / groups, C_in / groups, 4, 4)
        taps = torch.tensor(self.TAPS)
        # kernel[g, o, row parity, column parity, i, row tap, column tap]
        kernel = weight[..., taps[:, None, :, None], taps[None, :, None, :]].permute(0, 1, 3, 4, 2, 5, 6)
        self.conv = nn.Conv2d(channels_in, 4 * channels_out, 2, padding=1, groups=groups, bias=layer.bias is not None)
        self.conv.weight = nn.Parameter(kernel.reshape(4 * channels_out, channels_in // groups, 2, 2).clone())
        if layer.bias is not None:
            self.conv.bias = nn.Parameter(layer.bias.detach().repeat_interleave(4))
        self.activation = activation if activation is not None else nn.Identity()

    @staticmethod
    def applies_to(layer: nn.Module) -> bool:
        """Whether ``layer`` is a transposed convolution this class rewrites."""
        return (
            isinstance(layer, nn.ConvTranspose2d)
            and layer.kernel_size == (4, 4)
            and layer.stride == (2, 2)
            and layer.padding == (1, 1)
            and layer.output_padding == (0, 0)
            and layer.dilation == (1, 1)
            and layer.padding_mode == "zeros"
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Up-sample ``(B, C_in, H, W)`` to ``(B, C_out, 2H, 2W)``."""
        return F.pixel_shuffle(self.activation(self.conv(inputs)), 2)[..., 1:-1, 1:-1]


class OnePixelConvTranspose(nn.Module):
    """A stride-1, unpadded ``ConvTranspose2d`` of a 1x1 input (the decoder's latent) as one matrix product per group.

    The weights are the transposed convolution's; an element-wise ``activation`` runs before the result takes its
    ``(B, C_out, k, k)`` shape, so OpenVINO fuses it, and the bias, into the product.

    Example:
        >>> layer = nn.ConvTranspose2d(8, 6, 4, groups=2)
        >>> latent = torch.rand(3, 8, 1, 1)
        >>> torch.allclose(OnePixelConvTranspose(layer)(latent), layer(latent), atol=1e-6)
        True
    """

    def __init__(self, layer: nn.ConvTranspose2d, activation: nn.Module | None = None) -> None:
        super().__init__()
        groups, (height, width) = layer.groups, layer.kernel_size
        # weight (C_in, C_out / groups, k, k): per group, input channels by (output channel, row, column)
        self.weight = nn.Parameter(layer.weight.detach().reshape(groups, layer.in_channels // groups, -1).clone())
        bias = None if layer.bias is None else layer.bias.detach().repeat_interleave(height * width)
        self.bias = None if bias is None else nn.Parameter(bias.view(groups, 1, -1).clone())
        self.shape = (layer.out_channels, height, width)
        self.activation = activation if activation is not None else nn.Identity()

    @staticmethod
    def applies_to(layer: nn.Module) -> bool:
        """Whether ``layer`` is a transposed convolution whose output on a 1x1 input this class computes."""
        return (
            isinstance(layer, nn.ConvTranspose2d)
            and layer.stride == (1, 1)
            and layer.padding == (0, 0)
            and layer.output_padding == (0, 0)
            and layer.dilation == (1, 1)
        )

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        """Map ``(B, C_in, 1, 1)`` to ``(B, C_out, k, k)``."""
        batch, groups = latent.shape[0], self.weight.shape[0]
        product = latent.view(batch, groups, 1, -1) @ self.weight
        if self.bias is not None:
            product = product + self.bias
        return self.activation(product).view(batch, *self.shape)


def on_latent(decoder: list[nn.Module]) -> list[nn.Module]:
    """Compute the decoder's first transposed convolution, still on the 1x1 latent, as a matrix product.

    Only 1x1 convolutions (which keep the latent 1x1) may come before it; otherwise the decoder is returned as it is.
    """
    for position, layer in enumerate(decoder):
        if OnePixelConvTranspose.applies_to(layer):
            following = decoder[position + 1 : position + 2]
            activation = following[0] if following and isinstance(following[0], PRE_SHUFFLE_ACTIVATIONS) else None
            rest = decoder[position + 1 + (activation is not None) :]
            return [*decoder[:position], OnePixelConvTranspose(layer, activation), *rest]
        if not (isinstance(layer, nn.Conv2d) and layer.kernel_size == (1, 1) and layer.padding == (0, 0)):
            return decoder
    return decoder


def fuse(layers: list[nn.Module]) -> nn.Sequential:
    """Fold every BatchNorm into the layer before it and make every 4x4, stride-2 transposed convolution sub-pixel.

    Layers that match neither pattern are kept as they are, so any design runs, only less optimised.
    """
    fused: list[nn.Module] = []
    position = 0
    while position < len(layers):
        layer, following = layers[position], layers[position + 1 : position + 2]
        position += 1
        if (
            isinstance(layer, nn.Conv2d | nn.ConvTranspose2d)
            and following
            and isinstance(following[0], nn.BatchNorm2d)
            and following[0].running_var is not None
        ):
            layer = fold_batch_norm(layer, following[0])
            position += 1
        if SubPixelConvTranspose.applies_to(layer):
            activation = layers[position] if position < len(layers) else None
            if isinstance(activation, PRE_SHUFFLE_ACTIVATIONS):
                position += 1
                layer = SubPixelConvTranspose(layer, activation)
            else:
                layer = SubPixelConvTranspose(layer)
        fused.append(layer)
    return nn.Sequential(*fused)
