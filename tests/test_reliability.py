# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Diverging losses are caught at the step they happen; the same seed gives the same scores."""

import errno
from pathlib import Path

import numpy as np
import openvino
import pytest
import torch
from anomalib.callbacks.checkpoint import ModelCheckpoint
from anomalib.data import Folder
from anomalib.engine import Engine
from lightning.pytorch import Callback, seed_everything
from PIL import Image, UnidentifiedImageError

from anomalib_pkdgan import DivergenceError
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY


@pytest.mark.slow
def test_nan_loss_stops_training_naming_phase_epoch_and_term(digits, tmp_path, make_model):
    model = make_model()
    model.generator_loss.wcon = float("nan")
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    with pytest.raises(DivergenceError, match=r"teacher/contextual became nan in phase TEACHER at epoch 0, step 0"):
        engine.fit(model, datamodule=digits)


@pytest.mark.slow
def test_nan_loss_can_skip_the_step_instead(digits, tmp_path, make_model):
    model = make_model(on_nan="skip")
    before = [p.detach().clone() for p in model.model.teacher.generator.parameters()]
    model.generator_loss.wcon = float("nan")
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    engine.fit(model, datamodule=digits)
    after = list(model.model.teacher.generator.parameters())
    assert all(torch.equal(b, a) for b, a in zip(before, after, strict=True))  # every generator step was skipped
    assert engine.trainer.current_epoch == 3


def _fit_and_score(model, datamodule, root):
    """Train ``model`` for its 3 phases and return its scores of the test set."""
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=root)
    engine.fit(model, datamodule=datamodule)
    batches = engine.predict(model, dataloaders=datamodule.test_dataloader())
    return torch.cat([batch.pred_score for batch in batches])


@pytest.mark.slow
def test_same_seed_same_scores(digits, tmp_path, make_model):
    def run(folder):
        seed_everything(7, workers=True)
        return _fit_and_score(make_model(), digits, tmp_path / folder)

    torch.testing.assert_close(run("a"), run("b"), rtol=0, atol=0)


@pytest.mark.slow
def test_model_seed_repeats_a_run_whatever_the_global_random_state(digits, tmp_path, make_model):
    # What ``anomalib train --model.seed N`` relies on: Anomalib's CLI never applies ``--seed_everything``.
    def run(folder, global_seed):
        torch.manual_seed(global_seed)
        return _fit_and_score(make_model(seed=7), digits, tmp_path / folder)

    torch.testing.assert_close(run("a", global_seed=1), run("b", global_seed=2), rtol=0, atol=0)


def _folder(tmp_path, normal_images, corrupt=False):
    rng = np.random.default_rng(0)
    for name, count in (("good", normal_images), ("bad", 4)):
        (tmp_path / name).mkdir(parents=True)
        for index in range(count):
            Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(tmp_path / name / f"{index}.png")
    if corrupt:
        (tmp_path / "good" / "broken.png").write_bytes(b"not a png")
    return Folder(
        name="bad_input",
        root=tmp_path,
        normal_dir="good",
        abnormal_dir="bad",
        train_batch_size=4,
        eval_batch_size=4,
        num_workers=0,
    )


@pytest.mark.slow
def test_corrupted_image_in_a_folder_dataset_is_named(tmp_path, make_model):
    datamodule = _folder(tmp_path / "data", 12, corrupt=True)  # Anomalib 2.4 cannot split fewer per label
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path / "results")
    with pytest.raises(UnidentifiedImageError, match=r"broken\.png"):
        engine.fit(make_model(), datamodule=datamodule)
    assert not list((tmp_path / "results").rglob("*.ckpt"))


def test_empty_folder_training_set_is_named(tmp_path, make_model):
    datamodule = _folder(tmp_path / "data", 0)
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path / "results")
    with pytest.raises(RuntimeError, match=r"Found 0 DirType.NORMAL images in .*good"):
        engine.fit(make_model(), datamodule=datamodule)


def test_images_smaller_than_the_network_minimum(make_model):
    with pytest.raises(ValueError, match=r"at least 8x8 pixels, got input_size=\(6, 6\)"):
        make_model(input_size=(6, 6))


@pytest.mark.slow
def test_resume_mid_phase_ends_like_an_uninterrupted_run(digits, tmp_path, make_model):
    """Killed after epoch 0 (mid teacher phase), 2 (mid frozen) or 4 (mid joint), resumed: same weights."""
    schedule = {"teacher_epochs": 2, "frozen_epochs": 2, "joint_epochs": 2}

    def fit(folder, ckpt_path=None, save_every_epoch=False):
        seed_everything(3, workers=True)
        model = make_model(**schedule)
        callbacks = [ModelCheckpoint(dirpath=tmp_path / folder, filename="{epoch}", save_top_k=-1)]
        engine = Engine(
            max_epochs=6,
            accelerator="cpu",
            logger=False,
            default_root_dir=tmp_path / folder,
            callbacks=callbacks if save_every_epoch else None,
        )
        engine.fit(model, datamodule=digits, ckpt_path=ckpt_path)
        return model

    reference = fit("uninterrupted", save_every_epoch=True).state_dict()
    for epoch in (0, 2, 4):
        checkpoint = tmp_path / "uninterrupted" / f"epoch={epoch}.ckpt"
        resumed = fit(f"resumed_{epoch}", ckpt_path=checkpoint).state_dict()
        assert resumed.keys() == reference.keys()
        for name, value in reference.items():
            torch.testing.assert_close(resumed[name], value, rtol=0, atol=0, equal_nan=True, msg=f"{name} at {epoch}")


@pytest.mark.slow
def test_divergence_keeps_the_last_good_checkpoint(digits, tmp_path, make_model):
    class PoisonAtEpoch1(Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            if trainer.current_epoch == 1:
                pl_module.generator_loss.wcon = float("nan")

    model = make_model()
    checkpoints = ModelCheckpoint(dirpath=tmp_path / "ckpt", filename="{epoch}", save_top_k=-1)
    callbacks = [checkpoints, PoisonAtEpoch1()]
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path, callbacks=callbacks)
    with pytest.raises(DivergenceError, match=r"student/contextual became nan in phase FROZEN at epoch 1"):
        engine.fit(model, datamodule=digits)
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["epoch=0.ckpt"]
    restored = type(model).load_from_checkpoint(
        tmp_path / "ckpt" / "epoch=0.ckpt", weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY
    )
    assert all(torch.isfinite(p).all() for p in restored.parameters())


def _break_export(monkeypatch, kind):
    """Make the ``kind`` export fail as a full disk would, after it began writing its file; return the paths it wrote.

    The ONNX export is cut inside ``torch.onnx.export``, the Torch export inside ``torch.save``; the OpenVINO export
    runs its ONNX step for real (into a temporary folder) and is cut when it saves the IR.
    """
    written = []

    def fail(path):
        Path(path).write_bytes(b"half a model")
        written.append(Path(path))
        raise OSError(errno.ENOSPC, "No space left on device")

    def onnx_export(*args, **kwargs):
        fail(kwargs["f"] if "f" in kwargs else args[2])

    if kind == "torch":
        monkeypatch.setattr(torch, "save", lambda obj, f, *args, **kwargs: fail(f))
    elif kind == "onnx":
        monkeypatch.setattr(torch.onnx, "export", onnx_export)
    else:
        monkeypatch.setattr(openvino, "save_model", lambda model, path, *args, **kwargs: fail(path))
    return written


EXPORT_KINDS = ["torch", "onnx", "openvino"]


@pytest.mark.parametrize("kind", EXPORT_KINDS)
def test_a_failed_export_removes_the_folder_it_had_started(kind, tmp_path, make_model, monkeypatch):
    model = make_model()
    model.student_steps.fill_(1)  # exportable: the guard refuses a student that never trained
    root = tmp_path / "export"
    others = [root / "notes.txt", root / "weights" / "other" / "model.bin"]  # earlier exports into the same root
    for path in others:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("kept")
    written = _break_export(monkeypatch, kind)

    with pytest.raises(OSError, match="No space left on device"):
        getattr(model, f"to_{kind}")(root)

    target = root / "weights" / kind
    assert [path.parent for path in written] == [target]  # it failed inside the folder, after writing to it
    assert not target.exists()
    assert all(path.read_text() == "kept" for path in others)


@pytest.mark.parametrize("kind", EXPORT_KINDS)
def test_a_failed_export_keeps_a_folder_that_was_there_before(kind, tmp_path, make_model, monkeypatch):
    model = make_model()
    model.student_steps.fill_(1)
    target = tmp_path / "export" / "weights" / kind
    target.mkdir(parents=True)
    (target / "previous.bin").write_text("an earlier export")
    written = _break_export(monkeypatch, kind)

    with pytest.raises(OSError, match="No space left on device"):
        getattr(model, f"to_{kind}")(tmp_path / "export")

    assert [path.parent for path in written] == [target]
    assert (target / "previous.bin").read_text() == "an earlier export"
