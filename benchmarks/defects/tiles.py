# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Tiles in the defect benchmark: the tile size and stride candidates, how one is chosen, and the tiled pixel
baselines.

A candidate (:class:`TileCandidate`) is a tile size and stride whose grid covers the image exactly (Anomalib's
``Tiler`` would pad the rest, and P-KDGAN refuses such grids). Every tiled model is measured at each candidate, with
its own settings chosen on validation, and the candidate with the best :func:`validation_rank` (the mean of the
validation image and pixel AUROCs) gives the model's row; the test split never takes part in a choice.

The tiled baselines (``knn_pixels_tiled``, ``pca_pixels_tiled``) are the raw-pixel baselines of
``common/baselines.py`` fitted on the training images' tiles (at most :data:`TRAIN_TILE_CAP` of them, drawn with the
cell's seed), cut and stitched with Anomalib's ``Tiler`` (overlaps averaged). Each tile gets the baseline's score and
map; an image's score is the mean of its ``top_k`` highest tile scores (``top_k`` among P-KDGAN's
``TOP_K_CHOICES``, chosen with the ``k`` or components on validation image AUROC), its map the stitched tile maps.

Example:
    >>> [candidate.label for candidate in tile_candidates(256, (64, 96), (64, 32))]
    ['64/64', '64/32', '96/32']
    >>> TileCandidate(64, 32).tiles_per_image(256)
    49
"""

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from anomalib.data.utils.tiler import Tiler
from sklearn.metrics import roc_auc_score

from anomalib_pkdgan.models.pkdgan.tiling import TOP_K_CHOICES, reduce_tile_scores
from benchmarks.common.baselines import PCA_SOLVER, KnnPixels, PcaPixels, candidates
from benchmarks.defects.evaluation import KNN_K, PCA_COMPONENTS, Split, choose_sigma, evaluate, pixels, smoothed

TRAIN_TILE_CAP = 8192
"""Most training tiles a tiled baseline keeps (drawn at random with the cell's seed): the kNN's memory and the
PCA's fit grow with them."""

CHUNK_IMAGES = 8
"""Whole images tiled and scored at a time (bounds the memory of overlapping tiles)."""


@dataclass(frozen=True)
class TileCandidate:
    """A square tile size and stride, in pixels."""

    tile: int
    stride: int

    @property
    def label(self) -> str:
        """``"tile/stride"``, e.g. ``"64/32"``."""
        return f"{self.tile}/{self.stride}"

    def tiles_per_image(self, size: int) -> int:
        """Tiles of a ``size`` x ``size`` image."""
        return ((size - self.tile) // self.stride + 1) ** 2

    def covers(self, size: int) -> bool:
        """Whether the grid of a ``size`` x ``size`` image ends exactly at its edge."""
        return 0 < self.stride <= self.tile <= size and (size - self.tile) % self.stride == 0


def tile_candidates(size: int, tiles: Iterable[int], strides: Iterable[int] | None = None) -> list[TileCandidate]:
    """Every ``(tile, stride)`` of ``tiles`` and ``strides`` (default: each tile and its half) covering ``size``.

    Ordered by tile, then by falling stride (fewer tiles first), so that ties in :func:`choose` go to the cheaper.
    """
    pairs = {
        TileCandidate(tile, stride)
        for tile in tiles
        for stride in (strides if strides is not None else (tile, tile // 2))
    }
    return sorted((pair for pair in pairs if pair.covers(size)), key=lambda pair: (pair.tile, -pair.stride))


def validation_rank(row: dict) -> float:
    """What a candidate is chosen by: the mean of its validation image and pixel AUROCs."""
    return (float(row["val_image_auroc"]) + float(row["val_pixel_auroc"])) / 2


def choose(rows: Sequence[dict]) -> dict:
    """The candidate row with the best :func:`validation_rank` (ties: the first)."""
    return max(rows, key=validation_rank)


def tiler_of(candidate: TileCandidate) -> Tiler:
    """Anomalib's ``Tiler`` of a candidate."""
    return Tiler(tile_size=candidate.tile, stride=candidate.stride)


def training_tiles(images: np.ndarray, candidate: TileCandidate, seed: int) -> np.ndarray:
    """At most :data:`TRAIN_TILE_CAP` tiles of ``(N, C, H, W)`` training images, drawn without replacement."""
    per_image = candidate.tiles_per_image(images.shape[-1])
    total = len(images) * per_image
    keep = np.sort(np.random.default_rng(seed).permutation(total)[:TRAIN_TILE_CAP])
    tiler, kept = tiler_of(candidate), []
    for start in range(0, len(images), CHUNK_IMAGES):
        tiles = tiler.tile(torch.from_numpy(images[start : start + CHUNK_IMAGES])).numpy()
        offset = start * per_image
        chosen = keep[(keep >= offset) & (keep < offset + len(tiles))] - offset
        kept.append(tiles[chosen])
    return np.concatenate(kept)


def tile_scores(model: KnnPixels | PcaPixels, images: np.ndarray, candidate: TileCandidate) -> np.ndarray:
    """Each image's tile scores, ``(N, T)``."""
    tiler, scores = tiler_of(candidate), []
    for start in range(0, len(images), CHUNK_IMAGES):
        chunk = images[start : start + CHUNK_IMAGES]
        scores.append(model.scores(tiler.tile(torch.from_numpy(chunk)).numpy()).reshape(len(chunk), -1))
    return np.concatenate(scores)


def scores_and_maps(
    model: KnnPixels | PcaPixels, images: np.ndarray, candidate: TileCandidate, top_k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Image scores (top-k mean of the tile scores) and stitched ``(N, H, W)`` maps of ``(N, C, H, W)`` images."""
    tiler, scores, maps = tiler_of(candidate), [], []
    for start in range(0, len(images), CHUNK_IMAGES):
        chunk = images[start : start + CHUNK_IMAGES]
        tiles = tiler.tile(torch.from_numpy(chunk))
        tile_score, tile_map = model.scores_and_maps(tiles.numpy())
        scores.append(reduce_tile_scores(torch.from_numpy(tile_score), len(tiles) // len(chunk), top_k))
        # Anomalib's Tiler stitches the batch it tiled last: the maps go back before the next chunk is cut.
        maps.append(tiler.untile(torch.from_numpy(tile_map)[:, None].float())[:, 0].numpy())
    return torch.cat(scores).numpy(), np.concatenate(maps)


def fit_tiled_baseline(
    name: str, candidate: TileCandidate, train: np.ndarray, val: np.ndarray, val_labels: np.ndarray, seed: int
) -> tuple[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], str, float]:
    """Fit a baseline on training tiles; choose its ``k`` or components and ``top_k`` by validation image AUROC.

    Returns:
        ``(score, setting, seconds)``: ``score(images) -> (scores, maps)`` of whole images, the chosen setting as
        text, and the seconds spent cutting, fitting and choosing.
    """
    start = time.perf_counter()
    fitted = candidates(name, training_tiles(train, candidate, seed), KNN_K, PCA_COMPONENTS, PCA_SOLVER)
    best, best_auroc = (fitted[0], TOP_K_CHOICES[0]), -1.0
    for model in fitted:
        per_tile = torch.from_numpy(tile_scores(model, val, candidate))
        for top_k in TOP_K_CHOICES:
            scores = reduce_tile_scores(per_tile.flatten(), per_tile.shape[1], top_k).numpy()
            auroc = float(roc_auc_score(val_labels, scores))
            if auroc > best_auroc:
                best, best_auroc = (model, top_k), auroc
    seconds = time.perf_counter() - start
    model, top_k = best

    def score(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return scores_and_maps(model, images, candidate, top_k)

    return score, f"{model.setting} top_k={top_k}", seconds


def tiled_baseline_row(
    name: str, candidate: TileCandidate, channels: int, train: Split, val: Split, test: Split, seed: int
) -> tuple[dict, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]]:
    """One tiled baseline at one candidate: its row (settings and map smoothing chosen on validation) and its
    ``score(images) -> (scores, maps)``."""
    val_x, test_x = pixels(val, channels), pixels(test, channels)
    score, setting, seconds = fit_tiled_baseline(name, candidate, pixels(train, channels), val_x, val.labels, seed)
    (val_scores, val_maps), (test_scores, test_maps) = score(val_x), score(test_x)
    sigma = choose_sigma(val_maps, val.masks)
    row = evaluate(val, test, val_scores, test_scores, smoothed(val_maps, sigma), smoothed(test_maps, sigma))
    settings = f"tile={candidate.tile} stride={candidate.stride} {setting} sigma={sigma:g}"
    return {**row, "settings": settings, "train_seconds": seconds}, score
