# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""A checkpoint written by an earlier release loads, restores its state and scores as that release did.

The fixture and how it was made: ``tests/fixtures/checkpoints/README.md``.
"""

import json
import math
from pathlib import Path

import pytest
import torch
from anomalib.engine import Engine

from anomalib_pkdgan import Phase, Pkdgan, ScoreType
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY

FIXTURES = Path(__file__).parent / "fixtures" / "checkpoints"
CHECKPOINT = FIXTURES / "pkdgan_tiny.ckpt"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def fixed_images() -> torch.Tensor:
    """The two images ``expected.json`` was computed on: a dark ramp, and the same with a bright square."""
    images = torch.linspace(0, 60 / 255, 2 * 3 * 32 * 32).view(2, 3, 32, 32)
    images[1, :, 8:24, 8:24] = 1.0
    return images


@pytest.fixture(scope="module")
def loaded() -> Pkdgan:
    return Pkdgan.load_from_checkpoint(CHECKPOINT, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY).eval()


def test_the_file_stays_small():
    assert CHECKPOINT.stat().st_size < 300_000


def test_the_phase_and_the_choices_made_in_training_are_restored(loaded):
    assert loaded.phase == Phase(EXPECTED["phase"])
    assert int(loaded.schedule_step) == EXPECTED["schedule_step"]
    assert int(loaded.student_steps) == EXPECTED["student_steps"]
    assert loaded.model.score_type == ScoreType(EXPECTED["score_type"])
    assert loaded.model.anomaly_map_sigma == EXPECTED["anomaly_map_sigma"]
    assert not loaded.teacher_pretrained
    post = loaded.post_processor
    assert all(math.isfinite(float(getattr(post, name))) for name in ("image_min", "image_max", "pixel_max"))
    assert float(post.image_max) > float(post.image_min)


def test_it_scores_the_fixed_images_as_the_release_that_wrote_it(loaded):
    images = fixed_images()
    with torch.no_grad():
        raw = loaded.model(loaded.pre_processor(images))
        final = loaded(images)
    assert torch.isfinite(raw.pred_score).all()
    assert torch.isfinite(raw.anomaly_map).all()
    torch.testing.assert_close(raw.pred_score, torch.tensor(EXPECTED["raw_scores"]), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(final.pred_score, torch.tensor(EXPECTED["scores"]), rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_engine_test_restores_the_callbacks_state_from_the_checkpoint(tmp_path, noise_dataset):
    data = noise_dataset(tmp_path / "bright_squares").write((32, 32), (slice(8, 24), slice(8, 24)), (8, 8, 8), seed=1)
    datamodule = data.datamodule()
    model = Pkdgan(
        input_size=(32, 32), teacher_features=4, teacher_latent=8, student_features=2, student_latent=4,
        visualizer=False,
    )  # fmt: skip
    engine = Engine(accelerator="cpu", default_root_dir=tmp_path, logger=False)
    (results,) = engine.test(model, datamodule=datamodule, ckpt_path=CHECKPOINT)
    assert math.isfinite(results["image_AUROC"])
    assert int(model.schedule_step) == EXPECTED["schedule_step"]
    saved = torch.load(CHECKPOINT, map_location="cpu", weights_only=True)["callbacks"]["ScoreSelection"]
    assert model.selection.best.step == saved["step"]
    assert model.selection.best.auroc == saved["auroc"]
