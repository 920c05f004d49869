# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What the distillation buys: P-KDGAN minus a rival student, paired per cell, with a paired bootstrap interval.

Runs are paired by (data set, class, seed) and scored as the product scores them (:func:`auto_test_auroc`); a
class's difference is the mean over the seeds both variants ran, so each (data set, class) cell counts once. The
95% interval of the mean over cells is the percentile interval of :data:`RESAMPLES` means of cells drawn with
replacement (numpy, seed :data:`SEED`).

Example:
    >>> runs = [{"dataset": "mnist", "normal_class": c, "seed": 0, "variant": v, "auroc": a}
    ...         for c, v, a in ((0, "pkdgan", 0.9), (0, "student_alone", 0.8), (1, "pkdgan", 0.7),
    ...                         (1, "student_alone", 0.7))]
    >>> paired = paired_differences(runs, "student_alone")
    >>> paired.cells
    {('mnist', 0): 10.0, ('mnist', 1): 0.0}
    >>> paired.mean, paired.low <= paired.mean <= paired.high
    (5.0, True)
"""

from collections import defaultdict
from dataclasses import dataclass
from statistics import mean, median

import numpy as np

from benchmarks.report.scoring import NAMES, auto_test_auroc, validation_auroc

RIVALS = (("student_alone", "the student alone"), ("kd_frozen", "single-step distillation (`kd_frozen`)"))
"""The students P-KDGAN is compared with, and their names in the text."""
MINUTES_NOTE = (
    "Training minutes are the median wall time of a class's run on the benchmark's 2 CPU cores; P-KDGAN's include "
    "training its teacher, which a user without a teacher checkpoint trains first, and all include the benchmark's "
    "scoring of its validation and test images after every epoch (for the best-epoch columns)."
)
"""What the training-minutes column measures."""
RESAMPLES = 10_000
SEED = 0


@dataclass(frozen=True)
class Paired:
    """P-KDGAN minus one rival, in AUROC points: per (data set, class) cell, their mean and its 95% interval."""

    rival: str
    cells: dict[tuple[str, int], float]
    seeds: dict[tuple[str, int], int]
    mean: float
    low: float
    high: float


def bootstrap_interval(values: list[float], resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float]:
    """Percentile 95% interval of the mean of ``values``, resampling them with replacement."""
    data = np.asarray(values, dtype=float)
    draws = np.random.default_rng(seed).integers(0, len(data), size=(resamples, len(data)))
    low, high = np.percentile(data[draws].mean(axis=1), [2.5, 97.5])
    return float(low), float(high)


def runs_by_key(runs: list[dict], dataset: str | None = None) -> dict[tuple[str, int, int], dict[str, dict]]:
    """The records of each run (data set, class, seed) by variant, in sorted run order (of ``dataset``, or of
    every data set); a variant recorded twice for a run keeps its last record.

    Example:
        >>> runs = [{"dataset": "mnist", "normal_class": "1", "seed": 0, "variant": v} for v in ("pkdgan", "teacher")]
        >>> {run: sorted(variants) for run, variants in runs_by_key(runs).items()}
        {('mnist', 1, 0): ['pkdgan', 'teacher']}
    """
    by_run: dict[tuple[str, int, int], dict[str, dict]] = defaultdict(dict)
    for r in runs:
        if dataset in {None, r["dataset"]}:
            by_run[(r["dataset"], int(r["normal_class"]), int(r["seed"]))][r["variant"]] = r
    return dict(sorted(by_run.items()))


def paired_differences(runs: list[dict], rival: str, dataset: str | None = None) -> Paired | None:
    """P-KDGAN minus ``rival`` over the cells both ran (of ``dataset``, or of every data set); None if none."""
    by_cell: dict[tuple[str, int], list[float]] = defaultdict(list)
    for (name, normal_class, _), variants in runs_by_key(runs, dataset).items():
        if {"pkdgan", rival} <= variants.keys():
            distilled, other = (100 * auto_test_auroc(variants[v]) for v in ("pkdgan", rival))
            by_cell[(name, normal_class)].append(distilled - other)
    if not by_cell:
        return None
    cells = {cell: mean(diffs) for cell, diffs in by_cell.items()}
    low, high = bootstrap_interval(list(cells.values()))
    seeds = {cell: len(diffs) for cell, diffs in by_cell.items()}
    return Paired(rival, cells, seeds, mean(cells.values()), low, high)


def interval(paired: Paired) -> str:
    """``+1.2 [-0.4, +2.9]``."""
    return f"{paired.mean:+.1f} [{paired.low:+.1f}, {paired.high:+.1f}]"


def training_minutes(runs: list[dict], dataset: str | None = None) -> tuple[float, float] | None:
    """Median training minutes of the student alone and of P-KDGAN with its teacher, over the runs that have both
    and the teacher (of ``dataset``, or of every data set); None if there are none.

    The median, as a run slowed by other work on the machine would pull a mean.

    A user without a teacher checkpoint trains the teacher before P-KDGAN's student, so its minutes count for
    P-KDGAN; the benchmark trains it once per (data set, class, seed) and shares it (``train_seconds`` of the
    ``teacher`` run).

    Example:
        >>> runs = [{"dataset": "mnist", "normal_class": 0, "seed": 0, "variant": v, "train_seconds": s}
        ...         for v, s in (("teacher", 600), ("pkdgan", 300), ("student_alone", 120))]
        >>> training_minutes(runs)
        (2.0, 15.0)
    """
    needed = ("teacher", "student_alone", "pkdgan")
    seconds = [
        {v: float(variants[v]["train_seconds"]) for v in needed}
        for variants in runs_by_key(runs, dataset).values()
        if all(variants.get(v, {}).get("train_seconds") is not None for v in needed)
    ]
    if not seconds:
        return None
    alone = median(run["student_alone"] for run in seconds) / 60
    distilled = median(run["teacher"] + run["pkdgan"] for run in seconds) / 60
    return alone, distilled


def summary_rows(runs: list[dict], budget: str) -> list[str]:
    """One row per data set with paired cells and, if there are several, one over all of them: cells, each
    rival's mean difference with its interval, and the training minutes of the student alone and of P-KDGAN."""

    def row(dataset: str | None) -> str | None:
        paired = [paired_differences(runs, rival, dataset) for rival, _ in RIVALS]
        if all(p is None for p in paired):
            return None
        cells = max(len(p.cells) for p in paired if p is not None)
        name = "all" if dataset is None else NAMES.get(dataset, dataset)
        shown = [interval(p) if p is not None else "-" for p in paired]
        minutes = training_minutes(runs, dataset)
        shown.append("-" if minutes is None else f"{minutes[0]:.1f} / {minutes[1]:.1f}")
        return f"| {budget} | {name} | {cells} | " + " | ".join(shown) + " |"

    rows = [line for dataset in sorted({r["dataset"] for r in runs}) if (line := row(dataset))]
    return [*rows, row(None)] if len(rows) > 1 else rows


SUMMARY_HEADER = [
    "| budget | data set | cells (data set, class) | P-KDGAN minus student alone | P-KDGAN minus kd_frozen "
    "| training minutes: student alone / P-KDGAN with its teacher |",
    "|---|---|---|---|---|---|",
]


LEAD_HEADER = [
    "| budget | the teacher on validation | runs (data set, class, seed) | teacher minus student alone, validation "
    "| P-KDGAN minus student alone, test |",
    "|---|---|---|---|---|",
]


def teacher_lead_rows(runs: list[dict], budget: str) -> list[str]:
    """P-KDGAN minus the student alone, split by whether the teacher beats the student alone on validation.

    The split is known before the test set is scored (both validation AUROCs are of the score each run keeps), so
    it says which runs a user could tell apart. The unit is a run (data set, class, seed): one class's seeds may
    fall on both sides. Each side gives its runs, the teacher's mean validation lead and P-KDGAN's mean test
    difference with a bootstrap 95% interval over its runs.

    Example:
        >>> run = {"dataset": "mnist", "normal_class": 0, "seed": 0, "test_auroc_reconstruction": 0.5,
        ...        "val_auroc_reconstruction": 0.5}
        >>> runs = [{**run, "variant": v, "auroc": a, "val_auroc_latent": a}
        ...         for v, a in (("teacher", 0.95), ("student_alone", 0.9), ("pkdgan", 0.93))]
        >>> teacher_lead_rows(runs, "reduced")
        ['| reduced | beats the student alone | 1 | +5.0 | +3.0 [+3.0, +3.0] |']
    """
    sides: dict[bool, list[tuple[float, float]]] = defaultdict(list)
    for variants in runs_by_key(runs).values():
        if not {"teacher", "student_alone", "pkdgan"} <= variants.keys():
            continue
        lead = validation_auroc(variants["teacher"]) - validation_auroc(variants["student_alone"])
        gain = auto_test_auroc(variants["pkdgan"]) - auto_test_auroc(variants["student_alone"])
        sides[lead > 0].append((100 * lead, 100 * gain))
    rows = []
    for leads, label in ((True, "beats the student alone"), (False, "does not")):
        if sides[leads]:
            lead, gains = mean(x for x, _ in sides[leads]), [y for _, y in sides[leads]]
            low, high = bootstrap_interval(gains)
            rows.append(
                f"| {budget} | {label} | {len(gains)} | {lead:+.1f} | {mean(gains):+.1f} [{low:+.1f}, {high:+.1f}] |"
            )
    return rows


def same_student_as_kd_frozen(runs: list[dict]) -> tuple[int, int]:
    """Runs where P-KDGAN kept exactly the student ``kd_frozen`` kept, and the runs both variants have.

    Both start with the same frozen-teacher epochs from the same seed; when the best validation falls there, the
    student restored at the end (``restore_best_validation``) is the same network, and so are its scores.

    Example:
        >>> run = {"dataset": "mnist", "normal_class": 2, "seed": 0, "auroc": 0.9, "test_auroc_reconstruction": 0.7}
        >>> same_student_as_kd_frozen([{**run, "variant": "pkdgan"}, {**run, "variant": "kd_frozen"}])
        (1, 1)
    """
    pairs = [(v["pkdgan"], v["kd_frozen"]) for v in runs_by_key(runs).values() if {"pkdgan", "kd_frozen"} <= v.keys()]
    scores = ("auroc", "test_auroc_reconstruction")
    same = sum(all(a.get(k) == b.get(k) for k in scores) for a, b in pairs)
    return same, len(pairs)


def cell_table(runs: list[dict]) -> list[str]:
    """Per (data set, class): seeds paired, and P-KDGAN minus each rival (mean over those seeds)."""
    paired = [paired_differences(runs, rival) for rival, _ in RIVALS]
    cells = sorted({cell for p in paired if p is not None for cell in p.cells})
    lines = [
        "| data set | class | seeds | P-KDGAN minus student alone | P-KDGAN minus kd_frozen |",
        "|---|---|---|---|---|",
    ]
    for cell in cells:
        seeds = max(p.seeds.get(cell, 0) for p in paired if p is not None)
        values = [f"{p.cells[cell]:+.1f}" if p is not None and cell in p.cells else "-" for p in paired]
        lines.append(f"| {NAMES.get(cell[0], cell[0])} | {cell[1]} | {seeds} | " + " | ".join(values) + " |")
    means = [f"**{interval(p)}**" if p is not None else "-" for p in paired]
    count = f"{len(cells)} cell" + ("s" if len(cells) != 1 else "")
    lines.append(f"| **mean, 95% interval** | {count} | | " + " | ".join(means) + " |")
    return lines
