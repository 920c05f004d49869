# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Tiling with Anomalib's TilerConfigurationCallback: fit, test, predict, checkpoints, refusals and export parity.

The images are 40x56 (non-square, not powers of two), cut into 20x28 tiles with a stride of 10x14 (overlapping, 9
tiles per image).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openvino as ov
import pytest
import torch
from anomalib.callbacks import TilerConfigurationCallback
from anomalib.data.utils import read_image
from anomalib.data.utils.tiler import Tiler
from anomalib.deploy import CompressionType, ExportType, OpenVINOInferencer, TorchInferencer
from anomalib.engine import Engine

from anomalib_pkdgan import OPENVINO_FP32_CONFIG, Pkdgan
from anomalib_pkdgan.models.pkdgan.export.fused_student import FusedStudent
from anomalib_pkdgan.models.pkdgan.tiling import TOP_K_CHOICES, TileGrid, reduce_tile_scores

REPO = Path(__file__).parents[1]
IMAGE = (40, 56)
TILE = (20, 28)
STRIDE = (10, 14)
TINY = {
    "input_size": TILE,
    "teacher_features": 8,
    "teacher_latent": 16,
    "student_features": 2,
    "student_latent": 4,
    "teacher_epochs": 1,
    "frozen_epochs": 1,
    "joint_epochs": 1,
    "min_schedule_steps": 0,
    "visualizer": False,
}


def _tiler_callback(tile_size=TILE, stride=STRIDE) -> TilerConfigurationCallback:
    return TilerConfigurationCallback(enable=True, tile_size=tile_size, stride=stride)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, noise_dataset):
    """Dark noise at IMAGE size; anomalous images have a small bright defect inside one tile."""
    return noise_dataset(tmp_path_factory.mktemp("data") / "large_images").write(IMAGE, (slice(25, 33), slice(40, 50)))


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    torch.manual_seed(0)
    tmp = tmp_path_factory.mktemp("tiled")
    model = Pkdgan(**TINY)
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp, callbacks=[_tiler_callback()])
    engine.fit(model, datamodule=dataset.datamodule())
    root = dataset.root
    paths = sorted(str(path) for path in root.glob("*test/*.png")) + sorted(str(p) for p in root.glob("bad/*.png"))
    return engine, model.eval(), paths, tmp


def _reference(model, paths):
    images = torch.stack([read_image(path, as_tensor=True) for path in paths])
    with torch.no_grad():
        return model(images)


@pytest.mark.parametrize("stride", [(20, 28), (10, 14), (5, 7), (20, 14)])
def test_tile_grid_cuts_and_stitches_as_anomalib_tiler(stride):
    images = torch.rand(3, 2, *IMAGE)
    grid, tiler = TileGrid(IMAGE, TILE, stride), Tiler(tile_size=TILE, stride=stride)
    tiles = tiler.tile(images)
    torch.testing.assert_close(grid.tile(images), tiles, rtol=0, atol=0)
    maps = tiles.mean(dim=1, keepdim=True) + torch.rand(tiles.shape[0], 1, *TILE)  # tiles disagree where they overlap
    torch.testing.assert_close(grid.untile(maps), tiler.untile(maps), rtol=0, atol=1e-6)
    assert grid.num_tiles == len(tiles) // 3


def test_top_k_reduction_is_per_image():
    scores = torch.tensor([1.0, 9.0, 3.0, 2.0, 0.0, 4.0])
    assert reduce_tile_scores(scores, 3).tolist() == [9.0, 4.0]
    assert reduce_tile_scores(scores, 3, top_k=2).tolist() == [6.0, 3.0]
    torch.testing.assert_close(reduce_tile_scores(scores, 3, top_k=8), torch.tensor([13 / 3, 2.0]))  # all tiles


def test_tiles_of_another_size_than_input_size_are_refused(dataset, tmp_path):
    engine = Engine(accelerator="cpu", logger=False, default_root_dir=tmp_path, callbacks=[_tiler_callback((16, 16))])
    with pytest.raises(ValueError, match=r"tiles must be that size.*tile_size is 16x16"):
        engine.fit(Pkdgan(**TINY), datamodule=dataset.datamodule())
    model = Pkdgan(**TINY).model
    with pytest.raises(ValueError, match="remove_border_count=2"):
        model.tiler = Tiler(tile_size=TILE, stride=STRIDE, remove_border_count=2)
    assert model.tiler is None


def test_a_stride_that_leaves_pixels_uncovered_is_refused(dataset, tmp_path):
    engine = Engine(
        accelerator="cpu", logger=False, default_root_dir=tmp_path, callbacks=[_tiler_callback(stride=(20, 12))]
    )
    with pytest.raises(ValueError, match=r"leave the last 4 columns of images of 56 columns uncovered.*one of"):
        engine.fit(Pkdgan(**TINY), datamodule=dataset.datamodule())


def test_fit_trains_on_tiles_and_keeps_whole_images(trained):
    _, model, _, _ = trained
    assert model.model.tiler is not None
    assert model.model.tiled_image_size == IMAGE
    assert int(model.student_steps) > 0
    assert model.model.tile_top_k in TOP_K_CHOICES
    assert model.pre_processor(torch.rand(1, 3, *IMAGE)).shape[-2:] == IMAGE  # no resize to the tile size


def test_scores_of_each_image_do_not_depend_on_the_batch(trained):
    _, model, paths, _ = trained
    together = _reference(model, paths[:6])
    alone = [_reference(model, [path]) for path in paths[:6]]
    torch.testing.assert_close(torch.cat([a.pred_score for a in alone]), together.pred_score, rtol=0, atol=1e-6)
    torch.testing.assert_close(torch.cat([a.anomaly_map for a in alone]), together.anomaly_map, rtol=0, atol=1e-6)


def test_test_and_predict_give_whole_image_maps(trained, dataset):
    engine, model, _, _ = trained
    results = engine.test(model, datamodule=dataset.datamodule())
    assert 0.0 <= results[0]["image_AUROC"] <= 1.0
    predictions = engine.predict(model, datamodule=dataset.datamodule())
    batch = predictions[0]
    assert tuple(batch.anomaly_map.shape[-2:]) == IMAGE
    assert batch.pred_score.shape == (len(batch.image),)


def test_checkpoint_restores_the_tiling(trained):
    engine, model, paths, _ = trained
    loaded = Pkdgan.load_from_checkpoint(engine.trainer.checkpoint_callback.best_model_path).eval()
    assert loaded.model.tiler is not None
    assert (loaded.model.tiler.stride_h, loaded.model.tiler.stride_w) == STRIDE
    assert loaded.model.tiled_image_size == IMAGE
    assert loaded.model.tile_top_k == model.model.tile_top_k
    torch.testing.assert_close(_reference(loaded, paths).pred_score, _reference(model, paths).pred_score)


def test_fused_student_tiles_as_the_model(trained):
    _, model, _, _ = trained
    images = torch.rand(3, 3, *IMAGE) * 2 - 1
    fused = FusedStudent(model.model, pre_processor=None, image_size=IMAGE).eval()
    with torch.no_grad():
        expected, actual = model.model(images), fused(images)
    torch.testing.assert_close(actual.pred_score, expected.pred_score, rtol=0, atol=1e-5)
    torch.testing.assert_close(actual.anomaly_map.unflatten(2, IMAGE), expected.anomaly_map, rtol=0, atol=1e-5)


def test_exports_take_whole_images_and_agree_with_pytorch(trained, monkeypatch, inferencer_outputs):
    monkeypatch.setenv("TRUST_REMOTE_CODE", "1")  # Anomalib's TorchInferencer unpickles the exported model
    engine, model, paths, tmp = trained
    monkeypatch.chdir(tmp)  # Anomalib's OpenVINOInferencer writes an "openvino_cache" folder into the cwd
    reference = _reference(model, paths)
    onnx_path = engine.export(model, export_type=ExportType.ONNX, export_root=tmp / "onnx")
    inferencers = {
        "openvino": OpenVINOInferencer(
            path=engine.export(model, export_type=ExportType.OPENVINO, export_root=tmp / "ov"),
            device="CPU",
            config=OPENVINO_FP32_CONFIG,
        ),
        "onnx": OpenVINOInferencer(path=onnx_path, device="CPU", config=OPENVINO_FP32_CONFIG),
        "torch": TorchInferencer(path=engine.export(model, export_type=ExportType.TORCH, export_root=tmp / "pt")),
    }
    for name, inferencer in inferencers.items():
        scores, labels, maps = inferencer_outputs(inferencer, paths, IMAGE)
        np.testing.assert_allclose(scores, reference.pred_score.numpy(), atol=1e-4, err_msg=name)
        # The adaptive threshold is one validation image's score: that image sits on it, and rounding decides its label.
        decisive = (reference.pred_score - model.post_processor.normalized_image_threshold).abs() > 1e-4
        assert [label for label, keep in zip(labels, decisive, strict=True) if keep] == reference.pred_label[
            decisive
        ].tolist(), name
        np.testing.assert_allclose(maps, reference.anomaly_map.numpy().reshape(-1, *IMAGE), atol=1e-4)
    compiled = ov.Core().compile_model(ov.Core().read_model(onnx_path), "CPU", OPENVINO_FP32_CONFIG)
    batch = torch.stack([read_image(path, as_tensor=True) for path in paths[:5]])
    scores = compiled(batch.numpy())[compiled.output("pred_score")].reshape(-1)  # a batch of 5 whole images
    np.testing.assert_allclose(scores, reference.pred_score.numpy()[:5], atol=1e-4)


@pytest.mark.parametrize("compression", [CompressionType.FP16, CompressionType.INT8_PTQ])
def test_compressed_openvino_exports_keep_the_tiling(trained, dataset, compression):
    engine, model, paths, tmp = trained
    path = engine.export(
        model,
        export_type=ExportType.OPENVINO,
        export_root=tmp / compression.value,
        compression_type=compression,
        datamodule=dataset.datamodule(),
    )
    compiled = ov.Core().compile_model(ov.Core().read_model(path), "CPU")
    batch = torch.stack([read_image(p, as_tensor=True) for p in paths])
    outputs = compiled(batch.numpy())
    reference = _reference(model, paths)
    scores = outputs[compiled.output("pred_score")].reshape(-1)
    assert outputs[compiled.output("anomaly_map")].shape == (len(paths), 1, *IMAGE)
    assert np.isfinite(scores).all()
    if compression == CompressionType.FP16:  # INT8 of this 3-epoch model's tiny raw scores is coarse; FP16 is close
        assert np.corrcoef(scores, reference.pred_score.numpy())[0, 1] > 0.9


def test_large_images_config_trains_tests_and_exports_a_tiled_model(dataset, tmp_path):
    """``configs/large_images.yaml`` through the CLI, its tiles, networks and schedule shrunk to the test images."""
    anomalib = str(Path(sys.executable).parent / "anomalib")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [
            anomalib, "train", "--config", str(REPO / "configs" / "large_images.yaml"),
            "--model.input_size", "[20, 28]", "--model.teacher_features", "8", "--model.teacher_latent", "16",
            "--model.student_features", "2", "--model.student_latent", "4", "--model.min_schedule_steps", "0",
            "--model.teacher_epochs", "1", "--model.frozen_epochs", "1", "--model.joint_epochs", "1",
            "--data.root", str(dataset.root), "--data.normal_test_dir", "good_test",
            "--data.train_batch_size", "8", "--data.num_workers", "0",
            "--trainer.callbacks.tile_size", "[20, 28]", "--trainer.callbacks.stride", "[10, 14]",
            "--trainer.max_epochs", "3", "--trainer.accelerator", "cpu", "--default_root_dir", str(tmp_path / "run"),
        ],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "image_AUROC" in result.stdout + result.stderr
    checkpoint = next((tmp_path / "run").rglob("*.ckpt"))
    result = subprocess.run(
        [
            anomalib, "export", "--model", "PKDGAN", "--export_type", "openvino", "--ckpt_path", str(checkpoint),
            "--export_root", str(tmp_path / "export"),
        ],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    ov_model = ov.Core().read_model(tmp_path / "export" / "weights" / "openvino" / "model.xml")
    assert ov_model.input(0).get_partial_shape()[2:].to_shape() == ov.Shape(list(IMAGE))  # whole images
    assert list(ov_model.output("anomaly_map").get_partial_shape()[2:].to_shape()) == list(IMAGE)
