# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Every result file the report renders, read once."""

import contextlib
import csv
import json
from dataclasses import dataclass
from pathlib import Path

DEFAULTS_GRID = "defaults_b8"
"""Folder (under the results) of the one-class runs with the configs' students on the reduced budget, batch 8."""
PAPER_BUDGET = "paper_budget"
"""Folder (under the results) of the one-class runs with the configs' students on the configs' budget."""
BEST_TEACHER = "best_teacher"
"""Folder (under the results) of reduced-budget cells rerun with the teacher of its best validation."""


TEACHER_VARIANTS = ("teacher", "kd_frozen", "pkdgan")
"""One-class variants whose result depends on how the benchmark's teacher ends its phase (``--teacher-weights``)."""


DEFAULT_TEACHER_WEIGHTS = "last"
"""The teacher's weights at the end of its phase as ``Pkdgan``'s default has them (``restore_best_teacher=False``);
a test keeps the two in step."""


def current_teacher(records: list[dict]) -> list[dict]:
    """The records of a budget's grid as the defaults stand: the teacher-dependent records of runs whose teacher
    ended otherwise than :data:`DEFAULT_TEACHER_WEIGHTS` are left out (records without the field kept its last
    weights: they predate the choice).

    Example:
        >>> records = [{"variant": "pkdgan"}, {"variant": "student_alone", "teacher_weights": "best_validation"},
        ...            {"variant": "pkdgan", "teacher_weights": "best_validation"}]
        >>> [r["variant"] for r in current_teacher(records)]
        ['pkdgan', 'student_alone']
    """
    return [
        r
        for r in records
        if r["variant"] not in TEACHER_VARIANTS or r.get("teacher_weights", "last") == DEFAULT_TEACHER_WEIGHTS
    ]


@dataclass(frozen=True)
class Results:
    """Every result file the report renders, read once (a missing file is empty)."""

    oneclass: list[dict]
    details: list[dict]
    flops: dict
    distill: list[dict]
    capacity: list[dict]
    throughput: str
    profile: str
    hints: str
    designs: str
    design_plot: Path | None
    memory: dict
    small_data: list[dict]
    small_folder_time: list[dict]
    defects: str
    defects_figure: Path | None
    defect_rows: list[dict]
    defect_candidates: list[dict]
    train_time: str
    train_time_plot: Path | None
    batch8: list[dict]
    hint_sweep: list[dict]
    defaults_grid: list[dict]
    paper_budget: list[dict]
    best_teacher: list[dict]
    compression: list[dict]
    distill_inputs: list[dict]
    distill_inputs_paper: list[dict]


def load_results(folder: Path) -> Results:
    """Read each result file in ``folder`` once (a missing file gives an empty entry; blank lines are skipped)."""

    def rows(name: str) -> list[dict]:
        path = folder / name
        if not path.exists():
            return []
        with path.open() as handle:
            return list(csv.DictReader(handle))

    def text(name: str) -> str:
        path = folder / name
        return path.read_text() if path.exists() else ""

    def jsonl(name: str) -> list[dict]:
        """The records of a JSON-lines file; a last line still being written by a running benchmark is left out."""
        lines = [line for line in text(name).splitlines() if line.strip()]
        records = [json.loads(line) for line in lines[:-1]]
        with contextlib.suppress(json.JSONDecodeError):
            records += [json.loads(line) for line in lines[-1:]]
        return records

    details, flops, memory = text("oneclass_details.jsonl"), text("flops.json"), text("memory.json")
    return Results(
        oneclass=rows("oneclass.csv"),
        details=[json.loads(line) for line in details.splitlines()],
        flops=json.loads(flops) if flops else {},
        distill=rows("distill_sweep.csv"),
        capacity=rows("capacity_sweep.csv"),
        throughput=text("throughput.md"),
        profile=text("profile_student.md"),
        hints=text("openvino_hints.md"),
        designs=text("student_designs.md"),
        design_plot=folder / "student_designs.png" if (folder / "student_designs.png").exists() else None,
        memory=json.loads(memory) if memory else {},
        small_data=rows("small_data.csv"),
        small_folder_time=rows("small_folder_time.csv"),
        defects=text("defects.md"),
        defect_rows=rows("defects.csv"),
        defect_candidates=rows("defects_tiles.csv"),
        defects_figure=folder / "defects_examples.png" if (folder / "defects_examples.png").exists() else None,
        train_time=text("train_time.md"),
        batch8=jsonl("batch8/oneclass_details.jsonl"),
        hint_sweep=rows("hints/distill_sweep.csv"),
        defaults_grid=current_teacher(jsonl(f"{DEFAULTS_GRID}/oneclass_details.jsonl")),
        paper_budget=current_teacher(jsonl(f"{PAPER_BUDGET}/oneclass_details.jsonl")),
        best_teacher=jsonl(f"{BEST_TEACHER}/oneclass_details.jsonl"),
        compression=rows("export_compression.csv"),
        distill_inputs=rows("distill_inputs/distill_inputs.csv"),
        distill_inputs_paper=rows("distill_inputs_paper/distill_inputs.csv"),
        train_time_plot=folder / "train_time.png" if (folder / "train_time.png").exists() else None,
    )
