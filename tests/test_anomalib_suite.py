# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What Anomalib's own model suite (``tests/integration/model/test_models.py``) runs for every model it lists.

Once the plugin is installed, ``anomalib.models.list_models()`` includes ``pkdgan``, so Anomalib's suite (or a
downstream CI that runs it) fits P-KDGAN at its defaults with ``Engine(max_epochs=1)`` and batch 2 on a small
MVTec-format folder, then tests, trains, validates and predicts from the checkpoint and exports to every
``ExportType``. The same sequence runs here on a folder the test writes.
"""

from pathlib import Path

import numpy as np
import pytest
from anomalib.data import MVTecAD
from anomalib.deploy import ExportType
from anomalib.engine import Engine
from anomalib.models import get_model, list_models
from PIL import Image

from anomalib_pkdgan import PKDGAN, Pkdgan
from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY
from anomalib_pkdgan.models.pkdgan.callbacks.validation_scores import MAP_SIGMAS

# Anomalib's suite fits with max_epochs=1, which shortens the schedule with a warning (checked in ``suite``).
pytestmark = pytest.mark.filterwarnings("ignore:PKDGAN's schedule:UserWarning")


def write_mvtec_folder(root: Path, category: str = "dummy", size: int = 64, seed: int = 0) -> Path:
    """Write a tiny MVTec AD-format category: 8 good training images, 4 good and 4 defective test images + masks."""
    rng = np.random.default_rng(seed)
    folder = root / category

    def texture() -> np.ndarray:
        return (rng.normal(128, 20, size=(size, size, 3))).clip(0, 255).astype(np.uint8)

    for split, count in (("train/good", 8), ("test/good", 4)):
        (folder / split).mkdir(parents=True)
        for index in range(count):
            Image.fromarray(texture()).save(folder / split / f"{index:03d}.png")
    (folder / "test" / "scratch").mkdir(parents=True)
    (folder / "ground_truth" / "scratch").mkdir(parents=True)
    for index in range(4):
        image, mask = texture(), np.zeros((size, size), dtype=np.uint8)
        top, left = rng.integers(4, size - 20, size=2)
        image[top : top + 12, left : left + 12] = 255
        mask[top : top + 12, left : left + 12] = 255
        Image.fromarray(image).save(folder / "test" / "scratch" / f"{index:03d}.png")
        Image.fromarray(mask).save(folder / "ground_truth" / "scratch" / f"{index:03d}_mask.png")
    return root


@pytest.mark.parametrize("name", ["pkdgan", "Pkdgan", "PKDGAN"])
def test_get_model_resolves_every_spelling(name):
    assert "pkdgan" in list_models()
    assert isinstance(get_model(name), Pkdgan)
    assert issubclass(PKDGAN, Pkdgan)


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """Objects built afresh for each step, as Anomalib's ``TestAPI._get_objects`` does."""
    dataset_path = write_mvtec_folder(tmp_path_factory.mktemp("mvtecad"))
    project_path = tmp_path_factory.mktemp("project")

    def objects() -> tuple[Pkdgan, MVTecAD, Engine]:
        datamodule = MVTecAD(root=dataset_path, category="dummy", train_batch_size=2, num_workers=0)
        engine = Engine(logger=False, default_root_dir=project_path, max_epochs=1, devices=1, accelerator="cpu")
        return get_model("pkdgan"), datamodule, engine

    model, datamodule, engine = objects()
    with pytest.warns(UserWarning, match="every phase is shortened in proportion"):
        engine.fit(model=model, datamodule=datamodule)
    checkpoint = project_path / model.name / datamodule.name / "dummy" / "v0" / "weights" / "lightning" / "model.ckpt"
    return objects, checkpoint, model


@pytest.mark.slow
def test_fit_with_max_epochs_1_trains_every_phase(suite):
    _, checkpoint, model = suite
    assert checkpoint.is_file()
    assert int(model.student_steps) >= 1  # the student trained, so it can be exported
    assert model.schedule.plan is not None
    assert all(n >= 1 for n in model.schedule.plan.batches)


@pytest.mark.slow
def test_map_smoothing_is_chosen_on_validation_masks_and_restored(suite):
    _, checkpoint, model = suite
    assert model.selection.map_sigma  # anomaly_map_sigma="auto" by default
    restored = Pkdgan.load_from_checkpoint(checkpoint, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY)
    assert restored.model.anomaly_map_sigma == model.model.anomaly_map_sigma
    assert model.model.anomaly_map_sigma in MAP_SIGMAS


@pytest.mark.slow
@pytest.mark.parametrize("step", ["test", "train", "validate", "predict"])
def test_steps_from_the_checkpoint(suite, step):
    objects, checkpoint, _ = suite
    model, datamodule, engine = objects()
    result = getattr(engine, step)(model=model, datamodule=datamodule, ckpt_path=checkpoint)
    if step == "test":
        assert 0.0 <= result[0]["image_AUROC"] <= 1.0
        assert 0.0 <= result[0]["pixel_AUROC"] <= 1.0  # the folder has masks: pixel metrics through the Evaluator
        assert 0.0 <= result[0]["pixel_PRO"] <= 1.0
    if step == "predict":
        assert sum(len(batch.pred_score) for batch in result) == 8  # every test image


@pytest.mark.slow
@pytest.mark.parametrize("export_type", list(ExportType))
def test_export_from_the_checkpoint(suite, export_type):
    objects, checkpoint, _ = suite
    model, _, engine = objects()
    path = engine.export(model=model, ckpt_path=checkpoint, export_type=export_type)
    assert path is not None
    assert Path(path).is_file()
