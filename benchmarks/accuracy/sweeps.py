# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What the P-KDGAN sweeps share: their common options, ``--quick``, the benchmark's cached teacher and the cell loop.

``distill_weight_sweep.py``, ``distill_inputs_sweep.py`` and ``capacity_sweep.py`` train the ``pkdgan`` variant of
``one_class_benchmark.py`` with one setting changed, on the benchmark's split and with its cached teacher:
:func:`run_sweep` walks their cells, skips the finished ones and appends each new row at once.
"""

import argparse
import logging
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from lightning.pytorch import seed_everything

from anomalib_pkdgan import OneClassVision
from benchmarks.accuracy.one_class_benchmark import (
    DEFAULT_TEACHER_WEIGHTS,
    one_class_split,
    parse_list,
    run_class,
    teacher_cache_path,
    teacher_settings,
)
from benchmarks.common.cells import CellSchema
from benchmarks.common.paths import RESULTS, WORK


def sweep_parser(description: str, classes: str) -> argparse.ArgumentParser:
    """The options every sweep takes (data set, classes, seeds, epochs, paths, batch size, ``--quick``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dataset", default="mnist,fashion_mnist")
    parser.add_argument("--classes", default=classes)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--root", default=os.environ.get("PKDGAN_DATA", "/work/data"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument(
        "--max-train-images", type=train_images_cap, default=2000, help="the benchmark's (its teacher's); 'all'"
    )
    parser.add_argument("--max-test-images", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--teacher-weights",
        choices=("best_validation", "last"),
        default=DEFAULT_TEACHER_WEIGHTS,
        help="the cached teacher's: those of its best validation or its last (as Pkdgan's default does)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run on scikit-learn digits")
    return parser


def train_images_cap(text: str) -> int | None:
    """``--max-train-images``: a number of training images, or ``all`` (``None``, as the benchmark's default).

    Example:
        >>> train_images_cap("2000"), train_images_cap("all")
        (2000, None)
    """
    return None if text == "all" else int(text)


def pairs(kind: type) -> Callable[[str], list[tuple]]:
    """An argparse ``type`` for comma lists of ``a:b`` pairs, e.g. ``16:64,8:32``, refusing anything else by name."""

    def parse(text: str) -> list[tuple]:
        try:
            values = [tuple(kind(v) for v in item.split(":")) for item in text.split(",")]
        except ValueError:
            values = []
        if not values or any(len(pair) != 2 for pair in values):
            msg = f"expected a comma list of {kind.__name__}:{kind.__name__} pairs such as 16:64,8:32, got {text!r}"
            raise argparse.ArgumentTypeError(msg)
        return values

    return parse


def prepare(args: argparse.Namespace) -> None:
    """Apply ``--quick`` (one digits class, tiny budget), quieten Lightning, create ``--out``."""
    if args.quick:
        args.dataset, args.classes, args.seeds, args.epochs = "digits", "0", "0", 1
        args.max_train_images, args.max_test_images, args.batch_size = 48, 120, 16
        args.root = str(args.work / "data")
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("anomalib").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    args.out.mkdir(parents=True, exist_ok=True)


def ensure_teacher(args: argparse.Namespace, dataset: str, normal_class: int, seed: int) -> Path:
    """The benchmark's cached teacher of this cell with these settings, trained by the benchmark if it is missing."""
    path = teacher_cache_path(args.work, teacher_settings(args, dataset, normal_class, seed))
    if not path.exists():
        bench = argparse.Namespace(
            **{**vars(args), "out": args.work / "sweep_teachers", "keep_scores": False, "joint_epochs": args.epochs}
        )
        bench.out.mkdir(parents=True, exist_ok=True)
        run_class(bench, dataset, normal_class, seed, ["teacher"], _NoBar())
    return path


class SweepSplit(NamedTuple):
    """One split of a sweep: its cached teacher, its datamodule, and its validation and test images with labels."""

    teacher: Path
    datamodule: OneClassVision
    val_images: torch.Tensor
    val_labels: np.ndarray
    test_images: torch.Tensor
    test_labels: np.ndarray


def run_sweep(
    args: argparse.Namespace,
    schema: CellSchema,
    cells_of: Callable[[dict], list[dict]],
    measure: Callable[[dict, SweepSplit], dict],
    train_images: list[int | None] | None = None,
) -> None:
    """Train and measure every unfinished cell of a sweep, appending each row to ``schema``'s file as it comes.

    Args:
        args: The sweep's options (:func:`sweep_parser`, after :func:`prepare`).
        schema: The result file's cell schema; cells already in it are skipped.
        cells_of: The cells of one split, given the split's keys (data set, class, seed, epochs and, when
            ``train_images`` is given, the training-image cap).
        measure: Trains and scores one cell on its split and returns its row; called with the seed set.
        train_images: Training-image caps to loop over, each recorded in the split as ``train_images``
            (``None``: the teacher's ``--max-train-images``, not recorded).
    """
    done = schema.done(args.out)
    for dataset in args.dataset.split(","):
        for normal_class in parse_list(args.classes):
            for seed in parse_list(args.seeds):
                for images in train_images or [args.max_train_images]:
                    split = {"dataset": dataset, "normal_class": normal_class, "seed": seed, "epochs": args.epochs}
                    if train_images:
                        split["train_images"] = images
                    todo = [cell for cell in cells_of(split) if schema.key(cell) not in done]
                    if not todo:
                        continue
                    teacher = ensure_teacher(args, dataset, normal_class, seed)
                    datamodule, (val_images, val_labels), (test_images, test_labels) = one_class_split(
                        args, dataset, normal_class, seed, images or None
                    )
                    data = SweepSplit(teacher, datamodule, val_images, val_labels, test_images, test_labels)
                    for cell in todo:
                        seed_everything(seed, workers=True)
                        row = measure(cell, data)
                        schema.append(args.out, row)
                        print(row, flush=True)


class _NoBar:
    def set_description(self, _: str) -> None: ...

    def update(self, _: int) -> None: ...
