# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Distillation beyond the normal set: the inputs made from a batch, the anomaly-vector term, and their wiring."""

import pytest
import torch
from anomalib.engine import Engine

from anomalib_pkdgan.models.pkdgan.components.distill_inputs import DISTILL_INPUTS, cutpaste, off_normal_inputs
from anomalib_pkdgan.models.pkdgan.loss import DistillationLoss
from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel


@pytest.fixture
def model_and_images():
    torch.manual_seed(0)
    model = PkdganModel((28, 28), 1, teacher_features=8, teacher_latent=16, student_features=4, student_latent=8)
    return model, torch.rand(6, 1, 28, 28) * 2 - 1


@pytest.mark.parametrize("kind", [kind for kind in DISTILL_INPUTS if kind != "normal"])
def test_off_normal_inputs_leave_the_normal_batch(model_and_images, kind):
    model, images = model_and_images
    with torch.no_grad():
        latents = model.teacher(images).latent_i
        inputs = off_normal_inputs(kind, images, model.teacher.generator.decoder, latents)
    if kind == "generated":
        assert inputs.shape == (6, 1, model.teacher.canvas, model.teacher.canvas)
    else:
        assert inputs.shape == images.shape
        assert not torch.equal(inputs, images)
    assert inputs.min() >= -1 - 1e-6
    assert inputs.max() <= 1 + 1e-6


def test_cutpaste_changes_one_rectangle_of_each_image():
    images = torch.stack([torch.full((1, 24, 24), float(i)) for i in range(4)])
    pasted = cutpaste(images, generator=torch.Generator().manual_seed(1))
    for index in range(4):
        changed = (pasted[index, 0] != images[index, 0]).nonzero()
        assert len(changed) > 0
        rows, cols = changed[:, 0], changed[:, 1]
        # the changed pixels fill their bounding box: one rectangle
        assert len(changed) == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)


def test_cutpaste_scales_the_rectangle_width_to_a_wide_image():
    images = torch.stack([torch.full((1, 12, 96), float(i)) for i in range(2)])
    widths = []
    for seed in range(20):
        pasted = cutpaste(images, generator=torch.Generator().manual_seed(seed))
        cols = (pasted[0, 0] != images[0, 0]).nonzero()[:, 1]
        widths.append(int(cols.max() - cols.min() + 1))
    # a third of the height is 4 pixels; a third of the width is 32
    assert max(widths) > 12 // 3
    assert max(widths) <= 96 // 3


def test_unknown_distill_inputs_is_refused_by_name(make_model):
    with pytest.raises(ValueError, match="distill_inputs must be one of normal, mixup"):
        make_model(distill_inputs="blur")


def test_score_term_pulls_the_anomaly_vector_toward_the_teacher(model_and_images):
    model, images = model_and_images
    loss = DistillationLoss(w_latent=0, w_reconstruction=0, w_score=1.0)
    with torch.no_grad():
        teacher = model.teacher(images)
    params = [*model.student.generator.parameters(), *model.latent_projection.parameters()]
    optimizer = torch.optim.Adam(params, lr=2e-3)
    history = []
    for _ in range(30):
        terms = loss(model.student(images), teacher, model.latent_projection)
        history.append(terms["distill_score"].item())
        optimizer.zero_grad()
        terms["distill_score"].backward()
        optimizer.step()
    assert sum(history[-3:]) < sum(history[:3])


def test_off_normal_distillation_trains_the_student_only(model_and_images):
    model, images = model_and_images
    with torch.no_grad():
        teacher = model.teacher(images)
    terms = DistillationLoss(w_score=1.0).off_normal(model, "generated", images, teacher)
    assert set(terms) == {"distill_latent", "distill_reconstruction", "distill_score"}
    sum(terms.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.student.generator.parameters())


@pytest.mark.slow
def test_training_logs_the_off_normal_terms(make_model, digits, tmp_path):
    model = make_model(distill_inputs="cutpaste", w_distill_score=1.0, evaluator=False)
    engine = Engine(default_root_dir=tmp_path, logger=False, enable_progress_bar=False, accelerator="cpu")
    engine.fit(model, datamodule=digits)
    metrics = engine.trainer.logged_metrics
    for name in ("train/distill_off/distill_latent", "train/distill_off/distill_score", "train/distill/distill_score"):
        assert torch.isfinite(metrics[name]), name


@pytest.mark.parametrize("kind", [kind for kind in DISTILL_INPUTS if kind != "normal"])
def test_off_normal_inputs_leave_a_training_teachers_batchnorm_statistics_alone(model_and_images, kind):
    model, images = model_and_images
    model.train()  # the joint phase: the teacher trains
    with torch.no_grad():
        teacher = model.teacher(images)
    before = {name: buffer.clone() for name, buffer in model.teacher.named_buffers() if "running" in name}
    DistillationLoss().off_normal(model, kind, images, teacher)
    after = dict(model.teacher.named_buffers())
    assert before
    assert all(torch.equal(value, after[name]) for name, value in before.items())
    assert model.teacher.training  # back in the mode it was in
