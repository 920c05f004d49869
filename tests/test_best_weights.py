# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""``restore_best_validation``: training ends with the state of the best validation, in memory and on disk."""

import pytest
import torch
from anomalib.engine import Engine
from lightning.pytorch import Callback

from anomalib_pkdgan import Pkdgan
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY
from anomalib_pkdgan.models.pkdgan.callbacks.best_weights import BestValidation


class Recorder(Callback):
    """The student's weights and the post-processor's state at the end of every validation, by training batch."""

    def __init__(self) -> None:
        self.states: dict[int, tuple[dict, dict]] = {}

    def on_validation_end(self, trainer, pl_module) -> None:  # trainer callbacks run before the model's
        copy = lambda module: {k: v.clone() for k, v in module.state_dict().items()}  # noqa: E731
        self.states[int(pl_module.schedule_step)] = (copy(pl_module.model.student), copy(pl_module.post_processor))


def _best_at(model, monkeypatch, best_step):
    """Make the validation AUROC the selection reads 1 after training batch ``best_step`` and 0 after the others."""
    real_scores = model.model.tile_scores

    def tile_scores(images, network="student"):
        values, anomaly_map = real_scores(images, network)
        sign = 1.0 if int(model.schedule_step) == best_step else -1.0
        return {score_type: sign * images.mean(dim=(1, 2, 3)).unsqueeze(1) for score_type in values}, anomaly_map

    monkeypatch.setattr(model.model, "tile_scores", tile_scores)


def _same(state, reference) -> bool:
    return all(torch.allclose(state[name], reference[name], rtol=0, atol=0, equal_nan=True) for name in reference)


def _fit_through_its_schedule(model, recorder, tmp_path, datamodule) -> Engine:
    """Fit ``model`` for its whole schedule with ``recorder`` as the Engine's callback; return the Engine."""
    engine = Engine(
        max_epochs=model.schedule.total_epochs, accelerator="cpu", default_root_dir=tmp_path, logger=False,
        callbacks=[recorder],
    )  # fmt: skip
    engine.fit(model, datamodule=datamodule)
    return engine


@pytest.mark.slow
@pytest.mark.parametrize("restore", [True, False], ids=["restore", "last"])
def test_training_ends_with_the_best_validation_and_the_checkpoint_holds_it(
    restore, tmp_path, make_model, monkeypatch, bright_squares
):
    # 2 batches per epoch: the teacher's validation (after batch 2) is never a candidate, the student's are after
    # batches 4, 6 and 8; the selection sees the best after batch 4.
    model = make_model(input_size=(16, 16), score_type="latent", frozen_epochs=2, restore_best_validation=restore)
    _best_at(model, monkeypatch, best_step=4)
    recorder = Recorder()
    engine = _fit_through_its_schedule(model, recorder, tmp_path, bright_squares)
    assert sorted(recorder.states) == [2, 4, 6, 8]
    kept = 4 if restore else 8
    student, post_processor = recorder.states[kept]
    assert _same(model.model.student.state_dict(), student)
    assert _same(model.post_processor.state_dict(), post_processor)
    assert not _same(model.model.student.state_dict(), recorder.states[8 if restore else 4][0])

    # Anomalib's checkpoint (saved after the last validation) holds the same state, so test and export agree.
    loaded = Pkdgan.load_from_checkpoint(
        engine.trainer.checkpoint_callback.best_model_path, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY
    )
    assert _same(loaded.model.student.state_dict(), student)
    assert _same(loaded.post_processor.state_dict(), post_processor)
    assert int(loaded.schedule_step) == 8  # the schedule's counters are not rolled back


def test_best_validation_keeps_the_later_of_equal_aurocs_and_restores_the_student(make_model, tmp_path):
    model = make_model().model
    best = BestValidation()
    assert best.empty
    with pytest.raises(RuntimeError, match="no validation to restore"):
        best.restore(model, None)
    assert best.offer(0.8, model, None, step=1)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.5)
    assert best.offer(0.8, model, None, step=3)  # a tie: the later, more trained state is kept
    kept = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    model.anomaly_map_sigma = 2.0
    assert not best.offer(0.7, model, None, step=5)
    changed = {k: v.clone() for k, v in model.state_dict().items()}

    # Through a checkpoint file, as Lightning saves callback states, and read back with weights_only=True.
    torch.save(best.state_dict(), tmp_path / "best.pt")
    loaded = BestValidation.from_state_dict(torch.load(tmp_path / "best.pt", weights_only=True))
    loaded.restore(model, None)
    assert loaded.step == 3
    assert model.anomaly_map_sigma == 0.0
    state = model.state_dict()
    teacher = [name for name in state if name.startswith("teacher.")]
    assert teacher
    assert len(teacher) < len(state)
    assert _same(
        {k: v for k, v in state.items() if k not in teacher}, {k: v for k, v in kept.items() if k not in teacher}
    )
    assert _same({k: state[k] for k in teacher}, {k: changed[k] for k in teacher})  # only the student scores


class TeacherRecorder(Callback):
    """The teacher's weights at the end of every validation, by training batch."""

    def __init__(self) -> None:
        self.states: dict[int, dict] = {}

    def on_validation_end(self, trainer, pl_module) -> None:  # trainer callbacks run before the model's
        self.states[int(pl_module.schedule_step)] = {
            k: v.clone() for k, v in pl_module.model.teacher.state_dict().items()
        }


def _best_teacher_at(model, monkeypatch, best_step):
    """Make the teacher's validation AUROC (both scores) 1 after training batch ``best_step`` and 0 otherwise."""
    real_scores = model.model.scores

    def scores(images, network="student"):
        values, *rest = real_scores(images, network)
        if network == "teacher":
            sign = 1.0 if int(model.schedule_step) == best_step else -1.0
            values = {score_type: sign * images.mean(dim=(1, 2, 3)) for score_type in values}
        return (values, *rest)

    monkeypatch.setattr(model.model, "scores", scores)


def _fit_with_best_teacher_at(model, best_step, tmp_path, monkeypatch, datamodule) -> tuple[dict[int, dict], dict]:
    """Fit ``model`` with its teacher's validation best after ``best_step``; return the teacher's state at every
    validation and the teacher in Anomalib's saved checkpoint."""
    _best_teacher_at(model, monkeypatch, best_step)
    recorder = TeacherRecorder()
    engine = _fit_through_its_schedule(model, recorder, tmp_path, datamodule)
    loaded = Pkdgan.load_from_checkpoint(
        engine.trainer.checkpoint_callback.best_model_path, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY
    )
    return recorder.states, loaded.model.teacher.state_dict()


@pytest.mark.slow
@pytest.mark.parametrize("restore", [True, False], ids=["restore", "last"])
def test_the_student_distils_from_the_teacher_of_its_best_validation(
    restore, tmp_path, make_model, monkeypatch, bright_squares
):
    # 2 batches per epoch: the teacher validates after batches 2, 4 and 6 (best after 2), the frozen phase after 8.
    model = make_model(
        input_size=(16, 16), teacher_epochs=3, frozen_epochs=1, joint_epochs=0, restore_best_teacher=restore
    )
    states, saved = _fit_with_best_teacher_at(model, 2, tmp_path, monkeypatch, bright_squares)
    assert sorted(states) == [2, 4, 6, 8]
    kept = 2 if restore else 6
    assert _same(states[8], states[kept])  # what the frozen phase distilled from
    assert not _same(states[8], states[6 if restore else 2])
    assert model.selection.teacher.step == (2 if restore else -1)
    assert _same(saved, states[kept])


@pytest.mark.slow
def test_a_teacher_only_run_saves_the_teacher_of_its_best_validation(tmp_path, make_model, monkeypatch, bright_squares):
    model = make_model(
        input_size=(16, 16), teacher_epochs=3, frozen_epochs=0, joint_epochs=0, restore_best_teacher=True
    )
    states, saved = _fit_with_best_teacher_at(model, 4, tmp_path, monkeypatch, bright_squares)
    assert sorted(states) == [2, 4, 6]
    assert not _same(states[6], states[4])  # the teacher trained on after its best validation
    assert _same(model.model.teacher.state_dict(), states[4])
    assert _same(saved, states[4])  # what a teacher_checkpoint would read


def test_best_teacher_survives_a_checkpoint_and_restores_once(make_model, tmp_path):
    from anomalib_pkdgan.models.pkdgan.callbacks.best_weights import BestTeacher
    from anomalib_pkdgan.models.pkdgan.callbacks.selection import ScoreSelection

    model = make_model().model
    best = BestTeacher()
    with pytest.raises(RuntimeError, match="no teacher validation to restore"):
        best.restore(model)
    assert best.offer(0.9, model, step=2)
    kept = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    student = {k: v.clone() for k, v in model.student.state_dict().items()}
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    assert not best.offer(0.8, model, step=4)
    student_after = {k: v.clone() for k, v in model.student.state_dict().items()}

    selection = ScoreSelection(best_teacher=True)
    selection.teacher = best
    torch.save(selection.state_dict(), tmp_path / "selection.pt")
    resumed = ScoreSelection(best_teacher=True)
    resumed.load_state_dict(torch.load(tmp_path / "selection.pt", weights_only=True))
    assert (resumed.teacher.step, resumed.teacher.restored) == (2, False)
    resumed.teacher.restore(model)
    assert _same(model.teacher.state_dict(), kept)
    assert _same(model.student.state_dict(), student_after)  # only the teacher goes back
    assert not _same(model.student.state_dict(), student)
    assert resumed.teacher.restored

    old = ScoreSelection(best_teacher=True)  # a checkpoint written before the teacher was kept
    old.load_state_dict({k: v for k, v in selection.state_dict().items() if k != "teacher"})
    assert old.teacher.empty
