# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""From one GAN's output to the per-image scores and the anomaly map, and the map's smoothing.

The anomaly map is the squared reconstruction error, averaged over channels, inside the image (not the padding);
the two per-image scores (:class:`ScoreType`) are the latent distance and the mean of that map. Each image's
scores and map depend on that image alone.

Example:
    >>> from anomalib_pkdgan.models.pkdgan.components.gan_network import GanNetwork
    >>> gan = GanNetwork((28, 28), 1, n_features=4, latent_vec_size=8)
    >>> scores, anomaly_map = network_scores(gan, torch.zeros(3, 1, 28, 28))
    >>> sorted(score_type.value for score_type in scores), anomaly_map.shape
    (['latent', 'reconstruction'], torch.Size([3, 1, 28, 28]))
"""

from enum import Enum

import torch
from anomalib.models.components import GaussianBlur2d
from torch import nn

from .components.gan_network import GanNetwork


class ScoreType(str, Enum):
    """Which per-image anomaly score the student reports.

    ``latent``: mean over latent units of ``(z - z')^2`` (GANomaly's score, the paper's choice).
    ``reconstruction``: mean over pixels of ``(x - x_hat)^2`` inside the image (not the padding).
    """

    LATENT = "latent"
    RECONSTRUCTION = "reconstruction"


def network_scores(gan: GanNetwork, images: torch.Tensor) -> tuple[dict[ScoreType, torch.Tensor], torch.Tensor]:
    """Every per-image score of ``gan`` on ``images`` (with its channel count), and the anomaly map.

    Returns:
        ``({ScoreType: (B,) scores}, anomaly_map)``; the map is ``(B, 1, H, W)``, the squared reconstruction
        error averaged over channels. Each image's scores depend on that image alone.
    """
    output = gan(images)
    anomaly_map = (images - gan.crop(output.reconstruction)).pow(2).mean(dim=1, keepdim=True)
    scores = {
        ScoreType.LATENT: (output.latent_i - output.latent_o).pow(2).flatten(1).mean(dim=1),
        ScoreType.RECONSTRUCTION: anomaly_map.flatten(1).mean(dim=1),
    }
    return scores, anomaly_map


def map_smoothing(sigma: float) -> nn.Module:
    """Gaussian smoothing of anomaly maps (Anomalib's ``GaussianBlur2d``), or identity for ``sigma == 0``.

    Example:
        >>> map_smoothing(0.0)
        Identity()
        >>> map_smoothing(2.0)(torch.zeros(1, 1, 32, 32)).shape
        torch.Size([1, 1, 32, 32])
    """
    if sigma < 0:
        msg = f"PKDGAN anomaly_map_sigma must be >= 0, got {sigma}."
        raise ValueError(msg)
    if sigma == 0:
        return nn.Identity()
    blur = GaussianBlur2d(sigma=float(sigma), channels=1)
    # The kernel follows from sigma, which checkpoints store on their own: keep it out of the state dict, so
    # that weights load whatever smoothing the model was built with.
    kernel = blur.kernel
    del blur.kernel
    blur.register_buffer("kernel", kernel, persistent=False)
    return blur
