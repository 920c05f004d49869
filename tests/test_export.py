# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Export of the compact student through Anomalib, and parity of its inferencers with PyTorch."""

import lightning
import numpy as np
import onnx
import openvino as ov
import pytest
import torch
from anomalib.data.utils import read_image
from anomalib.deploy import ExportType, OpenVINOInferencer, TorchInferencer
from anomalib.engine import Engine

from anomalib_pkdgan import OPENVINO_FP32_CONFIG, ScoreType
from anomalib_pkdgan.models.pkdgan.export.mixin import ONNX_OPSET


@pytest.fixture(scope="module", params=[1, 3], ids=["grey", "colour"])
def trained(request, tmp_path_factory, data_root, make_model):
    from anomalib_pkdgan import OneClassVision

    torch.manual_seed(0)
    tmp = tmp_path_factory.mktemp(f"export{request.param}")
    datamodule = OneClassVision(
        root=data_root, dataset="digits", normal_class=0, train_batch_size=16, max_train_images=48, max_test_images=48
    )
    model = make_model(num_input_channels=request.param)  # epochs alone: max_epochs=3 holds the phases
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp)
    engine.fit(model, datamodule=datamodule)
    datamodule.setup()
    paths = list(datamodule.test_data.samples.image_path[:12])
    return engine, model.eval(), paths, tmp


@pytest.fixture(scope="module")
def openvino_path(trained):
    """The trained model's OpenVINO export, made once for the tests that read it."""
    engine, model, _, tmp = trained
    return engine.export(model, export_type=ExportType.OPENVINO, export_root=tmp / "ov")


@pytest.fixture(scope="module")
def torch_path(trained):
    """The trained model's Torch export, made once for the tests that read it."""
    engine, model, _, tmp = trained
    return engine.export(model, export_type=ExportType.TORCH, export_root=tmp / "pt")


def _reference(model, paths):
    images = torch.stack([read_image(path, as_tensor=True) for path in paths])
    with torch.no_grad():
        return model(images)


def test_openvino_and_torch_inferencers_agree_with_pytorch(
    trained, openvino_path, torch_path, monkeypatch, inferencer_outputs
):
    monkeypatch.setenv("TRUST_REMOTE_CODE", "1")  # Anomalib's TorchInferencer unpickles the exported model
    _, model, paths, tmp = trained
    monkeypatch.chdir(tmp)  # Anomalib's OpenVINOInferencer writes an "openvino_cache" folder into the cwd
    reference = _reference(model, paths)
    inferencers = {
        "openvino": OpenVINOInferencer(path=openvino_path, device="CPU", config=OPENVINO_FP32_CONFIG),
        "torch": TorchInferencer(path=torch_path),
    }
    for name, inferencer in inferencers.items():
        scores, labels, maps = inferencer_outputs(inferencer, paths, (32, 32))
        np.testing.assert_allclose(scores, reference.pred_score.numpy(), atol=1e-4, err_msg=name)
        assert labels == reference.pred_label.tolist(), name
        np.testing.assert_allclose(maps, reference.anomaly_map.numpy().reshape(-1, 32, 32), atol=1e-4)


def test_openvino_graph_holds_the_student_only_and_takes_any_batch_size(trained, openvino_path):
    _, model, paths, _ = trained
    ov_model = ov.Core().read_model(openvino_path)
    constants = sum(
        int(np.prod(op.get_output_shape(0))) for op in ov_model.get_ops() if op.get_type_name() == "Constant"
    )
    generator = model.model.student.generator
    # The reconstruction score needs no second encoder, and the export drops it.
    scoring = [generator] if model.model.score_type == ScoreType.LATENT else [generator.encoder1, generator.decoder]
    student = sum(p.numel() for module in scoring for p in module.parameters())
    teacher = sum(p.numel() for p in model.model.teacher.generator.parameters())
    assert student <= constants <= student * 1.25 + 200, (constants, student)
    assert constants < teacher / 5

    compiled = ov.Core().compile_model(ov_model, "CPU", OPENVINO_FP32_CONFIG)
    images = torch.stack([read_image(p, as_tensor=True) for p in paths[:5]])
    scores = compiled(images.numpy())[compiled.output("pred_score")]
    np.testing.assert_allclose(scores.reshape(-1), _reference(model, paths[:5]).pred_score.numpy(), atol=1e-4)


def test_onnx_export_scores_as_pytorch(trained):
    engine, model, paths, tmp = trained
    path = engine.export(model, export_type=ExportType.ONNX, export_root=tmp / "onnx")
    assert path == tmp / "onnx" / "weights" / "onnx" / "model.onnx"
    opsets = {entry.domain: entry.version for entry in onnx.load(path).opset_import}
    assert opsets[""] == ONNX_OPSET  # written at the opset asked for: no down-conversion attempted
    chosen = model.to_onnx(tmp / "onnx20", opset_version=20)  # the caller's opset wins over the default
    assert {entry.domain: entry.version for entry in onnx.load(chosen).opset_import}[""] == 20
    compiled = ov.Core().compile_model(ov.Core().read_model(path), "CPU", OPENVINO_FP32_CONFIG)  # reads ONNX too
    images = torch.stack([read_image(p, as_tensor=True) for p in paths[:6]])
    outputs = compiled(images.numpy())
    reference = _reference(model, paths[:6])
    np.testing.assert_allclose(outputs[compiled.output("pred_score")].reshape(-1), reference.pred_score, atol=1e-4)
    np.testing.assert_allclose(outputs[compiled.output("anomaly_map")], reference.anomaly_map, atol=1e-4)


def test_torch_export_holds_the_student_generator_only(trained, torch_path):
    _, model, paths, _ = trained
    exported = torch.load(torch_path, map_location="cpu", weights_only=False)["model"]
    parameters = sum(p.numel() for p in exported.parameters())
    student_generator = sum(p.numel() for p in model.model.student.generator.parameters())
    assert parameters == student_generator, (parameters, student_generator)
    assert parameters * 10 < sum(p.numel() for p in model.parameters())
    reference = _reference(model, paths[:6])
    images = torch.stack([read_image(p, as_tensor=True) for p in paths[:6]])
    with torch.no_grad():
        torch.testing.assert_close(exported(images).pred_score, reference.pred_score, rtol=0, atol=1e-6)


def test_exporting_an_untrained_model_is_refused_and_leaves_nothing(tmp_path, make_model):
    model = make_model()
    engine = Engine(accelerator="cpu", logger=False, default_root_dir=tmp_path)
    for export_type in (ExportType.OPENVINO, ExportType.TORCH):
        with pytest.raises(RuntimeError, match="student was never trained"):
            engine.export(model, export_type=export_type, export_root=tmp_path / "out")
    assert not (tmp_path / "out" / "weights").exists() or not any((tmp_path / "out" / "weights").iterdir())


def test_checkpoint_of_another_model_is_refused(tmp_path):
    from anomalib_pkdgan import Pkdgan

    path = tmp_path / "other.ckpt"
    torch.save(
        {
            "state_dict": {"model.feature_extractor.weight": torch.zeros(2)},
            "hyper_parameters": {},
            "pytorch-lightning_version": lightning.__version__,
        },
        path,
    )
    with pytest.raises(ValueError, match="not written by a PKDGAN model"):
        Pkdgan.load_from_checkpoint(path, weights_only=False)
