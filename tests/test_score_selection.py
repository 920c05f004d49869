# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""``score_type="auto"``: the student's score is chosen on validation AUROC and kept in checkpoints."""

import pytest
import torch
from anomalib.engine import Engine

from anomalib_pkdgan import Pkdgan, ScoreType
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY
from anomalib_pkdgan.models.pkdgan.callbacks.validation_scores import best_score_type, score_aurocs


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


def _make_one_score_separate(model, monkeypatch, separating):
    """Replace the student's scores: ``separating`` ranks every image by brightness (AUROC 1), the other in reverse.

    Only the scores the selection reads (``PkdganModel.tile_scores``, one tile per image without a tiler) change;
    training, validation and test batches are scored by the networks as usual.
    """
    real_scores = model.model.tile_scores

    def tile_scores(images, network="student"):
        values, anomaly_map = real_scores(images, network)
        brightness = images.mean(dim=(1, 2, 3)).unsqueeze(1)
        fake = {score_type: brightness if score_type == separating else -brightness for score_type in values}
        return fake, anomaly_map

    monkeypatch.setattr(model.model, "tile_scores", tile_scores)


@pytest.mark.slow
@pytest.mark.parametrize("separating", list(ScoreType), ids=lambda score_type: score_type.value)
def test_auto_picks_the_score_that_separates_the_validation_set_and_keeps_it(
    separating, tmp_path, make_model, monkeypatch, bright_squares
):
    # Deterministic: one score separates the validation set perfectly, the other ranks it in reverse, in turn for
    # each score type, so a selection that keeps the first score, always picks one type, or takes the lower AUROC
    # fails one of the two cases.
    datamodule = bright_squares
    model = make_model(input_size=(16, 16), joint_epochs=0)
    _make_one_score_separate(model, monkeypatch, separating)
    engine = Engine(max_epochs=model.schedule.total_epochs, accelerator="cpu", default_root_dir=tmp_path, logger=False)
    engine.fit(model, datamodule=datamodule)
    assert model.model.score_type == separating

    # The choice travels with the checkpoint, so test, predict and export use the same score.
    path = tmp_path / "chosen.ckpt"
    engine.trainer.save_checkpoint(path)
    loaded = Pkdgan.load_from_checkpoint(path, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY)
    assert loaded.model.score_type == separating
    images = torch.rand(3, 3, 16, 16) * 2 - 1
    expected, _ = loaded.model.eval().scores(images)
    torch.testing.assert_close(loaded.model(images).pred_score, expected[separating])


@pytest.mark.slow
def test_a_fixed_score_type_is_not_replaced(tmp_path, make_model, monkeypatch, bright_squares):
    datamodule = bright_squares
    model = make_model(input_size=(16, 16), score_type="reconstruction", joint_epochs=0)
    _make_one_score_separate(model, monkeypatch, ScoreType.LATENT)  # a selection would switch to latent
    engine = Engine(max_epochs=model.schedule.total_epochs, accelerator="cpu", default_root_dir=tmp_path, logger=False)
    engine.fit(model, datamodule=datamodule)
    assert model.model.score_type == ScoreType.RECONSTRUCTION
