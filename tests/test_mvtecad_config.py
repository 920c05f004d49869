# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""``configs/mvtecad.yaml`` as the README gives it, on an MVTec AD-format category the test writes.

MVTec AD itself cannot be downloaded here, so ``benchmarks/defects/data.py`` writes a small category in its layout
(``train/good``, ``test/good``, ``test/<defect>``, ``ground_truth/<defect>/*_mask.png``); Anomalib's ``MVTecAD``
datamodule reads it through ``--data.root`` and ``--data.category``. Only the networks and the schedule are shrunk;
the config's pre-processor and tiler are kept.
"""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).parents[1]
ANOMALIB = str(Path(sys.executable).parent / "anomalib")
SHRUNK = {
    "model.teacher_features": "8", "model.teacher_latent": "16", "model.student_features": "2",
    "model.student_latent": "4", "model.input_size": "[64, 64]", "model.teacher_epochs": "1",
    "model.frozen_epochs": "1", "model.joint_epochs": "1", "model.min_schedule_steps": "6",
    "data.num_workers": "0", "data.train_batch_size": "8", "data.eval_batch_size": "8", "trainer.accelerator": "cpu",
}  # fmt: skip


@pytest.fixture
def category(monkeypatch, tmp_path) -> Path:
    """A small RGB MVTec AD-format category (16 training images, 4 normal and 10 defective test images)."""
    monkeypatch.syspath_prepend(str(REPO))
    data = importlib.import_module("benchmarks.defects.data")
    settings = data.Settings("ihc", 64, train=16, test_good=4, per_defect=2, defects=tuple(data.DEFECTS), seed=0)
    return data.write_dataset(tmp_path / "MVTecAD", settings)


@pytest.mark.slow
def test_mvtecad_config_trains_and_tests_with_pixel_metrics(category, tmp_path):
    command = [ANOMALIB, "train", "--config", "configs/mvtecad.yaml",
               "--data.root", str(category.parent), "--data.category", category.name,
               "--default_root_dir", str(tmp_path / "results")]  # fmt: skip
    command += [part for name, value in SHRUNK.items() for part in (f"--{name}", value)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}  # tiny networks: one thread is fastest
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    metrics = dict(re.findall(r"(image_AUROC|pixel_AUROC|pixel_PRO)\s*│\s*([0-9.]+)", output))
    assert set(metrics) == {"image_AUROC", "pixel_AUROC", "pixel_PRO"}, output[-3000:]
    assert all(0.0 <= float(value) <= 1.0 for value in metrics.values())
    checkpoint = torch.load(next((tmp_path / "results").rglob("model.ckpt")), map_location="cpu", weights_only=False)
    # the config's tiler cut the 256 px images its pre-processor made into 64 px tiles (16 an image)
    assert checkpoint["pkdgan_tiling"] == {"tile_size": [64, 64], "stride": [64, 64], "image_size": [256, 256]}
