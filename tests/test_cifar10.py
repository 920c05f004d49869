# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""CIFAR-10, the paper's third data set, from torchvision's layout: read, refused when broken, trained by its config.

CIFAR-10 cannot be downloaded here, so the tests write a few images in its own format (pickled batches of ``N x 3072``
uint8 rows, the red, green and blue planes of each 32x32 image, under ``cifar-10-batches-py``).
"""

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from anomalib_pkdgan.data import OneClassVision
from anomalib_pkdgan.data.cifar10 import FOLDER, TEST_FILES, TRAIN_FILES, read_cifar10

CONFIG = Path(__file__).parents[1] / "configs" / "cifar10.yaml"
ANOMALIB = str(Path(sys.executable).parent / "anomalib")


def write_cifar10(root: Path, per_class: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    """Write CIFAR-10-format batches (class ``c``: a flat colour plus noise); return the rows written."""
    rng = np.random.default_rng(seed)
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    colours = rng.integers(0, 256, size=(10, 3))
    written = {}
    for name in (*TRAIN_FILES, *TEST_FILES):
        labels = np.repeat(np.arange(10), per_class)
        planes = colours[labels][:, :, None] + rng.integers(-20, 21, size=(len(labels), 3, 1024))
        data = planes.clip(0, 255).astype(np.uint8).reshape(len(labels), 3072)
        with (folder / name).open("wb") as handle:
            pickle.dump({"data": data, "labels": labels.tolist(), "batch_label": name}, handle)
        written[name] = data
    return written


def test_reads_the_batches_with_their_colour_planes(tmp_path):
    written = write_cifar10(tmp_path)
    images, targets = read_cifar10(tmp_path, train=True)
    assert images.shape == (5 * 20, 3, 32, 32)
    assert images.dtype == torch.uint8
    assert targets.tolist() == [c for _ in TRAIN_FILES for c in np.repeat(np.arange(10), 2)]
    first = written["data_batch_1"][0]
    assert torch.equal(images[0, 0].flatten(), torch.from_numpy(first[:1024]))  # red plane first
    assert torch.equal(images[0, 2].flatten(), torch.from_numpy(first[2048:]))
    test_images, _ = read_cifar10(tmp_path, train=False)
    assert len(test_images) == 20


def test_a_missing_batch_is_named(tmp_path):
    write_cifar10(tmp_path)
    (tmp_path / FOLDER / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match=r"data_batch_3 is missing.*download=True"):
        read_cifar10(tmp_path, train=True)


def test_a_file_that_is_not_a_batch_is_refused(tmp_path):
    write_cifar10(tmp_path)
    with (tmp_path / FOLDER / "test_batch").open("wb") as handle:
        pickle.dump({"data": np.zeros((4, 100), dtype=np.uint8), "labels": [0, 1, 2, 3]}, handle)
    with pytest.raises(ValueError, match="not N x 3072"):
        read_cifar10(tmp_path, train=False)


def test_one_class_split_is_colour(tmp_path):
    write_cifar10(tmp_path, per_class=4)
    datamodule = OneClassVision(root=tmp_path, dataset="cifar10", normal_class=3, train_batch_size=8)
    datamodule.setup()
    batch = next(iter(datamodule.train_dataloader()))
    assert batch.image.shape[1:] == (3, 32, 32)
    assert not torch.allclose(batch.image[:, 0], batch.image[:, 1])  # colour, not grey repeated
    assert datamodule.test_data.has_anomalous


@pytest.mark.slow
def test_the_cifar10_config_trains_on_cifar10_files(tmp_path):
    write_cifar10(tmp_path / "datasets", per_class=6)
    result = subprocess.run(
        [
            ANOMALIB, "train", "--config", str(CONFIG), "--data.root", str(tmp_path / "datasets"),
            "--model.teacher_features", "8", "--model.teacher_latent", "16",
            "--model.teacher_epochs", "1", "--model.frozen_epochs", "1", "--model.joint_epochs", "1",
            "--model.min_schedule_steps", "0", "--data.train_batch_size", "8",
            "--trainer.accelerator", "cpu", "--default_root_dir", str(tmp_path / "results"),
        ],
        capture_output=True, text=True, cwd=tmp_path, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "image_AUROC" in result.stdout + result.stderr
    assert next((tmp_path / "results").rglob("*.ckpt")).is_file()
