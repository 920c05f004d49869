# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The one-class benchmark's --quick mode: result files with the documented columns, and resume."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "one_class_benchmark.py"


def run(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    args = [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work")]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_quick_benchmark_writes_results_and_resumes(tmp_path):
    first = run(tmp_path)
    with (tmp_path / "out" / "oneclass.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["dataset", "normal_class", "variant", "seed", "auroc", "epochs", "train_seconds"]
    variants = {row["variant"] for row in rows}
    assert variants == {
        "teacher",
        "student_alone",
        "kd_frozen",
        "kd_joint",
        "pkdgan",
        "knn_pixels",
        "pca_pixels",
        "anomalib_ganomaly",
    }
    assert {row["normal_class"] for row in rows} == {"0", "1"}
    assert all(0.0 <= float(row["auroc"]) <= 1.0 for row in rows)
    assert "16 cells" in first

    second = run(tmp_path)
    assert "0 cells" in second
    with (tmp_path / "out" / "oneclass.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == len(rows)


def run_sweep_twice(tmp_path, script, extra, result_file):
    """Run a sweep's --quick mode twice; the second run must find every cell done and add no row."""
    args = [sys.executable, str(SCRIPT.with_name(script)), "--quick", *extra]
    args += ["--out", str(tmp_path / "out"), "--work", str(tmp_path / "work")]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    runs = []
    for _ in range(2):
        result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
        with (tmp_path / "out" / result_file).open() as handle:
            runs.append(list(csv.DictReader(handle)))
    assert runs[0] == runs[1]
    return runs[0]


@pytest.mark.slow
def test_distillation_weight_sweep_writes_validation_rows_and_resumes(tmp_path):
    rows = run_sweep_twice(tmp_path, "distill_weight_sweep.py", ["--settings", "0.1:50,0:50"], "distill_sweep.csv")
    assert [(float(r["w_distill_latent"]), float(r["w_distill_reconstruction"])) for r in rows] == [
        (0.1, 50.0),
        (0.0, 50.0),
    ]
    assert all(0.0 <= float(r["val_auroc"]) <= 1.0 and 0.0 <= float(r["test_auroc"]) <= 1.0 for r in rows)


@pytest.mark.slow
def test_capacity_sweep_records_cost_and_validation_choice_and_resumes(tmp_path):
    rows = run_sweep_twice(tmp_path, "capacity_sweep.py", ["--students", "2:4,4:8"], "capacity_sweep.csv")
    assert [(r["student_features"], r["student_latent"]) for r in rows] == [("2", "4"), ("4", "8")]
    narrow, wide = rows
    assert int(wide["student_flops"]) > int(narrow["student_flops"])
    assert float(wide["flops_ratio"]) < float(narrow["flops_ratio"])
    for row in rows:
        latent_wins = float(row["val_auroc_latent"]) >= float(row["val_auroc_reconstruction"])
        chosen = "latent" if latent_wins else "reconstruction"
        assert row["test_auroc_auto"] == row[f"test_auroc_{chosen}"]


@pytest.mark.parametrize(
    ("script", "option"), [("capacity_sweep.py", "--students"), ("distill_weight_sweep.py", "--settings")]
)
def test_sweeps_refuse_a_malformed_setting_by_name(tmp_path, script, option):
    args = [sys.executable, str(SCRIPT.with_name(script)), "--quick", option, "16", "--out", str(tmp_path / "out")]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 2
    assert f"argument {option}: expected a comma list of" in result.stderr
    assert "'16'" in result.stderr
    assert not (tmp_path / "out").exists()
