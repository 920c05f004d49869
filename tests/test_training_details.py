# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Training details P-KDGAN keeps from GANomaly, checked through ``Engine.fit``."""

import pytest
import torch
from anomalib.engine import Engine
from torch import nn

GANOMALY_REINIT_BELOW = 1e-5
"""GANomaly (and Anomalib's ``Ganomaly``) re-initialises a discriminator whose loss falls below this."""


class ConstantDiscriminatorLoss(nn.Module):
    """A discriminator loss of ``value`` whose gradients are zero, so Adam's steps leave the weights as they are."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value
        self.calls = 0

    def forward(self, pred_real, pred_fake):
        self.calls += 1
        return (pred_real.sum() + pred_fake.sum()) * 0 + self.value


def _parameters(network):
    return {name: value.detach().clone() for name, value in network.discriminator.named_parameters()}


def _redrawn_weights(network):
    """The weights GANomaly's initialisation draws at random: N(0, 0.02) convolutions, N(1, 0.02) BatchNorm scales."""
    modules = list(network.discriminator.modules())
    conv = torch.cat([m.weight.detach().flatten() for m in modules if isinstance(m, nn.Conv2d)])
    norm = torch.cat([m.weight.detach().flatten() for m in modules if isinstance(m, nn.BatchNorm2d)])
    return conv, norm


@pytest.mark.slow
@pytest.mark.parametrize(
    ("loss", "reinitialised"),
    [(GANOMALY_REINIT_BELOW / 2, True), (GANOMALY_REINIT_BELOW * 2, False)],
    ids=["below", "above"],
)
def test_a_discriminator_whose_loss_falls_below_1e_5_is_reinitialised(
    loss, reinitialised, digits, tmp_path, make_model
):
    # One epoch per phase: the teacher's discriminator trains in the teacher and joint phases, the student's in the
    # frozen and joint phases. With zero gradients only a re-initialisation can change a discriminator's weights.
    model = make_model()
    model.discriminator_loss = ConstantDiscriminatorLoss(loss)
    networks = {"teacher": model.model.teacher, "student": model.model.student}
    for network in networks.values():  # weights no initialisation draws, so a re-drawn layer cannot match by chance
        for module in network.discriminator.modules():
            if isinstance(module, nn.Conv2d | nn.BatchNorm2d):
                nn.init.constant_(module.weight, 0.5)
    before = {name: _parameters(network) for name, network in networks.items()}

    engine = Engine(max_epochs=model.schedule.total_epochs, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    engine.fit(model, datamodule=digits)
    assert model.discriminator_loss.calls >= 2 * 3 * 2  # 2 discriminators x 3 batches x 2 phases each

    for name, network in networks.items():
        after = _parameters(network)
        if not reinitialised:
            for parameter, value in before[name].items():
                torch.testing.assert_close(after[parameter], value, rtol=0, atol=0, msg=f"{name} {parameter}")
            continue
        changed = [parameter for parameter, value in before[name].items() if not torch.equal(after[parameter], value)]
        weights = [parameter for parameter in before[name] if parameter.endswith("weight")]
        assert set(weights) <= set(changed), f"{name}: {sorted(set(weights) - set(changed))} kept their weights"
        conv, norm = _redrawn_weights(network)
        assert abs(conv.mean()) < 0.01, (name, conv.mean())
        assert 0.015 < conv.std() < 0.025, (name, conv.std())
        assert abs(norm.mean() - 1) < 0.02, (name, norm.mean())
        assert norm.std() < 0.04, (name, norm.std())


@pytest.mark.parametrize("student_lr", [None, 1e-3], ids=["default", "student-lr"])
def test_student_lr_sets_only_the_students_optimizers(make_model, student_lr):
    model = make_model(lr=3e-4, student_lr=student_lr)
    teacher_g, teacher_d, student_g, student_d = model.configure_optimizers()
    assert [group["lr"] for opt in (teacher_g, teacher_d) for group in opt.param_groups] == [3e-4, 3e-4]
    expected = 3e-4 if student_lr is None else student_lr
    assert [group["lr"] for opt in (student_g, student_d) for group in opt.param_groups] == [expected, expected]
    student = {id(p) for p in model.model.student.parameters()} | {
        id(p) for p in model.model.latent_projection.parameters()
    }
    assert {id(p) for opt in (student_g, student_d) for group in opt.param_groups for p in group["params"]} == student


@pytest.mark.parametrize("name", ["lr", "student_lr"])
def test_a_learning_rate_that_is_not_positive_is_refused(make_model, name):
    with pytest.raises(ValueError, match=f"PKDGAN {name} must be a positive learning rate, got 0"):
        make_model(**{name: 0})
