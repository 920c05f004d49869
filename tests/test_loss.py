# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Every loss term is finite and goes down when its parameters are optimised."""

import pytest
import torch

from anomalib_pkdgan.models.pkdgan.loss import DiscriminatorLoss, DistillationLoss, GeneratorLoss
from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel

STEPS = 25


@pytest.fixture
def setup():
    torch.manual_seed(0)
    model = PkdganModel((32, 32), 1, teacher_features=8, teacher_latent=16, student_features=4, student_latent=8)
    images = torch.rand(16, 1, 32, 32) * 2 - 1
    return model, images


def _run(params, compute, steps=STEPS, lr=2e-3):
    optimizer = torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999))
    history = []
    for _ in range(steps):
        terms = compute()
        assert all(torch.isfinite(value) for value in terms.values())
        history.append({name: value.item() for name, value in terms.items()})
        optimizer.zero_grad()
        torch.stack(list(terms.values())).sum().backward()
        optimizer.step()
    return history


def _decreased(history, name):
    first = sum(h[name] for h in history[:3]) / 3
    last = sum(h[name] for h in history[-3:]) / 3
    return last < first


def test_generator_terms_decrease(setup):
    model, images = setup
    net, loss = model.teacher, GeneratorLoss()

    def compute():
        out = net(images)
        _, real = net.discriminate(out.canvas)
        _, fake = net.discriminate(out.reconstruction)
        return loss(out, real, fake)

    history = _run(net.generator.parameters(), compute)
    for name in ("adversarial", "contextual", "encoder"):
        assert _decreased(history, name), (name, history[0][name], history[-1][name])


def test_generator_weights_scale_the_terms(setup):
    model, images = setup
    net = model.student
    out = net(images)
    _, real = net.discriminate(out.canvas)
    _, fake = net.discriminate(out.reconstruction)
    unit = GeneratorLoss(1, 1, 1)(out, real, fake)
    weighted = GeneratorLoss(2, 50, 3)(out, real, fake)
    for name, factor in (("adversarial", 2), ("contextual", 50), ("encoder", 3)):
        torch.testing.assert_close(weighted[name], unit[name] * factor)


def test_discriminator_loss_decreases(setup):
    model, images = setup
    net, loss = model.student, DiscriminatorLoss()
    with torch.no_grad():
        out = net(images)

    def compute():
        real, _ = net.discriminate(out.canvas)
        fake, _ = net.discriminate(out.reconstruction)
        return {"discriminator": loss(real, fake)}

    history = _run(net.discriminator.parameters(), compute)
    assert _decreased(history, "discriminator")


def test_distillation_pulls_the_student_toward_a_fixed_teacher(setup):
    model, images = setup
    loss = DistillationLoss()
    with torch.no_grad():
        teacher = model.teacher(images)

    def compute():
        return loss(model.student(images), teacher, model.latent_projection)

    params = [*model.student.generator.parameters(), *model.latent_projection.parameters()]
    history = _run(params, compute)
    for name in ("distill_latent", "distill_reconstruction"):
        assert _decreased(history, name), (name, history[0][name], history[-1][name])


def test_distillation_reaches_the_teacher_only_when_it_has_gradients(setup):
    model, images = setup
    student = model.student(images)
    with torch.no_grad():
        frozen_teacher = model.teacher(images)
    terms = DistillationLoss()(student, frozen_teacher, model.latent_projection)
    sum(terms.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.latent_projection.parameters())

    model.zero_grad()
    terms = DistillationLoss()(model.student(images), model.teacher(images), model.latent_projection)
    sum(terms.values()).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.teacher.generator.parameters())
