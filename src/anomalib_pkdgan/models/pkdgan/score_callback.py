# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""``score_type="auto"``: a callback that picks the student's score on the validation set (see :mod:`.score_selection`).

Before each validation epoch (never during Lightning's sanity check) it scores the validation images both ways,
keeps the score with the higher validation AUROC, and logs the choice with both AUROCs. The choice is made before
any validation batch, so the post-processor's normalisation and threshold come from the chosen score; rank 0
decides for every rank under DDP. The model saves the choice in its checkpoints.
"""

import logging
from itertools import chain
from typing import TYPE_CHECKING

from lightning.pytorch import Callback, LightningModule, Trainer

from .score_selection import best_score_type, score_aurocs, score_validation_set
from .torch_model import ScoreType

if TYPE_CHECKING:
    from .lightning_model import Pkdgan

logger = logging.getLogger(__name__)


class ScoreSelection(Callback):
    """Choose the student's score (latent distance or reconstruction error) on validation data."""

    def on_validation_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Score the validation set both ways and keep the better score."""
        if trainer.sanity_checking:
            return
        model: Pkdgan = pl_module  # type: ignore[assignment]
        transform = getattr(model.pre_processor, "transform", None)
        loaders = trainer.val_dataloaders
        batches = chain.from_iterable(loaders if isinstance(loaders, list) else [loaders])  # streamed, not stored
        scores, labels = score_validation_set(model.model, batches, transform, model.device)
        aurocs = score_aurocs(scores, labels)
        if aurocs is None:
            logger.info(
                "PKDGAN score_type='auto': no anomalous validation images, keeping the %s score.",
                model.model.score_type.value,
            )
            chosen = model.model.score_type
        else:
            chosen = best_score_type(aurocs)
            values = ", ".join(f"{name.value} {value:.4f}" for name, value in aurocs.items())
            logger.info("PKDGAN score_type='auto' uses the %s score (validation AUROC: %s).", chosen.value, values)
        model.model.score_type = ScoreType(trainer.strategy.broadcast(chosen.value, src=0))
