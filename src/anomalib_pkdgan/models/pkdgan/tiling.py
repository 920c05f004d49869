# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Tiling of large images: the GANs see tiles of ``input_size``, maps are stitched back, image scores reduced.

Anomalib's ``TilerConfigurationCallback`` sets ``PkdganModel.tiler`` to an Anomalib ``Tiler``; P-KDGAN reads its
tile size and stride (:func:`check_tiler`) and cuts each whole image into the grid of :class:`TileGrid`: the same
tiles in the same order as ``Tiler.tile``, stitched back as ``Tiler.untile`` does (overlaps averaged). Each image's
score is reduced from its own tiles' scores (:func:`reduce_tile_scores`: the mean of the ``top_k`` highest, 1 being
the maximum), so it depends on that image alone.

The grid is built for one image size from static slices (or, without overlap, one reshape) and a constant overlap
count, so PyTorch and the exported ONNX/OpenVINO graphs compute it the same way. Anomalib's ``Tiler`` is not used to
compute: it keeps the last batch's shape on itself, fills tiles by in-place writes into zero tensors and, in
``untile``, counts the overlaps and replaces NaNs at run time, none of which traces into a static graph. It also
pads (or interpolates) images the grid does not cover exactly; :class:`TileGrid` refuses those instead, since the
GANs would learn the padding (or a resampled image) as part of the normal appearance.

Example:
    >>> grid = TileGrid((40, 56), tile_size=(16, 16), stride=(8, 8))
    >>> images = torch.rand(2, 3, 40, 56)
    >>> tiles = grid.tile(images)
    >>> tiles.shape, grid.num_tiles
    (torch.Size([48, 3, 16, 16]), 24)
    >>> torch.allclose(grid.untile(tiles), images)
    True
"""

from collections.abc import Sequence
from functools import lru_cache

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

TOP_K_CHOICES = (1, 2, 4, 8)
"""Numbers of highest tile scores averaged into the image score that ``tile_top_k="auto"`` chooses among."""


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


def check_tiler(tiler: object, input_size: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Return ``(tile_size, stride)`` of an Anomalib ``Tiler`` whose tiles P-KDGAN's networks can take.

    Raises:
        ValueError: The tiles are not ``input_size`` (the networks are built for it), or the tiler removes tile
            borders (``remove_border_count``: the image's own border would be left without a map).

    Example:
        >>> from anomalib.data.utils.tiler import Tiler
        >>> check_tiler(Tiler(tile_size=(20, 28), stride=(10, 14)), (20, 28))
        ((20, 28), (10, 14))
    """
    tile_size = (int(tiler.tile_size_h), int(tiler.tile_size_w))
    stride = (int(tiler.stride_h), int(tiler.stride_w))
    if tile_size != tuple(input_size):
        msg = (
            f"PKDGAN's networks take {input_size[0]}x{input_size[1]} images (input_size), so its tiles must be that "
            f"size, but the tiler's tile_size is {tile_size[0]}x{tile_size[1]}. Set the tiler's tile_size to "
            f"{list(input_size)} or build the model with input_size={list(tile_size)}."
        )
        raise ValueError(msg)
    if tiler.remove_border_count:
        msg = (
            f"PKDGAN tiles the whole image and stitches every tile's map back; remove_border_count="
            f"{tiler.remove_border_count} would leave the image's border without a map. Use remove_border_count=0."
        )
        raise ValueError(msg)
    return tile_size, stride


def _starts(size: int, tile: int, stride: int, axis: str) -> list[int]:
    """Tile offsets along one axis, refusing a grid that does not end exactly at the image's edge."""
    if size < tile:
        msg = f"PKDGAN cannot cut images of {size} {axis} into tiles of {tile} {axis}: the tiles are larger."
        raise ValueError(msg)
    if (size - tile) % stride:
        uncovered = (size - tile) % stride
        fitting = [step for step in range(1, tile + 1) if (size - tile) % step == 0]
        msg = (
            f"PKDGAN's tiles of {tile} {axis} with a stride of {stride} leave the last {uncovered} {axis} of images "
            f"of {size} {axis} uncovered (Anomalib's tiler would pad them). Use a stride that divides "
            f"{size} - {tile} = {size - tile}, one of {fitting}, or resize the images."
        )
        raise ValueError(msg)
    return list(range(0, size - tile + 1, stride))


class TileGrid(nn.Module):
    """The tiles of one image size: cut a batch into tiles and stitch per-tile maps back.

    Args:
        image_size: Whole image height and width.
        tile_size: Tile height and width (the networks' ``input_size``).
        stride: Step between tiles; at most the tile size, and such that the last tile ends at the image's edge.

    Raises:
        ValueError: The grid does not cover the image exactly (the message names strides that do).
    """

    def __init__(self, image_size: Sequence[int], tile_size: int | Sequence[int], stride: int | Sequence[int]) -> None:
        super().__init__()
        self.image_size, self.tile_size, self.stride = _pair(image_size), _pair(tile_size), _pair(stride)
        if not all(0 < step <= tile for step, tile in zip(self.stride, self.tile_size, strict=True)):
            msg = f"PKDGAN tile stride must be between 1 and the tile size {self.tile_size}, got {self.stride}."
            raise ValueError(msg)
        (height, width), (tile_h, tile_w), (step_h, step_w) = self.image_size, self.tile_size, self.stride
        self.rows = _starts(height, tile_h, step_h, "rows")
        self.columns = _starts(width, tile_w, step_w, "columns")
        self.overlapping = self.stride != self.tile_size
        count = torch.zeros(height, width)
        for top in self.rows:
            for left in self.columns:
                count[top : top + tile_h, left : left + tile_w] += 1
        self.register_buffer("inverse_count", count.reciprocal(), persistent=False)
        self.inverse_count: torch.Tensor

    @property
    def num_tiles(self) -> int:
        """Tiles per image."""
        return len(self.rows) * len(self.columns)

    def tile(self, images: torch.Tensor) -> torch.Tensor:
        """Cut ``(B, C, H, W)`` images into ``(B * T, C, h, w)`` tiles, in ``Tiler.tile``'s order (row-major)."""
        tile_h, tile_w = self.tile_size
        if not self.overlapping:
            channels = images.shape[1]
            grid = images.reshape(-1, channels, len(self.rows), tile_h, len(self.columns), tile_w)
            return grid.permute(0, 2, 4, 1, 3, 5).reshape(-1, channels, tile_h, tile_w)
        tiles = [images[..., top : top + tile_h, left : left + tile_w] for top in self.rows for left in self.columns]
        return torch.stack(tiles, dim=1).flatten(0, 1)

    def untile(self, tiles: torch.Tensor) -> torch.Tensor:
        """Stitch ``(B * T, C, h, w)`` tiles (in :meth:`tile`'s order) into ``(B, C, H, W)``; overlaps are averaged."""
        (height, width), (tile_h, tile_w) = self.image_size, self.tile_size
        channels = tiles.shape[1]
        per_image = tiles.reshape(-1, len(self.rows), len(self.columns), channels, tile_h, tile_w)
        if not self.overlapping:
            return per_image.permute(0, 3, 1, 4, 2, 5).reshape(-1, channels, height, width)
        total = None
        for row, top in enumerate(self.rows):
            for column, left in enumerate(self.columns):
                padding = (left, width - tile_w - left, top, height - tile_h - top)
                placed = F.pad(per_image[:, row, column], padding)
                total = placed if total is None else total + placed
        return total * self.inverse_count.to(tiles.device)


@lru_cache(maxsize=16)
def tile_grid(image_size: tuple[int, int], tile_size: tuple[int, int], stride: tuple[int, int]) -> TileGrid:
    """Return the :class:`TileGrid` of an image size, built once per size for PyTorch training and inference."""
    return TileGrid(image_size, tile_size, stride)


def reduce_tile_scores(scores: torch.Tensor, num_tiles: int, top_k: int = 1) -> torch.Tensor:
    """Reduce ``(B * T,)`` tile scores (image by image) to ``(B,)``: the mean of each image's ``top_k`` highest.

    Example:
        >>> scores = torch.tensor([1.0, 5.0, 3.0, 2.0, 0.0, 4.0])
        >>> reduce_tile_scores(scores, 3), reduce_tile_scores(scores, 3, top_k=2)
        (tensor([5., 4.]), tensor([4., 3.]))
    """
    per_image = scores.reshape(-1, num_tiles)
    # ``topk`` for the maximum too: OpenVINO's CPU plugin fails on an INT8 graph's ReduceMax ("could not append an
    # elementwise post-op"), and runs TopK.
    return per_image.topk(min(top_k, num_tiles), dim=1).values.mean(dim=1)
