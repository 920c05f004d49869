# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Shared fixtures: tiny models and tiny data, so the suite runs in minutes on 2 CPU cores."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from anomalib.data import Folder
from PIL import Image

from anomalib_pkdgan import OneClassVision, Pkdgan

os.environ.setdefault("OMP_NUM_THREADS", "2")

REPO = Path(__file__).parents[1]

TINY = {
    "input_size": (32, 32),
    "num_input_channels": 1,  # given, as input_size: the tests' colour noise is converted to grey unless they say so
    "teacher_features": 8,
    "teacher_latent": 16,
    "student_features": 2,
    "student_latent": 4,
}


def tiny_model(**kwargs: object) -> Pkdgan:
    """A P-KDGAN small enough to train in seconds; keyword arguments override."""
    args = {
        **TINY,
        "teacher_epochs": 1,
        "frozen_epochs": 1,
        "joint_epochs": 1,
        "min_schedule_steps": 0,  # epochs alone: tests count phases in epochs of the tiny data
        "visualizer": False,
    }
    args.update(kwargs)
    return Pkdgan(**args)


@pytest.fixture(scope="session")
def make_model():
    """Factory of tiny models (see :func:`tiny_model`)."""
    return tiny_model


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data root for the session: the digits PNG export is written once."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def digits(data_root: Path) -> OneClassVision:
    """Digits one-class datamodule (digit 0 normal), cut down to a few batches."""
    return OneClassVision(
        root=data_root,
        dataset="digits",
        normal_class=0,
        train_batch_size=16,
        eval_batch_size=64,
        max_train_images=48,
        max_test_images=96,
    )


def write_noise_folder(
    root: Path, rng: np.random.Generator, count: int, size: tuple[int, int], bright: tuple[slice, slice] | None
) -> None:
    """Write ``count`` dark-noise RGB PNGs of ``size`` (height, width) into ``root``; ``bright`` (rows, columns) is
    painted white in each, for anomalous images."""
    root.mkdir(parents=True)
    for index in range(count):
        image = rng.integers(0, 60, size=(*size, 3), dtype=np.uint8)
        if bright is not None:
            image[bright] = 255
        Image.fromarray(image).save(root / f"{index:03d}.png")


@dataclass(frozen=True)
class NoiseDataset:
    """A data set in Anomalib's folder layout under ``root``: ``good`` (normal training images), ``good_test``
    (normal test images) and ``bad`` (the same noise with a bright patch), written by :meth:`write`."""

    root: Path

    def write(
        self,
        size: tuple[int, int],
        bright: tuple[slice, slice],
        counts: tuple[int, int, int] = (16, 8, 8),
        seed: int = 0,
    ) -> "NoiseDataset":
        """Write ``counts`` images of ``size`` into good, good_test and bad, from one generator of ``seed``."""
        rng = np.random.default_rng(seed)
        for folder, count, patch in zip(("good", "good_test", "bad"), counts, (None, None, bright), strict=True):
            write_noise_folder(self.root / folder, rng, count, size, patch)
        return self

    def datamodule(self, train_batch_size: int = 8, eval_batch_size: int = 8) -> Folder:
        """Anomalib's ``Folder`` on these images (validation takes half of the test images), loading in-process."""
        return Folder(
            name=self.root.name, root=self.root, normal_dir="good", normal_test_dir="good_test", abnormal_dir="bad",
            train_batch_size=train_batch_size, eval_batch_size=eval_batch_size, num_workers=0,
        )  # fmt: skip


@pytest.fixture(scope="session")
def noise_dataset():
    """:class:`NoiseDataset`: ``noise_dataset(root).write(size, bright)``, then ``.datamodule()``."""
    return NoiseDataset


@pytest.fixture
def bright_squares(tmp_path: Path) -> Folder:
    """A 16x16 ``Folder``: dark noise images are normal, the same with a bright square anomalous; its validation
    set (taken from the test split) holds both labels."""
    datamodule = NoiseDataset(tmp_path / "bright_squares").write((16, 16), (slice(4, 12), slice(4, 12))).datamodule()
    datamodule.setup()
    labels = torch.cat([torch.as_tensor(batch.gt_label).view(-1) for batch in datamodule.val_dataloader()])
    assert set(labels.int().tolist()) == {0, 1}, "the validation set must hold both labels for these tests"
    return datamodule


def _numpy(value: object) -> np.ndarray:
    """An inferencer's output (a tensor or an array) as a numpy array."""
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def predict_each(inferencer: object, paths: list[str], map_shape: tuple[int, int]) -> tuple[list, list, np.ndarray]:
    """Run an Anomalib inferencer on each image path: its scores, labels and ``map_shape`` anomaly maps."""
    scores, labels, maps = [], [], []
    for path in paths:
        result = inferencer.predict(path)
        scores.append(float(_numpy(result.pred_score).reshape(-1)[0]))
        labels.append(bool(_numpy(result.pred_label).reshape(-1)[0]))
        maps.append(_numpy(result.anomaly_map).reshape(map_shape))
    return scores, labels, np.stack(maps)


@pytest.fixture(scope="session")
def inferencer_outputs():
    """:func:`predict_each`: an inferencer's scores, labels and maps, image by image."""
    return predict_each


SEPARATOR = "=== the resumed run ==="
# ``python -m MODULE ARGS`` twice in one Python, the second run resuming the first: argv[1] is the module, argv[2]
# a file the first run writes, copied to FILE.first before the second run, and the rest the module's arguments.
# Each run executes the module afresh (runpy); the benchmarks keep no state between runs but their files.
RUN_TWICE = f"""
import runpy, shutil, sys
module, kept, args = sys.argv[1], sys.argv[2], sys.argv[3:]
for run in range(2):
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    if run == 0:
        shutil.copy(kept, kept + ".first")
        print({SEPARATOR!r}, flush=True)
"""


def run_module_twice(module: str, args: list[str], kept: Path, timeout: float = 1800) -> tuple[str, str]:
    """Run ``python -m module *args`` from the repository, then again as a resumed run, in one fresh process.

    One start-up (Python, torch and Anomalib imported once) serves both runs. ``kept`` is a file the first run
    writes: it is copied to ``kept.first`` (same folder, ``.first`` appended) before the second run starts.

    Returns:
        The standard output of the first and of the second run.
    """
    command = [sys.executable, "-c", RUN_TWICE, module, str(kept), *args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    first, second = result.stdout.split(f"{SEPARATOR}\n")
    return first, second


@pytest.fixture(scope="session")
def run_twice():
    """Runner of a module and its resumption in one process (see :func:`run_module_twice`)."""
    return run_module_twice


ANOMALIB = str(Path(sys.executable).parent / "anomalib")
# scripts/demo.sh's command shrunk to a few batches: one epoch per phase of 48 training and 48 test images.
DEMO_TRAIN = [
    ANOMALIB, "train", "--config", str(REPO / "configs" / "demo_digits.yaml"),
    "--model.teacher_epochs", "1", "--model.frozen_epochs", "1", "--model.joint_epochs", "1",
    "--model.min_schedule_steps", "0", "--model.visualizer", "false",
    "--data.max_train_images", "48", "--data.max_test_images", "48", "--trainer.max_epochs", "3",
]  # fmt: skip
DEMO_CHECKPOINT = "results/Pkdgan/OneClassVision/digits_0/latest/weights/lightning/model.ckpt"  # as the README says


@dataclass(frozen=True)
class DemoRun:
    """The shrunk demo run of :func:`demo_run`.

    Attributes:
        root: Its working directory: ``results/`` (the run, where ``scripts/demo.sh`` leaves it) and ``export/``.
        train: The ``anomalib train`` command's outcome.
        export: The ``anomalib export`` command's outcome.
        checkpoint: The trained model's checkpoint.
    """

    root: Path
    train: subprocess.CompletedProcess
    export: subprocess.CompletedProcess
    checkpoint: Path


def cli_environment() -> dict[str, str]:
    """This environment for a command run elsewhere: ``PYTHONPATH`` entries made absolute, warnings ignored."""
    python_path = [os.path.abspath(entry) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(python_path), "PYTHONWARNINGS": "ignore"}


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> DemoRun:
    """``scripts/demo.sh``'s run through Anomalib's CLI, shrunk, then the README's OpenVINO export of it.

    The networks are ``configs/demo_digits.yaml``'s, so the README's ``anomalib predict --model.*`` arguments
    must match them. ``tests/test_cli.py`` checks both commands; the README's deploy blocks start from them.
    """
    root = tmp_path_factory.mktemp("demo")
    env = cli_environment()
    train = subprocess.run(
        [*DEMO_TRAIN, "--data.root", str(data_root)],
        cwd=root, capture_output=True, text=True, env=env, timeout=900, check=False,
    )  # fmt: skip
    export = subprocess.run(
        [ANOMALIB, "export", "--model", "PKDGAN", "--export_type", "openvino", "--ckpt_path", DEMO_CHECKPOINT,
         "--export_root", "./export"],
        cwd=root, capture_output=True, text=True, env=env, timeout=900, check=False,
    )  # fmt: skip
    return DemoRun(root, train, export, root / DEMO_CHECKPOINT)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
