# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Loading a pre-trained teacher: both formats, and a clear error for every bad file."""

import pytest
import torch
from anomalib.engine import Engine

from anomalib_pkdgan import Phase
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY


def test_teacher_state_dict_is_loaded_and_phase_0_is_skipped(tmp_path, make_model, digits):
    source = make_model()
    path = tmp_path / "teacher.pt"
    torch.save(source.model.teacher.state_dict(), path)

    model = make_model(teacher_checkpoint=path, teacher_epochs=3, frozen_epochs=1, joint_epochs=0)
    for name, value in source.model.teacher.state_dict().items():
        assert torch.equal(model.model.teacher.state_dict()[name], value), name

    engine = Engine(max_epochs=5, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    engine.fit(model, datamodule=digits)
    assert engine.trainer.current_epoch == 1  # teacher_epochs=3 dropped: only the frozen epoch ran
    assert model.phase == Phase.FROZEN


def test_teacher_is_taken_from_a_pkdgan_lightning_checkpoint(tmp_path, make_model, digits):
    model = make_model(teacher_epochs=1, frozen_epochs=1, joint_epochs=0)
    engine = Engine(max_epochs=2, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    engine.fit(model, datamodule=digits)
    checkpoint = engine.trainer.checkpoint_callback.best_model_path

    student = make_model(teacher_checkpoint=checkpoint)
    for name, value in model.model.teacher.state_dict().items():
        assert torch.equal(student.model.teacher.state_dict()[name], value), name


def test_missing_teacher_checkpoint(tmp_path, make_model):
    with pytest.raises(FileNotFoundError, match=r"teacher checkpoint not found: .*nope\.ckpt"):
        make_model(teacher_checkpoint=tmp_path / "nope.ckpt")


def test_unreadable_teacher_checkpoint(tmp_path, make_model):
    path = tmp_path / "broken.ckpt"
    path.write_bytes(b"this is not a checkpoint")
    with pytest.raises(ValueError, match="could not be read"):
        make_model(teacher_checkpoint=path)


def test_checkpoint_without_a_teacher(tmp_path, make_model):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {"model.encoder.weight": torch.zeros(3)}}, path)
    with pytest.raises(ValueError, match="holds no P-KDGAN teacher weights"):
        make_model(teacher_checkpoint=path)


@pytest.mark.parametrize("other", [{"teacher_features": 16}, {"teacher_latent": 32}, {"input_size": (64, 64)}])
def test_teacher_of_another_shape(tmp_path, make_model, other):
    path = tmp_path / "other_shape.pt"
    torch.save(make_model(**other).model.teacher.state_dict(), path)
    with pytest.raises(ValueError, match=r"teacher of another shape: it lacks .* weights of this teacher"):
        make_model(teacher_checkpoint=path)


def test_teacher_weight_of_another_size(tmp_path, make_model):
    state = make_model().model.teacher.state_dict()
    key = next(iter(state))
    state[key] = torch.zeros(1, 2, 3)
    path = tmp_path / "bad_tensor.pt"
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"is \(1, 2, 3\) in the file but"):
        make_model(teacher_checkpoint=path)


@pytest.mark.slow
def test_restoring_a_checkpoint_reads_no_teacher_file_and_does_not_reseed(tmp_path, make_model, digits):
    teacher_file = tmp_path / "teacher.pt"
    torch.save(make_model().model.teacher.state_dict(), teacher_file)
    model = make_model(teacher_checkpoint=teacher_file, seed=3, teacher_epochs=0, frozen_epochs=1, joint_epochs=0)
    engine = Engine(max_epochs=1, accelerator="cpu", logger=False, default_root_dir=tmp_path / "run")
    engine.fit(model, datamodule=digits)
    checkpoint = engine.trainer.checkpoint_callback.best_model_path
    teacher_file.unlink()  # moved or deleted since training

    torch.manual_seed(123)
    make_model(teacher_epochs=0, frozen_epochs=1, joint_epochs=0)  # draws its initial weights from seed 123
    unseeded = torch.get_rng_state()
    torch.manual_seed(123)
    restored = type(model).load_from_checkpoint(checkpoint, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY)
    assert torch.equal(torch.get_rng_state(), unseeded)  # ``seed=3`` was not applied again
    assert restored.teacher_pretrained
    assert "teacher_checkpoint" not in restored.hparams
    for name, value in model.model.teacher.state_dict().items():
        assert torch.equal(restored.model.teacher.state_dict()[name], value), name
