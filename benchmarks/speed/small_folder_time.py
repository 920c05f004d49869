# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Where the time of a new user's run on a folder of 100 images goes: P-KDGAN at its defaults through ``Folder``.

Writes a one-class folder of noisy stripes (``train``: normal training images; ``good``/``bad``: normal and
anomalous test images with a flat patch) at ``--size`` px, then runs what a new user runs: ``Folder`` at its
defaults but the batch size (``num_workers`` as ``--workers`` gives it: ``default`` is Folder's own),
``Pkdgan`` at its defaults but ``min_schedule_steps`` (and ``keep_num_workers``, the setting before P-KDGAN loaded
small data in the main process), ``Engine()`` with no limits, ``fit`` then ``test``. A callback splits the fit's
wall time into the training steps, each epoch's start (from the epoch's start to its first batch: the loader's
iterator, with its worker processes, and the first batch), the loading between batches, the validations, and the
rest (Lightning's epoch ends, checkpoints, start-up); the test's wall time is split into the visualiser's and the
rest. Each row records the 1-minute load average before and after it (the CPU may be shared), and is appended to
``small_folder_time.csv`` at once; rows already there are skipped. Compare rows measured back to back.

    python -m benchmarks.speed.small_folder_time --min-steps 400 --workers 0,default --keep-workers false,true
    python -m benchmarks.speed.small_folder_time --min-steps 2000 --workers default --keep-workers false --size 32,64
"""

import argparse
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np
from anomalib.data import Folder
from anomalib.engine import Engine
from lightning.pytorch import Callback, LightningModule, Trainer
from PIL import Image

from anomalib_pkdgan import Pkdgan
from benchmarks.common.cells import CellSchema
from benchmarks.common.paths import RESULTS, WORK

SMALL_FOLDER_TIME = CellSchema(
    file="small_folder_time.csv",
    columns=(
        "size", "train_images", "batch_size", "workers", "keep_num_workers", "min_schedule_steps", "repeat",
        "workers_used", "epochs", "batches", "validations", "fit_seconds", "step_seconds", "epoch_start_seconds",
        "fetch_seconds", "validation_seconds", "other_seconds", "test_images", "test_seconds", "visualizer_seconds",
        "test_auroc", "load_before", "load_after",
    ),
    key_columns=(
        ("size", int), ("train_images", int), ("batch_size", int), ("workers", str), ("keep_num_workers", str),
        ("min_schedule_steps", int), ("repeat", int),
    ),
)  # fmt: skip
"""One fit and test of P-KDGAN at its defaults on one folder, with one loader setting."""


def write_folder(root: Path, size: int, train: int, test_per_label: int, seed: int = 0) -> Path:
    """Write ``train/``, ``good/`` and ``bad/`` once: RGB PNGs of noisy stripes, the bad ones with a flat patch."""
    if (root / "done").exists():
        return root
    rng = np.random.default_rng(seed)
    columns = np.mgrid[0:size, 0:size][1]
    patch = size // 4

    def normal() -> np.ndarray:
        frequency, phase = rng.uniform(0.25, 0.35) * 32 / size, rng.uniform(0, 2 * np.pi)
        return 128 + 60 * np.sin(frequency * columns + phase) + rng.normal(0, 8, (size, size))

    def anomalous() -> np.ndarray:
        image = normal()
        top, left = rng.integers(patch // 2, size - patch - patch // 2, size=2)
        image[top : top + patch, left : left + patch] = rng.uniform(0, 255)
        return image

    for name, count, make in (("train", train, normal), ("good", test_per_label, normal), ("bad", test_per_label,
                                                                                             anomalous)):  # fmt: skip
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            Image.fromarray(make().clip(0, 255).astype(np.uint8)).convert("RGB").save(root / name / f"{index:03d}.png")
    (root / "done").touch()
    return root


class PhaseClock(Callback):
    """Wall time of the fit by part: training steps, epoch starts, loading between batches, validations."""

    def __init__(self) -> None:
        self.step = self.epoch_start = self.fetch = self.validation = 0.0
        self.validations = self.batches = self.epochs = 0
        self._epoch_started: float | None = None
        self._last_end = self._batch_start = self._validation_start = 0.0

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        del trainer, pl_module
        self._epoch_started = time.perf_counter()
        self.epochs += 1

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: object, idx: int) -> None:
        del trainer, pl_module, batch, idx
        now = time.perf_counter()
        if self._epoch_started is not None:
            self.epoch_start += now - self._epoch_started
            self._epoch_started = None
        else:
            self.fetch += now - self._last_end
        self._batch_start = now

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: object) -> None:
        del trainer, pl_module, args
        self._last_end = time.perf_counter()
        self.step += self._last_end - self._batch_start
        self.batches += 1

    def on_validation_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        del trainer, pl_module
        self._validation_start = time.perf_counter()

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        del trainer, pl_module
        self.validation += time.perf_counter() - self._validation_start
        self.validations += 1


def timed_visualizer(model: Pkdgan) -> list[float]:
    """Time the model's visualiser on every test batch (its ``on_test_batch_end`` writes the images)."""
    spent: list[float] = []
    visualizer = model.visualizer
    if visualizer is None:
        return spent
    original = visualizer.on_test_batch_end

    def timed(*args: object, **kwargs: object) -> None:
        start = time.perf_counter()
        original(*args, **kwargs)
        spent.append(time.perf_counter() - start)

    visualizer.on_test_batch_end = timed  # type: ignore[method-assign]
    return spent


def measure(folder: Path, cell: dict, work: Path) -> dict:
    """Fit and test once; return the row."""
    load_before = os.getloadavg()[0]
    workers = {} if cell["workers"] == "default" else {"num_workers": int(cell["workers"])}
    datamodule = Folder(
        name="stripes", root=folder, normal_dir="train", normal_test_dir="good", abnormal_dir="bad",
        train_batch_size=cell["batch_size"], **workers,
    )  # fmt: skip
    model = Pkdgan(
        input_size=(cell["size"], cell["size"]), min_schedule_steps=cell["min_schedule_steps"], seed=cell["repeat"],
        keep_num_workers=cell["keep_num_workers"] == "true",
    )  # fmt: skip
    clock = PhaseClock()
    run = work / "runs" / "_".join(str(v) for v in SMALL_FOLDER_TIME.key(cell))
    engine = Engine(default_root_dir=run, callbacks=[clock])
    start = time.perf_counter()
    engine.fit(model, datamodule=datamodule)
    fit_seconds = time.perf_counter() - start
    workers_used = datamodule.num_workers
    spent = timed_visualizer(model)
    start = time.perf_counter()
    metrics = engine.test(model, datamodule=datamodule, verbose=False)[0]
    test_seconds = time.perf_counter() - start
    accounted = clock.step + clock.epoch_start + clock.fetch + clock.validation
    return {
        **cell,
        "workers_used": workers_used,
        "epochs": clock.epochs,
        "batches": clock.batches,
        "validations": clock.validations,
        "fit_seconds": round(fit_seconds, 1),
        "step_seconds": round(clock.step, 1),
        "epoch_start_seconds": round(clock.epoch_start, 1),
        "fetch_seconds": round(clock.fetch, 1),
        "validation_seconds": round(clock.validation, 1),
        "other_seconds": round(fit_seconds - accounted, 1),
        "test_images": len(datamodule.test_data),
        "test_seconds": round(test_seconds, 2),
        "visualizer_seconds": round(sum(spent), 2),
        "test_auroc": round(metrics["image_AUROC"], 4),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="32", help="image sizes in px, comma-separated")
    parser.add_argument("--train", type=int, default=100, help="normal training images")
    parser.add_argument("--test", type=int, default=40, help="test images per label")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", default="default", help="Folder num_workers, comma-separated ('default': 8)")
    parser.add_argument("--keep-workers", default="false", help="keep_num_workers values, comma-separated")
    parser.add_argument("--min-steps", type=int, default=2000, help="min_schedule_steps (2000: the default)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=WORK / "small_folder_time")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Measure every cell not yet in ``small_folder_time.csv``, interleaving the loader settings of a repeat."""
    args = parse_args(argv)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    args.out.mkdir(parents=True, exist_ok=True)
    done = SMALL_FOLDER_TIME.done(args.out)
    for size in map(int, args.size.split(",")):
        folder = write_folder(args.work / f"stripes_{size}_{args.train}", size, args.train, args.test)
        for repeat in range(args.repeats):
            for workers in args.workers.split(","):
                for keep in args.keep_workers.split(","):
                    if keep == "true" and workers == "0":
                        continue  # no workers to keep
                    cell = {"size": size, "train_images": args.train, "batch_size": args.batch_size,
                            "workers": workers, "keep_num_workers": keep, "min_schedule_steps": args.min_steps,
                            "repeat": repeat}  # fmt: skip
                    if SMALL_FOLDER_TIME.key(cell) in done:
                        continue
                    row = measure(folder, cell, args.work)
                    SMALL_FOLDER_TIME.append(args.out, row)
                    print(row, flush=True)


if __name__ == "__main__":
    main()
