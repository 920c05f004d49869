# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The schema of every per-cell result file: its name, its columns, and the columns that name a cell.

Each script that appends one row per finished cell (``one_class_benchmark.py``, ``distill_weight_sweep.py``,
``capacity_sweep.py``, ``small_data.py``) both decides which cells are done (to resume) and writes its rows through one
:class:`CellSchema` defined here, so the two can never disagree about what a cell is. Only the standard
library is used, so the report can share it cheaply.

Example:
    >>> DISTILL.key({"dataset": "mnist", "normal_class": "0", "seed": "0", "epochs": "3",
    ...              "w_distill_latent": "0.1", "w_distill_reconstruction": "50.0", "w_distill_hint": "0"})
    ('mnist', 0, 0, 3, 0.1, 50.0, 0.0)
"""

import csv
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CellSchema:
    """A result CSV: ``file`` in the output folder, its ``columns`` in order, and the columns naming a cell.

    ``key_columns`` lists ``(column, type)`` pairs: the settings that make two rows the same cell, converted by
    their type so that a row read back from the CSV (all strings) and a row about to be written (numbers) give
    the same key.
    """

    file: str
    columns: tuple[str, ...]
    key_columns: tuple[tuple[str, Callable[[str], object]], ...]

    def __post_init__(self) -> None:
        missing = [name for name, _ in self.key_columns if name not in self.columns]
        if missing:
            msg = f"{self.file}: key columns {missing} are not among its columns {list(self.columns)}"
            raise ValueError(msg)

    def key(self, row: Mapping) -> tuple:
        """The cell a row (read from the CSV, or about to be written) belongs to."""
        return tuple(kind(row[name]) for name, kind in self.key_columns)

    def done(self, folder: Path) -> set[tuple]:
        """The key of every row already in ``folder``'s file (none if it does not exist yet).

        A file written before columns were added at the end of :attr:`columns` has them empty, as :meth:`extend`
        would write them.
        """
        path = folder / self.file
        if not path.exists():
            return set()
        empty = dict.fromkeys(self.columns, "")
        with path.open() as handle:
            return {self.key({**empty, **row}) for row in csv.DictReader(handle)}

    def append(self, folder: Path, row: Mapping) -> None:
        """Append one finished cell (its columns) to ``folder``'s file, header first, flushed to disk at once.

        A file written before columns were added at the end of :attr:`columns` is first rewritten with them (empty in
        its rows, see :meth:`extend`); a file written with other columns is refused rather than extended with
        misaligned rows.
        """
        path = folder / self.file
        if path.exists():
            with path.open() as handle:
                header = next(csv.reader(handle), None)
            if header is not None and tuple(header) != self.columns:
                if tuple(header) != self.columns[: len(header)]:
                    msg = f"{path} has the columns {header}, not {list(self.columns)}: migrate it or use another --out"
                    raise ValueError(msg)
                self.extend(path)
        new = not path.exists() or path.stat().st_size == 0
        with path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns)
            if new:
                writer.writeheader()
            writer.writerow({name: row[name] for name in self.columns})
            handle.flush()
            os.fsync(handle.fileno())

    def extend(self, path: Path) -> None:
        """Rewrite ``path``, whose header is the first of :attr:`columns`, with every column (new ones empty)."""
        with path.open() as handle:
            self.rewrite(path, list(csv.DictReader(handle)))

    def rewrite(self, path: Path, rows: list[Mapping]) -> None:
        """Write ``rows`` (:attr:`columns`, missing ones empty) as the whole of ``path``.

        The rows go to a file beside it, renamed into place, so an interruption leaves the old file whole.
        """
        partial = path.with_name(f".{path.name}.partial")
        with partial.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns, restval="")
            writer.writeheader()
            writer.writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)


ONECLASS = CellSchema(
    file="oneclass.csv",
    columns=("dataset", "normal_class", "variant", "seed", "auroc", "epochs", "train_seconds"),
    key_columns=(("dataset", str), ("normal_class", int), ("variant", str), ("seed", int), ("epochs", int)),
)
"""``one_class_benchmark.py``: one variant on one (data set, class, seed) with ``E`` epochs per phase."""

DISTILL = CellSchema(
    file="distill_sweep.csv",
    columns=(
        "dataset",
        "normal_class",
        "seed",
        "epochs",
        "w_distill_latent",
        "w_distill_reconstruction",
        "w_distill_hint",
        "val_auroc",
        "test_auroc",
        "train_seconds",
    ),
    key_columns=(
        ("dataset", str),
        ("normal_class", int),
        ("seed", int),
        ("epochs", int),
        ("w_distill_latent", float),
        ("w_distill_reconstruction", float),
        ("w_distill_hint", float),
    ),
)
"""``distill_weight_sweep.py``: one set of distillation weights on one (data set, class, seed, epochs)."""

CAPACITY = CellSchema(
    file="capacity_sweep.csv",
    columns=(
        "dataset",
        "normal_class",
        "seed",
        "epochs",
        "train_images",
        "batch_size",
        "weights",
        "student_lr",
        "student_block",
        "student_features",
        "student_latent",
        "student_flops",
        "flops_ratio",
        "val_auroc_latent",
        "val_auroc_reconstruction",
        "test_auroc_latent",
        "test_auroc_reconstruction",
        "test_auroc_auto",
        "test_auroc_best_epoch",
        "train_seconds",
    ),
    key_columns=(
        ("dataset", str),
        ("normal_class", int),
        ("seed", int),
        ("epochs", int),
        ("train_images", int),
        ("batch_size", int),
        ("weights", str),
        ("student_lr", float),
        ("student_block", str),
        ("student_features", int),
        ("student_latent", int),
    ),
)
"""``capacity_sweep.py``: one student design, size, training-image cap, batch size, student learning rate and
choice of weights (``last`` or ``best_validation``, see ``restore_best_validation``) on one (data set, class, seed,
epochs)."""

SMALL_DATA = CellSchema(
    file="small_data.csv",
    columns=(
        "dataset", "normal_class", "train_images", "seed", "model", "min_schedule_steps", "batch_size", "batches",
        "epochs", "train_seconds", "score_type", "val_auroc", "test_auroc", "test_auroc_latent",
        "test_auroc_reconstruction",
    ),
    key_columns=(
        ("dataset", str), ("normal_class", int), ("train_images", int), ("seed", int), ("model", str),
        ("min_schedule_steps", str), ("batch_size", str),
    ),
)  # fmt: skip
"""``small_data.py``: P-KDGAN (one ``min_schedule_steps`` and batch size) or a pixel baseline (both empty) on one
(data set, class, training-set size, seed) folder."""


def optional_int(value: object) -> int | None:
    """An integer column that may be empty (``""`` or ``None``: not set)."""
    return None if value in ("", None) else int(value)


DISTILL_INPUTS = CellSchema(
    file="distill_inputs.csv",
    columns=(
        "dataset", "normal_class", "seed", "epochs", "batch_size", "setting",
        "val_auroc_latent", "val_auroc_reconstruction", "test_auroc_latent", "test_auroc_reconstruction",
        "train_seconds", "joint_epochs",
    ),
    key_columns=(
        ("dataset", str), ("normal_class", int), ("seed", int), ("epochs", int), ("batch_size", int), ("setting", str),
        ("joint_epochs", optional_int),
    ),
)  # fmt: skip
"""``distill_inputs_sweep.py``: the student alone or P-KDGAN with one ``distill_inputs[:w_distill_score]`` setting on
one (data set, class, seed, epochs, batch size, joint epochs; empty: as many as ``epochs``)."""

SCHEMAS = (ONECLASS, DISTILL, CAPACITY, SMALL_DATA, DISTILL_INPUTS)
"""Every per-cell result file."""
