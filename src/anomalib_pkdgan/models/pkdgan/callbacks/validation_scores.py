# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Choose the student's anomaly score (``score_type="auto"``) and map smoothing on validation data.

Which score separates normal from anomalous images better, the latent distance ``||z - z'||^2`` or the
reconstruction error, differs between data sets and between training runs (see the model README). With
``score_type="auto"`` the model scores its validation set both ways before each validation epoch and keeps
the score with the higher validation AUROC. It needs validation images of both labels; with normal images
only, the current score (latent at first) is kept. Where the validation set has ground-truth masks, the
smoothing of the anomaly map (``anomaly_map_sigma="auto"``) is chosen the same way, by pixel AUROC. A tiled model
(see :mod:`..tiling`) is scored with each number of highest tile scores averaged into the image score that
``tile_top_k="auto"`` tries, and its maps are the whole images', stitched from the tiles.

Example:
    >>> import torch
    >>> from anomalib_pkdgan.models.pkdgan.anomaly_map import ScoreType
    >>> labels = torch.tensor([0, 0, 1, 1])
    >>> aurocs = score_aurocs({ScoreType.LATENT: torch.tensor([0.1, 0.2, 0.3, 0.4]),
    ...                        ScoreType.RECONSTRUCTION: torch.tensor([0.4, 0.1, 0.2, 0.3])}, labels)
    >>> best_score_type(aurocs)
    <ScoreType.LATENT: 'latent'>
"""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812
from anomalib.data import Batch
from torchmetrics.functional.classification import binary_auroc

from ..anomaly_map import ScoreType, map_smoothing
from ..tiling import reduce_tile_scores
from ..torch_model import PkdganModel


def score_aurocs(scores: dict[ScoreType, torch.Tensor], labels: torch.Tensor) -> dict[ScoreType, float] | None:
    """Return each score type's AUROC on ``labels`` (1 = anomalous), or ``None`` if they hold one class only."""
    if labels.numel() == 0 or labels.min() == labels.max():
        return None
    return {score_type: float(binary_auroc(values, labels.int())) for score_type, values in scores.items()}


def score_preference(auroc: float, score_type: ScoreType, top_k: int = 1) -> tuple[float, bool, int]:
    """Sort key of a validation choice: the higher AUROC first, then the latent score, then fewer tiles."""
    return auroc, score_type == ScoreType.LATENT, -top_k


def best_score_type(aurocs: dict[ScoreType, float]) -> ScoreType:
    """Return the score type with the highest AUROC (from :func:`score_aurocs`); ties go to latent."""
    return max(ScoreType, key=lambda score_type: score_preference(aurocs[score_type], score_type))


@dataclass
class ValidationScores:
    """The student's raw scores and maps of every validation image, with labels and masks where the data has them.

    Attributes:
        scores: ``{top_k: {ScoreType: (N,) scores}}`` for each number of highest tile scores averaged per image
            (one entry, the model's ``tile_top_k``, unless more were asked for; all equal without a tiler).
        teacher_scores: The teacher's ``{ScoreType: (N,) scores}`` (logged for comparison; only the student scores),
            or ``None`` when the teacher was not scored.
        labels: ``(N,)``, 1 = anomalous.
        maps: ``(N, 1, H, W)`` unsmoothed anomaly maps, or ``None`` when the validation set has no masks.
        masks: ``(N, 1, H, W)`` ground-truth masks, or ``None``.
    """

    scores: dict[int, dict[ScoreType, torch.Tensor]]
    teacher_scores: dict[ScoreType, torch.Tensor] | None
    labels: torch.Tensor
    maps: torch.Tensor | None = None
    masks: torch.Tensor | None = None


@torch.no_grad()
def score_validation_set(
    model: PkdganModel,
    batches: Iterable[Batch],
    transform: Callable[[torch.Tensor], torch.Tensor] | None,
    device: torch.device,
    top_ks: Sequence[int] | None = None,
    teacher: bool = True,
) -> ValidationScores:
    """Every student and teacher score (and, where masks exist, student anomaly map) of every validation image.

    Args:
        model: The P-KDGAN networks (in eval mode, as during validation).
        batches: The validation dataloader's batches, as the datamodule gives them (not yet pre-processed).
        transform: The pre-processor's transform (the one validation batches get), or ``None``.
        device: Where the model is.
        top_ks: Numbers of highest tile scores averaged into each image's score; ``None``: the model's ``tile_top_k``.
        teacher: Score the teacher too; ``False`` leaves ``teacher_scores`` ``None`` and saves its forward passes.
    """
    top_ks = (model.tile_top_k,) if top_ks is None else tuple(top_ks)
    scores: dict[int, dict[ScoreType, list[torch.Tensor]]] = {k: {t: [] for t in ScoreType} for k in top_ks}
    teacher_scores: dict[ScoreType, list[torch.Tensor]] = {score_type: [] for score_type in ScoreType}
    labels, maps, masks = [], [], []
    for batch in batches:
        if batch.gt_label is None:
            continue
        images = batch.image.to(device)
        if transform is not None:
            images = transform(images)
        tile_scores, anomaly_map = model.tile_scores(images)
        for top_k, by_type in scores.items():
            for score_type, values in tile_scores.items():
                by_type[score_type].append(reduce_tile_scores(values.flatten(), values.shape[1], top_k).cpu())
        if teacher:
            for score_type, values in model.scores(images, network="teacher")[0].items():
                teacher_scores[score_type].append(values.cpu())
        labels.append(torch.as_tensor(batch.gt_label).view(-1).cpu())
        if getattr(batch, "gt_mask", None) is not None:
            mask = torch.as_tensor(batch.gt_mask).float().view(anomaly_map.shape[0], 1, *batch.gt_mask.shape[-2:])
            maps.append(anomaly_map.cpu())
            masks.append(F.interpolate(mask, size=anomaly_map.shape[-2:], mode="nearest").cpu() > 0.5)
    if not labels:
        empty = {top_k: {score_type: torch.empty(0) for score_type in ScoreType} for top_k in top_ks}
        no_teacher = {score_type: torch.empty(0) for score_type in ScoreType} if teacher else None
        return ValidationScores(empty, no_teacher, torch.empty(0).long())
    has_masks = len(masks) == len(labels) and bool(torch.cat(masks).any())
    return ValidationScores(
        scores={k: {t: torch.cat(values) for t, values in by_type.items()} for k, by_type in scores.items()},
        teacher_scores={t: torch.cat(values) for t, values in teacher_scores.items()} if teacher else None,
        labels=torch.cat(labels).long(),
        maps=torch.cat(maps) if has_masks else None,
        masks=torch.cat(masks) if has_masks else None,
    )


MAP_SIGMAS = (0.0, 1.0, 2.0, 4.0)
"""Smoothing of the anomaly map tried on validation masks (``anomaly_map_sigma="auto"``)."""

MAX_PIXELS = 2_000_000
"""Pixel AUROC on validation uses at most this many pixels (an even subsample), to stay quick on large images."""


def best_map_sigma(maps: torch.Tensor, masks: torch.Tensor, sigmas: Sequence[float] = MAP_SIGMAS) -> dict[float, float]:
    """Pixel AUROC of the anomaly maps smoothed with each sigma that fits the image (see :func:`map_smoothing`).

    Example:
        >>> masks = torch.zeros(2, 1, 16, 16, dtype=torch.bool)
        >>> masks[1, :, 4:12, 4:12] = True
        >>> noisy = masks.float() + 2 * torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
        >>> aurocs = best_map_sigma(noisy, masks)
        >>> sorted(aurocs)  # sigma 4's +-3 sigma support is 25 pixels: too wide for 16x16 maps
        [0.0, 1.0, 2.0]
        >>> aurocs[2.0] > aurocs[0.0]  # smoothing averages the noise away inside the square
        True
    """
    aurocs = {}
    step = max(1, masks.numel() // MAX_PIXELS)
    target = masks.flatten()[::step].int()
    for sigma in sigmas:
        if 2 * math.ceil(3 * sigma) + 1 >= min(maps.shape[-2:]):  # its +-3 sigma support is wider than the maps
            continue
        smoothed = map_smoothing(sigma)(maps)
        aurocs[sigma] = float(binary_auroc(smoothed.flatten()[::step], target))
    return aurocs
