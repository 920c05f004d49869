# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The one-class datamodule: the protocol's splits, the torchvision loading path and its errors."""

import struct

import numpy as np
import pytest
import torch
from anomalib.data import ImageBatch

from anomalib_pkdgan.data import OneClassVision, load_split


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


def test_missing_data_names_the_data_set_and_the_offline_fetch_script(tmp_path):
    dm = OneClassVision(root=tmp_path, dataset="fashion_mnist", normal_class=0)
    with pytest.raises(FileNotFoundError, match=r"FashionMNIST was not found under root=.*fetch_datasets\.sh"):
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
