# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""FitNets-style hints: the student's intermediate feature maps pulled toward the teacher's.

Teacher and student are Anomalib's GANomaly generator on the same canvas, so the encoder ``G_E`` and the decoder
``G_D`` of both have the same stages at the same resolutions; only the channel counts differ. The hinted feature
maps are the outputs of every activation of ``G_E`` (before its final convolution to ``z``) and of ``G_D`` (before
its final convolution to the image): six at 32x32 (19x19, 9x9 and 4x4 in ``G_E``, whose first convolution pads by
4; 4x4, 8x8 and 16x16 in ``G_D``).
A 1x1 convolution per stage (an *adapter*, trained with the student and never exported) maps the
student's channels to the teacher's; the hint loss is the mean of the per-stage mean squared distances.

Example:
    >>> import torch
    >>> from anomalib.models.image.ganomaly.torch_model import Generator
    >>> teacher, student = Generator((32, 32), 16, 1, 8), Generator((32, 32), 4, 1, 2)
    >>> hint_channels(student), hint_channels(teacher)
    ([2, 4, 8, 8, 4, 2], [8, 16, 32, 32, 16, 8])
    >>> _, features = generator_features(student, torch.zeros(2, 1, 32, 32))
    >>> [tuple(f.shape[1:]) for f in features]
    [(2, 19, 19), (4, 9, 9), (8, 4, 4), (8, 4, 4), (4, 8, 8), (2, 16, 16)]
"""

import torch
from anomalib.models.image.ganomaly.torch_model import Generator
from torch import nn

ACTIVATIONS = (nn.ReLU, nn.LeakyReLU)


def _hinted_parts(generator: Generator) -> tuple[nn.Sequential, ...]:
    """Return the sequential parts of ``G_E`` and ``G_D`` whose activations are hinted, in forward order."""
    encoder, decoder = generator.encoder1, generator.decoder
    return (
        encoder.input_layers,
        encoder.extra_layers,
        encoder.pyramid_features,
        decoder.latent_input,
        decoder.inverse_pyramid,
        decoder.extra_layers,
    )


def hint_channels(generator: Generator) -> list[int]:
    """Channels of each hinted feature map of ``generator`` (the last convolution or BatchNorm before it)."""
    channels, current = [], 0
    for part in _hinted_parts(generator):
        for layer in part.modules():
            if isinstance(layer, nn.BatchNorm2d):
                current = layer.num_features
            elif isinstance(layer, nn.Conv2d | nn.ConvTranspose2d):
                current = layer.out_channels
            elif isinstance(layer, ACTIVATIONS):
                channels.append(current)
    return channels


def generator_features(
    generator: Generator, canvas: torch.Tensor
) -> tuple[tuple[torch.Tensor, torch.Tensor, torch.Tensor], list[torch.Tensor]]:
    """``generator(canvas)`` and the hinted feature maps of that same forward pass.

    This runs Anomalib's ``Generator.forward`` (``encoder1 -> decoder -> encoder2``) and the ``Encoder`` and
    ``Decoder`` forwards part by part, so the outputs are the generator's own; a test checks they are identical.

    Returns:
        ``((reconstruction, latent_i, latent_o), features)``.
    """
    encoder, decoder = generator.encoder1, generator.decoder
    parts = _hinted_parts(generator)
    features = []
    output = canvas
    for index, part in enumerate(parts):
        if index == 3:  # the encoder's pyramid is done: its final convolution gives z, the decoder's input
            output = latent_i = encoder.final_conv_layer(output)
        for layer in part:
            output = layer(output)
            if isinstance(layer, ACTIVATIONS):
                features.append(output)
    reconstruction = decoder.final_layers(output)
    return (reconstruction, latent_i, generator.encoder2(reconstruction)), features


class HintAdapters(nn.ModuleList):
    """One 1x1 convolution per hinted stage, from the student's channels to the teacher's.

    Args:
        student: The student's generator.
        teacher: The teacher's generator (same canvas, so the same stages).

    Raises:
        ValueError: The generators do not have the same stages.
    """

    def __init__(self, student: Generator, teacher: Generator) -> None:
        student_channels, teacher_channels = hint_channels(student), hint_channels(teacher)
        if len(student_channels) != len(teacher_channels):
            msg = (
                f"PKDGAN hints need a student and a teacher with the same stages, got {len(student_channels)} "
                f"and {len(teacher_channels)} (build both with the same input_size and extra_layers)."
            )
            raise ValueError(msg)
        super().__init__(
            nn.Conv2d(s, t, kernel_size=1, bias=False) for s, t in zip(student_channels, teacher_channels, strict=True)
        )
