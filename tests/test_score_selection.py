# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""``score_type="auto"``: the student's score is chosen on validation AUROC and kept in checkpoints."""

import pytest
import torch
from anomalib.engine import Engine
from torchmetrics.functional.classification import binary_auroc

from anomalib_pkdgan import Pkdgan, ScoreType
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY
from anomalib_pkdgan.models.pkdgan.score_selection import best_score_type, score_aurocs, score_validation_set


def test_best_score_type_takes_the_higher_auroc_and_needs_both_labels():
    labels = torch.tensor([0, 0, 0, 1, 1])
    separating, shuffled = torch.tensor([0.1, 0.2, 0.3, 0.8, 0.9]), torch.tensor([0.9, 0.1, 0.8, 0.2, 0.3])
    assert best_score_type(
        score_aurocs({ScoreType.LATENT: shuffled, ScoreType.RECONSTRUCTION: separating}, labels)
    ) == (ScoreType.RECONSTRUCTION)
    assert best_score_type(
        score_aurocs({ScoreType.LATENT: separating, ScoreType.RECONSTRUCTION: shuffled}, labels)
    ) == (ScoreType.LATENT)
    assert best_score_type(
        score_aurocs({ScoreType.LATENT: separating, ScoreType.RECONSTRUCTION: separating}, labels)
    ) == (ScoreType.LATENT)
    assert score_aurocs({ScoreType.LATENT: separating, ScoreType.RECONSTRUCTION: shuffled}, labels * 0) is None


def test_unknown_score_type_is_refused(make_model):
    with pytest.raises(ValueError, match="score_type must be 'auto', 'latent' or 'reconstruction'"):
        make_model(score_type="ssim")


def test_auto_picks_the_score_with_the_higher_validation_auroc_and_keeps_it(digits, tmp_path, make_model):
    model = make_model(teacher_epochs=1, frozen_epochs=1, joint_epochs=0)
    assert model.selects_score
    engine = Engine(max_epochs=model.schedule.total_epochs, default_root_dir=tmp_path, logger=False)
    engine.fit(model, datamodule=digits)

    model.eval()
    scores, labels = score_validation_set(
        model.model, digits.val_dataloader(), model.pre_processor.transform, model.device
    )
    assert set(labels.tolist()) == {0, 1}, "the digits validation set must hold both labels for this test"
    aurocs = {score_type: float(binary_auroc(values, labels.int())) for score_type, values in scores.items()}
    assert aurocs[model.model.score_type] == max(aurocs.values()), aurocs

    # The choice travels with the checkpoint, so test, predict and export use the same score.
    other = ScoreType.RECONSTRUCTION if model.model.score_type == ScoreType.LATENT else ScoreType.LATENT
    model.model.score_type = other
    path = tmp_path / "chosen.ckpt"
    engine.trainer.save_checkpoint(path)
    loaded = Pkdgan.load_from_checkpoint(path, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY)
    assert loaded.model.score_type == other
    images = torch.rand(3, 3, 32, 32) * 2 - 1
    expected, _ = loaded.model.eval().scores(images)
    torch.testing.assert_close(loaded.model(images).pred_score, expected[other])


def test_a_fixed_score_type_is_not_replaced(digits, tmp_path, make_model):
    model = make_model(score_type="reconstruction", teacher_epochs=1, frozen_epochs=1, joint_epochs=0)
    engine = Engine(max_epochs=model.schedule.total_epochs, default_root_dir=tmp_path, logger=False)
    engine.fit(model, datamodule=digits)
    assert not model.selects_score
    assert model.model.score_type == ScoreType.RECONSTRUCTION
