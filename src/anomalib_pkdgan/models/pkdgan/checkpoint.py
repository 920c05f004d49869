# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What a P-KDGAN checkpoint holds besides weights, and loading a pre-trained teacher from a file.

Choices made during training are not constructor arguments, so :class:`PkdganCheckpointMixin` stores them next to
the weights: the score chosen on validation (``score_type="auto"``), the anomaly map's smoothing
(``anomaly_map_sigma="auto"``), whether the teacher was loaded pre-trained (the schedule then has no teacher
phase) and the tiling: the tiler's tile size and stride, the whole-image size trained on and the number of tile
scores averaged (``tile_top_k``), so that a tiled model tests, predicts and exports from its checkpoint alone. They
are restored before the weights are loaded (Lightning calls ``on_load_checkpoint`` first); a tiler already set (by
``TilerConfigurationCallback``) is kept. A checkpoint of another model is refused.

:func:`load_teacher_state` reads a teacher for ``teacher_checkpoint``, with errors that say what is wrong with the
file. Two formats are accepted:

* a Lightning checkpoint of a :class:`~anomalib_pkdgan.Pkdgan` run (its ``state_dict`` keys
  ``model.teacher.*`` are taken);
* a plain ``state_dict`` of a teacher :class:`~.components.gan_network.GanNetwork`, as written by
  ``torch.save(model.model.teacher.state_dict(), path)``.

Example:
    >>> import tempfile
    >>> from anomalib_pkdgan.models.pkdgan.components.gan_network import GanNetwork
    >>> teacher = GanNetwork((32, 32), 1, n_features=8, latent_vec_size=16)
    >>> path = tempfile.mktemp(suffix=".pt")
    >>> torch.save(teacher.state_dict(), path)
    >>> sorted(load_teacher_state(path, teacher)) == sorted(teacher.state_dict())
    True
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from anomalib.data.utils.tiler import Tiler
from torch import nn

# The module, not the function: importing ``anomalib_pkdgan._compat`` first imports ``anomalib.models``, whose
# start-up hook imports this plugin, which would then find ``_compat`` still half-initialised.
from ... import _compat
from .anomaly_map import ScoreType
from .torch_model import PkdganModel

LIGHTNING_PREFIX = "model.teacher."


class PkdganCheckpointMixin:
    """Checkpoint hooks of :class:`~anomalib_pkdgan.Pkdgan`; mixed in before ``AnomalibModule``."""

    model: PkdganModel
    teacher_pretrained: bool
    match_pre_processor: Callable[[], None]  # the default pre-processor follows the tiler (see Pkdgan)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Store the choices made during training."""
        checkpoint["pkdgan_score_type"] = self.model.score_type.value
        checkpoint["pkdgan_anomaly_map_sigma"] = self.model.anomaly_map_sigma
        checkpoint["pkdgan_teacher_pretrained"] = self.teacher_pretrained
        checkpoint["pkdgan_tile_top_k"] = self.model.tile_top_k
        tiler = self.model.tiler
        if tiler is not None:
            checkpoint["pkdgan_tiling"] = {
                "tile_size": [tiler.tile_size_h, tiler.tile_size_w],
                "stride": [tiler.stride_h, tiler.stride_w],
                "image_size": None if self.model.tiled_image_size is None else list(self.model.tiled_image_size),
            }
        super().on_save_checkpoint(checkpoint)  # type: ignore[misc]

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore the choices; refuse, with a clear message, a checkpoint that another model wrote."""
        state = checkpoint.get("state_dict", {})
        if not any(key.startswith("model.student.") for key in state):
            msg = (
                "This checkpoint was not written by a PKDGAN model (it has no 'model.student.*' weights; its first "
                f"keys are {list(state)[:3]}). Pass a checkpoint from a Pkdgan/PKDGAN run."
            )
            raise ValueError(msg)
        if "pkdgan_score_type" in checkpoint:
            self.model.score_type = ScoreType(checkpoint["pkdgan_score_type"])
        if "pkdgan_anomaly_map_sigma" in checkpoint:
            self.model.anomaly_map_sigma = float(checkpoint["pkdgan_anomaly_map_sigma"])
        self.teacher_pretrained = checkpoint.get("pkdgan_teacher_pretrained", self.teacher_pretrained)
        self.model.tile_top_k = checkpoint.get("pkdgan_tile_top_k", self.model.tile_top_k)
        tiling = checkpoint.get("pkdgan_tiling")
        if tiling is not None and self.model.tiler is None:
            self.model.tiler = Tiler(tile_size=tiling["tile_size"], stride=tiling["stride"])
        if tiling is not None and tiling["image_size"] is not None and self.model.tiled_image_size is None:
            self.model.tiled_image_size = tuple(tiling["image_size"])
        super().on_load_checkpoint(checkpoint)  # type: ignore[misc]
        self.match_pre_processor()


def load_teacher_state(path: str | Path, teacher: nn.Module) -> dict[str, torch.Tensor]:
    """Read a teacher state dict from ``path`` and check that it fits ``teacher``.

    Args:
        path: Checkpoint file.
        teacher: The teacher network the weights are for (only its shapes are read).

    Returns:
        dict[str, torch.Tensor]: A state dict ``teacher.load_state_dict`` accepts.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The file cannot be read, holds no teacher, or holds a teacher of another shape.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"PKDGAN teacher checkpoint not found: {path}"
        raise FileNotFoundError(msg)
    try:
        content = _compat.load_checkpoint_file(path)
    except Exception as error:
        msg = f"PKDGAN teacher checkpoint {path} could not be read ({type(error).__name__}: {error})."
        raise ValueError(msg) from error
    if isinstance(content, dict) and isinstance(content.get("state_dict"), dict):
        state = {
            key[len(LIGHTNING_PREFIX) :]: value
            for key, value in content["state_dict"].items()
            if key.startswith(LIGHTNING_PREFIX)
        }
    elif isinstance(content, dict) and all(isinstance(value, torch.Tensor) for value in content.values()):
        state = content
    else:
        state = {}
    expected = teacher.state_dict()
    if not state or not set(state) & set(expected):
        msg = (
            f"PKDGAN teacher checkpoint {path} holds no P-KDGAN teacher weights: expected a Pkdgan Lightning "
            "checkpoint or a teacher GanNetwork state_dict."
        )
        raise ValueError(msg)
    hint = (
        "Set teacher_features, teacher_latent, extra_layers, num_input_channels and input_size as in the run "
        "that saved it."
    )
    # Anomalib's GANomaly blocks put channel counts in layer names, so another width shows up as other keys.
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing:
        extra = f" and has {len(unexpected)} it does not, e.g. {unexpected[0]!r}" if unexpected else ""
        msg = (
            f"PKDGAN teacher checkpoint {path} is for a teacher of another shape: it lacks {len(missing)} weights "
            f"of this teacher, e.g. {missing[0]!r}{extra}. {hint}"
        )
        raise ValueError(msg)
    for key, value in expected.items():
        if state[key].shape != value.shape:
            msg = (
                f"PKDGAN teacher checkpoint {path} is for a teacher of another shape: {key!r} is "
                f"{tuple(state[key].shape)} in the file but {tuple(value.shape)} here. {hint}"
            )
            raise ValueError(msg)
    return {key: state[key] for key in expected}
