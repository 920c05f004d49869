# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The progressive schedule: phase boundaries, frozen vs trained teacher, checkpoints and resume."""

import pytest
import torch
from anomalib.engine import Engine
from lightning.pytorch import Callback

from anomalib_pkdgan import Phase, ProgressiveDistillation
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY
from anomalib_pkdgan.models.pkdgan.callbacks.schedule import plan_phases


def test_plan_counts_epochs_in_batches_and_keeps_proportions():
    plan = plan_phases((2, 3, 2), batches_per_epoch=5)
    assert plan.batches == (10, 15, 10)
    assert [plan.phase_at(step) for step in (0, 9, 10, 24, 25, 34, 99)] == [
        Phase.TEACHER, Phase.TEACHER, Phase.FROZEN, Phase.FROZEN, Phase.JOINT, Phase.JOINT, Phase.JOINT,
    ]  # fmt: skip
    assert plan_phases((2, 0, 0), batches_per_epoch=5).phase_at(50) == Phase.TEACHER
    assert plan_phases((1, 1, 0), batches_per_epoch=5).phase_at(50) == Phase.FROZEN
    assert plan_phases((0, 1, 1), batches_per_epoch=5).phase_at(0) == Phase.FROZEN


def test_small_data_gets_at_least_min_steps_in_the_epochs_proportions():
    plan = plan_phases((15, 15, 5), batches_per_epoch=4, min_steps=2000)
    assert plan.total == 2000
    teacher, frozen, joint = plan.batches
    assert teacher == frozen
    assert joint == pytest.approx(teacher / 3, abs=1)
    assert plan_phases((15, 15, 5), batches_per_epoch=100, min_steps=2000).batches == (1500, 1500, 500)  # epochs win


@pytest.mark.parametrize(
    ("limits", "check"),
    [
        ({"max_batches": 7}, lambda plan: plan.total <= 7),
        ({"max_optimizer_steps": 20}, lambda plan: plan.optimizer_steps <= 20),
        ({"max_batches": 3}, lambda plan: plan.batches == (1, 1, 1)),
    ],
)
def test_a_short_trainer_limit_shrinks_every_phase_to_at_least_one_batch(limits, check):
    plan = plan_phases((15, 15, 5), batches_per_epoch=4, **limits)
    assert check(plan)
    assert all(n >= 1 for n in plan.batches)
    assert plan.batches[0] >= plan.batches[2]


def test_a_limit_shorter_than_one_batch_per_phase_is_refused():
    with pytest.raises(ValueError, match="cannot fit the trainer's limit"):
        plan_phases((15, 15, 5), batches_per_epoch=4, max_batches=2)
    with pytest.raises(ValueError, match="training set empty"):
        plan_phases((15, 15, 5), batches_per_epoch=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"teacher_epochs": -1}, "teacher_epochs must be a non-negative integer"),
        ({"frozen_epochs": 1.5}, "frozen_epochs must be a non-negative integer"),
        ({"min_steps": -5}, "min_steps must be a non-negative integer"),
        ({"teacher_epochs": 0, "frozen_epochs": 0, "joint_epochs": 0}, "nothing would be trained"),
    ],
)
def test_bad_schedules_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ProgressiveDistillation(**kwargs)


class BatchPhases(Callback):
    """Records the phase every training batch ran in."""

    def __init__(self):
        self.phases = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.phases.append(pl_module.phase)

    def on_validation_epoch_end(self, trainer, pl_module):
        self.phases.append("validation")


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
    # The last weights: the epoch-end checks below would otherwise see the restored best validation's weights.
    model = make_model(teacher_epochs=1, frozen_epochs=2, joint_epochs=1, restore_best_validation=False)
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
def test_max_epochs_1_still_trains_every_phase_and_warns(digits, tmp_path, make_model):
    recorder = BatchPhases()
    model = make_model(teacher_epochs=2, frozen_epochs=2, joint_epochs=1)  # 15 batches; one epoch holds 3
    engine = Engine(max_epochs=1, accelerator="cpu", logger=False, default_root_dir=tmp_path, callbacks=[recorder])
    with pytest.warns(UserWarning, match=r"teacher 6 \+ frozen 6 \+ joint 3 batches.*to teacher 1 \+ frozen 1"):
        engine.fit(model, datamodule=digits)
    assert recorder.phases == [Phase.TEACHER, Phase.FROZEN, Phase.JOINT, "validation"]  # all inside one epoch
    assert int(model.student_steps) == 2


@pytest.mark.slow
def test_min_schedule_steps_lengthens_a_short_schedule_and_the_schedule_ends_the_run(digits, tmp_path, make_model):
    recorder = BatchPhases()
    model = make_model(teacher_epochs=1, frozen_epochs=1, joint_epochs=1, min_schedule_steps=12)
    engine = Engine(accelerator="cpu", logger=False, default_root_dir=tmp_path, callbacks=[recorder])  # no max_epochs
    engine.fit(model, datamodule=digits)
    # 3 batches per epoch, stretched to 12: validated once, after the last batch, not after every short epoch.
    assert recorder.phases == [Phase.TEACHER] * 4 + [Phase.FROZEN] * 4 + [Phase.JOINT] * 4 + ["validation"]
    assert engine.trainer.current_epoch == 4  # the schedule, not Lightning's default of 1000 epochs, ended the run


@pytest.mark.slow
def test_phase_survives_a_checkpoint_and_resume_continues_in_the_right_phase(digits, tmp_path, make_model):
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

    # The same checkpoint with a longer frozen phase would silently land in another phase: refused.
    changed = make_model(teacher_epochs=2, frozen_epochs=1, joint_epochs=1)
    engine = Engine(max_epochs=5, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    with pytest.raises(
        ValueError,
        match=r"cannot resume.*6 training batches in phase FROZEN.*puts that batch in "
        r"phase TEACHER",
    ):
        engine.fit(changed, datamodule=digits, ckpt_path=checkpoint)


@pytest.mark.slow
def test_frozen_phase_without_a_trained_teacher_is_refused(digits, tmp_path, make_model):
    model = make_model(teacher_epochs=0, frozen_epochs=1, joint_epochs=0)
    engine = Engine(max_epochs=5, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    with pytest.raises(ValueError, match="never trained"):
        engine.fit(model, datamodule=digits)


def count_teacher_calls(monkeypatch, model):
    """The list that gets an entry at each forward pass of ``model``'s teacher.

    Patched on the class, not hooked on the instance: Anomalib 2.4 pickles the model, and a local hook cannot be.
    """
    teacher, calls = model.model.teacher, []
    forward = type(teacher).forward

    def counted(self, *args, **kwargs):
        if self is teacher:
            calls.append(1)
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(type(teacher), "forward", counted)
    return calls


@pytest.mark.slow
def test_without_distillation_the_student_trains_alone_and_the_teacher_never_runs(
    digits, tmp_path, make_model, monkeypatch
):
    """The README's student-alone recipe: no teacher phase, no distillation weight, so no teacher is needed."""
    model = make_model(
        teacher_epochs=0, frozen_epochs=2, joint_epochs=0, w_distill_latent=0.0, w_distill_reconstruction=0.0
    )
    teacher_calls = count_teacher_calls(monkeypatch, model)
    teacher = {k: v.clone() for k, v in model.model.teacher.state_dict().items()}
    student = {k: v.clone() for k, v in model.model.student.state_dict().items()}
    engine = Engine(max_epochs=2, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    engine.fit(model, datamodule=digits)
    assert not teacher_calls
    assert all(torch.equal(v, model.model.teacher.state_dict()[k]) for k, v in teacher.items())
    assert any(not torch.equal(v, model.model.student.state_dict()[k]) for k, v in student.items())


class TeacherValidations(Callback):
    """Counts the teacher's forward passes in every validation after the sanity check, with the logged AUROC."""

    def __init__(self, calls):
        self.calls = calls
        self.validations = []

    def on_validation_epoch_start(self, trainer, pl_module):
        self._before = len(self.calls)

    def on_validation_end(self, trainer, pl_module):
        if not trainer.sanity_checking:
            logged = float(trainer.callback_metrics["val/teacher/latent_AUROC"])
            self.validations.append((pl_module.phase, len(self.calls) - self._before, logged))


@pytest.mark.slow
def test_validation_scores_the_frozen_teacher_once_and_logs_it_at_every_validation(
    digits, tmp_path, make_model, monkeypatch
):
    model = make_model(teacher_epochs=1, frozen_epochs=3, joint_epochs=1)
    recorder = TeacherValidations(count_teacher_calls(monkeypatch, model))
    engine = Engine(max_epochs=5, accelerator="cpu", logger=False, default_root_dir=tmp_path, callbacks=[recorder])
    engine.fit(model, datamodule=digits)
    phases, calls, logged = zip(*recorder.validations, strict=True)
    assert phases == (Phase.TEACHER, Phase.FROZEN, Phase.FROZEN, Phase.FROZEN, Phase.JOINT)
    assert calls[0] > 0
    assert calls[1] > 0
    assert calls[2:4] == (0, 0)  # the frozen teacher cannot have changed since its first frozen validation
    assert calls[4] > 0
    assert logged[1] == logged[2] == logged[3]


@pytest.mark.slow
def test_a_validate_after_fit_scores_the_teacher_it_is_given(digits, tmp_path, make_model, monkeypatch):
    """The frozen teacher's AUROCs are kept within a fit only: a later ``validate`` may run on other weights."""
    model = make_model(teacher_epochs=1, frozen_epochs=1, joint_epochs=0)
    recorder = TeacherValidations(count_teacher_calls(monkeypatch, model))
    engine = Engine(max_epochs=2, accelerator="cpu", logger=False, default_root_dir=tmp_path, callbacks=[recorder])
    engine.fit(model, datamodule=digits)
    assert model.phase == Phase.FROZEN
    generator = torch.Generator().manual_seed(0)  # the same other weights every run: no chance-equal AUROC flake
    with torch.no_grad():
        for parameter in model.model.teacher.parameters():  # other teacher weights, as a loaded checkpoint would bring
            parameter.add_(torch.randn(parameter.shape, generator=generator))
    engine.validate(model, datamodule=digits)
    phases, calls, logged = zip(*recorder.validations, strict=True)
    assert phases[-1] == Phase.FROZEN
    assert calls[-1] > 0
    assert logged[-1] != logged[-2]
