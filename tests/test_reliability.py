# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Diverging losses are caught at the step they happen; the same seed gives the same scores."""

import pytest
import torch
from anomalib.engine import Engine
from lightning.pytorch import seed_everything

from anomalib_pkdgan import DivergenceError


@pytest.mark.slow
def test_nan_loss_stops_training_naming_phase_epoch_and_term(digits, tmp_path, make_model):
    model = make_model()
    model.generator_loss.wcon = float("nan")
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    with pytest.raises(DivergenceError, match=r"teacher/contextual became nan in phase TEACHER at epoch 0, step 0"):
        engine.fit(model, datamodule=digits)


@pytest.mark.slow
def test_nan_loss_can_skip_the_step_instead(digits, tmp_path, make_model):
    model = make_model(on_nan="skip")
    before = [p.detach().clone() for p in model.model.teacher.generator.parameters()]
    model.generator_loss.wcon = float("nan")
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    engine.fit(model, datamodule=digits)
    after = list(model.model.teacher.generator.parameters())
    assert all(torch.equal(b, a) for b, a in zip(before, after, strict=True))  # every generator step was skipped
    assert engine.trainer.current_epoch == 3


@pytest.mark.slow
def test_same_seed_same_scores(digits, tmp_path, make_model):
    def run(folder):
        seed_everything(7, workers=True)
        model = make_model()
        engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path / folder)
        engine.fit(model, datamodule=digits)
        batches = engine.predict(model, dataloaders=digits.test_dataloader())
        return torch.cat([batch.pred_score for batch in batches])

    first, second = run("a"), run("b")
    torch.testing.assert_close(first, second, rtol=0, atol=0)
