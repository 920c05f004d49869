# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Measure again the OpenVINO images/s of the defect benchmark's P-KDGAN rows, from their saved checkpoints.

A row's ``images_per_second`` is measured right after its training, on the graph the code exported then and with
whatever else the machine ran. This loads the checkpoint each row's training left under ``--work``/runs, exports
it with today's code and times it exactly as the benchmark does (:func:`.speed.openvino_images_per_second`), then
rewrites that row's ``images_per_second`` in ``defects.csv`` (nothing else in it). A row is matched to the newest
checkpoint of its run (data set, seed, model, tile and stride) whose GAN settings begin its ``budget``; a row with
none keeps its value and is named. Run it on a quiet machine.

    python -m benchmarks.defects.remeasure_speed --datasets brick_256_grey
"""

import argparse
import csv
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from anomalib.engine import Engine

from anomalib_pkdgan import Pkdgan
from benchmarks.common.paths import RESULTS, WORK
from benchmarks.defects.benchmark import DEFECT_CELLS
from benchmarks.defects.data import Settings
from benchmarks.defects.speed import openvino_images_per_second

RUN_NAME = re.compile(r"^(?P<dataset>.+)_s(?P<seed>\d+)_(?P<model>pkdgan(?:_tiled_(?P<tile>\d+)_(?P<stride>\d+))?)$")
"""A run folder's name, as ``benchmark.py`` writes it: ``<data set>_s<seed>_pkdgan[_tiled_<tile>_<stride>]``."""


@dataclass(frozen=True)
class SavedRun:
    """One checkpoint of the benchmark: the row it belongs to and the GAN settings it was trained with."""

    checkpoint: Path
    dataset: str
    seed: int
    model: str
    tile: str
    budget_prefix: str

    def matches(self, row: dict) -> bool:
        """Whether ``row`` (of ``defects.csv``) was measured on this run's model."""
        tile = re.search(r"tile=(\d+) stride=(\d+)", row["settings"])
        row_tile = f"{tile[1]}_{tile[2]}" if tile else ""
        return (row["dataset"], int(row["seed"]), row["model"], row_tile) == (
            self.dataset,
            self.seed,
            self.model,
            self.tile,
        ) and row["budget"].startswith(self.budget_prefix)


def budget_prefix(hparams: dict) -> str:
    """The start of ``budget`` (see ``benchmark.gan_budget``) a checkpoint's hyperparameters give.

    Example:
        >>> budget_prefix({"teacher_features": "auto", "teacher_latent": 100, "student_features": 3,
        ...                "student_latent": 16, "teacher_epochs": 15, "frozen_epochs": 15, "joint_epochs": 5,
        ...                "min_schedule_steps": 2000})
        'teacher auto/100 student 3/16 epochs 15/15/5 min_steps 2000 '
    """
    epochs = "/".join(str(hparams[f"{phase}_epochs"]) for phase in ("teacher", "frozen", "joint"))
    return (
        f"teacher {hparams['teacher_features']}/{hparams['teacher_latent']} "
        f"student {hparams['student_features']}/{hparams['student_latent']} "
        f"epochs {epochs} min_steps {hparams['min_schedule_steps']} "
    )


def saved_runs(work: Path, datasets: set[str]) -> list[SavedRun]:
    """Every checkpoint of ``datasets`` under ``work``/runs in a benchmark run folder, newest first."""
    runs = []
    for checkpoint in sorted(work.glob("runs/*/Pkdgan/*/v*/weights/lightning/model.ckpt")):
        name = RUN_NAME.match(checkpoint.relative_to(work / "runs").parts[0])
        if name is None or name["dataset"] not in datasets:
            continue
        model = "pkdgan_tiled" if name["tile"] else "pkdgan_student"
        tile = f"{name['tile']}_{name['stride']}" if name["tile"] else ""
        hparams = torch.load(checkpoint, map_location="cpu", weights_only=False)["hyper_parameters"]
        runs.append(SavedRun(checkpoint, name["dataset"], int(name["seed"]), model, tile, budget_prefix(hparams)))
    return sorted(runs, key=lambda run: run.checkpoint.stat().st_mtime, reverse=True)


def remeasure(results: Path, work: Path, datasets: set[str], seconds: float) -> list[str]:
    """Measure the rows of ``datasets`` again and rewrite ``results`` in place; return what was done, per row."""
    with results.open() as handle:
        rows = list(csv.DictReader(handle))
    runs, report = saved_runs(work, datasets), []
    for row in rows:
        if row["dataset"] not in datasets or row["model"] not in {"pkdgan_student", "pkdgan_tiled"}:
            continue
        label = f"{row['model']} {row['dataset']} seed {row['seed']} ({row['budget']}; {row['settings']})"
        run = next((run for run in runs if run.matches(row)), None)
        if run is None:
            report.append(f"{label}: no checkpoint under {work / 'runs'}, kept {row['images_per_second']}")
            continue
        model = Pkdgan.load_from_checkpoint(run.checkpoint, weights_only=False).eval()
        export_root = work / "exports" / "remeasured" / run.checkpoint.relative_to(work / "runs").parts[0]
        engine = Engine(accelerator="cpu", logger=False, default_root_dir=work / "runs" / "remeasured")
        speed = openvino_images_per_second(engine, model, export_root, Settings.size_of(row["dataset"]), seconds)
        report.append(f"{label}: {row['images_per_second']} -> {speed:.4f} images/s")
        row["images_per_second"] = round(speed, 4)
    DEFECT_CELLS.rewrite(results, rows)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", required=True, help="comma list of defects.csv data sets, e.g. brick_256_grey")
    parser.add_argument("--speed-seconds", type=float, default=3.0, help="time spent measuring images/s per model")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the folder of defects.csv")
    parser.add_argument("--work", type=Path, default=WORK / "defect_runs", help="the benchmark's --work")
    args = parser.parse_args()
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("anomalib").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    for line in remeasure(args.out / DEFECT_CELLS.file, args.work, set(args.datasets.split(",")), args.speed_seconds):
        print(line)


if __name__ == "__main__":
    main()
