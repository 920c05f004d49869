# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The defect benchmark: its data generator (exact masks, same defects at every size, deterministic, idempotent,
atomic) and ``python -m benchmarks.defects.benchmark --quick`` (result columns, every model, tile candidates chosen
on validation, resume, table and figure)."""

import csv
import importlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).parents[1]
COLUMNS = ["model", "dataset", "seed", "image_auroc", "pixel_auroc", "pixel_pro", "train_seconds", "settings"]
MODELS = {"pkdgan_student", "pkdgan_teacher", "anomalib_ganomaly", "knn_pixels", "pca_pixels"}
TILED = {"pkdgan_tiled", "knn_pixels_tiled", "pca_pixels_tiled"}


@pytest.fixture
def data(monkeypatch):
    """``benchmarks/defects/data.py``."""
    monkeypatch.syspath_prepend(str(REPO))
    return importlib.import_module("benchmarks.defects.data")


def tiny(data, source="brick", size=32, **changes):
    settings = {"train": 3, "test_good": 2, "per_defect": 2, "defects": tuple(data.DEFECTS), "seed": 0, **changes}
    return data.Settings(source, size, **settings)


@pytest.mark.parametrize("source", ["brick", "ihc", "coffee"])
def test_each_defect_changes_its_mask_and_nothing_else(data, source):
    spec = data.SOURCES[source]
    pixels = data.load_source(spec)
    for kind, defect in data.DEFECTS.items():
        for index in range(5):
            rng = data.rng_for(tiny(data, source, 64), kind, index)
            normal = data.normal_image(pixels, spec, 64, True, rng)
            defective, mask = defect(normal, rng)
            before, after = (data.from_pil(data.to_pil(image)) for image in (normal, defective))  # as saved
            assert mask.shape == (64, 64), kind
            assert mask.any(), kind
            assert np.array_equal(before[~mask], after[~mask]), kind
            assert (np.abs(before - after).max(axis=-1)[mask] > 0).mean() > 0.9, kind


def test_both_sizes_get_the_same_defects(data, tmp_path):
    folders = {size: data.write_dataset(tmp_path, tiny(data, size=size, per_defect=6)) for size in (64, 128)}
    for kind in data.DEFECTS:
        for index in range(6):
            shapes = []  # centre (in image sides) and area (fraction of the image) of the mask at each size
            for size, folder in folders.items():
                mask = np.asarray(Image.open(folder / "ground_truth" / kind / f"{index:03d}_mask.png")) > 0
                rows, cols = np.nonzero(mask)
                shapes.append((rows.mean() / size, cols.mean() / size, mask.mean()))
            (row_64, col_64, area_64), (row_128, col_128, area_128) = shapes
            assert max(abs(row_64 - row_128), abs(col_64 - col_128)) < 0.05, (kind, index)
            assert 0.5 < area_64 / area_128 < 2, (kind, index)  # a 1-pixel line at 64 px, 2 pixels at 128


def test_large_textures_are_native_crops_with_defects_as_many_pixels_across_as_at_128(data, tmp_path):
    folders = {size: data.write_dataset(tmp_path, tiny(data, size=size, per_defect=4)) for size in (128, 256)}
    source = data.load_source(data.SOURCES["brick"])[..., 0]
    image = np.asarray(Image.open(folders[256] / "train" / "good" / "000.png")).astype(np.float32) / 255
    windows = [source[:256, left : left + 256] for left in range(257)]  # training crops: the top 256 rows
    flips = [window[::rows, ::columns] for window in windows for rows in (1, -1) for columns in (1, -1)]
    assert min(np.abs(window - image).max() for window in flips) < 1 / 255  # the source's pixels, not resampled
    test_image = np.asarray(Image.open(folders[256] / "test" / "good" / "000.png")).astype(np.float32) / 255
    assert min(np.abs(window - test_image).max() for window in flips) > 0.1  # test crops: the held-out bottom rows
    for kind in data.DEFECTS:
        areas = {size: [] for size in folders}  # pixels of each mask
        for size, folder in folders.items():
            for index in range(4):
                areas[size].append(
                    (np.asarray(Image.open(folder / "ground_truth" / kind / f"{index:03d}_mask.png")) > 0).sum()
                )
        assert 0.5 < np.mean(areas[256]) / np.mean(areas[128]) < 2, kind  # a quarter of the image area at 128


def test_write_dataset_is_deterministic_idempotent_and_atomic(data, tmp_path):
    settings = tiny(data, "ihc")
    first = data.write_dataset(tmp_path / "a", settings)
    second = data.write_dataset(tmp_path / "b", settings)
    files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
    assert len(files) == 3 + 2 + 2 * 2 * len(data.DEFECTS) + 1  # train, test/good, test + masks, manifest
    assert all((first / name).read_bytes() == (second / name).read_bytes() for name in files)
    assert Image.open(first / "train" / "good" / "000.png").mode == "RGB"
    assert Image.open(first / "ground_truth" / "hole" / "001_mask.png").mode == "L"

    stamp = (first / "manifest.json").stat().st_mtime_ns
    assert data.write_dataset(tmp_path / "a", settings) == first  # already there: left alone
    assert (first / "manifest.json").stat().st_mtime_ns == stamp
    assert [path.name for path in (tmp_path / "a").iterdir()] == [first.name]  # no temporary folder left
    with pytest.raises(ValueError, match="other settings"):
        data.write_dataset(tmp_path / "a", tiny(data, "ihc", seed=1))


def test_folder_reads_every_mask_beside_its_image(data, tmp_path):
    folder = data.write_dataset(tmp_path, tiny(data))
    datamodule = importlib.import_module("benchmarks.defects.evaluation").folder_datamodule(
        folder, 0, 4, list(data.DEFECTS)
    )
    datamodule.setup()
    samples = datamodule.test_data.samples
    assert list(samples.label_index == 1) == list(samples.mask_path != "")  # every defective image has a mask
    defective = samples[samples.mask_path != ""]
    assert len(defective) > 0
    for image, mask in zip(defective.image_path, defective.mask_path, strict=True):
        assert Path(mask) == folder / "ground_truth" / Path(image).parent.name / f"{Path(image).stem}_mask.png"


@pytest.mark.slow
def test_quick_benchmark_writes_every_model_resumes_and_remeasures_speed(data, tmp_path, run_twice):
    args = ["--quick", "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work")]
    args += ["--root", str(tmp_path / "data")]
    result = tmp_path / "out" / "defects.csv"
    first, second = run_twice("benchmarks.defects.benchmark", args, result)
    with result.with_name("defects.csv.first").open() as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    assert list(next(iter(rows.values())))[: len(COLUMNS)] == COLUMNS
    assert set(rows) == MODELS | TILED
    assert {row["dataset"] for row in rows.values()} == {"brick_32_grey"}
    for model, row in rows.items():
        metrics = ["image_auroc", "val_image_auroc"]
        metrics += [] if model == "anomalib_ganomaly" else ["pixel_auroc", "pixel_pro", "val_pixel_auroc"]
        assert all(0.0 <= float(row[name]) <= 1.0 for name in metrics), row
        assert float(row["train_seconds"]) >= 0
        measured = model not in {"pkdgan_teacher", "anomalib_ganomaly"}  # exported student and numpy baselines
        assert (float(row["images_per_second"]) > 0) if measured else row["images_per_second"] == "", row
    with (tmp_path / "out" / "defects_tiles.csv").open() as handle:
        candidates = list(csv.DictReader(handle))
    for model in TILED:  # every candidate measured; the row is the one with the best validation, never test
        mine = [row for row in candidates if row["model"] == model]
        expected = {"16/16"} if model == "pkdgan_tiled" else {"8/8", "8/4", "16/16", "16/8"}
        assert {f"{row['tile']}/{row['stride']}" for row in mine} == expected, model
        rank = [(float(row["val_image_auroc"]) + float(row["val_pixel_auroc"])) / 2 for row in mine]
        best = mine[rank.index(max(rank))]
        assert rows[model]["settings"].startswith(best["settings"]), model
        assert rows[model]["image_auroc"] == best["image_auroc"], model
    assert "batch=2 (8 tiles)" in rows["pkdgan_tiled"]["settings"]  # 4 tiles of 16 px per 32 px image, batch 8
    assert "top_k=" in rows["pkdgan_tiled"]["settings"]
    assert rows["anomalib_ganomaly"]["pixel_auroc"] == ""  # Anomalib's Ganomaly gives no anomaly map
    for baseline in ("knn_pixels", "pca_pixels"):  # holes are black blobs on grey bricks: easy to localise
        per_kind = dict(item.split(":") for item in rows[baseline]["defect_pixel_auroc"].split())
        assert float(per_kind["hole"]) > 0.8, rows[baseline]
    assert rows["pkdgan_student"]["settings"].startswith("score=")
    assert rows["pkdgan_student"]["train_seconds"] == rows["pkdgan_teacher"]["train_seconds"]  # one run
    table = (tmp_path / "out" / "defects.md").read_text()
    assert "| brick_32_grey |" in table
    assert "_tiled" not in table  # the report renders the tiled models' table
    figure = Image.open(tmp_path / "out" / "defects_examples.png")
    assert figure.size == (3 * 3 * 128, 128)  # one data set: three examples of image, mask and map
    assert "pkdgan_student" in first

    with result.open() as handle:
        assert len(list(csv.DictReader(handle))) == len(MODELS | TILED)
    assert "brick_32_grey seed" not in second  # every cell was done: nothing trained again

    # Speed measured again from the saved checkpoints: only the exported students' images/s may change.
    remeasure = importlib.import_module("benchmarks.defects.remeasure_speed")
    with result.open() as handle:
        before = list(csv.DictReader(handle))
    lines = remeasure.remeasure(result, tmp_path / "work", {"brick_32_grey"}, seconds=0.2)
    with result.open() as handle:
        after = list(csv.DictReader(handle))
    assert sorted(line.split(" ", 1)[0] for line in lines) == ["pkdgan_student", "pkdgan_tiled"]
    assert all(" images/s" in line for line in lines), lines  # each found its checkpoint and was timed
    for old, new in zip(before, after, strict=True):
        measured = old["model"] in {"pkdgan_student", "pkdgan_tiled"}
        assert float(new["images_per_second"]) > 0 if measured else new == old, new
        assert {**new, "images_per_second": ""} == {**old, "images_per_second": ""}
    assert not list((tmp_path / "out").glob(".*partial"))
