# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What a user with a folder of ~100 normal images gets: P-KDGAN at its defaults through Anomalib's ``Folder``.

For each data set, normal class, training-set size and seed, writes an image folder (PNG, as a user has):
``train/good`` (N training images of the normal class), ``val/good`` and ``val/bad`` (held-out training images of
the normal and of the other classes) and a test set from the official test split. Anomalib's ``Folder`` gets the
training and validation folders only (its validation and test splits both come from ``val/``), so thresholds and
``score_type="auto"`` see validation data only; the test AUROC is computed here on the test folder, never used
to choose anything. Rows vary ``min_schedule_steps`` (0: phases counted in epochs alone) and
the batch size; ``knn_pixels`` and ``pca_pixels`` rows give raw-pixel baselines on the same split. Every finished
cell is appended to ``small_data.csv`` at once (columns: ``cells.SMALL_DATA``) and skipped when run again.

    python -m benchmarks.accuracy.small_data --dataset mnist,fashion_mnist --classes 3,0 --min-steps 0,1000,2000,4000
    python -m benchmarks.accuracy.small_data --quick --out /tmp/quick   # seconds, scikit-learn digits (smoke test)
"""

import argparse
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from anomalib.data import Folder
from anomalib.engine import Engine
from lightning.pytorch import seed_everything
from PIL import Image
from sklearn.metrics import roc_auc_score

from anomalib_pkdgan import Pkdgan, ScoreType
from anomalib_pkdgan.data.one_class import load_split
from benchmarks.common.baselines import BASELINES, fit_on_validation
from benchmarks.common.cells import SMALL_DATA
from benchmarks.common.paths import RESULTS, WORK


def write_folder(folder: Path, dataset: str, root: str, normal_class: int, train_images: int, seed: int,
                 val_per_label: int, test_per_label: int) -> Path:  # fmt: skip
    """Write the PNG folders of one cell once (``train/good``, ``val/{good,bad}``, ``test/{good,bad}``)."""
    if (folder / "done").exists():
        return folder
    rng = np.random.default_rng(seed)
    train, test = load_split(dataset, root, train=True), load_split(dataset, root, train=False)
    normal = rng.permutation(np.flatnonzero(train.targets.numpy() == normal_class))
    other = rng.permutation(np.flatnonzero(train.targets.numpy() != normal_class))
    test_normal = rng.permutation(np.flatnonzero(test.targets.numpy() == normal_class))[:test_per_label]
    test_other = rng.permutation(np.flatnonzero(test.targets.numpy() != normal_class))[:test_per_label]
    parts = {
        "train/good": (train, normal[:train_images]),
        "val/good": (train, normal[train_images : train_images + val_per_label]),
        "val/bad": (train, other[:val_per_label]),
        "test/good": (test, test_normal),
        "test/bad": (test, test_other),
    }
    for name, (split, indices) in parts.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        for index in indices:
            image = split.images[index].numpy().transpose(1, 2, 0).squeeze(-1)
            Image.fromarray(image).save(folder / name / f"{index:05d}.png")
    (folder / "done").touch()
    return folder


def read_folder(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, H, W)`` float in ``[0, 1]`` and labels (1 = anomalous) of ``folder/good`` + ``folder/bad``."""
    images, labels = [], []
    for label, name in enumerate(("good", "bad")):
        for path in sorted((folder / name).glob("*.png")):
            images.append(np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255)
            labels.append(label)
    return np.stack(images), np.asarray(labels)


def gan_aurocs(model: Pkdgan, images: np.ndarray, labels: np.ndarray) -> dict[ScoreType, float]:
    """Test AUROC of each of the student's scores on raw images, pre-processed as in training."""
    model.eval()
    batch = torch.from_numpy(images)[:, None].expand(-1, 3, -1, -1)
    scores: dict[ScoreType, list[torch.Tensor]] = {score_type: [] for score_type in ScoreType}
    with torch.no_grad():
        for chunk in batch.split(256):
            chunk_scores, _ = model.model.scores(model.pre_processor.transform(chunk))
            for score_type, values in chunk_scores.items():
                scores[score_type].append(values)
    return {score_type: roc_auc_score(labels, torch.cat(values).numpy()) for score_type, values in scores.items()}


SMALL_DATA_PCA_COMPONENTS = (2, 4, 8, 16, 32)
"""Components tried by ``pca_pixels`` on 100-image folders (fewer than :data:`baselines.PCA_COMPONENTS`' smallest)."""


def baseline_rows(folder: Path) -> dict[str, tuple[float, float]]:
    """Validation and test AUROC of the raw-pixel baselines (``common/baselines.py``, settings chosen on validation)."""
    train = np.stack(
        [np.asarray(Image.open(p).convert("L"), np.float32) / 255 for p in (folder / "train/good").glob("*")]
    )
    val_x, val_y = read_folder(folder / "val")
    test_x, test_y = read_folder(folder / "test")
    results = {}
    for name in BASELINES:
        model, val_auroc = fit_on_validation(name, train, val_x, val_y, components=SMALL_DATA_PCA_COMPONENTS)
        results[name] = (val_auroc, roc_auc_score(test_y, model.scores(test_x)))
    return results


def append(folder: Path, row: dict) -> None:
    """Append one finished cell to ``small_data.csv``: AUROCs and seconds to four decimals, absent columns empty."""
    SMALL_DATA.append(
        folder, {name: f"{v:.4f}" if isinstance(v := row.get(name, ""), float) else v for name in SMALL_DATA.columns}
    )


def run_pkdgan(folder: Path, cell: dict, args: argparse.Namespace) -> dict:
    """Train P-KDGAN at its defaults (but ``min_schedule_steps`` and the batch size) through ``Folder``."""
    seed_everything(cell["seed"], workers=True)
    datamodule = Folder(
        name=folder.name,
        root=folder,
        normal_dir="train/good",
        normal_test_dir="val/good",
        abnormal_dir="val/bad",
        train_batch_size=cell["batch_size"],
        eval_batch_size=64,
        num_workers=args.num_workers,
    )
    model = Pkdgan(min_schedule_steps=cell["min_schedule_steps"], visualizer=False, **args.model_args)
    engine = Engine(accelerator="cpu", logger=False, default_root_dir=args.work / "runs" / folder.name,
                    enable_progress_bar=False)  # fmt: skip
    start = time.perf_counter()
    engine.fit(model, datamodule=datamodule)
    seconds = time.perf_counter() - start
    val = gan_aurocs(model, *read_folder(folder / "val"))
    test = gan_aurocs(model, *read_folder(folder / "test"))
    chosen = model.model.score_type
    return {
        "batches": model.schedule.plan.total,
        "epochs": engine.trainer.current_epoch,
        "train_seconds": seconds,
        "score_type": chosen.value,
        "val_auroc": val[chosen],
        "test_auroc": test[chosen],
        "test_auroc_latent": test[ScoreType.LATENT],
        "test_auroc_reconstruction": test[ScoreType.RECONSTRUCTION],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist,fashion_mnist")
    parser.add_argument("--classes", default="3")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--train-images", default="100")
    parser.add_argument("--min-steps", default="0,1000,2000")
    parser.add_argument("--batch-sizes", default="32", help="Folder's default train_batch_size is 32")
    parser.add_argument("--val-per-label", type=int, default=50)
    parser.add_argument("--test-per-label", type=int, default=1000)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--root", default=os.environ.get("PKDGAN_DATA", "/work/data"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--quick", action="store_true", help="tiny networks on scikit-learn digits")
    args = parser.parse_args()
    args.model_args = {}
    if args.quick:
        args.dataset, args.classes, args.train_images, args.min_steps = "digits", "0", "40", "0,30"
        args.val_per_label, args.test_per_label, args.root = 10, 30, str(args.work / "data")
        args.model_args = {"teacher_features": 8, "teacher_latent": 16, "student_features": 2, "student_latent": 4,
                           "teacher_epochs": 1, "frozen_epochs": 1, "joint_epochs": 1}  # fmt: skip
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("anomalib").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    args.out.mkdir(parents=True, exist_ok=True)
    done = SMALL_DATA.done(args.out)
    for dataset in args.dataset.split(","):
        for normal_class in map(int, args.classes.split(",")):
            for train_images in map(int, args.train_images.split(",")):
                for seed in map(int, args.seeds.split(",")):
                    name = f"{dataset}_c{normal_class}_n{train_images}_s{seed}"
                    folder = write_folder(args.work / "small_data" / name, dataset, args.root, normal_class,
                                          train_images, seed, args.val_per_label, args.test_per_label)  # fmt: skip
                    base = {"dataset": dataset, "normal_class": normal_class, "train_images": train_images,
                            "seed": seed}  # fmt: skip
                    for model, (val_auroc, test_auroc) in baseline_rows(folder).items():
                        row = {**base, "model": model, "min_schedule_steps": "", "batch_size": ""}
                        if SMALL_DATA.key(row) not in done:
                            append(args.out, {**row, "val_auroc": val_auroc, "test_auroc": test_auroc})
                    for batch_size in map(int, args.batch_sizes.split(",")):
                        for min_steps in map(int, args.min_steps.split(",")):
                            cell = {**base, "model": "pkdgan", "min_schedule_steps": min_steps,
                                    "batch_size": batch_size}  # fmt: skip
                            if SMALL_DATA.key(cell) in done:
                                continue
                            row = {**cell, **run_pkdgan(folder, cell, args)}
                            append(args.out, row)
                            shown = ("dataset", "normal_class", "min_schedule_steps", "batches", "test_auroc")
                            print({k: row[k] for k in shown}, flush=True)


if __name__ == "__main__":
    main()
