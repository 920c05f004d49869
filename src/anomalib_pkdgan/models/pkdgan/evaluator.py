# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Anomalib's :class:`~anomalib.metrics.Evaluator`, without the metrics the data cannot feed.

Anomalib's default pixel metrics (and the PRO metric P-KDGAN adds) are ``strict=False``: a batch without ground-truth
masks leaves them untouched. On data with no masks at all (a ``Folder`` without ``mask_dir``) no batch updates them,
and logging them at the end of the epoch made torchmetrics warn that ``compute`` was called before ``update`` for each
one. :class:`MaskAwareEvaluator` logs only the metrics that some batch updated, and says which it left out.

Example:
    >>> import torch
    >>> from anomalib.data import ImageBatch
    >>> from anomalib.metrics import AUROC
    >>> evaluator = MaskAwareEvaluator(test_metrics=[
    ...     AUROC(fields=["pred_score", "gt_label"], prefix="image_"),
    ...     AUROC(fields=["anomaly_map", "gt_mask"], prefix="pixel_", strict=False),
    ... ])
    >>> batch = ImageBatch(image=torch.rand(2, 3, 8, 8), gt_label=torch.tensor([0, 1]), pred_score=torch.rand(2))
    >>> evaluator.on_test_batch_end(None, None, None, batch, 0)
    >>> [metric.name for metric in evaluator.fed(evaluator.test_metrics)]
    ['image_AUROC']
"""

import logging
from collections.abc import Iterable

from anomalib.metrics import AnomalibMetric, Evaluator
from lightning.pytorch import LightningModule, Trainer

logger = logging.getLogger(__name__)


class MaskAwareEvaluator(Evaluator):
    """An :class:`~anomalib.metrics.Evaluator` that logs only metrics some batch updated (see the module)."""

    def fed(self, metrics: Iterable[AnomalibMetric]) -> list[AnomalibMetric]:
        """Return the strict metrics and the non-strict ones some batch had the fields for; log the others."""
        kept, skipped = [], []
        for metric in metrics:
            (kept if metric.strict or metric.update_count > 0 else skipped).append(metric)
        if skipped:
            logger.info(
                "No batch had the fields of %s (e.g. no ground-truth masks): not computed.",
                ", ".join(metric.name for metric in skipped),
            )
        return kept

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Compute and log the validation metrics that some batch updated."""
        self._log(trainer, self.fed(self.val_metrics))

    def on_test_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Compute and log the test metrics that some batch updated."""
        self._log(trainer, self.fed(self.test_metrics))

    def _log(self, trainer: Trainer, metrics: list[AnomalibMetric]) -> None:
        # Anomalib's own loop (Evaluator.on_test_epoch_end, 2.4 to 2.7) over the metrics kept.
        for metric in metrics:
            self.log(metric.name, metric)
            if trainer.barebones:
                value = metric.compute()
                trainer.callback_metrics[metric.name] = value
                trainer.logged_metrics[metric.name] = value


__all__ = ["MaskAwareEvaluator"]
