# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Choose the student's anomaly score on validation data (``score_type="auto"``).

Which score separates normal from anomalous images better, the latent distance ``||z - z'||^2`` or the
reconstruction error, differs between data sets and between training runs (see the model README). With
``score_type="auto"`` the model scores its validation set both ways before each validation epoch and keeps
the score with the higher validation AUROC. It needs validation images of both labels; with normal images
only, the current score (latent at first) is kept.

Example:
    >>> import torch
    >>> from anomalib_pkdgan.models.pkdgan.torch_model import ScoreType
    >>> labels = torch.tensor([0, 0, 1, 1])
    >>> aurocs = score_aurocs({ScoreType.LATENT: torch.tensor([0.1, 0.2, 0.3, 0.4]),
    ...                        ScoreType.RECONSTRUCTION: torch.tensor([0.4, 0.1, 0.2, 0.3])}, labels)
    >>> best_score_type(aurocs)
    <ScoreType.LATENT: 'latent'>
"""

from collections.abc import Callable, Iterable

import torch
from anomalib.data import Batch
from torchmetrics.functional.classification import binary_auroc

from .torch_model import PkdganModel, ScoreType


def score_aurocs(scores: dict[ScoreType, torch.Tensor], labels: torch.Tensor) -> dict[ScoreType, float] | None:
    """Return each score type's AUROC on ``labels`` (1 = anomalous), or ``None`` if they hold one class only."""
    if labels.numel() == 0 or labels.min() == labels.max():
        return None
    return {score_type: float(binary_auroc(values, labels.int())) for score_type, values in scores.items()}


def best_score_type(aurocs: dict[ScoreType, float]) -> ScoreType:
    """Return the score type with the highest AUROC (from :func:`score_aurocs`); ties go to latent."""
    return max(ScoreType, key=lambda score_type: (aurocs[score_type], score_type == ScoreType.LATENT))


@torch.no_grad()
def score_validation_set(
    model: PkdganModel,
    batches: Iterable[Batch],
    transform: Callable[[torch.Tensor], torch.Tensor] | None,
    device: torch.device,
) -> tuple[dict[ScoreType, torch.Tensor], torch.Tensor]:
    """Every student score of every validation image, and the images' labels (1 = anomalous).

    Args:
        model: The P-KDGAN networks (in eval mode, as during validation).
        batches: The validation dataloader's batches, as the datamodule gives them (not yet pre-processed).
        transform: The pre-processor's transform (the one validation batches get), or ``None``.
        device: Where the model is.
    """
    scores: dict[ScoreType, list[torch.Tensor]] = {score_type: [] for score_type in ScoreType}
    labels = []
    for batch in batches:
        if batch.gt_label is None:
            continue
        images = batch.image.to(device)
        if transform is not None:
            images = transform(images)
        batch_scores, _ = model.scores(images)
        for score_type, values in batch_scores.items():
            scores[score_type].append(values.cpu())
        labels.append(torch.as_tensor(batch.gt_label).view(-1).cpu())
    if not labels:
        return {score_type: torch.empty(0) for score_type in ScoreType}, torch.empty(0, dtype=torch.long)
    return {score_type: torch.cat(values) for score_type, values in scores.items()}, torch.cat(labels).long()
