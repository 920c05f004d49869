# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Shapes, channel handling, per-image scores and input errors of the pure PyTorch modules."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from anomalib_pkdgan import Pkdgan
from anomalib_pkdgan.models.pkdgan.anomaly_map import ScoreType
from anomalib_pkdgan.models.pkdgan.components.gan_network import GanNetwork, canvas_size
from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel


def small(input_size=(32, 32), channels=1, **kwargs):
    args = {"teacher_features": 8, "teacher_latent": 16, "student_features": 2, "student_latent": 4}
    args.update(kwargs)
    return PkdganModel(input_size, channels, **args)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(32, 32), (28, 28), (28, 36), (40, 100), (64, 48), (8, 8)])
def test_shapes_for_any_size_and_channel_count(channels, size):
    model = small(size, channels).eval()
    images = torch.rand(3, channels, *size) * 2 - 1
    out = model(images)
    assert out.pred_score.shape == (3,)
    assert out.anomaly_map.shape == (3, 1, *size)
    gan = model.student(images)
    side = canvas_size(size)
    assert gan.reconstruction.shape == (3, channels, side, side)
    assert gan.latent_i.shape == gan.latent_o.shape == (3, 4, 1, 1)
    assert model.student.crop(gan.reconstruction).shape == images.shape


def test_padding_keeps_the_image_in_the_middle_of_the_canvas():
    net = GanNetwork((28, 36), 1, n_features=2, latent_vec_size=4)
    images = torch.rand(2, 1, 28, 36)
    canvas = net.pad(images)
    assert canvas.shape[-2:] == (64, 64)
    assert torch.equal(net.crop(canvas), images)


def test_rgb_batches_are_converted_for_a_grey_model_and_back():
    grey, colour = small(channels=1).eval(), small(channels=3).eval()
    rgb = torch.rand(2, 3, 32, 32)
    converted = grey.to_model_channels(rgb)
    assert converted.shape == (2, 1, 32, 32)
    expected = 0.2989 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]
    torch.testing.assert_close(converted[:, 0], expected)
    assert colour.to_model_channels(torch.rand(2, 1, 32, 32)).shape == (2, 3, 32, 32)


def test_score_of_an_image_does_not_depend_on_its_batch():
    model = small().eval()
    images = torch.rand(6, 1, 32, 32) * 2 - 1
    alone = torch.cat([model(images[i : i + 1]).pred_score for i in range(6)])
    together = model(images).pred_score
    shuffled = model(images.flip(0)).pred_score.flip(0)
    torch.testing.assert_close(alone, together)
    torch.testing.assert_close(together, shuffled)


def test_reconstruction_score_is_the_mean_of_the_anomaly_map():
    model = small(score_type="reconstruction").eval()
    out = model(torch.rand(2, 1, 32, 32))
    torch.testing.assert_close(out.pred_score, out.anomaly_map.flatten(1).mean(1))


def test_teacher_scores_come_from_the_teacher_and_student_scores_from_the_student():
    model = small().eval()
    images = torch.rand(3, 1, 32, 32) * 2 - 1
    student, _ = model.scores(images)
    teacher, teacher_map = model.scores(images, network="teacher")
    torch.testing.assert_close(model(images).pred_score, student[ScoreType.LATENT])
    output = model.teacher(images)
    torch.testing.assert_close(teacher[ScoreType.LATENT], (output.latent_i - output.latent_o).pow(2).mean((1, 2, 3)))
    torch.testing.assert_close(teacher[ScoreType.RECONSTRUCTION], teacher_map.flatten(1).mean(1))
    assert not torch.allclose(teacher[ScoreType.LATENT], student[ScoreType.LATENT])
    with pytest.raises(ValueError, match="network must be 'student' or 'teacher'"):
        model.scores(images, network="discriminator")


def test_student_only_at_inference():
    """Inference touches no teacher weight: the teacher can be garbage and scores stay the same."""
    model = small().eval()
    images = torch.rand(2, 1, 32, 32)
    before = model(images).pred_score
    with torch.no_grad():
        for parameter in model.teacher.parameters():
            parameter.fill_(float("nan"))
    torch.testing.assert_close(model(images).pred_score, before)


def test_default_student_is_at_least_300x_cheaper_than_the_teacher():
    model = PkdganModel((32, 32), 1).eval()

    def flops(net):
        with FlopCounterMode(display=False) as counter:
            net.generator(torch.zeros(1, 1, 32, 32))
        return counter.get_total_flops()

    assert flops(model.teacher) / flops(model.student) >= 300


@pytest.mark.parametrize(("hidden", "latent", "ratio"), [(48, 16, 311), (24, 16, 700)])
def test_dense_student_keeps_the_papers_compression_at_more_units(hidden, latent, ratio):
    # The dense design's point: at the paper's MNIST (311:1) and Fashion-MNIST (700:1) ratios its hidden layers are
    # 8-16 times wider than the 3- and 2-channel convolution stages the standard design can afford.
    model = small(teacher_features=64, teacher_latent=100, student_block="dense", student_features=hidden,
                  student_latent=latent).eval()  # fmt: skip

    def flops(net):
        with FlopCounterMode(display=False) as counter:
            net.generator(torch.zeros(1, 1, 32, 32))
        return counter.get_total_flops()

    assert flops(model.teacher) / flops(model.student) >= ratio
    images = torch.rand(2, 1, 32, 32) * 2 - 1
    gan = model.student(images)
    assert gan.latent_i.shape == gan.latent_o.shape == (2, latent, 1, 1)
    assert gan.reconstruction.shape == images.shape
    assert gan.reconstruction.abs().max() <= 1


def test_hints_need_a_convolutional_student():
    with pytest.raises(ValueError, match="the 'dense' student has none"):
        small(student_block="dense", hints=True)
    with pytest.raises(ValueError, match="student_block must be one of 'standard', 'separable', 'dense'"):
        small(student_block="mlp")


def test_extra_layers_need_a_convolutional_student():
    with pytest.raises(ValueError, match="extra_layers=1 adds 3x3 convolution blocks; the 'dense' student"):
        small(student_block="dense", extra_layers=1)
    assert len(small(student_block="separable", extra_layers=1).student.generator.encoder1.extra_layers) == 3


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (torch.rand(2, 4, 32, 32), "converts 1- or 3-channel input"),
        (torch.rand(2, 2, 32, 32), "converts 1- or 3-channel input"),
        (torch.rand(1, 32, 32), "converts 1- or 3-channel input"),
        (torch.rand(2, 1, 30, 32), "was built for 32x32 images but got 30x32"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(images, message):
    with pytest.raises(ValueError, match=message):
        small().eval()(images)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_size": (4, 32)}, "at least 8x8"),
        ({"n_features": 0}, "n_features must be a positive integer"),
        ({"latent_vec_size": -1}, "latent_vec_size must be a positive integer"),
        ({"extra_layers": -1}, "extra_layers must be >= 0"),
    ],
)
def test_bad_network_arguments_are_refused(kwargs, message):
    args = {"input_size": (32, 32), "num_input_channels": 1, "n_features": 4, "latent_vec_size": 4}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        GanNetwork(**args)


@pytest.mark.parametrize(
    ("size", "width"),
    [((32, 32), 64), ((28, 28), 64), ((28, 36), 32), ((64, 64), 32), ((64, 100), 16), ((256, 256), 8)],
)
def test_auto_teacher_width_keeps_the_deepest_stage_at_ganomalys_256_channels(size, width):
    model = Pkdgan(input_size=size, visualizer=False)
    teacher = model.model.teacher
    assert teacher.n_features == width
    assert teacher.generator.encoder1.final_conv_layer.in_channels == 256
    assert Pkdgan(input_size=size, teacher_features=24, visualizer=False).model.teacher.n_features == 24


def test_a_teacher_width_other_than_an_integer_or_auto_is_refused():
    with pytest.raises(ValueError, match="teacher_features must be a positive integer or 'auto'"):
        Pkdgan(teacher_features="wide")


def test_a_smoothing_set_after_the_model_moved_follows_its_dtype():
    model = PkdganModel((16, 16), 1, teacher_features=4, teacher_latent=8, student_features=2, student_latent=4)
    model.eval().double()
    model.anomaly_map_sigma = 2.0  # as validation sets it during a fit, after the model moved
    with torch.no_grad():
        output = model(torch.rand(2, 1, 16, 16, dtype=torch.float64))
    assert output.anomaly_map.dtype == torch.float64
    assert output.anomaly_map.shape == (2, 1, 16, 16)
