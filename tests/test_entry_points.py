# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""PKDGAN through every Anomalib entry point that names a model: ``get_model`` with a class path or config,
``from anomalib.models import``, the tiled ensemble, ``lightning_inference.py``'s parser and ``anomalib benchmark``.

``get_model`` with a bare name (``"pkdgan"``, ``"PKDGAN"``) is tested in ``test_anomalib_suite.py``."""

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from anomalib.models import AnomalibModule, UnknownModelError, get_model
from anomalib.pipelines.benchmark.job import BenchmarkJob
from jsonargparse import Namespace
from lightning.pytorch.cli import LightningArgumentParser

from anomalib_pkdgan import PKDGAN, Pkdgan

ANOMALIB = str(Path(sys.executable).parent / "anomalib")
TINY_ARGS = {"teacher_features": 8, "teacher_latent": 16, "student_features": 2, "student_latent": 4}


def student_width(model: Pkdgan) -> int:
    return model.hparams["student_features"]


@pytest.mark.parametrize(
    ("class_path", "cls"),
    [
        ("Pkdgan", Pkdgan),
        ("PKDGAN", PKDGAN),
        ("anomalib.models.Pkdgan", Pkdgan),
        ("anomalib.models.PKDGAN", PKDGAN),
        ("anomalib_pkdgan.Pkdgan", Pkdgan),
        ("anomalib_pkdgan.PKDGAN", PKDGAN),
        ("anomalib_pkdgan.models.pkdgan.Pkdgan", Pkdgan),
        (f"{Pkdgan.__module__}.Pkdgan", Pkdgan),  # the class path jsonargparse writes into saved configs
    ],
)
def test_get_model_by_class_path(class_path, cls):
    model = get_model({"class_path": class_path, "init_args": TINY_ARGS})
    assert type(model) is cls
    assert student_width(model) == 2


def test_the_allowlist_opens_to_the_model_classes_only():
    with pytest.raises(UnknownModelError):
        get_model({"class_path": "anomalib_pkdgan.data.OneClassVision"})
    with pytest.raises(UnknownModelError):
        get_model({"class_path": "os.system"})


def test_lightning_inference_parser_and_get_model():
    # What Anomalib's tools/inference/lightning_inference.py does with ``--model``: jsonargparse resolves the name
    # to the full class path, and get_model receives that Namespace.
    parser = LightningArgumentParser()
    parser.add_lightning_class_args(AnomalibModule, "model", subclass_mode=True)
    args = parser.parse_args(["--model", "PKDGAN", "--model.student_features", "2", "--model.teacher_features", "8"])
    assert isinstance(args.model, Namespace)
    assert args.model.class_path.startswith("anomalib_pkdgan.")
    model = get_model(args.model)
    assert type(model) is PKDGAN
    assert student_width(model) == 2


def test_tiled_ensemble_builds_the_model():
    from anomalib.pipelines.tiled_ensemble.components.utils import NormalizationStage
    from anomalib.pipelines.tiled_ensemble.components.utils.helper_functions import get_ensemble_model

    # No init_args: Anomalib's get_model cannot merge the ensemble's pre-processor into an OmegaConf init_args.
    model = get_ensemble_model({"class_path": "Pkdgan"}, 32, NormalizationStage.IMAGE)
    assert isinstance(model, Pkdgan)
    assert model.visualizer is None  # the ensemble's own arguments reach the model too


@pytest.mark.parametrize("first", ["", "from anomalib_pkdgan import Pkdgan\n"], ids=["anomalib-first", "plugin-first"])
def test_from_anomalib_models_import_in_a_fresh_interpreter(first):
    # plugin-first: the plugin imports anomalib.models half-way through its own import.
    code = first + (
        "from anomalib.models import PKDGAN, Pkdgan\n"
        "import anomalib.models, anomalib_pkdgan\n"
        "print(Pkdgan is anomalib_pkdgan.Pkdgan, PKDGAN is anomalib_pkdgan.PKDGAN, 'PKDGAN' in anomalib.models.__all__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False)
    assert result.stdout.split() == ["True", "True", "True"], result.stderr[-3000:]
    assert "anomalib-pkdgan could not load" not in result.stderr


def test_benchmark_tables_models_with_different_init_args():
    table = BenchmarkJob.collect([{"model": "Padim", "n_features": 8}, {"model": "Pkdgan", "student_features": 2}])
    assert table["model"].tolist() == ["Padim", "Pkdgan"]
    assert table["n_features"].tolist()[0] == 8
    assert math.isnan(table["n_features"].tolist()[1])
    assert table["student_features"].tolist()[1] == 2


BENCHMARK_CONFIG = """\
accelerator: cpu
benchmark:
  seed: 0
  model:
    grid:
      - class_path: Padim
        init_args: {backbone: resnet18, layers: [layer1], pre_trained: false, n_features: 8, visualizer: false}
      - class_path: PKDGAN
        init_args:
          teacher_features: 8
          teacher_latent: 16
          student_features: 2
          student_latent: 4
          teacher_epochs: 1
          frozen_epochs: 1
          joint_epochs: 1
          min_schedule_steps: 0
          visualizer: false
  data:
    class_path: Folder
    init_args:
      name: squares
      root: squares
      normal_dir: good
      normal_test_dir: good_test
      abnormal_dir: bad
      train_batch_size: 8
      eval_batch_size: 8
      num_workers: 0
"""


@pytest.mark.slow
def test_anomalib_benchmark_runs_pkdgan_beside_padim(tmp_path, noise_dataset):
    noise_dataset(tmp_path / "squares").write((32, 32), (slice(8, 24), slice(8, 24)), (24, 8, 8))
    (tmp_path / "benchmark.yaml").write_text(BENCHMARK_CONFIG)
    # Run in tmp_path (Anomalib writes runs/ into the cwd), importing the same anomalib_pkdgan as this test.
    pythonpath = [str(Path(entry).resolve()) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": os.pathsep.join(pythonpath)}
    result = subprocess.run(
        [ANOMALIB, "benchmark", "--config", "benchmark.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    # Anomalib's pipeline logs a failed job and still exits 0: the results table is what tells.
    tables = list((tmp_path / "runs" / "benchmark").glob("*/results.csv"))
    assert len(tables) == 1, result.stdout[-3000:] + result.stderr[-3000:]
    with tables[0].open() as file:
        rows = list(csv.DictReader(file))
    assert [row["model.class_path"] for row in rows] == ["Padim", "PKDGAN"]
    assert rows[1]["model.init_args.student_features"] in {"2", "2.0"}
    for row in rows:
        assert 0.0 <= float(row["image_AUROC"]) <= 1.0
