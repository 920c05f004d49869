# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What the ONNX and OpenVINO exports trace: the fused student, then Anomalib's post-processing.

Anomalib's ``to_onnx`` (which ``to_openvino`` converts) traces the Lightning module's ``forward``; P-KDGAN's traces
an :class:`ExportGraph` instead: the :class:`~.fused_student.FusedStudent` (pre-processing folded in, the same
scores with less work) and Anomalib's post-processor, folded where its statistics are known
(:class:`FoldedPostProcessor`). A tiled model's graph tiles whole images of one size (:func:`tiled_export_sizes`).
"""

import torch
from anomalib.data import InferenceBatch
from anomalib.models.components.base.export_mixin import ExportMixin
from anomalib.post_processing import PostProcessor
from lightning.pytorch import LightningModule
from torch import nn

from ..torch_model import PkdganModel
from .fused_student import FusedStudent, foldable_transforms


def tiled_export_sizes(
    model: PkdganModel, pre_processor: nn.Module | None, input_size: tuple[int, int] | None
) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """``(whole-image size the graph tiles, input size to export with)`` for Anomalib's ``input_size`` argument.

    Without a tiler: ``(None, input_size)``. With one, the graph tiles one image size (its grid, see
    :class:`~..tiling.TileGrid`, is static): the size a resizing pre-processor gives (the export then takes any
    size, as without tiles); else the exported input's size, ``input_size`` or the whole-image size the model trained
    on (``PkdganModel.tiled_image_size``), which the export then fixes (only the batch size stays dynamic).

    Raises:
        ValueError: Tiled, but no whole-image size is known (an untrained model and no ``input_size``).
    """
    if model.tiler is None:
        return None, input_size
    folded = foldable_transforms(pre_processor)
    if folded is not None and folded[0] is not None:
        return tuple(int(side) for side in folded[0].size), input_size
    trained = model.tiled_image_size
    image_size = (input_size if folded is not None else None) or trained
    if image_size is None:
        msg = (
            "PKDGAN's tiled export tiles whole images of one size, and this model has not seen any: train it with "
            "the tiler, or export with input_size=(height, width)."
        )
        raise ValueError(msg)
    image_size = (int(image_size[0]), int(image_size[1]))
    return image_size, input_size or image_size


class FoldedPostProcessor(nn.Module):
    """Anomalib's ``PostProcessor`` as exported, with the validation statistics it holds fixed.

    Anomalib 2.7 traces its normalisation with a branch for degenerate statistics (a zero range) made of comparisons
    and selections on every pixel, which OpenVINO runs even when the range is not zero. With the statistics known at
    export, only the non-degenerate case remains, with Anomalib's operations in Anomalib's order (the same numbers):
    ``((x - threshold) / (max - min) + 0.5).clamp(0, 1)``, then ``> 1 - sensitivity``. :meth:`of` builds it only for
    a ``PostProcessor`` that normalises and thresholds, with finite statistics and a non-zero range.
    """

    def __init__(self, post_processor: PostProcessor) -> None:
        super().__init__()
        for level in ("image", "pixel"):
            low, high = getattr(post_processor, f"{level}_min"), getattr(post_processor, f"{level}_max")
            threshold = getattr(post_processor, f"{level}_threshold")
            threshold = torch.where(threshold.isnan(), (high + low) / 2, threshold)  # as Anomalib does
            self.register_buffer(f"{level}_threshold", threshold.detach().clone())
            self.register_buffer(f"{level}_range", (high - low).detach().clone())
            self.register_buffer(f"{level}_cut", getattr(post_processor, f"normalized_{level}_threshold").clone())

    @classmethod
    def of(cls, post_processor: nn.Module | None) -> nn.Module | None:
        """Fold Anomalib's ``PostProcessor`` where that applies; return anything else as it is."""
        if type(post_processor) is not PostProcessor:
            return post_processor
        lows = torch.stack([post_processor.image_min, post_processor.pixel_min])
        highs = torch.stack([post_processor.image_max, post_processor.pixel_max])
        usable = bool(torch.cat([lows, highs]).isfinite().all()) and bool((highs != lows).all())
        enabled = post_processor.enable_normalization and post_processor.enable_thresholding
        return cls(post_processor) if usable and enabled else post_processor

    def forward(self, predictions: InferenceBatch) -> InferenceBatch:
        """Normalise the score and the map by the validation statistics; threshold both."""
        score = ((predictions.pred_score - self.image_threshold) / self.image_range + 0.5).clamp(min=0, max=1)
        anomaly_map = ((predictions.anomaly_map - self.pixel_threshold) / self.pixel_range + 0.5).clamp(min=0, max=1)
        return InferenceBatch(
            pred_label=score > self.image_cut,
            pred_score=score,
            pred_mask=anomaly_map > self.pixel_cut,
            anomaly_map=anomaly_map,
        )


class ExportGraph(nn.Module):
    """What the ONNX and OpenVINO exports trace: the fused student (pre-processing included), then post-processing.

    Args:
        model: The trained P-KDGAN networks (only the student generator is copied).
        pre_processor: Anomalib pre-processor of the Lightning module, or ``None``.
        post_processor: Anomalib post-processor of the Lightning module, or ``None``.
        always_resize: See :class:`~.fused_student.InputStage`.
        image_size: With a tiler, the whole (pre-processed) image size the graph tiles; see
            :func:`tiled_export_sizes`.
    """

    def __init__(
        self,
        model: PkdganModel,
        pre_processor: nn.Module | None,
        post_processor: nn.Module | None,
        always_resize: bool = False,
        image_size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.model = FusedStudent(model, pre_processor, always_resize, image_size)
        self.post_processor = FoldedPostProcessor.of(post_processor)
        self.map_size = self.model.image_size

    def forward(self, batch: torch.Tensor) -> InferenceBatch:
        """Score raw images ``(B, 3, H, W)`` in ``[0, 1]``, as ``AnomalibModule.forward`` does."""
        predictions = self.model(batch)  # anomaly map as rows (B, 1, H*W)
        if isinstance(self.post_processor, FoldedPostProcessor) or type(self.post_processor) is PostProcessor:
            # Anomalib's PostProcessor is element-wise (normalisation by validation statistics, thresholds): run on
            # the rows, it vectorises along the pixels; the maps get their (B, 1, H, W) shape afterwards.
            output = self.post_processor(predictions)
            return output._replace(
                anomaly_map=self._shaped(output.anomaly_map), pred_mask=self._shaped(output.pred_mask)
            )
        predictions = predictions._replace(anomaly_map=self._shaped(predictions.anomaly_map))
        return self.post_processor(predictions) if self.post_processor else predictions

    def _shaped(self, rows: torch.Tensor | None) -> torch.Tensor | None:
        return None if rows is None else rows.unflatten(-1, self.map_size)


class TracedExport(ExportMixin, LightningModule):
    """Anomalib's ONNX export of an :class:`ExportGraph`: its ``to_onnx`` traces ``self``, which runs the graph."""

    def __init__(self, graph: ExportGraph) -> None:
        super().__init__()
        self.inference = graph  # not "graph": torch.fx's traced modules keep their FX graph under that name

    def forward(self, batch: torch.Tensor) -> InferenceBatch:
        """Run the export graph."""
        return self.inference(batch)
