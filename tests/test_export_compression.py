# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Every OpenVINO compression Anomalib offers (FP16, INT8, INT8_PTQ, INT8_ACQ), through ``OpenVINOInferencer``."""

from pathlib import Path

import numpy as np
import pytest
import torch
from anomalib.data.utils import read_image
from anomalib.deploy import CompressionType, ExportType, OpenVINOInferencer
from anomalib.engine import Engine

from anomalib_pkdgan import OPENVINO_FP32_CONFIG

# Largest |normalised score - PyTorch's| accepted per compression on this tiny model. Normalised scores lie in
# [0, 1] with the threshold at 0.5, and the normalisation divides by the validation score range, so an error
# relative to the scores is about an absolute error here. The errors of a full-size benchmark cell are in
# benchmarks/results/export_compression.csv (benchmarks/export_compression.py).
TOLERANCE = {
    # FP32 IR: the same arithmetic in another order (tests/test_export.py holds it to the same 1e-4).
    None: 1e-4,
    # Weights rounded to float16 (11-bit significand: relative error <= 2**-11 = 4.9e-4 each), computed in f32.
    CompressionType.FP16: 5e-3,
    # Weights stored as uint8 with a scale and zero point per output channel (a step of 1/255 of each channel's
    # range), activations in f32: larger than FP16's 2**-11, and the latent score is a small difference of two
    # encodings, which magnifies it.
    CompressionType.INT8: 5e-2,
    # Weights and activations in 8 bits, activation ranges calibrated per tensor on a few dozen images: a step of
    # 1/255 of each tensor's range at every layer. This bound holds for the tiny model only; it checks the path
    # (calibration, export, inferencer, threshold), not the accuracy, which the CSV above reports.
    CompressionType.INT8_PTQ: 0.15,
    CompressionType.INT8_ACQ: 0.15,  # the PTQ model, kept if validation F1 drops <= 1 %, else layers back in f32
}
CALIBRATED = {CompressionType.INT8_PTQ, CompressionType.INT8_ACQ}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_root, make_model):
    from anomalib_pkdgan import OneClassVision

    torch.manual_seed(0)
    tmp = tmp_path_factory.mktemp("compression")
    datamodule = OneClassVision(
        root=data_root, dataset="digits", normal_class=0, train_batch_size=16, max_train_images=48, max_test_images=48
    )
    model = make_model()  # epochs alone: max_epochs=3 holds the three phases
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp)
    engine.fit(model, datamodule=datamodule)
    datamodule.setup()
    paths = list(datamodule.test_data.samples.image_path[:24])
    with torch.no_grad():
        reference = model.eval()(torch.stack([read_image(path, as_tensor=True) for path in paths]))
    return engine, model, datamodule, paths, reference, tmp


def compression_name(compression: CompressionType | None) -> str:
    return "FP32" if compression is None else compression.name


@pytest.fixture(scope="module")
def exported(trained):
    """The OpenVINO export of the trained model with a compression, made once for the module's tests."""
    engine, model, datamodule, _, _, tmp = trained
    paths = {}

    def export(compression: CompressionType | None) -> Path:
        if compression not in paths:
            paths[compression] = engine.export(
                model,
                export_type=ExportType.OPENVINO,
                export_root=tmp / compression_name(compression),
                compression_type=compression,
                datamodule=datamodule if compression in CALIBRATED else None,
            )
        return paths[compression]

    return export


@pytest.mark.parametrize("compression", list(TOLERANCE), ids=compression_name)
def test_openvino_compression_scores_and_labels_as_pytorch(trained, exported, compression, monkeypatch):
    _, _, _, paths, reference, tmp = trained
    monkeypatch.chdir(tmp)  # Anomalib's OpenVINOInferencer writes an "openvino_cache" folder into the cwd
    name = compression_name(compression)
    path = exported(compression)
    inferencer = OpenVINOInferencer(path=path, device="CPU", config=OPENVINO_FP32_CONFIG)
    scores, labels = [], []
    for image in paths:
        result = inferencer.predict(image)
        scores.append(float(np.asarray(result.pred_score).reshape(-1)[0]))
        labels.append(bool(np.asarray(result.pred_label).reshape(-1)[0]))
    scores, labels = np.array(scores), np.array(labels)
    torch_scores, torch_labels = reference.pred_score.numpy(), reference.pred_label.numpy().astype(bool)
    np.testing.assert_allclose(scores, torch_scores, rtol=0, atol=TOLERANCE[compression], err_msg=name)
    # The exported threshold (0.5 on the normalised score) gives the labels...
    np.testing.assert_array_equal(labels, scores > 0.5, err_msg=name)
    # ...and they are PyTorch's wherever PyTorch's score is farther from the threshold than the tolerance.
    clear = np.abs(torch_scores - 0.5) > TOLERANCE[compression]
    assert set(torch_labels[clear].tolist()) == {False, True}, "the images must hold clear normal and anomalous cases"
    np.testing.assert_array_equal(labels[clear], torch_labels[clear], err_msg=name)


def test_compressed_exports_are_smaller(exported):
    sizes = {}
    for compression in (None, CompressionType.FP16, CompressionType.INT8):
        sizes[compression] = exported(compression).with_suffix(".bin").stat().st_size
    assert sizes[CompressionType.INT8] < sizes[CompressionType.FP16] < sizes[None], sizes
