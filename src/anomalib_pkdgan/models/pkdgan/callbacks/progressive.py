# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Lightning callback that walks P-KDGAN through its progressive training phases.

* ``TEACHER``: pre-train the teacher GAN alone (skipped when the model loaded a teacher checkpoint);
* ``FROZEN``: teacher frozen (eval mode, no gradients, no optimizer state); the student learns from its
  own GAN losses plus the distillation loss;
* ``JOINT``: teacher and student both trained, each with its own losses plus the distillation loss.

The phases are given in epochs and run in training batches (:mod:`.schedule`): at the start of training the
callback turns them into a :class:`~.schedule.PhasePlan` with the training loader's length, at least
``min_steps`` batches in all, shrunk to fit a shorter ``max_epochs``/``max_steps`` (with a warning). A phase can
change in the middle of an epoch, so even ``max_epochs=1`` trains every phase. The callback is the single owner
of phase transitions, as Lightning's ``BaseFinetuning`` owns freezing: it freezes and unfreezes the teacher and
drops the frozen teacher's optimizer state. When the last phase ends it stops the run (after a last validation),
so the schedule decides the length of a run.

The model counts its trained batches in a buffer and keeps its phase in another; both are saved in checkpoints,
so a run resumed with ``--ckpt_path`` continues in the right phase, and a resume whose schedule puts the restored
batch in another phase is refused.

``frozen_epochs=joint_epochs=0`` pre-trains a teacher only (to save it and pass it later as
``teacher_checkpoint``); such a model's student is untrained and cannot be exported.

Example:
    >>> callback = ProgressiveDistillation(teacher_epochs=2, frozen_epochs=3, joint_epochs=1)
    >>> callback.total_epochs
    6
"""

import logging
import math
from typing import Any, cast

from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_warn

from .loader_workers import load_in_main_process
from .schedule import (
    DistillationModule,
    Phase,
    PhasePlan,
    epoch_limit_is_lightning_default,
    epochs_between_validations,
    epochs_needed,
    plan_phases,
)

logger = logging.getLogger(__name__)


class ProgressiveDistillation(Callback):
    """Switch a :class:`~anomalib_pkdgan.Pkdgan` model between its phases.

    Args:
        teacher_epochs: Epochs of teacher pre-training (phase 0). Not run when the model was given a pre-trained
            teacher checkpoint.
        frozen_epochs: Epochs of distillation from the frozen teacher (phase 1).
        joint_epochs: Epochs of joint fine-training of teacher and student (phase 2).
        min_steps: The phases together get at least this many training batches, in the proportions of the
            epochs (0: the epochs alone decide).
        keep_num_workers: Keep the datamodule's ``num_workers`` when the schedule stretches a small data set on a
            CPU; by default such a datamodule loads in the main process (see :mod:`.loader_workers`).
    """

    def __init__(
        self,
        teacher_epochs: int = 15,
        frozen_epochs: int = 15,
        joint_epochs: int = 5,
        min_steps: int = 0,
        keep_num_workers: bool = False,
    ) -> None:
        for name, value in (
            ("teacher_epochs", teacher_epochs),
            ("frozen_epochs", frozen_epochs),
            ("joint_epochs", joint_epochs),
            ("min_steps", min_steps),
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
        self.min_steps = min_steps
        self.keep_num_workers = keep_num_workers
        self.plan: PhasePlan | None = None

    @property
    def total_epochs(self) -> int:
        """Epochs of the schedule as given (before ``min_steps`` and the trainer's limits apply)."""
        return self.teacher_epochs + self.frozen_epochs + self.joint_epochs

    def epochs(self, teacher_pretrained: bool) -> tuple[int, int, int]:
        """Epochs of each phase for a model whose teacher is (or is not) pre-trained."""
        return (0 if teacher_pretrained else self.teacher_epochs, self.frozen_epochs, self.joint_epochs)

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        """Refuse a frozen phase without a teacher to distil from, before any work is done.

        Then, unless ``keep_num_workers``, let a small data set on a CPU load in the main process
        (:func:`.loader_workers.load_in_main_process`).
        """
        model = cast(DistillationModule, pl_module)
        teacher, frozen, _ = self.epochs(model.teacher_pretrained)
        if stage != "fit":
            return
        if teacher == 0 and frozen and not model.teacher_pretrained and model.distills:
            msg = (
                "PKDGAN cannot distil from a frozen teacher that was never trained: set teacher_epochs > 0 "
                "or give a teacher_checkpoint (or set frozen_epochs=0 to start with joint training)."
            )
            raise ValueError(msg)
        if not self.keep_num_workers:
            load_in_main_process(trainer, self.epochs(model.teacher_pretrained), self.min_steps)

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Plan the phases in batches, check a resumed run against the plan, and enter the current phase."""
        model = cast(DistillationModule, pl_module)
        batches_per_epoch = trainer.num_training_batches
        if not math.isfinite(batches_per_epoch):
            msg = "PKDGAN needs a training dataloader with a length to plan its phases."
            raise ValueError(msg)
        batches_per_epoch = int(batches_per_epoch)
        unlimited = epoch_limit_is_lightning_default(trainer.max_epochs, trainer.max_steps)
        epoch_limit = None if unlimited or trainer.max_epochs in {None, -1} else trainer.max_epochs
        epochs = self.epochs(model.teacher_pretrained)
        planned = plan_phases(epochs, batches_per_epoch, self.min_steps)
        self.plan = plan_phases(
            epochs,
            batches_per_epoch,
            self.min_steps,
            max_batches=None if epoch_limit is None else epoch_limit * batches_per_epoch,
            max_optimizer_steps=None if trainer.max_steps == -1 else trainer.max_steps,
        )
        if self.plan != planned:
            rank_zero_warn(
                f"PKDGAN's schedule ({planned.describe()}) does not fit the trainer's max_epochs={trainer.max_epochs} "
                f"/ max_steps={trainer.max_steps}: every phase is shortened in proportion, to {self.plan.describe()}."
            )
        if unlimited:
            trainer.fit_loop.max_epochs = max(trainer.max_epochs or 0, epochs_needed(self.plan, batches_per_epoch))
        if trainer.check_val_every_n_epoch == 1:  # a validation interval the user set is kept
            trainer.check_val_every_n_epoch = epochs_between_validations(self.plan, epochs, batches_per_epoch)
        logger.info("PKDGAN schedule: %s (%d batches per epoch).", self.plan.describe(), batches_per_epoch)
        self._check_resumed_phase(model)
        if int(model.schedule_step) >= self.plan.total:
            trainer.should_stop = True
        self._enter(trainer, model, self.plan.phase_at(int(model.schedule_step)))

    def _check_resumed_phase(self, model: DistillationModule) -> None:
        """Refuse a resumed run whose schedule puts the last trained batch in another phase than the checkpoint's."""
        assert self.plan is not None
        step = int(model.schedule_step)
        if step == 0:
            return
        expected = self.plan.phase_at(step - 1)
        if expected != model.phase:
            msg = (
                f"PKDGAN cannot resume: the checkpoint stopped after {step} training batches in phase "
                f"{model.phase.name}, but this run's schedule ({self.plan.describe()}) puts that batch in phase "
                f"{expected.name}. Resume with the phase lengths, min_schedule_steps, batch size and data of the "
                "interrupted run."
            )
            raise ValueError(msg)

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int) -> None:
        """Enter the phase of this batch; a frozen teacher stays in eval mode (fixed BatchNorm statistics)."""
        del batch, batch_idx
        assert self.plan is not None
        model = cast(DistillationModule, pl_module)
        phase = self.plan.phase_at(int(model.schedule_step))
        if phase != model.phase:
            self._enter(trainer, model, phase)
        if phase == Phase.FROZEN:
            model.model.teacher.eval()  # Lightning puts the whole module back in train mode after validation

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        """Count the batch; once the schedule is complete, validate one last time and stop."""
        del outputs, batch, batch_idx
        assert self.plan is not None
        model = cast(DistillationModule, pl_module)
        model.schedule_step += 1
        if int(model.schedule_step) >= self.plan.total:
            trainer.should_stop = True
            trainer.check_val_every_n_epoch = 1  # so the stop is followed by a validation of the final model

    @staticmethod
    def _enter(trainer: Trainer, model: DistillationModule, phase: Phase) -> None:
        """Freeze or unfreeze the teacher and drop the optimizer state the phase does not need."""
        if phase != model.phase:
            logger.info("PKDGAN enters phase %s after %d batches.", phase.name, int(model.schedule_step))
        model.phase_index.fill_(int(phase))
        teacher = model.model.teacher
        frozen = phase == Phase.FROZEN
        teacher.requires_grad_(not frozen)
        teacher.train(model.training and not frozen)
        if frozen:
            # A frozen teacher keeps no gradients and no Adam moments: phase 1 costs only the student's memory.
            for optimizer in trainer.optimizers[:2]:
                optimizer.state.clear()
            teacher.zero_grad(set_to_none=True)
