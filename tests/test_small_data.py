# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""A folder of 100 normal images, as Anomalib users have, trained at the defaults through ``Folder``.

Phases counted in epochs give such a folder 4 batches per epoch, so a few dozen optimiser steps per phase; the
default ``min_schedule_steps`` gives it as many as a large data set, over hundreds of short epochs that load in the
main process on a CPU. How the defaults compare with longer and epoch-counted runs is measured at thousands of
batches by ``benchmarks/accuracy/small_data.py``; these tests check the schedule and, with a few hundred batches
of tiny networks, that a stretched run trains past an epoch-counted one.
"""

import logging
from pathlib import Path

import numpy as np
import pytest
from anomalib.data import Folder
from anomalib.engine import Engine
from PIL import Image

from anomalib_pkdgan import Pkdgan
from anomalib_pkdgan.models.pkdgan.callbacks.schedule import plan_phases

TINY = {"teacher_features": 8, "teacher_latent": 16, "student_features": 2, "student_latent": 4}


def write_stripes_folder(root: Path, seed: int = 0) -> Path:
    """Normal images: noisy stripes of random phase and frequency; anomalous: the same with a flat 8x8 patch."""
    rng = np.random.default_rng(seed)
    columns = np.mgrid[0:32, 0:32][1]

    def normal() -> np.ndarray:
        return (
            128
            + 60 * np.sin(rng.uniform(0.25, 0.35) * columns + rng.uniform(0, 2 * np.pi))
            + rng.normal(0, 8, (32, 32))
        )

    def anomalous() -> np.ndarray:
        image = normal()
        top, left = rng.integers(4, 22, size=2)
        image[top : top + 8, left : left + 8] = rng.uniform(0, 255)
        return image

    for name, count, make in (("train", 100, normal), ("good", 100, normal), ("bad", 100, anomalous)):
        (root / name).mkdir(parents=True)
        for index in range(count):
            Image.fromarray(make().clip(0, 255).astype(np.uint8)).convert("RGB").save(root / name / f"{index:03d}.png")
    return root


@pytest.mark.parametrize("images", [60, 100, 250, 400])
@pytest.mark.parametrize("batch_size", [8, 32, 64])
def test_every_phase_gets_hundreds_of_steps_at_the_defaults_whatever_the_folder(images, batch_size):
    defaults = Pkdgan(**TINY, visualizer=False).schedule
    batches_per_epoch = -(-images // batch_size)
    plan = plan_phases(defaults.epochs(teacher_pretrained=False), batches_per_epoch, defaults.min_steps)
    assert min(plan.batches) >= 250  # the joint phase, the shortest, still gets hundreds of optimiser steps
    epochs_only = plan_phases(defaults.epochs(teacher_pretrained=False), batches_per_epoch)
    assert plan.total >= epochs_only.total


@pytest.mark.slow
def test_a_stretched_schedule_trains_a_folder_at_its_defaults_past_the_epoch_counted_one(tmp_path, caplog, monkeypatch):
    """The accuracy of the defaults against longer and epoch-counted runs, at thousands of batches, is measured by
    ``benchmarks/accuracy/small_data.py``; here a few hundred batches of tiny networks check the mechanism."""
    root = write_stripes_folder(tmp_path / "stripes")

    def fit(run: str, **schedule: int) -> tuple[Pkdgan, Folder, float]:
        # The stretched run gets Folder's own num_workers (the model must set it to 0). The epoch-counted run keeps
        # whatever it is given, and Folder's 8 worker processes, started again for each loader of its 35 epochs,
        # would cost more than its training: it loads in the main process.
        loaders = {} if schedule["min_schedule_steps"] else {"num_workers": 0}
        datamodule = Folder(
            name="stripes", root=root, normal_dir="train", normal_test_dir="good", abnormal_dir="bad",
            train_batch_size=32, eval_batch_size=100, **loaders,
        )  # fmt: skip
        model = Pkdgan(**TINY, **schedule, seed=0, visualizer=False)
        engine = Engine(accelerator="cpu", logger=False, default_root_dir=tmp_path / run, enable_progress_bar=False)
        engine.fit(model, datamodule=datamodule)
        return model, datamodule, engine.test(model, datamodule=datamodule, verbose=False)[0]["image_AUROC"]

    monkeypatch.setattr(logging.getLogger("lightning.pytorch"), "propagate", True)  # its info lines reach caplog
    with caplog.at_level(logging.INFO):
        # 4 batches per epoch: twice the epoch-counted schedule, 70 epochs
        stretched, datamodule, stretched_auroc = fit("stretched", min_schedule_steps=280)
    plan = plan_phases((15, 15, 5), batches_per_epoch=4, min_steps=280)
    assert stretched.schedule.plan == plan
    assert int(stretched.schedule_step) == plan.total == 280  # every batch of the stretched schedule was trained
    assert stretched.trainer.current_epoch == 280 // 4
    assert datamodule.num_workers == 0  # no worker processes started again for each of the 70 short epochs
    assert "keep_num_workers=True" in caplog.text
    epochs_only, _, epochs_only_auroc = fit("epochs_only", min_schedule_steps=0)  # 15 + 15 + 5 epochs: 140 batches
    assert int(epochs_only.schedule_step) == 140
    assert stretched_auroc > epochs_only_auroc, (stretched_auroc, epochs_only_auroc)


@pytest.mark.slow
def test_keep_num_workers_keeps_the_folders_setting(tmp_path):
    root = write_stripes_folder(tmp_path / "stripes")
    datamodule = Folder(
        name="stripes", root=root, normal_dir="train", normal_test_dir="good", abnormal_dir="bad",
        train_batch_size=64, num_workers=1,
    )  # fmt: skip
    model = Pkdgan(**TINY, teacher_epochs=1, frozen_epochs=1, joint_epochs=1, min_schedule_steps=8, seed=0,
                   visualizer=False, keep_num_workers=True)  # fmt: skip
    engine = Engine(accelerator="cpu", logger=False, default_root_dir=tmp_path, enable_progress_bar=False)
    engine.fit(model, datamodule=datamodule)
    assert int(model.schedule_step) == plan_phases((1, 1, 1), batches_per_epoch=2, min_steps=8).total  # stretched
    assert datamodule.num_workers == 1
