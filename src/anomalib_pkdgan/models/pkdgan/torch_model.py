# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""PyTorch modules of P-KDGAN: the teacher/student pair and the width rule of the teacher.

:class:`PkdganModel` holds a large teacher and a compact student :class:`~.components.gan_network.GanNetwork` of the
same shape, plus the 1x1 projection that maps student latents to the teacher's latent size for distillation. Its
``forward`` is the inference path and uses the **student only**, so exported graphs hold no teacher weights: a batch
goes through the channel conversion (:mod:`.pre_processing`), the student GAN, and the scores and anomaly map of
:mod:`.anomaly_map`. With a ``tiler`` (set by Anomalib's ``TilerConfigurationCallback``, as for Padim or STFPM) the
networks see tiles of ``input_size`` cut from the whole images, and the tiles' maps and scores are brought back to
the whole images (:mod:`.tiling`).

Example:
    >>> import torch
    >>> model = PkdganModel(input_size=(28, 36), num_input_channels=1).eval()
    >>> out = model(torch.rand(4, 1, 28, 36) * 2 - 1)
    >>> out.pred_score.shape, out.anomaly_map.shape
    (torch.Size([4]), torch.Size([4, 1, 28, 36]))
"""

from typing import TYPE_CHECKING

import torch
from anomalib.data import InferenceBatch
from torch import nn

from .anomaly_map import ScoreType, map_smoothing, tiled_network_scores
from .components.gan_network import MIN_CANVAS, GanNetwork, canvas_size
from .components.hints import HintAdapters
from .pre_processing import LUMA, convert_channels
from .tiling import check_tiler, reduce_tile_scores, tile_grid

if TYPE_CHECKING:
    from anomalib.data.utils.tiler import Tiler


def teacher_width(input_size: tuple[int, int], teacher_features: int | str = "auto") -> int:
    """Return the teacher's base width: ``teacher_features`` itself, or what ``"auto"`` picks for an image size.

    ``"auto"`` is GANomaly's 64 channels on a 32x32 canvas, halved for each doubling of the canvas (at least 8).
    Each doubling adds a down-sampling stage that doubles the channels, so the deepest stage stays at GANomaly's 256
    channels, and the teacher's cost per image grows slowly with the image size instead of fourfold per doubling
    (training times: ``docs/results.md``).

    Example:
        >>> [teacher_width((side, side)) for side in (28, 32, 64, 100, 128, 256, 512)]
        [64, 64, 32, 16, 16, 8, 8]
        >>> teacher_width((128, 128), 48)
        48

    Raises:
        ValueError: ``teacher_features`` is a string other than ``"auto"``.
    """
    if not isinstance(teacher_features, str):
        return teacher_features
    if teacher_features != "auto":
        msg = f"PKDGAN teacher_features must be a positive integer or 'auto', got {teacher_features!r}."
        raise ValueError(msg)
    return max(8, 64 * MIN_CANVAS // canvas_size(input_size))


class PkdganModel(nn.Module):
    """Teacher GAN, compact student GAN and the latent projection that links them.

    The defaults are for 32x32 MNIST-like data: the teacher is GANomaly's published configuration
    (64 base channels, latent 100) and the student (3 base channels, latent 16) is a small fraction of its
    inference cost (FLOPs of both: ``docs/results.md``).

    Args:
        input_size: Image height and width.
        num_input_channels: Image channels (1 or 3).
        teacher_features: Teacher base width.
        teacher_latent: Teacher latent size.
        student_features: Student base width.
        student_latent: Student latent size.
        extra_layers: Extra layers in every encoder/decoder (teacher and student alike).
        student_block: The student generator's design, ``"standard"`` (the paper's), ``"separable"`` or ``"dense"``.
        score_type: Per-image score reported at inference, see :class:`ScoreType`.
        anomaly_map_sigma: Gaussian smoothing of the reported anomaly map (0: none); the scores are unchanged.
        hints: Build the 1x1 adapters of FitNets-style hints (:class:`.components.hints.HintAdapters`, trained with the
            student, never exported); without them the checkpoint holds no adapter weights.

    Example:
        >>> model = PkdganModel((32, 32), num_input_channels=3, teacher_features=16, student_features=4)
        >>> model.eval()(torch.zeros(2, 3, 32, 32)).pred_score.shape
        torch.Size([2])
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        num_input_channels: int = 1,
        teacher_features: int = 64,
        teacher_latent: int = 100,
        student_features: int = 3,
        student_latent: int = 16,
        extra_layers: int = 0,
        student_block: str = "standard",
        score_type: str = "latent",
        anomaly_map_sigma: float = 0.0,
        hints: bool = False,
    ) -> None:
        super().__init__()
        if num_input_channels not in {1, 3}:
            msg = f"PKDGAN supports 1- or 3-channel images, got num_input_channels={num_input_channels}."
            raise ValueError(msg)
        self.score_type = ScoreType(score_type)
        self.teacher = GanNetwork(input_size, num_input_channels, teacher_features, teacher_latent, extra_layers)
        self.student = GanNetwork(
            input_size, num_input_channels, student_features, student_latent, extra_layers, student_block
        )
        self.latent_projection = nn.Conv2d(student_latent, teacher_latent, kernel_size=1, bias=False)
        if hints and student_block == "dense":
            msg = "PKDGAN hints distil convolutional feature maps; the 'dense' student has none. Use w_distill_hint=0."
            raise ValueError(msg)
        self.hint_adapters = HintAdapters(self.student.generator, self.teacher.generator) if hints else None
        self.num_input_channels = num_input_channels
        self.register_buffer("luma", torch.tensor(LUMA).view(1, 3, 1, 1), persistent=False)
        self.luma: torch.Tensor
        self.anomaly_map_sigma = anomaly_map_sigma
        self._tiler: Tiler | None = None
        self.tile_top_k = 1
        self.tiled_image_size: tuple[int, int] | None = None

    @property
    def tiler(self) -> "Tiler | None":
        """Anomalib ``Tiler`` whose tiles (of ``input_size``) the networks see, or ``None`` for whole images.

        ``TilerConfigurationCallback`` sets it; a tiler whose tiles are not ``input_size`` is refused at once (see
        :func:`.tiling.check_tiler`), a stride that leaves pixels uncovered at the first batch.
        """
        return self._tiler

    @tiler.setter
    def tiler(self, tiler: "Tiler | None") -> None:
        if tiler is not None:
            check_tiler(tiler, self.student.input_size)
        self._tiler = tiler

    @property
    def tile_top_k(self) -> int:
        """With a tiler, an image's score is the mean of its ``tile_top_k`` highest tile scores (1: the maximum)."""
        return self._tile_top_k

    @tile_top_k.setter
    def tile_top_k(self, top_k: int) -> None:
        if int(top_k) < 1:
            msg = f"PKDGAN tile_top_k must be a positive number of tiles, got {top_k!r}."
            raise ValueError(msg)
        self._tile_top_k = int(top_k)

    def tile(self, images: torch.Tensor) -> torch.Tensor:
        """Cut whole images into tiles of ``input_size`` (see :class:`.tiling.TileGrid`); without a tiler, return them.

        In training mode the whole-image size is kept as ``tiled_image_size``: the size exports take by default.
        """
        if self._tiler is None:
            return images
        tile_size, stride = check_tiler(self._tiler, self.student.input_size)
        image_size = (int(images.shape[-2]), int(images.shape[-1]))
        if self.training:
            self.tiled_image_size = image_size
        return tile_grid(image_size, tile_size, stride).tile(images)

    def tile_scores(
        self, images: torch.Tensor, network: str = "student"
    ) -> tuple[dict[ScoreType, torch.Tensor], torch.Tensor]:
        """Every score of every tile of one network (the student unless told), and the whole images' anomaly map.

        Args:
            images: Pre-processed whole images ``(B, C, H, W)`` in ``[-1, 1]``, RGB or with the model's channels.
            network: ``"student"`` (what inference and export use) or ``"teacher"``.

        Returns:
            ``({ScoreType: (B, T) scores of each image's T tiles}, anomaly_map (B, 1, H, W))``, unsmoothed; ``T`` is
            1 without a tiler.
        """
        if network not in {"student", "teacher"}:
            msg = f"network must be 'student' or 'teacher', got {network!r}."
            raise ValueError(msg)
        tiling = None if self._tiler is None else check_tiler(self._tiler, self.student.input_size)
        return tiled_network_scores(getattr(self, network), self.to_model_channels(images), tiling)

    @property
    def anomaly_map_sigma(self) -> float:
        """Gaussian smoothing (sigma, pixels) of the anomaly map that inference reports; 0 for none."""
        return self._anomaly_map_sigma

    @anomaly_map_sigma.setter
    def anomaly_map_sigma(self, sigma: float) -> None:
        # Set during a fit (validation chooses sigma), when the model may sit on an accelerator or in another dtype:
        # the new kernels follow the model's buffers.
        self.smooth_map = map_smoothing(sigma).to(self.luma)
        self._anomaly_map_sigma = float(sigma)

    def to_model_channels(self, images: torch.Tensor) -> torch.Tensor:
        """Convert a batch to the channel count the networks take (see :func:`.pre_processing.convert_channels`)."""
        return convert_channels(images, self.num_input_channels, self.luma)

    def scores(
        self, images: torch.Tensor, network: str = "student"
    ) -> tuple[dict[ScoreType, torch.Tensor], torch.Tensor]:
        """Every per-image score of one network (the student unless told), and its anomaly map.

        Args:
            images: Pre-processed images ``(B, C, H, W)`` in ``[-1, 1]``, RGB or with the model's channels.
            network: ``"student"`` (what inference and export use) or ``"teacher"``.

        Returns:
            ``({ScoreType: (B,) scores}, anomaly_map)``, see :func:`.anomaly_map.network_scores`; with a tiler, each
            image's score is reduced from its tiles' (``tile_top_k``) and the map stitched from theirs.

        Example:
            >>> model = PkdganModel((32, 32), teacher_features=8, teacher_latent=16).eval()
            >>> scores, anomaly_map = model.scores(torch.zeros(2, 1, 32, 32), network="teacher")
            >>> scores[ScoreType.LATENT].shape, anomaly_map.shape
            (torch.Size([2]), torch.Size([2, 1, 32, 32]))
        """
        scores, anomaly_map = self.tile_scores(images, network)
        return {
            score_type: reduce_tile_scores(values.flatten(), values.shape[1], self.tile_top_k)
            for score_type, values in scores.items()
        }, anomaly_map

    def forward(self, images: torch.Tensor) -> InferenceBatch:
        """Score images with the student: one score per image, independent of the rest of the batch.

        Args:
            images: Pre-processed images ``(B, C, H, W)`` in ``[-1, 1]``, RGB or with the model's channels.

        Returns:
            InferenceBatch: ``pred_score`` (``score_type``) of shape ``(B,)`` and ``anomaly_map`` of shape
            ``(B, 1, H, W)`` (squared reconstruction error, averaged over channels, smoothed with
            ``anomaly_map_sigma``; with a tiler, stitched from the tiles' before smoothing).
        """
        scores, anomaly_map = self.scores(images)
        return InferenceBatch(pred_score=scores[self.score_type], anomaly_map=self.smooth_map(anomaly_map))
