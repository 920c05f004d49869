# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Size and channels left at their defaults (``None``) follow the training images; given ones are kept."""

import pytest
from anomalib.data import Folder
from anomalib.engine import Engine

from anomalib_pkdgan import Pkdgan
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY


@pytest.fixture
def large_colour_folder(tmp_path, noise_dataset) -> Folder:
    """Colour noise images of 130x140 pixels (larger than 128 on both sides), normal and anomalous."""
    data = noise_dataset(tmp_path / "colour").write((130, 140), (slice(40, 80), slice(40, 80)), (8, 4, 4))
    return data.datamodule(train_batch_size=4, eval_batch_size=4)


@pytest.mark.slow
def test_defaults_train_large_colour_images_in_colour_at_128_and_the_checkpoint_says_so(
    tmp_path, make_model, large_colour_folder
):
    model = make_model(input_size=None, num_input_channels=None)
    assert (model.model.student.input_size, model.model.num_input_channels) == ((32, 32), 1)  # until a fit starts
    engine = Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path)
    engine.fit(model, datamodule=large_colour_folder)
    assert (model.model.student.input_size, model.model.num_input_channels) == ((128, 128), 3)
    assert int(model.student_steps) > 0

    checkpoint = engine.trainer.checkpoint_callback.best_model_path
    loaded = Pkdgan.load_from_checkpoint(checkpoint, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY)
    assert (loaded.model.student.input_size, loaded.model.num_input_channels) == ((128, 128), 3)
    # As Anomalib's CLI and test suite do: a model built at its defaults, then the checkpoint's weights.
    fresh = make_model(input_size=None, num_input_channels=None)
    results = Engine(accelerator="cpu", logger=False, default_root_dir=tmp_path).test(
        fresh, datamodule=large_colour_folder, ckpt_path=checkpoint
    )
    assert 0.0 <= results[0]["image_AUROC"] <= 1.0
    assert fresh.model.num_input_channels == 3


@pytest.mark.slow
def test_given_grey_and_size_are_kept_on_colour_images(tmp_path, make_model, large_colour_folder):
    model = make_model(input_size=(32, 32), num_input_channels=1)
    Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path).fit(
        model, datamodule=large_colour_folder
    )
    assert (model.model.student.input_size, model.model.num_input_channels) == ((32, 32), 1)


@pytest.mark.slow
def test_defaults_keep_grey_32_on_small_grey_digits(tmp_path, make_model, digits):
    model = make_model(input_size=None, num_input_channels=None)
    Engine(max_epochs=3, accelerator="cpu", logger=False, default_root_dir=tmp_path).fit(model, datamodule=digits)
    assert (model.model.student.input_size, model.model.num_input_channels) == ((32, 32), 1)
