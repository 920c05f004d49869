# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Where P-KDGAN's training time goes at 64-128 px, and what a full run at the default schedule costs.

Trains on an MVTec-format folder of ``defects/data.py`` (800 normal 64x64 training images by default, as issue 17
asks) through Anomalib's ``Folder`` and ``Engine``, for a few epochs per phase, and records the wall time of every
training batch by phase with a callback (Lightning's own per-batch overhead included, validation excluded). The
projected time of a full run is each phase's median batch time times the number of batches the default schedule
(``plan_phases`` with the model's epochs and ``min_schedule_steps``) gives that phase on this data set, plus the
measured validation time per batch times the validations the schedule runs. Rows vary the teacher's width and
latent, Lightning's ``precision`` and the number of threads; each finished row is appended to
``train_time.csv`` at once and skipped when run again; ``train_time.md`` (table) and ``train_time.png`` (projected
minutes per setting, the 10-minute target drawn) are rewritten from the whole file.

    python -m benchmarks.speed.train_time --variants 64/100,32/100,32/64 --precision 32-true,bf16-mixed
"""

import argparse
import csv
import inspect
import logging
import math
import statistics
import time
import warnings
from pathlib import Path

import torch
from anomalib.engine import Engine
from lightning.pytorch import Callback, LightningModule, Trainer

from anomalib_pkdgan import Pkdgan
from anomalib_pkdgan.models.pkdgan.callbacks.schedule import (
    Phase,
    epochs_between_validations,
    epochs_needed,
    plan_phases,
)
from benchmarks.common.cells import CellSchema
from benchmarks.common.paths import RESULTS, WORK
from benchmarks.defects.data import COUNTS, DEFECTS, Settings, write_dataset
from benchmarks.defects.evaluation import folder_datamodule

COLUMNS = (
    "dataset", "train_images", "batch_size", "teacher", "student", "precision", "threads", "phase", "batches_timed",
    "median_batch_ms", "schedule_batches", "projected_seconds",
)  # fmt: skip
KEY = ("dataset", "train_images", "batch_size", "teacher", "student", "precision", "threads", "phase")
TRAIN_TIME = CellSchema(file="train_time.csv", columns=COLUMNS, key_columns=tuple((name, str) for name in KEY))
"""One phase (or the projected total) of one measured setting; a setting is done once its ``total`` row is there."""


class BatchTimer(Callback):
    """Wall time of every training batch (from its start to the start of the next), by phase."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.validation: list[float] = []
        self._start = 0.0
        self._phase = ""

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: object, idx: int) -> None:
        """Start the clock (the phase is read after the schedule callback has moved it)."""
        del trainer, batch, idx
        self._phase = pl_module.phase.name.lower()
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: object) -> None:
        """Stop the clock."""
        del trainer, pl_module, args
        self.times.setdefault(self._phase, []).append(time.perf_counter() - self._start)

    def on_validation_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Start the validation clock."""
        del trainer, pl_module
        self._start = time.perf_counter()

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Stop the validation clock."""
        del trainer, pl_module
        self.validation.append(time.perf_counter() - self._start)


def measure(args: argparse.Namespace, folder: Path, teacher: str, precision: str, threads: int) -> list[dict]:
    """Train a few epochs per phase and return one row per phase plus the projected total."""
    torch.set_num_threads(threads)
    features, latent = map(int, teacher.split("/"))
    student_features, student_latent = map(int, args.student.split("/"))
    datamodule = folder_datamodule(folder, seed=0, batch_size=args.batch_size, defects=list(DEFECTS))
    channels = 3 if folder.name.endswith("rgb") else 1
    model = Pkdgan(
        input_size=(args.size, args.size), num_input_channels=channels, teacher_features=features,
        teacher_latent=latent, student_features=student_features, student_latent=student_latent,
        teacher_epochs=args.epochs, frozen_epochs=args.epochs, joint_epochs=args.epochs, min_schedule_steps=0,
        score_type="latent", anomaly_map_sigma=0, seed=0, visualizer=False,
    )  # fmt: skip
    timer = BatchTimer()
    engine = Engine(
        default_root_dir=args.work / "runs", callbacks=[timer], precision=precision, logger=False,
        enable_progress_bar=False,
    )  # fmt: skip
    engine.fit(model, datamodule=datamodule)
    per_epoch = len(datamodule.train_dataloader())
    defaults = {name: p.default for name, p in inspect.signature(Pkdgan).parameters.items()}
    epochs = (defaults["teacher_epochs"], defaults["frozen_epochs"], defaults["joint_epochs"])
    plan = plan_phases(epochs, per_epoch, defaults["min_schedule_steps"])  # the defaults' schedule on this loader
    every = epochs_between_validations(plan, epochs, per_epoch)  # as the schedule callback sets it
    validations = math.ceil(epochs_needed(plan, per_epoch) / every)
    validation_seconds = statistics.median(timer.validation) if timer.validation else 0.0
    rows, total = [], validation_seconds * validations
    for phase in Phase:
        name = phase.name.lower()
        times = timer.times.get(name, [])[1:]  # the first batch of a phase includes one-off set-up
        median = statistics.median(times)
        batches = plan.batches[phase]
        total += median * batches
        rows.append({"phase": name, "batches_timed": len(times), "median_batch_ms": round(1e3 * median, 1),
                     "schedule_batches": batches, "projected_seconds": round(median * batches, 1)})  # fmt: skip
    rows.append({"phase": "validation", "batches_timed": len(timer.validation),
                 "median_batch_ms": round(1e3 * validation_seconds, 1), "schedule_batches": validations,
                 "projected_seconds": round(validation_seconds * validations, 1)})  # fmt: skip
    rows.append({"phase": "total", "batches_timed": sum(r["batches_timed"] for r in rows[:3]), "median_batch_ms": "",
                 "schedule_batches": plan.total, "projected_seconds": round(total, 1)})  # fmt: skip
    common = {"dataset": folder.name, "train_images": args.train, "batch_size": args.batch_size, "teacher": teacher,
              "student": args.student, "precision": precision, "threads": threads}  # fmt: skip
    return [{**common, **row} for row in rows]


def write_report(path: Path, out: Path) -> None:
    """``train_time.md`` and ``train_time.png`` from every row of ``train_time.csv``."""
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    runs: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        runs.setdefault(tuple(row[k] for k in KEY[:-1]), {})[row["phase"]] = row
    lines = [
        "Projected training time at the defaults' schedule (15/15/5 epochs, `min_schedule_steps` 2000) from the "
        "median batch time of each phase (Lightning's per-batch overhead included), 2 CPU cores, one run each.",
        "",
        "| data set | images | batch | teacher | student | precision | threads | ms per batch: teacher / frozen / "
        "joint | batches | projected minutes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    labels, minutes = [], []
    for key, phases in runs.items():
        if "total" not in phases:
            continue
        dataset, images, batch, teacher, student, precision, threads = key
        ms = " / ".join(f"{float(phases[p]['median_batch_ms']):.0f}" for p in ("teacher", "frozen", "joint"))
        total = float(phases["total"]["projected_seconds"]) / 60
        lines.append(
            f"| {dataset} | {images} | {batch} | {teacher} | {student} | {precision} | {threads} | {ms} | "
            f"{phases['total']['schedule_batches']} | {total:.1f} |"
        )
        labels.append(f"{dataset.split('_')[1]} px, {teacher}, {precision}")
        minutes.append(total)
    (out / "train_time.md").write_text("\n".join(lines) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.35 * len(labels) + 1.2))
    ax.barh(labels, minutes, color=["tab:green" if m < 10 else "tab:red" for m in minutes])
    ax.axvline(10, color="black", linestyle="--", linewidth=1, label="target: 10 minutes")
    ax.set_xlabel("projected minutes, all three phases, 2 CPU cores")
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "train_time.png", dpi=110)
    plt.close(fig)


def parse_args() -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="brick")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--train", type=int, default=800, help="normal training images")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--variants", default="64/100", help="teacher features/latent, comma-separated")
    parser.add_argument("--student", default="8/32", help="student features/latent")
    parser.add_argument("--precision", default="32-true", help="Lightning precisions, comma-separated")
    parser.add_argument("--threads", default="2", help="torch threads, comma-separated")
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed per phase")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=WORK / "train_time")
    return parser.parse_args()


def main() -> None:
    """Time every (teacher, precision, threads) row not yet in ``train_time.csv``."""
    args = parse_args()
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    settings = Settings(args.source, args.size, args.train, COUNTS["test_good"], COUNTS["per_defect"], DEFECTS, 0)
    folder = write_dataset(args.work / "data", settings)
    path = args.out / "train_time.csv"
    args.out.mkdir(parents=True, exist_ok=True)
    if path.exists():
        write_report(path, args.out)
    for teacher in args.variants.split(","):
        for precision in args.precision.split(","):
            for threads in map(int, args.threads.split(",")):
                total = {"dataset": folder.name, "train_images": args.train, "batch_size": args.batch_size,
                         "teacher": teacher, "student": args.student, "precision": precision, "threads": threads,
                         "phase": "total"}  # fmt: skip
                if TRAIN_TIME.key(total) in TRAIN_TIME.done(args.out):
                    continue
                rows = measure(args, folder, teacher, precision, threads)
                for row in rows:  # the total row last: a setting interrupted before it is measured again
                    TRAIN_TIME.append(args.out, row)
                write_report(path, args.out)
                print(*(f"{r['teacher']} {r['precision']} {r['phase']}: {r['median_batch_ms']} ms x "
                        f"{r['schedule_batches']} = {r['projected_seconds']} s" for r in rows), sep="\n")  # fmt: skip


if __name__ == "__main__":
    main()
