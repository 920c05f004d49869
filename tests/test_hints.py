# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""FitNets-style hints: same outputs as Anomalib's generator, adapters trained with the student, never exported."""

import pytest
import torch
from anomalib.engine import Engine
from anomalib.models.image.ganomaly.torch_model import Generator
from lightning.pytorch import Callback

from anomalib_pkdgan.models.pkdgan.callbacks.schedule import Phase
from anomalib_pkdgan.models.pkdgan.components.gan_network import GanNetwork
from anomalib_pkdgan.models.pkdgan.components.hints import HintAdapters, generator_features, hint_channels
from anomalib_pkdgan.models.pkdgan.components.student_design import make_separable
from anomalib_pkdgan.models.pkdgan.loss import DistillationLoss
from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel


@pytest.mark.parametrize(("side", "extra_layers", "separable"), [(32, 0, False), (64, 1, False), (32, 0, True)])
def test_features_pass_gives_the_generators_own_outputs(side, extra_layers, separable):
    generator = Generator((side, side), 8, 3, 4, extra_layers)
    if separable:
        make_separable(generator)
    generator.eval()
    canvas = torch.rand(2, 3, side, side) * 2 - 1
    (reconstruction, latent_i, latent_o), features = generator_features(generator, canvas)
    expected = generator(canvas)
    for got, want in zip((reconstruction, latent_i, latent_o), expected, strict=True):
        assert torch.equal(got, want)
    assert [f.shape[1] for f in features] == hint_channels(generator)
    stages = 2 * (1 + extra_layers + (side // 2).bit_length() - 3)  # input/latent layer, extras, pyramid levels
    assert len(features) == stages


def test_adapters_map_student_stages_onto_the_teachers():
    teacher = GanNetwork((32, 32), 1, n_features=8, latent_vec_size=16)
    student = GanNetwork((32, 32), 1, n_features=2, latent_vec_size=4)
    adapters = HintAdapters(student.generator, teacher.generator)
    images = torch.rand(3, 1, 32, 32) * 2 - 1
    s, t = student(images, features=True), teacher(images, features=True)
    assert [a(f).shape for a, f in zip(adapters, s.features, strict=True)] == [f.shape for f in t.features]
    loss = DistillationLoss(w_latent=0.0, w_reconstruction=0.0, w_hint=2.0)
    terms = loss(s, t, torch.nn.Conv2d(4, 16, 1), adapters)
    assert terms["distill_hint"] > 0
    with pytest.raises(ValueError, match="feature maps"):
        loss(student(images), teacher(images), torch.nn.Conv2d(4, 16, 1), adapters)


def test_mismatched_stages_are_refused():
    with pytest.raises(ValueError, match="same stages"):
        HintAdapters(Generator((32, 32), 4, 1, 2), Generator((32, 32), 4, 1, 2, extra_layers=1))


def test_no_adapters_without_hints():
    assert PkdganModel((32, 32), teacher_features=8, teacher_latent=16).hint_adapters is None
    state = PkdganModel((32, 32), teacher_features=8, teacher_latent=16, hints=True).state_dict()
    assert any(key.startswith("hint_adapters.") for key in state)


class HintLog(Callback):
    """The hint term's mean of each training epoch of the frozen phase (as the model logs it)."""

    def __init__(self) -> None:
        self.means: list[float] = []

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        value = trainer.callback_metrics.get("train/distill/distill_hint")
        if value is not None and pl_module.phase == Phase.FROZEN:
            self.means.append(float(value))


@pytest.mark.slow
def test_hints_train_the_adapters_and_lower_the_hint_loss_and_stay_out_of_the_export(digits, tmp_path, make_model):
    model = make_model(w_distill_hint=1.0, teacher_epochs=2, frozen_epochs=6, joint_epochs=0)
    before = [adapter.weight.detach().clone() for adapter in model.model.hint_adapters]
    log = HintLog()
    engine = Engine(default_root_dir=tmp_path, logger=False, enable_progress_bar=False, callbacks=[log])
    engine.fit(model, datamodule=digits)
    assert any(not torch.equal(b, a.weight) for b, a in zip(before, model.model.hint_adapters, strict=True))
    assert len(log.means) >= 5
    assert log.means[-1] < log.means[0]
    exported = engine.export(model, export_type="torch", export_root=tmp_path / "export")
    saved = torch.load(exported, map_location="cpu", weights_only=False)["model"]
    names = [name for name, _ in saved.named_parameters()]
    assert names
    assert not any("hint" in name or "teacher" in name for name in names)
