# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The student as the ONNX and OpenVINO exports run it: the scores of :meth:`PkdganModel.forward`, with less work.

In OpenVINO the plainly traced student is bound by overhead and by layouts, not by its FLOPs (profiles:
``docs/results.md``). :class:`FusedStudent` computes the same numbers, up to float rounding, with:

* no resize when an image already has the model's size (in a traced graph ``torch.cond``, an ``If`` node), and
  the default pre-processor's normalisation and the RGB-to-grey conversion as one per-channel affine map;
* every BatchNorm folded into the convolution before it, every 4x4, stride-2 transposed convolution as a sub-pixel
  convolution, and the decoder's first transposed convolution, on the 1x1 latent, as a matrix product (the generic
  rewrites of :mod:`.fusion`);
* the element-wise work on images, reconstructions and maps (grey conversion, tanh, squared error) done on
  ``(B, C, H*W)`` rows, which OpenVINO vectorises along the pixels instead of along one to three channels;
* only the score the model reports (the reconstruction score needs no second encoder);
* with a tiler, the whole image cut into tiles and the tiles' maps stitched back by a :class:`~..tiling.TileGrid`
  built for the one whole-image size the export takes: the fused student runs once on all tiles of the batch.

Example:
    >>> model = PkdganModel((28, 28), teacher_features=8, teacher_latent=16).eval()
    >>> fused = FusedStudent(model, pre_processor=None).eval()
    >>> images = torch.rand(2, 3, 28, 28) * 2 - 1
    >>> torch.allclose(fused(images).pred_score, model(images).pred_score, atol=1e-6)
    True
"""

from copy import deepcopy

import torch
import torch.nn.functional as F  # noqa: N812
from anomalib.data import InferenceBatch
from anomalib.models.image.ganomaly.torch_model import Decoder, Encoder
from torch import nn
from torchvision.transforms.v2 import Compose, InterpolationMode, Normalize, Resize

from ..anomaly_map import ScoreType
from ..pre_processing import LUMA
from ..tiling import TileGrid, check_tiler, reduce_tile_scores
from ..torch_model import PkdganModel
from .fusion import PRE_SHUFFLE_ACTIVATIONS, fuse, on_latent

FORWARD_ORDER = {
    Encoder: ("input_layers", "extra_layers", "pyramid_features", "final_conv_layer"),
    Decoder: ("latent_input", "inverse_pyramid", "extra_layers", "final_layers"),
}
"""The parts of Anomalib's GANomaly encoder and decoder, in the order their ``forward`` runs them."""

ROW_ACTIVATIONS = (nn.Tanh, *PRE_SHUFFLE_ACTIVATIONS)
"""Element-wise activations that a decoder's output may end with; run on rows (see the module docstring)."""


def layers_in_order(module: nn.Module) -> list[nn.Module]:
    """List the layers of a GANomaly encoder or decoder, or of nested ``Sequential`` containers, in forward order.

    Any other module is one opaque layer.

    Example:
        >>> layers_in_order(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.ReLU(), nn.Tanh())))
        [Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1)), ReLU(), Tanh()]
    """
    if isinstance(module, nn.Sequential):
        return [layer for child in module for layer in layers_in_order(child)]
    parts = FORWARD_ORDER.get(type(module))
    if parts is None:
        return [module]
    children = [getattr(module, name) for name in parts]
    return [layer for child in children if child is not None for layer in layers_in_order(child)]


def foldable_transforms(pre_processor: nn.Module | None) -> tuple[Resize | None, Normalize | None] | None:
    """``(resize, normalize)`` of a pre-processor whose export transform is at most a resize then a normalisation.

    ``None`` (the pre-processor is run as it is) for anything else: other transforms, or a resize whose output size
    depends on the image.
    """
    if pre_processor is None:
        return None, None
    transform = getattr(pre_processor, "export_transform", None)
    steps = list(transform.transforms) if isinstance(transform, Compose) else [transform]
    resize = steps.pop(0) if steps and isinstance(steps[0], Resize) else None
    normalize = steps.pop(0) if steps and isinstance(steps[0], Normalize) else None
    if steps or (resize is not None and (len(resize.size) != 2 or resize.max_size is not None)):
        return None
    mode = getattr(resize, "interpolation", InterpolationMode.BILINEAR)  # an enum member or its string
    if getattr(mode, "value", mode) != InterpolationMode.BILINEAR.value:
        return None
    return resize, normalize


def _flat_copy(images: torch.Tensor) -> torch.Tensor:
    return images.flatten(2).clone()


class InputStage(nn.Module):
    """Pre-processing and channel conversion on rows: raw RGB ``(B, 3, h, w)`` to ``(B, C, H*W)``.

    A pre-processor whose export transform is a resize and a normalisation (P-KDGAN's default) is folded: the
    resize runs only for images of another size, and the normalisation with the RGB-to-grey (or identity) channel
    map is one per-channel affine map. Any other pre-processor runs as it is, followed by the channel map.

    Args:
        pre_processor: Anomalib pre-processor of the model, or ``None``.
        num_channels: Channels the model takes (1: grey, 3: colour).
        input_size: Image height and width the model takes.
        always_resize: Trace the resize without the ``If`` that skips it (for calibrated INT8, see
            :meth:`~.mixin.StudentExportMixin.to_openvino`).
    """

    def __init__(
        self,
        pre_processor: nn.Module | None,
        num_channels: int,
        input_size: tuple[int, int],
        always_resize: bool = False,
    ) -> None:
        super().__init__()
        self.always_resize = always_resize
        folded = foldable_transforms(pre_processor)
        self.transform = pre_processor if folded is None else None
        self.resize, normalize = folded or (None, None)
        self.input_size = input_size
        mean = torch.tensor(normalize.mean if normalize else [0.0] * 3, dtype=torch.float32).expand(3)
        std = torch.tensor(normalize.std if normalize else [1.0] * 3, dtype=torch.float32).expand(3)
        mix = torch.tensor(LUMA).view(1, 3) if num_channels == 1 else torch.eye(3)  # (C, 3) channel map
        self.grey = num_channels == 1
        weight, bias = mix / std, -(mix * mean / std).sum(dim=1)  # mix @ ((x - mean) / std)
        self.register_buffer("weight", weight.sum(dim=0).view(1, 3, 1))  # per input channel (mix is diagonal or a row)
        self.register_buffer("bias", bias.view(1, -1, 1))
        self.weight: torch.Tensor
        self.bias: torch.Tensor

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Pre-process ``images`` and convert them to the model's channels, as rows ``(B, C, H*W)``."""
        if images.shape[1] != 3:
            msg = f"PKDGAN's exported graph takes RGB images (B, 3, H, W), got a batch of shape {tuple(images.shape)}."
            raise ValueError(msg)
        rows = self._rows(self.transform(images) if self.transform is not None else images)
        if self.grey:
            return (rows * self.weight).sum(dim=1, keepdim=True) + self.bias
        return rows * self.weight + self.bias

    def _rows(self, images: torch.Tensor) -> torch.Tensor:
        if self.resize is None:
            return images.flatten(2)
        if self.always_resize or not torch.compiler.is_compiling():
            return self.resize(images).flatten(2)  # eager torchvision returns an image of the target size as it is
        # Traced for export: Anomalib traces with a symbolic image size, so the traced resize would always run.
        # ``torch.cond`` becomes an If node that resizes only images of another size; its branches return rows of
        # the same rank, and the check gives the rows their static length again.
        height, width = self.input_size
        same = (images.shape[2] == height) & (images.shape[3] == width)
        rows = torch.cond(same, _flat_copy, lambda batch: self.resize(batch).flatten(2), (images,))
        torch._check(rows.shape[2] == height * width)
        return rows


class FusedStudent(nn.Module):
    """Pre-processing and the student's score and anomaly map, as one graph for export (see the module docstring).

    Built from a copy of the student generator: the model is not changed, and the graph holds the student's
    weights only (BatchNorm folded in).

    Args:
        model: The trained P-KDGAN networks; its ``score_type``, ``smooth_map``, ``tiler`` and ``tile_top_k`` are kept.
        pre_processor: Anomalib pre-processor of the Lightning module, or ``None`` for pre-processed input.
        always_resize: See :class:`InputStage`.
        image_size: With a tiler, the whole (pre-processed) image size the graph tiles; ignored without one.
    """

    def __init__(
        self,
        model: PkdganModel,
        pre_processor: nn.Module | None,
        always_resize: bool = False,
        image_size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        gan = model.student
        generator = deepcopy(gan.generator).eval()
        self.grid = None
        if model.tiler is not None:
            if image_size is None:
                msg = "PKDGAN's tiled export needs the whole-image size it tiles (image_size)."
                raise ValueError(msg)
            self.grid = TileGrid(image_size, *check_tiler(model.tiler, gan.input_size))
        self.tile_top_k = model.tile_top_k
        self.image_size = gan.input_size if self.grid is None else self.grid.image_size
        self.input = InputStage(pre_processor, gan.num_input_channels, self.image_size, always_resize)
        self.encoder = fuse(layers_in_order(generator.encoder1))
        decoder = on_latent(list(fuse(layers_in_order(generator.decoder))))
        ends_in_activation = bool(decoder) and isinstance(decoder[-1], ROW_ACTIVATIONS)
        self.output_activation = decoder.pop() if ends_in_activation else nn.Identity()
        self.decoder = nn.Sequential(*decoder)
        latent = model.score_type == ScoreType.LATENT
        self.second_encoder = fuse(layers_in_order(generator.encoder2)) if latent else None
        self.smooth_map = deepcopy(model.smooth_map)
        self.input_size, self.canvas = gan.input_size, gan.canvas
        height, width = gan.input_size
        # Centred edge replication onto the canvas, as GanNetwork.pad and GanNetwork.crop.
        self.top, self.left = (self.canvas - height) // 2, (self.canvas - width) // 2
        self.padding = (self.left, self.canvas - width - self.left, self.top, self.canvas - height - self.top)

    def forward(self, images: torch.Tensor) -> InferenceBatch:
        """Score raw RGB images ``(B, 3, h, w)`` in ``[0, 1]`` (or pre-processed ones without a pre-processor).

        Returns:
            InferenceBatch: ``pred_score`` ``(B,)`` and ``anomaly_map`` as rows ``(B, 1, H*W)`` (the whole image's).
        """
        rows = self.input(images)
        if self.grid is not None:
            tiles = self.grid.tile(rows.unflatten(2, self.image_size))
            prediction = self._score_rows(tiles.flatten(2))
            score = reduce_tile_scores(prediction.pred_score, self.grid.num_tiles, self.tile_top_k)
            anomaly_map = self.grid.untile(prediction.anomaly_map.unflatten(2, self.input_size))
            return InferenceBatch(pred_score=score, anomaly_map=self._smoothed(anomaly_map.flatten(2)))
        prediction = self._score_rows(rows)
        return prediction._replace(anomaly_map=self._smoothed(prediction.anomaly_map))

    def _smoothed(self, anomaly_map: torch.Tensor) -> torch.Tensor:
        if isinstance(self.smooth_map, nn.Identity):
            return anomaly_map
        return self.smooth_map(anomaly_map.unflatten(2, self.image_size)).flatten(2)

    def _score_rows(self, rows: torch.Tensor) -> InferenceBatch:
        """Return the student's score and unsmoothed map of images of ``input_size`` given as rows ``(B, C, H*W)``."""
        batch, channels = rows.shape[0], rows.shape[1]
        height, width = self.input_size
        canvas = rows.view(batch, channels, height, width)
        if any(self.padding):
            canvas = F.pad(canvas, self.padding, mode="replicate")
        latent = self.encoder(canvas)
        reconstruction = self.output_activation(self.decoder(latent).flatten(2))  # (B, C, canvas * canvas)
        inside = reconstruction
        if any(self.padding):
            square = reconstruction.view(batch, channels, self.canvas, self.canvas)
            inside = square[..., self.top : self.top + height, self.left : self.left + width].flatten(2)
        anomaly_map = (rows - inside).pow(2)
        if channels > 1:
            anomaly_map = anomaly_map.mean(dim=1, keepdim=True)
        if self.second_encoder is None:
            score = anomaly_map.flatten(1).mean(dim=1)
        else:
            second = self.second_encoder(reconstruction.view(batch, channels, self.canvas, self.canvas))
            score = (latent - second).pow(2).flatten(1).mean(dim=1)
        return InferenceBatch(pred_score=score, anomaly_map=anomaly_map)
