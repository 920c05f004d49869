# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The benchmarks' --quick modes (result files with the documented columns, resume, the teacher cache), and the
cell schema, teacher cache key and model building they share."""

import argparse
import csv
import importlib
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


@pytest.fixture
def bench(monkeypatch):
    """Import a module of the ``benchmarks`` package by its dotted name."""
    monkeypatch.syspath_prepend(str(REPO))
    return importlib.import_module


def paths(tmp_path):
    return ["--out", str(tmp_path / "out"), "--work", str(tmp_path / "work")]


def read_rows(path):
    with path.open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_quick_benchmark_writes_results_and_resumes(tmp_path, run_twice):
    result = tmp_path / "out" / "oneclass.csv"
    first, second = run_twice("benchmarks.accuracy.one_class_benchmark", ["--quick", *paths(tmp_path)], result)
    rows = read_rows(result.with_name("oneclass.csv.first"))
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
    teachers = sorted(path.parent.name for path in (tmp_path / "work" / "teachers").glob("*/teacher.pt"))
    assert [name.split("_images")[0] for name in teachers] == ["digits_class0_seed0", "digits_class1_seed0"]
    assert all("_images48_batch16_e1_" in name for name in teachers)

    assert "0 cells" in second
    assert len(read_rows(result)) == len(rows)


def run_sweep_twice(tmp_path, run_twice, script, extra, result_file):
    """Run a sweep's --quick mode, then again; the second run must find every cell done and add no row."""
    result = tmp_path / "out" / result_file
    run_twice(f"benchmarks.accuracy.{script}", ["--quick", *extra, *paths(tmp_path)], result)
    first, second = read_rows(result.with_name(f"{result_file}.first")), read_rows(result)
    assert first == second
    return first


@pytest.mark.slow
def test_distillation_weight_sweep_writes_validation_rows_and_resumes(tmp_path, run_twice):
    # A row of the same cell trained with other epochs must not count as done (--quick trains 1 epoch per phase).
    (tmp_path / "out").mkdir()
    other_epochs = "digits,0,0,3,0.1,50.0,0.0,0.5,0.5,1.0"
    header = "dataset,normal_class,seed,epochs,w_distill_latent,w_distill_reconstruction,w_distill_hint,val_auroc,"
    (tmp_path / "out" / "distill_sweep.csv").write_text(f"{header}test_auroc,train_seconds\n{other_epochs}\n")
    extra = ["--settings", "0.1:50,0:50", "--hints", "0,1"]
    rows = run_sweep_twice(tmp_path, run_twice, "distill_weight_sweep", extra, "distill_sweep.csv")
    weights = ("w_distill_latent", "w_distill_reconstruction", "w_distill_hint")
    settings = [(r["epochs"], *(float(r[w]) for w in weights)) for r in rows]
    trained = [("1", *pair, hint) for pair in ((0.1, 50.0), (0.0, 50.0)) for hint in (0.0, 1.0)]
    assert settings == [("3", 0.1, 50.0, 0.0), *trained]
    assert all(0.0 <= float(r["val_auroc"]) <= 1.0 and 0.0 <= float(r["test_auroc"]) <= 1.0 for r in rows)
    teachers = [path.parent.name for path in (tmp_path / "work" / "teachers").glob("*/teacher.pt")]
    assert len(teachers) == 1
    assert teachers[0].startswith("digits_class0_seed0_images48_batch16_e1_")


@pytest.mark.slow
def test_distill_inputs_sweep_records_both_scores_and_resumes(tmp_path, run_twice):
    rows = run_sweep_twice(
        tmp_path, run_twice, "distill_inputs_sweep", ["--settings", "alone,cutpaste:1"], "distill_inputs.csv"
    )
    assert [r["setting"] for r in rows] == ["alone", "cutpaste:1"]
    for row in rows:
        for split in ("val", "test"):
            assert 0.0 <= float(row[f"{split}_auroc_latent"]) <= 1.0
            assert 0.0 <= float(row[f"{split}_auroc_reconstruction"]) <= 1.0
    assert len(list((tmp_path / "work" / "teachers").glob("*/teacher.pt"))) == 1  # only P-KDGAN needs the teacher


@pytest.mark.slow
def test_distill_inputs_sweep_keys_cells_by_joint_epochs_and_extends_old_files(tmp_path, run_twice):
    # A file from before --joint-epochs (no such column): its row is the cell with J = E, done, and kept.
    (tmp_path / "out").mkdir()
    header = "dataset,normal_class,seed,epochs,batch_size,setting,val_auroc_latent,val_auroc_reconstruction,"
    old = "digits,0,0,1,16,alone,0.5,0.5,0.5,0.5,1.0"
    path = tmp_path / "out" / "distill_inputs.csv"
    path.write_text(f"{header}test_auroc_latent,test_auroc_reconstruction,train_seconds\n{old}\n")
    extra = ["--settings", "alone", "--joint-epochs", "2"]
    rows = run_sweep_twice(tmp_path, run_twice, "distill_inputs_sweep", extra, "distill_inputs.csv")
    assert [(r["setting"], r["epochs"], r["joint_epochs"]) for r in rows] == [("alone", "1", ""), ("alone", "1", "2")]
    assert rows[0]["val_auroc_latent"] == "0.5"  # the old row, untouched
    assert 0.0 <= float(rows[1]["val_auroc_latent"]) <= 1.0


@pytest.mark.slow
def test_capacity_sweep_records_cost_and_validation_choice_and_resumes(tmp_path, run_twice):
    rows = run_sweep_twice(tmp_path, run_twice, "capacity_sweep", ["--students", "2:4,4:8"], "capacity_sweep.csv")
    assert [(r["student_features"], r["student_latent"]) for r in rows] == [("2", "4"), ("4", "8")]
    narrow, wide = rows
    assert int(wide["student_flops"]) > int(narrow["student_flops"])
    assert float(wide["flops_ratio"]) < float(narrow["flops_ratio"])
    for row in rows:
        latent_wins = float(row["val_auroc_latent"]) >= float(row["val_auroc_reconstruction"])
        chosen = "latent" if latent_wins else "reconstruction"
        assert row["test_auroc_auto"] == row[f"test_auroc_{chosen}"]


@pytest.mark.parametrize(
    ("script", "option"), [("capacity_sweep", "--students"), ("distill_weight_sweep", "--settings")]
)
def test_sweeps_refuse_a_malformed_setting_by_name(bench, monkeypatch, capsys, tmp_path, script, option):
    main = bench(f"benchmarks.accuracy.{script}").main  # in this process: argparse refuses before anything runs
    monkeypatch.setattr(sys, "argv", [script, "--quick", option, "16", "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    stderr = capsys.readouterr().err
    assert f"argument {option}: expected a comma list of" in stderr
    assert "'16'" in stderr
    assert not (tmp_path / "out").exists()


def schema_row(schema) -> dict:
    """A row of ``schema`` as a script holds it before writing: numbers, not strings."""
    values = {"dataset": "mnist", "variant": "pkdgan", "w_distill_latent": 0.1, "w_distill_reconstruction": 50}
    return {column: values.get(column, 3) for column in schema.columns}


def changed(value):
    return {"mnist": "fashion_mnist", "pkdgan": "kd_joint", 0.1: 0.0, 50: 5}.get(value, 7)


def test_every_key_column_names_another_cell_and_no_other_column_does(bench):
    cells = bench("benchmarks.common.cells")
    assert {schema.file for schema in cells.SCHEMAS} == {
        "oneclass.csv",
        "distill_sweep.csv",
        "capacity_sweep.csv",
        "small_data.csv",
        "distill_inputs.csv",
    }
    for schema in cells.SCHEMAS:
        row = schema_row(schema)
        key_names = [name for name, _ in schema.key_columns]
        for column in schema.columns:
            other = schema.key({**row, column: changed(row[column])})
            assert (other != schema.key(row)) == (column in key_names), (schema.file, column)
    assert "epochs" in [name for name, _ in cells.DISTILL.key_columns]


@pytest.mark.parametrize("name", ["ONECLASS", "DISTILL", "CAPACITY", "SMALL_DATA", "DISTILL_INPUTS"])
def test_a_written_cell_is_done_when_read_back(bench, tmp_path, name):
    schema = getattr(bench("benchmarks.common.cells"), name)
    row = schema_row(schema)
    assert schema.done(tmp_path) == set()
    schema.append(tmp_path, {**row, "not_a_column": "dropped"})
    schema.append(tmp_path, {**row, "seed": 4})
    assert schema.done(tmp_path) == {schema.key(row), schema.key({**row, "seed": 4})}
    with (tmp_path / schema.file).open() as handle:
        assert tuple(next(csv.reader(handle))) == schema.columns


def test_appending_to_a_file_of_other_columns_is_refused(bench, tmp_path):
    cells = bench("benchmarks.common.cells")
    (tmp_path / "distill_sweep.csv").write_text("dataset,normal_class,seed,w_distill_latent\nmnist,0,0,0.1\n")
    with pytest.raises(ValueError, match=r"distill_sweep\.csv has the columns"):
        cells.DISTILL.append(tmp_path, schema_row(cells.DISTILL))


def test_a_file_written_before_columns_were_added_is_extended_and_keeps_its_rows(bench, tmp_path):
    cells = bench("benchmarks.common.cells")
    row = schema_row(cells.DISTILL)
    older = cells.CellSchema(cells.DISTILL.file, cells.DISTILL.columns[:-2], cells.DISTILL.key_columns)
    older.append(tmp_path, row)
    cells.DISTILL.append(tmp_path, {**row, "seed": 4})
    with (tmp_path / cells.DISTILL.file).open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == cells.DISTILL.columns
    assert [rows[0]["test_auroc"], rows[0]["train_seconds"]] == ["", ""]  # the old row: the added columns empty
    assert rows[1]["train_seconds"] == str(row["train_seconds"])
    assert cells.DISTILL.done(tmp_path) == {cells.DISTILL.key(row), cells.DISTILL.key({**row, "seed": 4})}
    assert [path.name for path in tmp_path.iterdir()] == [cells.DISTILL.file]  # no partial file left


def test_the_teacher_cache_path_changes_with_every_setting_that_shapes_the_teacher(bench, tmp_path):
    benchmark = bench("benchmarks.accuracy.one_class_benchmark")
    args = argparse.Namespace(max_train_images=2000, batch_size=32, epochs=3, teacher_weights="best_validation")
    settings = benchmark.teacher_settings(args, "mnist", 2, 1)
    assert {
        "dataset", "normal_class", "seed", "max_train_images", "batch_size", "teacher_epochs",
        "teacher_features", "teacher_latent", "input_size", "teacher_weights",
    } <= set(settings)  # fmt: skip
    path = benchmark.teacher_cache_path(tmp_path, settings)
    others = {"dataset": "fashion_mnist", "max_train_images": None, "input_size": (64, 64), "teacher_weights": "last"}
    for name, value in settings.items():
        other = {**settings, name: others.get(name, value + 1 if isinstance(value, int) else value)}
        assert other[name] != value, name
        assert benchmark.teacher_cache_path(tmp_path, other) != path, name
    for option, value in (("max_train_images", 1000), ("batch_size", 64), ("epochs", 1), ("teacher_weights", "last")):
        other_args = argparse.Namespace(**{**vars(args), option: value})
        assert benchmark.teacher_cache_path(tmp_path, benchmark.teacher_settings(other_args, "mnist", 2, 1)) != path
    assert benchmark.teacher_settings(args, "cifar10", 2, 1)["num_input_channels"] == 3


def test_distilled_variants_refuse_to_run_without_the_benchmarks_teacher(bench, tmp_path):
    benchmark = bench("benchmarks.accuracy.one_class_benchmark")
    sizes = benchmark.model_sizes("digits")
    for variant in ("kd_frozen", "pkdgan"):
        for missing in (None, tmp_path / "teacher.pt"):
            with pytest.raises(FileNotFoundError, match=f"{variant} distils from the benchmark's pre-trained teacher"):
                benchmark.gan_model(variant, sizes, 1, missing)


def test_the_teacher_is_trained_first_whenever_a_variant_needs_it(bench):
    order = bench("benchmarks.accuracy.one_class_benchmark").variant_order
    assert order(["kd_frozen", "teacher", "pkdgan"], teacher_cached=True) == ["teacher", "kd_frozen", "pkdgan"]
    assert order(["kd_frozen", "pkdgan"], teacher_cached=False) == ["teacher", "kd_frozen", "pkdgan"]
    assert order(["kd_frozen", "pkdgan"], teacher_cached=True) == ["kd_frozen", "pkdgan"]
    assert order(["student_alone", "kd_joint", "knn_pixels"], teacher_cached=False) == [
        "student_alone",
        "kd_joint",
        "knn_pixels",
    ]


def test_benchmark_models_count_epochs_whether_or_not_pkdgan_has_min_schedule_steps(bench, monkeypatch):
    benchmark = bench("benchmarks.accuracy.one_class_benchmark")

    class WithMinimum:
        def __init__(self, teacher_epochs: int, min_schedule_steps: int = 2000) -> None:
            self.arguments = {"teacher_epochs": teacher_epochs, "min_schedule_steps": min_schedule_steps}

    class WithoutMinimum:
        def __init__(self, teacher_epochs: int) -> None:
            self.arguments = {"teacher_epochs": teacher_epochs}

    monkeypatch.setattr(benchmark, "Pkdgan", WithMinimum)
    assert benchmark.epoch_counted_pkdgan(teacher_epochs=3).arguments == {"teacher_epochs": 3, "min_schedule_steps": 0}
    monkeypatch.setattr(benchmark, "Pkdgan", WithoutMinimum)
    assert benchmark.epoch_counted_pkdgan(teacher_epochs=3).arguments == {"teacher_epochs": 3}
