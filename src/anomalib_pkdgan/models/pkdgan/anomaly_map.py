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
import torch.nn.functional as F  # noqa: N812
from anomalib.models.components import GaussianBlur2d
from torch import nn

from .components.gan_network import GanNetwork
from .tiling import tile_grid


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


def tiled_network_scores(
    gan: GanNetwork, images: torch.Tensor, tiling: tuple[int, int] | None = None
) -> tuple[dict[ScoreType, torch.Tensor], torch.Tensor]:
    """Every score of every tile of ``gan`` on whole ``images`` (with its channel count), and their anomaly map.

    Args:
        gan: The network that scores (the student, or the teacher).
        images: Whole images ``(B, C, H, W)``.
        tiling: ``(tile_size, stride)`` of the model's tiler (see :func:`.tiling.check_tiler`); ``None``: no tiles.

    Returns:
        ``({ScoreType: (B, T) scores of each image's T tiles}, anomaly_map (B, 1, H, W))``, the map stitched from
        the tiles' and unsmoothed; ``T`` is 1 without tiles.

    Example:
        >>> gan = GanNetwork((16, 16), 1, n_features=4, latent_vec_size=8)
        >>> scores, anomaly_map = tiled_network_scores(gan, torch.zeros(2, 1, 32, 32), tiling=(16, 16))
        >>> scores[ScoreType.LATENT].shape, anomaly_map.shape
        (torch.Size([2, 4]), torch.Size([2, 1, 32, 32]))
    """
    if tiling is None:
        scores, anomaly_map = network_scores(gan, images)
        return {score_type: values.unsqueeze(1) for score_type, values in scores.items()}, anomaly_map
    grid = tile_grid((int(images.shape[-2]), int(images.shape[-1])), *tiling)
    scores, tile_maps = network_scores(gan, grid.tile(images))
    return {score_type: values.view(-1, grid.num_tiles) for score_type, values in scores.items()}, grid.untile(
        tile_maps
    )


class SeparableGaussianBlur(nn.Module):
    """Anomalib's ``GaussianBlur2d`` (the same kernel and reflect padding) as two 1-D convolutions.

    Its 2-D kernel is the outer product of two 1-D Gaussians, so a row pass and a column pass give the same maps
    with ``2k`` instead of ``k^2`` multiplications per pixel (``k = 33`` at sigma 4: 16 times fewer). The exported
    graphs run it too, where the smoothing of a large map costs more than the compact student.

    Example:
        >>> maps = torch.rand(2, 1, 40, 56)
        >>> torch.allclose(SeparableGaussianBlur(4.0)(maps), GaussianBlur2d(sigma=4.0, channels=1)(maps), atol=1e-6)
        True
    """

    def __init__(self, sigma: float) -> None:
        super().__init__()
        blur = GaussianBlur2d(sigma=float(sigma), channels=1)
        kernel = blur.kernel[0, 0]  # rank one, summing to 1: its row and column sums are the two 1-D Gaussians
        # The kernels follow from sigma, which checkpoints store on their own: keep them out of the state dict, so
        # that weights load whatever smoothing the model was built with.
        self.register_buffer("rows", kernel.sum(dim=0).view(1, 1, 1, -1), persistent=False)
        self.register_buffer("columns", kernel.sum(dim=1).view(1, 1, -1, 1), persistent=False)
        self.padding = tuple(blur.padding_shape)
        self.border_type = blur.border_type

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """Smooth ``(B, 1, H, W)`` maps; the output has their size."""
        padded = F.pad(maps, self.padding, mode=self.border_type)
        return F.conv2d(F.conv2d(padded, self.rows), self.columns)


def map_smoothing(sigma: float) -> nn.Module:
    """Gaussian smoothing of anomaly maps (:class:`SeparableGaussianBlur`), or identity for ``sigma == 0``.

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
    return SeparableGaussianBlur(sigma)
