# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The one-class datamodule: the protocol's splits, the PNG cache, the torchvision loading path and its errors."""

import os
import struct
import tempfile
import threading

import numpy as np
import pytest
import torch
from anomalib.data import ImageBatch
from PIL import Image

from anomalib_pkdgan.data import OneClassVision, export_png, load_split, one_class


def test_splits_follow_the_one_class_protocol(data_root):
    dm = OneClassVision(root=data_root, dataset="digits", normal_class=3, seed=1)
    dm.setup()
    train, val, test = dm.train_data.samples, dm.val_data.samples, dm.test_data.samples
    assert set(train.class_index) == {3}
    assert (train.label_index == 0).all()
    assert set(val.class_index) - {3}, "validation needs anomalies"
    assert (val.label_index == (val.class_index != 3)).all()
    assert (val.label_index == 0).sum() == (val.label_index == 1).sum()
    # validation comes from training images only, and never overlaps the training split
    assert not set(train.image_path) & set(val.image_path)
    assert all("/train/" in path for path in val.image_path)
    full_test = load_split("digits", data_root, train=False)
    assert len(test) == len(full_test.targets)
    assert sorted(test.class_index.tolist()) == sorted(full_test.targets.tolist())
    assert (test.label_index == (test.class_index != 3)).all()

    batch = next(iter(dm.train_dataloader()))
    assert isinstance(batch, ImageBatch)
    assert batch.image.shape[1] == 3  # Anomalib batches are RGB; the model converts


def _write_idx(path, array, magic):
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_loads_mnist_from_a_torchvision_root_without_downloading(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, count in (("train", 40), ("t10k", 20)):
        _write_idx(raw / f"{split}-images-idx3-ubyte", rng.integers(0, 255, (count, 28, 28)), 2051)
        _write_idx(raw / f"{split}-labels-idx1-ubyte", np.arange(count) % 10, 2049)
    dm = OneClassVision(root=tmp_path, dataset="mnist", normal_class=2, val_ratio=0.25)
    dm.setup()
    assert len(dm.train_data) == 3  # 4 training images of digit 2, one held out
    assert len(dm.test_data) == 20
    item = dm.test_data[0]
    assert item.image.shape == (3, 28, 28)
    assert torch.all((item.image >= 0) & (item.image <= 1))


def test_missing_data_names_the_data_set_and_how_to_get_it(tmp_path):
    dm = OneClassVision(root=tmp_path, dataset="fashion_mnist", normal_class=0)
    with pytest.raises(FileNotFoundError, match=r"FashionMNIST was not found under root=.*download=True"):
        dm.setup()
    assert not (tmp_path / "one_class_png" / "fashion_mnist").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dataset": "svhn"}, "Unknown one-class data set 'svhn'"),
        ({"val_ratio": 1.0}, r"val_ratio must be in \(0, 1\)"),
    ],
)
def test_bad_arguments(kwargs, message, data_root):
    with pytest.raises(ValueError, match=message):
        OneClassVision(root=data_root, **kwargs)


def test_normal_class_that_does_not_exist(data_root):
    dm = OneClassVision(root=data_root, dataset="digits", normal_class=11)
    with pytest.raises(ValueError, match=r"normal_class=11 does not exist in digits; its classes are \[0, 1,"):
        dm.setup()


def test_empty_training_set(data_root):
    dm = OneClassVision(root=data_root, dataset="digits", normal_class=0, max_train_images=0)
    with pytest.raises(ValueError, match="training set of digits class 0 is empty"):
        dm.setup()


def _assert_complete_digits_cache(folder):
    """``folder`` holds every digits image as a PNG, the same pixels, and nothing else: no temporary folders."""
    assert sorted(path.name for path in folder.parent.iterdir()) == ["digits"]
    assert (folder / "complete").is_file()
    for split_name, train in (("train", True), ("test", False)):
        split = load_split("digits", folder, train=train)
        assert len(list((folder / split_name).rglob("*.png"))) == len(split.targets)
        for index in (0, len(split.targets) - 1):
            path = folder / split_name / str(int(split.targets[index])) / f"{index:05d}.png"
            np.testing.assert_array_equal(np.asarray(Image.open(path)), split.images[index, 0].numpy())


def test_concurrent_writers_keep_the_first_complete_cache(tmp_path, monkeypatch):
    # The export must live beside its target: no system temp dir (often another file system, so no atomic rename).
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-system-temp-dir"))
    started, first_done = threading.Barrier(2), threading.Event()
    load = one_class.load_split

    def load_when_both_started(name, root, train, download=False):
        if train:  # both writers have found no cache, so both write one; the late one finishes second
            started.wait(timeout=60)
            if threading.current_thread().name == "late":
                assert first_done.wait(timeout=120)
        return load(name, root, train, download)

    monkeypatch.setattr(one_class, "load_split", load_when_both_started)
    results, errors = {}, []

    def write(name):
        try:
            results[name] = export_png("digits", tmp_path)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            started.abort()

    writers = [threading.Thread(target=write, args=(name,), name=name) for name in ("early", "late")]
    for writer in writers:
        writer.start()
    writers[0].join(timeout=120)
    assert not errors, errors
    folder = results["early"]
    first = os.stat(folder).st_ino, os.stat(next(folder.rglob("*.png"))).st_ino
    first_done.set()
    writers[1].join(timeout=120)
    assert not errors, errors
    assert results["late"] == folder
    # The late writer used the early one's cache: the same folder and files, not a replacement.
    assert (os.stat(folder).st_ino, os.stat(next(folder.rglob("*.png"))).st_ino) == first
    _assert_complete_digits_cache(folder)


def test_a_foreign_folder_in_place_of_the_cache_is_refused_and_kept(tmp_path):
    foreign = tmp_path / "one_class_png" / "digits" / "notes.txt"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("mine")
    with pytest.raises(FileExistsError, match=r"digits exists but holds no complete PNG export"):
        export_png("digits", tmp_path)
    assert foreign.read_text() == "mine"
    assert sorted(path.name for path in foreign.parents[1].iterdir()) == ["digits"]


@pytest.mark.parametrize("prepare", [True, False], ids=["prepare_data-then-setup", "setup-alone"])
def test_prepare_data_writes_the_cache_and_setup_works_with_or_without_it(tmp_path, prepare):
    dm = OneClassVision(root=tmp_path, dataset="digits", normal_class=4)
    folder = tmp_path / "one_class_png" / "digits"
    if prepare:
        dm.prepare_data()
        _assert_complete_digits_cache(folder)
        written = os.stat(folder).st_ino
    dm.setup()
    _assert_complete_digits_cache(folder)
    if prepare:
        assert os.stat(folder).st_ino == written  # setup reused the cache
    paths = [*dm.train_data.samples.image_path, *dm.val_data.samples.image_path, *dm.test_data.samples.image_path]
    assert all(path.startswith(f"{folder}/") and os.path.isfile(path) for path in paths)
