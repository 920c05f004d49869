# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What the Torch export pickles: the student's inference path alone, with Anomalib's pre- and post-processing.

Anomalib's ``to_torch`` pickles the whole Lightning module (teacher, discriminators and all); P-KDGAN's pickles a
:class:`StudentInference` instead, which ``TorchInferencer`` calls exactly as it would the Lightning module.

Example:
    >>> from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel
    >>> model = PkdganModel((32, 32), teacher_features=8, teacher_latent=16).eval()
    >>> inference = StudentInference(model, pre_processor=None, post_processor=None).eval()
    >>> images = torch.rand(2, 3, 32, 32) * 2 - 1
    >>> torch.equal(inference(images).pred_score, model(images).pred_score)
    True
"""

from copy import deepcopy

import torch
from anomalib.data import InferenceBatch
from torch import nn

from ..anomaly_map import tiled_network_scores
from ..pre_processing import convert_channels
from ..tiling import check_tiler, reduce_tile_scores
from ..torch_model import PkdganModel


class StudentScorer(nn.Module):
    """The student's inference path alone: no teacher, no discriminators, no projection.

    It scores exactly as :meth:`PkdganModel.forward` does (tiles included), from a copy of the student generator
    taken when it is built; the Torch export pickles it so the file holds the student's weights only.

    Example:
        >>> model = PkdganModel((32, 32), teacher_features=8, teacher_latent=16).eval()
        >>> scorer = StudentScorer(model)
        >>> images = torch.rand(2, 3, 32, 32) * 2 - 1
        >>> torch.equal(scorer(images).pred_score, model(images).pred_score)
        True
    """

    def __init__(self, model: PkdganModel) -> None:
        super().__init__()
        self.student = model.student.generator_only()
        self.num_input_channels = model.num_input_channels
        self.score_type = model.score_type
        self.smooth_map = deepcopy(model.smooth_map)
        self.tiling = None if model.tiler is None else check_tiler(model.tiler, model.student.input_size)
        self.tile_top_k = model.tile_top_k
        self.register_buffer("luma", model.luma.clone(), persistent=False)
        self.luma: torch.Tensor
        self.train(model.training)

    def forward(self, images: torch.Tensor) -> InferenceBatch:
        """Score pre-processed images, as :meth:`PkdganModel.forward` (whole images cut into tiles, with a tiler)."""
        images = convert_channels(images, self.num_input_channels, self.luma)
        scores, anomaly_map = tiled_network_scores(self.student, images, self.tiling)
        tiles = scores[self.score_type]
        score = reduce_tile_scores(tiles.flatten(), tiles.shape[1], self.tile_top_k)
        return InferenceBatch(pred_score=score, anomaly_map=self.smooth_map(anomaly_map))


class StudentInference(nn.Module):
    """Pre-processing, the student's scoring and post-processing: what the Torch export holds.

    Args:
        model: The trained P-KDGAN networks (only the student generator is copied).
        pre_processor: Anomalib pre-processor of the Lightning module, or ``None``.
        post_processor: Anomalib post-processor of the Lightning module, or ``None``.
    """

    def __init__(self, model: PkdganModel, pre_processor: nn.Module | None, post_processor: nn.Module | None) -> None:
        super().__init__()
        self.pre_processor = pre_processor
        self.model = StudentScorer(model)
        self.post_processor = post_processor

    def forward(self, batch: torch.Tensor) -> InferenceBatch:
        """Score raw images ``(B, 3, H, W)`` in ``[0, 1]``, as ``AnomalibModule.forward`` does."""
        batch = self.pre_processor(batch) if self.pre_processor else batch
        predictions = self.model(batch)
        return self.post_processor(predictions) if self.post_processor else predictions
