# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""One GANomaly-style GAN of any image size: the network the teacher and the student are each made of.

A :class:`GanNetwork` is the encoder-decoder-encoder generator (``G_E -> z``, ``G_D -> x_hat``, ``E -> z'``) plus a
discriminator ``D``, built from Anomalib's own GANomaly blocks. The blocks need a square, power-of-two canvas of at
least 32 pixels, so any ``H x W`` image is padded (edge replication, centred) onto such a canvas and the
reconstruction is cropped back.

Example:
    >>> net = GanNetwork((28, 36), num_input_channels=1, n_features=4, latent_vec_size=8)
    >>> out = net(torch.zeros(2, 1, 28, 36))
    >>> out.canvas.shape, net.crop(out.reconstruction).shape
    (torch.Size([2, 1, 64, 64]), torch.Size([2, 1, 28, 36]))
"""

from copy import deepcopy
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F  # noqa: N812
from anomalib.models.image.ganomaly.torch_model import Discriminator, GanomalyModel, Generator
from torch import nn

from .hints import generator_features
from .student_design import DenseGenerator, check_block, make_separable

MIN_CANVAS = 32
"""Smallest square canvas on which Anomalib's GANomaly encoder gives a 1x1 latent."""

MIN_SIDE = 8
"""Smallest image side accepted: below it the padded canvas would be mostly padding."""


@dataclass
class GanOutput:
    """What one pass through a :class:`GanNetwork` generator returns.

    Attributes:
        canvas: Input padded onto the square canvas, ``(B, C, S, S)``.
        reconstruction: Generator output on the canvas, ``(B, C, S, S)``, in ``[-1, 1]``.
        latent_i: ``z = G_E(x)``, ``(B, latent, 1, 1)``.
        latent_o: ``z' = E(G_D(z))``, ``(B, latent, 1, 1)``.
        features: The intermediate feature maps of ``G_E`` and ``G_D`` (see :mod:`.hints`) when asked for.
    """

    canvas: torch.Tensor
    reconstruction: torch.Tensor
    latent_i: torch.Tensor
    latent_o: torch.Tensor
    features: list[torch.Tensor] = field(default_factory=list)


def canvas_size(input_size: tuple[int, int]) -> int:
    """Side of the square power-of-two canvas an ``input_size`` image is padded onto.

    Example:
        >>> canvas_size((28, 28)), canvas_size((32, 32)), canvas_size((40, 100))
        (32, 32, 128)
    """
    side = max(MIN_CANVAS, *input_size)
    return 1 << (side - 1).bit_length()


class GanNetwork(nn.Module):
    """One encoder-decoder-encoder GAN (generator and discriminator), DCGAN-style as in GANomaly.

    Args:
        input_size: Image height and width the network takes. Any size with both sides >= 8.
        num_input_channels: Image channels (1 for grey, 3 for colour).
        n_features: Base width: channels of the first convolution, doubled at each down-sampling.
        latent_vec_size: Size of the latents ``z`` and ``z'``.
        extra_layers: Extra 3x3 convolution blocks in each encoder and decoder.
        block: ``"standard"`` (GANomaly's convolutions), ``"separable"`` (the generator's convolutions made
            depthwise-separable) or ``"dense"`` (a fully connected generator with ``n_features`` hidden units, see
            :mod:`.student_design`). The discriminator stays standard.

    Example:
        >>> net = GanNetwork((32, 32), num_input_channels=3, n_features=8, latent_vec_size=16)
        >>> out = net(torch.zeros(2, 3, 32, 32))
        >>> out.latent_i.shape, out.reconstruction.shape
        (torch.Size([2, 16, 1, 1]), torch.Size([2, 3, 32, 32]))
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        num_input_channels: int,
        n_features: int,
        latent_vec_size: int,
        extra_layers: int = 0,
        block: str = "standard",
    ) -> None:
        super().__init__()
        input_size = (int(input_size[0]), int(input_size[1]))
        if min(input_size) < MIN_SIDE:
            msg = f"PKDGAN needs images of at least {MIN_SIDE}x{MIN_SIDE} pixels, got input_size={input_size}."
            raise ValueError(msg)
        for name, value in (
            ("num_input_channels", num_input_channels),
            ("n_features", n_features),
            ("latent_vec_size", latent_vec_size),
        ):
            if value < 1:
                msg = f"PKDGAN {name} must be a positive integer, got {value}."
                raise ValueError(msg)
        if extra_layers < 0:
            msg = f"PKDGAN extra_layers must be >= 0, got {extra_layers}."
            raise ValueError(msg)
        self.input_size = input_size
        self.num_input_channels = num_input_channels
        self.n_features = n_features
        self.latent_vec_size = latent_vec_size
        self.canvas = canvas_size(input_size)
        square = (self.canvas, self.canvas)
        if check_block(block) == "dense" and extra_layers:
            msg = (
                f"PKDGAN extra_layers={extra_layers} adds 3x3 convolution blocks; the 'dense' student generator has "
                "none. Use extra_layers=0 or student_block='standard' or 'separable'."
            )
            raise ValueError(msg)
        if block == "dense":
            self.generator = DenseGenerator(self.canvas, latent_vec_size, num_input_channels, n_features)
        else:
            self.generator = Generator(square, latent_vec_size, num_input_channels, n_features, extra_layers)
        if block == "separable":
            make_separable(self.generator)
        self.discriminator = Discriminator(square, num_input_channels, n_features, extra_layers)
        # DCGAN initialisation. Anomalib's GanomalyModel calls ``weights_init(self.generator)`` directly, which
        # only looks at the top-level module's class name and so initialises nothing; ``apply`` reaches every layer.
        self.generator.apply(GanomalyModel.weights_init)
        self.discriminator.apply(GanomalyModel.weights_init)
        height, width = input_size
        self._top, self._left = (self.canvas - height) // 2, (self.canvas - width) // 2
        self._padding = (self._left, self.canvas - width - self._left, self._top, self.canvas - height - self._top)

    def check_input(self, images: torch.Tensor) -> None:
        """Raise a ``ValueError`` naming the problem if ``images`` do not fit this network."""
        if images.ndim != 4:
            msg = f"PKDGAN expects a batch of images shaped (B, C, H, W), got a tensor of shape {tuple(images.shape)}."
            raise ValueError(msg)
        if images.shape[1] != self.num_input_channels:
            msg = (
                f"PKDGAN was built for {self.num_input_channels}-channel images but got {images.shape[1]} channels. "
                f"Set num_input_channels={images.shape[1]} or convert the images."
            )
            raise ValueError(msg)
        if tuple(images.shape[-2:]) != self.input_size:
            msg = (
                f"PKDGAN was built for {self.input_size[0]}x{self.input_size[1]} images but got "
                f"{images.shape[-2]}x{images.shape[-1]}. Resize them (the default pre-processor does), "
                "build the model with that input_size, or cut larger images into tiles of input_size "
                "(TilerConfigurationCallback)."
            )
            raise ValueError(msg)

    def pad(self, images: torch.Tensor) -> torch.Tensor:
        """Place images on the square canvas by replicating their edges."""
        if not any(self._padding):
            return images
        return F.pad(images, self._padding, mode="replicate")

    def crop(self, canvas: torch.Tensor) -> torch.Tensor:
        """Cut the original ``H x W`` region back out of a canvas-sized tensor."""
        height, width = self.input_size
        return canvas[..., self._top : self._top + height, self._left : self._left + width]

    def forward(self, images: torch.Tensor, features: bool = False) -> GanOutput:
        """Run the generator on ``images`` of shape ``(B, C, H, W)`` in ``[-1, 1]``.

        Args:
            images: The images.
            features: Also return the intermediate feature maps that hints distil (see :mod:`.hints`).
        """
        self.check_input(images)
        canvas = self.pad(images)
        if features:
            (reconstruction, latent_i, latent_o), maps = generator_features(self.generator, canvas)
            return GanOutput(canvas, reconstruction, latent_i, latent_o, maps)
        reconstruction, latent_i, latent_o = self.generator(canvas)
        return GanOutput(canvas=canvas, reconstruction=reconstruction, latent_i=latent_i, latent_o=latent_o)

    def discriminate(self, canvas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Discriminator probability of ``real`` ``(B,)`` and its last feature map."""
        return self.discriminator(canvas)

    def generator_only(self) -> "GanNetwork":
        """Return a copy without the discriminator, which only training needs (its ``discriminate`` then fails).

        Example:
            >>> net = GanNetwork((32, 32), 1, n_features=4, latent_vec_size=8)
            >>> hasattr(net.generator_only(), "discriminator"), hasattr(net, "discriminator")
            (False, True)
        """
        copy = deepcopy(self)
        del copy.discriminator
        return copy
