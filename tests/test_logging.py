# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What validation decides and what training does reaches Anomalib's loggers, and data without masks raises no
metric warnings: one fit and test on a maskless ``Folder`` through Anomalib's ``Engine`` with Lightning's CSVLogger."""

import csv
import warnings

import pytest
from anomalib.engine import Engine
from lightning.pytorch.loggers import CSVLogger


@pytest.fixture
def run(tmp_path, make_model, noise_dataset):
    """Fit and test a tiny model on a Folder with normal and anomalous images and no masks; record every warning."""
    root = tmp_path / "maskless"
    datamodule = noise_dataset(root).write((16, 16), (slice(4, 12), slice(4, 12))).datamodule()
    model = make_model(input_size=(16, 16))
    engine = Engine(
        max_epochs=model.schedule.total_epochs, accelerator="cpu", default_root_dir=root, log_every_n_steps=1,
        logger=CSVLogger(root / "logs"),
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine.fit(model, datamodule=datamodule)
        results = engine.test(model, datamodule=datamodule)
    (metrics_file,) = (root / "logs").rglob("metrics.csv")
    with metrics_file.open() as file:
        rows = list(csv.DictReader(file))
    return model, results, rows, caught


@pytest.mark.slow
def test_validation_choices_and_step_losses_reach_the_logger(run):
    model, _, rows, _ = run
    logged = {name for row in rows for name, value in row.items() if value}
    for network in ("student", "teacher"):
        assert {f"val/{network}/latent_AUROC", f"val/{network}/reconstruction_AUROC"} <= logged
    assert {"val/score_type", "val/anomaly_map_sigma", "val/kept_step", "train_loss", "phase"} <= logged
    assert any(name.startswith("train/student/") for name in logged)

    train_rows = [row for row in rows if row["train_loss"]]
    assert len(train_rows) == int(model.schedule_step)  # one row per training batch, not per epoch
    phases = [float(row["phase"]) for row in train_rows]
    assert phases == sorted(phases)
    assert set(phases) == {0.0, 1.0, 2.0}  # whole phase numbers, never an epoch's average

    validation_rows = [row for row in rows if row["val/score_type"]]
    last = validation_rows[-1]
    assert float(last["val/score_type"]) in {0.0, 1.0}
    assert ["latent", "reconstruction"][int(float(last["val/score_type"]))] == model.model.score_type.value
    assert float(last["val/anomaly_map_sigma"]) == model.model.anomaly_map_sigma
    assert int(float(last["val/kept_step"])) == model.selection.best.step
    assert 0.0 <= float(last["val/teacher/latent_AUROC"]) <= 1.0


@pytest.mark.slow
def test_data_without_masks_gives_image_metrics_and_no_metric_warnings(run):
    _, results, _, caught = run
    assert set(results[0]) == {"image_AUROC", "image_F1Score"}
    before_update = [
        str(warning.message) for warning in caught if "called before the ``update``" in str(warning.message)
    ]
    assert before_update == []
