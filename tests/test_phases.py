# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The progressive schedule: phase boundaries, frozen vs trained teacher, checkpoints and resume."""

import pytest
import torch
from anomalib.engine import Engine
from lightning.pytorch import Callback

from anomalib_pkdgan import Phase, ProgressiveDistillation
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY


def test_phase_boundaries():
    schedule = ProgressiveDistillation(teacher_epochs=2, frozen_epochs=3, joint_epochs=2)
    phases = [schedule.phase_at(epoch) for epoch in range(9)]
    assert phases == [Phase.TEACHER] * 2 + [Phase.FROZEN] * 3 + [Phase.JOINT] * 4
    assert schedule.total_epochs == 7
    no_joint = ProgressiveDistillation(teacher_epochs=1, frozen_epochs=1, joint_epochs=0)
    assert no_joint.phase_at(5) == Phase.FROZEN
    teacher_only = ProgressiveDistillation(teacher_epochs=2, frozen_epochs=0, joint_epochs=0)
    assert [teacher_only.phase_at(epoch) for epoch in range(3)] == [Phase.TEACHER] * 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"teacher_epochs": -1}, "teacher_epochs must be a non-negative integer"),
        ({"frozen_epochs": 1.5}, "frozen_epochs must be a non-negative integer"),
        ({"teacher_epochs": 0, "frozen_epochs": 0, "joint_epochs": 0}, "nothing would be trained"),
    ],
)
def test_bad_schedules_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ProgressiveDistillation(**kwargs)


class Recorder(Callback):
    """Snapshots parameters around every training epoch and the teacher's state during it."""

    def __init__(self):
        self.epochs = []

    @staticmethod
    def _flat(module):
        return torch.cat([p.detach().flatten().clone() for p in module.parameters()])

    def on_train_epoch_start(self, trainer, pl_module):
        self._teacher = self._flat(pl_module.model.teacher)
        self._student = self._flat(pl_module.model.student)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        teacher_opts = trainer.optimizers[:2]
        self._during = {
            "phase": pl_module.phase,
            "teacher_training_mode": pl_module.model.teacher.training,
            "teacher_requires_grad": any(p.requires_grad for p in pl_module.model.teacher.parameters()),
            "teacher_grads": any(p.grad is not None for p in pl_module.model.teacher.parameters()),
            "teacher_optimizer_state": sum(len(opt.state) for opt in teacher_opts),
        }

    def on_train_epoch_end(self, trainer, pl_module):
        self.epochs.append(
            {
                **self._during,
                "teacher_changed": not torch.equal(self._teacher, self._flat(pl_module.model.teacher)),
                "student_changed": not torch.equal(self._student, self._flat(pl_module.model.student)),
            }
        )


@pytest.mark.slow
def test_teacher_is_frozen_in_phase_1_and_trained_in_phases_0_and_2(digits, tmp_path, make_model):
    recorder = Recorder()
    model = make_model(teacher_epochs=1, frozen_epochs=2, joint_epochs=1)
    engine = Engine(max_epochs=10, accelerator="cpu", logger=False, default_root_dir=tmp_path, callbacks=[recorder])
    engine.fit(model, datamodule=digits)

    assert [e["phase"] for e in recorder.epochs] == [Phase.TEACHER, Phase.FROZEN, Phase.FROZEN, Phase.JOINT]
    assert engine.trainer.current_epoch == 4  # the schedule, not max_epochs=10, ended the run
    teacher, frozen, _, joint = recorder.epochs
    assert teacher["teacher_changed"]
    assert not teacher["student_changed"]
    assert not frozen["teacher_changed"]
    assert frozen["student_changed"]
    assert not frozen["teacher_training_mode"]
    assert not frozen["teacher_requires_grad"]
    assert not frozen["teacher_grads"]
    assert frozen["teacher_optimizer_state"] == 0
    assert joint["teacher_changed"]
    assert joint["student_changed"]
    assert joint["teacher_training_mode"]


@pytest.mark.slow
def test_phase_survives_a_checkpoint_and_resume_continues_in_the_right_phase(digits, tmp_path, make_model):
    model = make_model(teacher_epochs=1, frozen_epochs=1, joint_epochs=1)
    engine = Engine(max_epochs=2, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    with pytest.raises(ValueError, match=r"phases need 3 epochs .* max_epochs is 2"):
        engine.fit(model, datamodule=digits)

    # Stop after the frozen phase by running a 2-epoch schedule, then resume the 3-epoch one from it.
    model = make_model(teacher_epochs=1, frozen_epochs=1, joint_epochs=0)
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    engine.fit(model, datamodule=digits)
    checkpoint = (
        engine.trainer.checkpoint_callback.best_model_path or engine.trainer.checkpoint_callback.last_model_path
    )
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    assert int(saved["state_dict"]["phase_index"]) == Phase.FROZEN

    reloaded = type(model).load_from_checkpoint(checkpoint, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY)
    assert reloaded.phase == Phase.FROZEN

    recorder = Recorder()
    resumed = make_model(teacher_epochs=1, frozen_epochs=1, joint_epochs=1)
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path, callbacks=[recorder])
    engine.fit(resumed, datamodule=digits, ckpt_path=checkpoint)
    assert [e["phase"] for e in recorder.epochs] == [Phase.JOINT]
    assert recorder.epochs[0]["teacher_changed"]


@pytest.mark.slow
def test_frozen_phase_without_a_trained_teacher_is_refused(digits, tmp_path, make_model):
    model = make_model(teacher_epochs=0, frozen_epochs=1, joint_epochs=0)
    engine = Engine(max_epochs=5, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    with pytest.raises(ValueError, match="never trained"):
        engine.fit(model, datamodule=digits)
