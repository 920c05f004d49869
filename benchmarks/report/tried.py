# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What else was tried to make the distillation pay, against the default on the same cells, from the sweeps' files.

Each line is a setting measured beside the default on the same (data set, class, seed) cells: the mean change of
the student's validation AUROC (what decides) and of its test AUROC (what the choice did), in points, over the cells
both ran, with a paired bootstrap 95% interval from :data:`MIN_CELLS_FOR_INTERVAL` cells on. Sources: the
distillation-inputs sweep (each ``distill_inputs[:w_distill_score]`` against ``normal``; at the reduced budget, and
at the configs' where it ran there), the hint sweep (each
``w_distill_hint`` against 0 at the same weights) and the teacher's weights (P-KDGAN distilled from the teacher of
its best validation against its last).
"""

from collections import defaultdict
from statistics import mean

from benchmarks.report.paired import bootstrap_interval
from benchmarks.report.scoring import auto_test_auroc, validation_auroc

HEADER = [
    "| tried (against the default on the same cells) | cells | validation AUROC change | test AUROC change |",
    "|---|---|---|---|",
]


def _auto(row: dict) -> tuple[float, float]:
    """Validation and test AUROC of the score a row's validation keeps (latent on a tie)."""
    latent, reconstruction = float(row["val_auroc_latent"]), float(row["val_auroc_reconstruction"])
    test = row["test_auroc_latent"] if latent >= reconstruction else row["test_auroc_reconstruction"]
    return max(latent, reconstruction), float(test)


PAPER_MARK = ", configs' budget"
"""Appended to a setting measured at the configs' budget (the others are at the reduced budget)."""

MIN_CELLS_FOR_INTERVAL = 5
"""Fewer cells than this get the mean change alone: an interval resampled from so few values would mislead."""


def change_text(changes: list[float]) -> str:
    """The mean of per-cell changes in points, with its paired bootstrap 95% interval when there are enough cells.

    Example:
        >>> change_text([1.0, 2.0]), change_text([1.0, 1.0, 1.0, 1.0, 1.0])
        ('+1.5', '+1.0 [+1.0, +1.0]')
    """
    text = f"{mean(changes):+.1f}"
    if len(changes) < MIN_CELLS_FOR_INTERVAL:
        return text
    low, high = bootstrap_interval(changes)
    return f"{text} [{low:+.1f}, {high:+.1f}]"


def _line(name: str, changes: list[tuple[float, float]]) -> str:
    val, test = (change_text([100 * change[i] for change in changes]) for i in (0, 1))
    return f"| {name} | {len(changes)} | {val} | {test} |"


def setting_name(setting: str) -> str:
    """A sweep setting ``INPUTS[:W_SCORE]`` as the model's arguments.

    Example:
        >>> setting_name("normal:1"), setting_name("noise")
        ('`distill_inputs=normal`, `w_distill_score=1`', '`distill_inputs=noise`')
    """
    inputs, _, w_score = setting.partition(":")
    return f"`distill_inputs={inputs}`" + (f", `w_distill_score={w_score}`" if w_score else "")


def setting_changes(rows: list[dict], against: str) -> dict[str, list[tuple[float, float]]]:
    """Each other sweep setting's (validation, test) AUROC change against the setting ``against``, per cell both ran.

    ``alone`` (the student without distillation) is a reference only, never a setting compared with another.

    Example:
        >>> row = lambda setting, val: {"dataset": "mnist", "normal_class": "2", "seed": "0", "setting": setting,
        ...     "val_auroc_latent": val, "val_auroc_reconstruction": "0.5", "test_auroc_latent": val,
        ...     "test_auroc_reconstruction": "0.5"}
        >>> changes = setting_changes([row("alone", "0.90"), row("normal", "0.92")], "alone")
        >>> {setting: [round(change, 2) for change in values[0]] for setting, values in changes.items()}
        {'normal': [0.02, 0.02]}
    """
    by_cell = {(r["dataset"], r["normal_class"], r["seed"], r["setting"]): _auto(r) for r in rows}
    changes: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for (dataset, normal_class, seed, setting), (val, test) in by_cell.items():
        reference = by_cell.get((dataset, normal_class, seed, against))
        if setting in {against, "alone"} or reference is None:
            continue
        changes[setting].append((val - reference[0], test - reference[1]))
    return changes


def distill_inputs_lines(rows: list[dict], budget: str = "") -> list[str]:
    """Each distillation-input setting against ``normal`` (the default) on the cells both ran; ``budget`` is appended
    to each setting's name (the sweep's rows at a budget other than the reduced one).

    Example:
        >>> row = lambda setting, val, test: {"dataset": "mnist", "normal_class": "2", "seed": "0", "setting": setting,
        ...     "val_auroc_latent": val, "val_auroc_reconstruction": "0.5", "test_auroc_latent": test,
        ...     "test_auroc_reconstruction": "0.5"}
        >>> distill_inputs_lines([row("normal", "0.90", "0.91"), row("mixup", "0.88", "0.92")])
        ['| `distill_inputs=mixup` | 1 | -2.0 | +1.0 |']
    """
    changes = setting_changes(rows, "normal").items()
    return [_line(setting_name(setting) + budget, values) for setting, values in changes]


def hint_lines(rows: list[dict]) -> list[str]:
    """Each ``w_distill_hint`` against 0 at the same distillation weights, cell and epochs."""
    keys = ("dataset", "normal_class", "seed", "epochs", "w_distill_latent", "w_distill_reconstruction")
    by_cell = {(*(r[k] for k in keys), float(r["w_distill_hint"])): r for r in rows}
    changes: dict[float, list[tuple[float, float]]] = defaultdict(list)
    for (*cell, hint), row in by_cell.items():
        default = by_cell.get((*cell, 0.0))
        if hint == 0.0 or default is None:
            continue
        changes[hint].append(tuple(float(row[k]) - float(default[k]) for k in ("val_auroc", "test_auroc")))
    return [_line(f"`w_distill_hint={hint:g}` (latent score)", values) for hint, values in sorted(changes.items())]


def teacher_weights_line(last: list[dict], best: list[dict]) -> list[str]:
    """P-KDGAN distilled from the teacher of its best validation against its last, on the cells both ran."""
    before = {(r["dataset"], r["normal_class"], r["seed"]): r for r in last if r["variant"] == "pkdgan"}
    changes = []
    for r in best:
        old = before.get((r["dataset"], r["normal_class"], r["seed"]))
        if r["variant"] != "pkdgan" or old is None:
            continue
        changes.append((validation_auroc(r) - validation_auroc(old), auto_test_auroc(r) - auto_test_auroc(old)))
    return [_line("the teacher of its best validation (`restore_best_teacher`)", changes)] if changes else []


def tried_table(
    distill_inputs: list[dict],
    hints: list[dict],
    last: list[dict],
    best: list[dict],
    distill_inputs_paper: list[dict],
) -> list[str]:
    """The table of :mod:`tried` (empty when nothing was measured); ``distill_inputs_paper``: the distillation-inputs
    sweep at the configs' budget, its rows marked so."""
    lines = distill_inputs_lines(distill_inputs) + distill_inputs_lines(distill_inputs_paper, PAPER_MARK)
    lines += hint_lines(hints) + teacher_weights_line(last, best)
    return [*HEADER, *lines] if lines else []
