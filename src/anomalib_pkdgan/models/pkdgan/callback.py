# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Lightning callback that walks P-KDGAN through its progressive training phases.

The schedule is counted in epochs::

    epoch:  0 ........ T-1 | T ........ T+F-1 | T+F ........ T+F+J-1
    phase:  TEACHER        | FROZEN           | JOINT

* ``TEACHER``: pre-train the teacher GAN alone (skipped when the model loaded a teacher checkpoint);
* ``FROZEN``: teacher frozen (eval mode, no gradients, no optimizer state); the student learns from its
  own GAN losses plus the distillation loss;
* ``JOINT``: teacher and student both trained, each with its own losses plus the distillation loss.

``frozen_epochs=joint_epochs=0`` pre-trains a teacher only (to save it and pass it later as
``teacher_checkpoint``); such a model's student is untrained and cannot be exported.

The phase of every epoch is computed from ``trainer.current_epoch``, so a run resumed with
``--ckpt_path`` lands in the right phase; the model also keeps its phase in a buffer, which is saved in
checkpoints. When the last phase ends the callback stops training, so the schedule decides the length
of a run; ``max_epochs`` only has to be large enough to hold it.

Example:
    >>> callback = ProgressiveDistillation(teacher_epochs=2, frozen_epochs=3, joint_epochs=1)
    >>> [callback.phase_at(epoch).name for epoch in range(6)]
    ['TEACHER', 'TEACHER', 'FROZEN', 'FROZEN', 'FROZEN', 'JOINT']
"""

from enum import IntEnum
from typing import TYPE_CHECKING

from lightning.pytorch import Callback, LightningModule, Trainer

if TYPE_CHECKING:
    from .lightning_model import Pkdgan


class Phase(IntEnum):
    """Training phase of P-KDGAN."""

    TEACHER = 0
    FROZEN = 1
    JOINT = 2


class ProgressiveDistillation(Callback):
    """Switch a :class:`~anomalib_pkdgan.Pkdgan` model between its phases at epoch boundaries.

    Args:
        teacher_epochs: Epochs of teacher pre-training (phase 0). Ignored (treated as 0) when the model
            was given a pre-trained teacher checkpoint.
        frozen_epochs: Epochs of distillation from the frozen teacher (phase 1).
        joint_epochs: Epochs of joint fine-training of teacher and student (phase 2).
    """

    def __init__(self, teacher_epochs: int = 15, frozen_epochs: int = 15, joint_epochs: int = 5) -> None:
        for name, value in (
            ("teacher_epochs", teacher_epochs),
            ("frozen_epochs", frozen_epochs),
            ("joint_epochs", joint_epochs),
        ):
            if not isinstance(value, int) or value < 0:
                msg = f"ProgressiveDistillation {name} must be a non-negative integer, got {value!r}."
                raise ValueError(msg)
        if teacher_epochs + frozen_epochs + joint_epochs == 0:
            msg = "ProgressiveDistillation needs at least one epoch in some phase: nothing would be trained."
            raise ValueError(msg)
        self.teacher_epochs = teacher_epochs
        self.frozen_epochs = frozen_epochs
        self.joint_epochs = joint_epochs

    @property
    def total_epochs(self) -> int:
        """Epochs the whole schedule takes."""
        return self.teacher_epochs + self.frozen_epochs + self.joint_epochs

    def phase_at(self, epoch: int) -> Phase:
        """Phase of a (0-based) epoch; epochs past the schedule stay in its last phase."""
        if epoch < self.teacher_epochs or self.frozen_epochs + self.joint_epochs == 0:
            return Phase.TEACHER
        if epoch < self.teacher_epochs + self.frozen_epochs or self.joint_epochs == 0:
            return Phase.FROZEN
        return Phase.JOINT

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        """Check the schedule against the model and the trainer before any work is done."""
        del stage
        model: Pkdgan = pl_module  # type: ignore[assignment]
        if model.teacher_pretrained and self.teacher_epochs:
            # A loaded teacher makes phase 0 pointless: drop it from the schedule.
            self.teacher_epochs = 0
        if self.teacher_epochs == 0 and self.frozen_epochs and not model.teacher_pretrained and model.distills:
            msg = (
                "PKDGAN cannot distil from a frozen teacher that was never trained: set teacher_epochs > 0 "
                "or give a teacher_checkpoint (or set frozen_epochs=0 to start with joint training)."
            )
            raise ValueError(msg)
        max_epochs = trainer.max_epochs
        if max_epochs is not None and max_epochs >= 0 and max_epochs < self.total_epochs:
            msg = (
                f"PKDGAN's phases need {self.total_epochs} epochs (teacher {self.teacher_epochs} + frozen "
                f"{self.frozen_epochs} + joint {self.joint_epochs}) but trainer max_epochs is {max_epochs}. "
                "Raise max_epochs or shorten the phases."
            )
            raise ValueError(msg)

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Enter the phase of this epoch."""
        model: Pkdgan = pl_module  # type: ignore[assignment]
        model.set_phase(self.phase_at(trainer.current_epoch))

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Stop the run once the schedule is complete."""
        del pl_module
        if trainer.current_epoch + 1 >= self.total_epochs:
            trainer.should_stop = True
