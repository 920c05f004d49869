# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What a P-KDGAN checkpoint holds besides weights, and the refusal of another model's checkpoint.

Choices made during training are not constructor arguments, so they are stored next to the weights: the
score chosen on validation (``score_type="auto"``), the anomaly map's smoothing (``anomaly_map_sigma="auto"``)
and whether the teacher was loaded pre-trained (the schedule then has no teacher phase). They are restored
before the weights are loaded (Lightning calls ``on_load_checkpoint`` first).
"""

from typing import Any

from .torch_model import PkdganModel, ScoreType


class PkdganCheckpointMixin:
    """Checkpoint hooks of :class:`~anomalib_pkdgan.Pkdgan`; mixed in before ``AnomalibModule``."""

    model: PkdganModel
    teacher_pretrained: bool

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Store the choices made during training."""
        checkpoint["pkdgan_score_type"] = self.model.score_type.value
        checkpoint["pkdgan_anomaly_map_sigma"] = self.model.anomaly_map_sigma
        checkpoint["pkdgan_teacher_pretrained"] = self.teacher_pretrained
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
        super().on_load_checkpoint(checkpoint)  # type: ignore[misc]
