# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The fused student that ONNX and OpenVINO export scores as the student does, in PyTorch and in OpenVINO."""

import anomalib
import numpy as np
import openvino as ov
import pytest
import torch
from anomalib.data import InferenceBatch
from anomalib.deploy import CompressionType
from anomalib.post_processing import PostProcessor
from anomalib.pre_processing import PreProcessor
from packaging.version import Version
from torch import nn
from torch.utils.data import DataLoader
from torchvision.transforms.v2 import CenterCrop, Compose, Normalize, Resize

from anomalib_pkdgan import OPENVINO_FP32_CONFIG, Pkdgan
from anomalib_pkdgan.models.pkdgan.export.fused_student import FusedStudent
from anomalib_pkdgan.models.pkdgan.export.fusion import SubPixelConvTranspose
from anomalib_pkdgan.models.pkdgan.export.graph import FoldedPostProcessor


def random_model(**kwargs) -> Pkdgan:
    """A small Pkdgan with random weights and random BatchNorm statistics (so that folding them is tested)."""
    torch.manual_seed(0)
    model = Pkdgan(teacher_features=8, teacher_latent=16, visualizer=False, post_processor=False, **kwargs)
    generator = torch.Generator().manual_seed(1)
    for module in model.model.student.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(module.num_features, generator=generator) * 0.1)
    model.student_steps.fill_(1)
    return model.eval()


def assert_same(output, reference) -> None:
    torch.testing.assert_close(output.pred_score, reference.pred_score, rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(
        output.anomaly_map.view_as(reference.anomaly_map), reference.anomaly_map, atol=1e-6, rtol=0
    )


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"num_input_channels": 3},
        {"input_size": (28, 36)},
        {"score_type": "reconstruction"},
        {"anomaly_map_sigma": 2.0},
        {"extra_layers": 1},
        {"student_block": "separable", "student_features": 6, "student_latent": 100},
        {"student_block": "separable", "num_input_channels": 3, "student_features": 6, "student_latent": 32},
        {"student_block": "dense", "student_features": 24, "student_latent": 16, "input_size": (28, 36)},
        {"student_block": "dense", "num_input_channels": 3, "student_features": 8, "score_type": "reconstruction"},
    ],
    ids=[
        "default",
        "colour",
        "28x36",
        "reconstruction",
        "smoothed",
        "extra-layers",
        "separable",
        "separable-colour",
        "dense-28x36",
        "dense-colour-reconstruction",
    ],
)
def test_fused_student_scores_as_the_student(settings):
    model = random_model(**settings)
    fused = FusedStudent(model.model, model.pre_processor).eval()
    size = model.model.student.input_size
    for shape in ((4, 3, *size), (2, 3, 40, 44)):
        images = torch.rand(*shape, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            assert_same(fused(images), model(images))


def test_a_pre_processor_that_cannot_be_folded_runs_as_it_is():
    pre_processor = PreProcessor(transform=Compose([Resize((40, 40)), CenterCrop(32), Normalize([0.4] * 3, [0.3] * 3)]))
    model = random_model(pre_processor=pre_processor)
    fused = FusedStudent(model.model, model.pre_processor).eval()
    assert fused.input.transform is pre_processor
    images = torch.rand(3, 3, 50, 50)
    with torch.no_grad():
        assert_same(fused(images), model(images))


def test_sub_pixel_convolution_keeps_the_weights_count():
    layer = nn.ConvTranspose2d(6, 3, 4, stride=2, padding=1)
    sub_pixel = SubPixelConvTranspose(layer)
    assert sub_pixel.conv.weight.numel() == layer.weight.numel()
    images = torch.rand(2, 6, 8, 8)
    torch.testing.assert_close(sub_pixel(images), layer(images), atol=1e-6, rtol=0)


@pytest.mark.parametrize("block", ["standard", "separable", "dense"])
def test_openvino_graph_resizes_only_images_of_another_size(tmp_path, block):
    model = random_model(student_block=block, student_features=4, student_latent=8)
    path = model.to_openvino(tmp_path)
    ov_model = ov.Core().read_model(path)
    if Version(anomalib.__version__) >= Version("2.7"):  # torch.export traces torch.cond; TorchScript (older) does not
        assert "If" in {op.get_type_name() for op in ov_model.get_ops()}
    compiled = ov.Core().compile_model(ov_model, "CPU", OPENVINO_FP32_CONFIG)
    for shape in ((5, 3, 32, 32), (1, 3, 32, 32), (3, 3, 28, 28), (2, 3, 48, 40)):
        images = torch.rand(*shape, generator=torch.Generator().manual_seed(3))
        outputs = compiled(images.numpy())
        with torch.no_grad():
            reference = model(images)
        scores = outputs[compiled.output("pred_score")].reshape(-1)
        np.testing.assert_allclose(scores, reference.pred_score.numpy(), rtol=1e-4, err_msg=str(shape))
        maps = outputs[compiled.output("anomaly_map")]
        np.testing.assert_allclose(maps, reference.anomaly_map.numpy(), atol=1e-5, err_msg=str(shape))


class ModelSizeImages:
    """The part of a datamodule that Anomalib's INT8_PTQ export reads: validation images, all of the model's size."""

    train_batch_size = 4

    def setup(self, stage: str) -> None:
        del stage

    def val_dataloader(self) -> DataLoader:
        images = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(4))
        return DataLoader([{"image": image} for image in images], batch_size=4)


def test_calibrated_int8_export_always_resizes(tmp_path):
    # NNCF refuses an If branch that no calibration image takes; images of the model's size never take the resize.
    model = random_model()
    path = model.to_openvino(tmp_path, compression_type=CompressionType.INT8_PTQ, datamodule=ModelSizeImages())
    assert "If" not in {op.get_type_name() for op in ov.Core().read_model(path).get_ops()}


@pytest.mark.parametrize("threshold", [0.3, float("nan")], ids=["threshold", "no-threshold"])
def test_folded_post_processor_gives_anomalib_post_processing(threshold):
    post_processor = PostProcessor()
    for level, (low, high) in {"image": (0.1, 0.9), "pixel": (-1.0, 3.0)}.items():
        getattr(post_processor, f"{level}_min").fill_(low)
        getattr(post_processor, f"{level}_max").fill_(high)
        getattr(post_processor, f"_{level}_threshold").fill_(threshold)
    folded = FoldedPostProcessor.of(post_processor)
    assert isinstance(folded, FoldedPostProcessor)
    predictions = InferenceBatch(pred_score=torch.rand(64) * 1.2 - 0.1, anomaly_map=torch.randn(4, 1, 8, 8) * 2)
    expected, output = post_processor(predictions), folded(predictions)
    for name in ("pred_score", "pred_label", "anomaly_map", "pred_mask"):
        assert torch.equal(getattr(output, name), getattr(expected, name)), name


def test_post_processors_without_usable_statistics_are_exported_as_they_are():
    untrained, zero_range = PostProcessor(), PostProcessor()
    for name, buffer in zero_range.named_buffers():
        buffer.fill_(0.5 if "threshold" in name else 1.0)
    for post_processor in (untrained, zero_range, None, nn.Identity()):
        assert FoldedPostProcessor.of(post_processor) is post_processor
