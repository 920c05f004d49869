# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The teacher's weights when its phase ends: those of its best validation against its last, on the same cells.

``restore_best_teacher`` (``one_class_benchmark --teacher-weights``) changes the teacher the students distil from;
the students alone, which have no teacher, show whether anything else changed between the two runs (they should
agree to the digit). Validation AUROCs decide; test AUROCs report what the choice did.
"""

from collections import defaultdict
from statistics import mean

from benchmarks.report.paired import bootstrap_interval
from benchmarks.report.scoring import NAMES, auto_test_auroc, validation_auroc

VARIANTS = ("teacher", "kd_frozen", "pkdgan", "student_alone")
"""The variants compared, in the table's order."""


def _by_cell(records: list[dict]) -> dict[tuple, dict]:
    return {(r["dataset"], int(r["normal_class"]), int(r["seed"]), r["variant"]): r for r in records}


def teacher_weights_table(last: list[dict], best: list[dict]) -> list[str]:
    """Per cell and variant, validation and test AUROC (%) with the last and the best-validation teacher.

    ``last`` and ``best`` are ``oneclass_details.jsonl`` records of the same budget; only the cells and variants in
    both are compared. The last rows: each variant's mean change over the cells with a paired bootstrap 95% interval.

    Example:
        >>> last = [{"dataset": "mnist", "normal_class": 2, "seed": 0, "variant": "teacher", "auroc": 0.9}]
        >>> best = [{"dataset": "mnist", "normal_class": 2, "seed": 0, "variant": "teacher", "auroc": 0.95}]
        >>> teacher_weights_table(last, best)[2]
        '| MNIST | 2 | 0 | teacher | - | 90.0 -> 95.0 (+5.0) |'
    """
    before, after = _by_cell(last), _by_cell(best)
    shared = sorted((key for key in after if key in before), key=lambda key: (*key[:3], VARIANTS.index(key[3])))
    if not shared:
        return []
    lines = [
        "| data set | class | seed | variant | validation AUROC: last -> best teacher | test AUROC: last -> best |",
        "|---|---|---|---|---|---|",
    ]
    changes: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"val": [], "test": []})

    def change(old: float | None, new: float | None, kind: str, variant: str) -> str:
        if old is None or new is None:
            return "-"
        changes[variant][kind].append(100 * (new - old))
        return f"{100 * old:.1f} -> {100 * new:.1f} ({100 * (new - old):+.1f})"

    for key in shared:
        if key[3] not in VARIANTS:
            continue
        old, new = before[key], after[key]
        validation = change(validation_auroc(old), validation_auroc(new), "val", key[3])
        test = change(auto_test_auroc(old), auto_test_auroc(new), "test", key[3])
        lines.append(f"| {NAMES.get(key[0], key[0])} | {key[1]} | {key[2]} | {key[3]} | {validation} | {test} |")
    for variant in VARIANTS:
        if variant not in changes:
            continue
        shown = []
        for kind in ("val", "test"):
            values = changes[variant][kind]
            if not values:
                shown.append("-")
                continue
            low, high = bootstrap_interval(values)
            shown.append(f"**{mean(values):+.1f} [{low:+.1f}, {high:+.1f}]**")
        cells = max(len(values) for values in changes[variant].values())
        lines.append(f"| **mean change, 95% interval** | {cells} cells | all | {variant} | " + " | ".join(shown) + " |")
    return [*lines, ""]
