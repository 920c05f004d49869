# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""One-class splits of classification data sets (MNIST, Fashion-MNIST, CIFAR-10, scikit-learn digits).

The protocol of OCGAN and P-KDGAN: class ``k`` is normal, every other class is anomalous.

* **train**: training images of class ``k``, less a held-out part;
* **val**: the held-out training images of class ``k`` plus as many training images of the other
  classes (anomalies), so thresholds and normalisation never see the test set;
* **test**: the whole official test set, class ``k`` labelled normal and the rest anomalous.

The images are written once as PNG files under ``root/one_class_png`` (see :func:`export_png`), by
``prepare_data`` (one process per node under DDP) or else by ``setup``, so the datasets are ordinary
file-based Anomalib datasets: batches are ``ImageBatch``es, and Anomalib's visualiser, inferencers and
``Folder`` datamodule can use the very same files.

Data sources: MNIST and Fashion-MNIST through ``torchvision.datasets`` from ``root``, CIFAR-10 from
torchvision's file layout under ``root`` (:mod:`.cifar10`); with ``download=True`` torchvision fetches them,
offline they must be in that layout already. ``digits`` is scikit-learn's 8x8 hand-written digits,
shipped inside scikit-learn, for demos and tests that must not download anything.

Example:
    >>> datamodule = OneClassVision(dataset="digits", normal_class=3, train_batch_size=32)
    >>> datamodule.setup()
    >>> len(datamodule.train_data) > 100, datamodule.test_data.has_anomalous
    (True, True)
"""

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from anomalib import TaskType
from anomalib.data import AnomalibDataModule, AnomalibDataset
from anomalib.data.utils import LabelName
from torch.utils.data import DataLoader
from torchvision.transforms.v2 import Transform

from .cifar10 import read_cifar10
from .sampler import EpochSeededSampler

logger = logging.getLogger(__name__)

DATASETS = ("mnist", "fashion_mnist", "cifar10", "digits")


@dataclass
class ClassificationSplit:
    """Images ``(N, C, H, W)`` uint8 and integer class targets ``(N,)`` of one official split."""

    images: torch.Tensor
    targets: torch.Tensor


def _from_torchvision(name: str, root: Path, train: bool, download: bool) -> ClassificationSplit:
    from torchvision import datasets

    cls = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST, "cifar10": datasets.CIFAR10}[name]
    try:
        data = cls(root=str(root), train=train, download=download)
    except RuntimeError as error:
        msg = (
            f"{cls.__name__} was not found under root={root} (download={download}): put it there in torchvision's "
            "layout, or pass download=True where the internet is reachable."
        )
        raise FileNotFoundError(msg) from error
    images = torch.as_tensor(np.asarray(data.data))
    images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
    return ClassificationSplit(images.contiguous(), torch.as_tensor(np.asarray(data.targets), dtype=torch.long))


def _from_sklearn_digits(train: bool) -> ClassificationSplit:
    """Scikit-learn's 1,797 8x8 digits, split 2:1 into train/test per class with a fixed seed."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.as_tensor(np.round(digits.images * 255 / 16).astype(np.uint8)).unsqueeze(1)
    targets = torch.as_tensor(digits.target, dtype=torch.long)
    generator = torch.Generator().manual_seed(0)
    is_test = torch.zeros(len(targets), dtype=torch.bool)
    for label in targets.unique():
        idx = torch.nonzero(targets == label).flatten()
        idx = idx[torch.randperm(len(idx), generator=generator)]
        is_test[idx[: len(idx) // 3]] = True
    keep = ~is_test if train else is_test
    return ClassificationSplit(images[keep].contiguous(), targets[keep])


def load_split(name: str, root: str | Path, train: bool, download: bool = False) -> ClassificationSplit:
    """Load the official train or test split of a supported data set.

    Example:
        >>> split = load_split("digits", root=".", train=False)
        >>> split.images.dtype, split.images.shape[1:]
        (torch.uint8, torch.Size([1, 8, 8]))
    """
    if name not in DATASETS:
        msg = f"Unknown one-class data set {name!r}; choose one of {', '.join(DATASETS)}."
        raise ValueError(msg)
    if name == "digits":
        return _from_sklearn_digits(train)
    if name == "cifar10" and not download:
        return ClassificationSplit(*read_cifar10(root, train))
    return _from_torchvision(name, Path(root), train, download)


def export_png(name: str, root: str | Path, download: bool = False) -> Path:
    """Write every image of a data set once as PNG files, so Anomalib reads and visualises them as usual.

    Layout: ``root/one_class_png/<name>/<train|test>/<class>/<index>.png`` plus a file ``complete``. A complete
    export is reused as it is. Several writers at once (one per node of a run on a shared file system, or two
    runs) are safe: each writes into its own temporary folder next to the target and renames it into place when
    complete, an atomic step within one file system. The first to finish wins; the others discard their copies
    and use it, and no complete export is ever deleted. An interrupted export leaves nothing at the target.

    Returns:
        Path: The data set's PNG folder.

    Raises:
        FileExistsError: The target folder exists but holds no complete export (it was not written here).
    """
    from PIL import Image as PILImage

    target = Path(root) / "one_class_png" / name
    if (target / "complete").is_file():
        return target
    splits = {split: load_split(name, root, train=split == "train", download=download) for split in ("train", "test")}
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", suffix=".partial", dir=target.parent))
    try:
        for split_name, split in splits.items():
            for index, (image, target_class) in enumerate(zip(split.images, split.targets.tolist(), strict=True)):
                folder = tmp / split_name / str(target_class)
                folder.mkdir(parents=True, exist_ok=True)
                array = image.permute(1, 2, 0).numpy()
                PILImage.fromarray(array[..., 0] if array.shape[-1] == 1 else array).save(folder / f"{index:05d}.png")
        (tmp / "complete").write_text("ok\n")
        try:
            tmp.rename(target)  # fails if a non-empty folder is already there
        except OSError as error:
            if (target / "complete").is_file():  # another writer finished first: use its export
                return target
            if target.exists():
                msg = f"{target} exists but holds no complete PNG export (no file 'complete'); remove it and retry."
                raise FileExistsError(msg) from error
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class OneClassDataset(AnomalibDataset):
    """An Anomalib image dataset over a prepared sample table (see :class:`OneClassVision`)."""

    def __init__(self, samples: pd.DataFrame, augmentations: Transform | None = None) -> None:
        super().__init__(augmentations=augmentations)
        samples.attrs["task"] = TaskType.CLASSIFICATION
        self.samples = samples


class OneClassVision(AnomalibDataModule):
    """One-class novelty detection datamodule: train on one class, test on all classes.

    Args:
        root: torchvision data root (ignored for ``digits``).
        dataset: ``mnist``, ``fashion_mnist``, ``cifar10`` or ``digits``.
        normal_class: The normal class ``k`` (0-9).
        download: Let torchvision download missing data (needs internet).
        val_ratio: Fraction of class-``k`` training images held out for validation; as many anomalous
            training images of other classes join them.
        train_batch_size: Training batch size.
        eval_batch_size: Validation/test batch size.
        num_workers: Data loader workers.
        max_train_images: Use at most this many class-``k`` training images (``None``: all).
        max_test_images: Use at most this many test images, drawn at random from the whole test set (``None``: all).
        augmentations: Transforms for all subsets.
        seed: Seed of the held-out and subsampling draws.

    Example:
        >>> dm = OneClassVision(dataset="digits", normal_class=0)
        >>> dm.setup()
        >>> batch = next(iter(dm.val_dataloader()))
        >>> type(batch).__name__, batch.gt_label.unique().tolist()
        ('ImageBatch', [False, True])
    """

    def __init__(
        self,
        root: str | Path = "./datasets",
        dataset: str = "mnist",
        normal_class: int = 0,
        download: bool = False,
        val_ratio: float = 0.1,
        train_batch_size: int = 64,
        eval_batch_size: int = 256,
        num_workers: int = 0,
        max_train_images: int | None = None,
        max_test_images: int | None = None,
        augmentations: Transform | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            train_batch_size=train_batch_size,
            eval_batch_size=eval_batch_size,
            num_workers=num_workers,
            augmentations=augmentations,
            val_split_mode="from_dir",
            test_split_mode="from_dir",
            seed=seed,
        )
        if dataset not in DATASETS:
            msg = f"Unknown one-class data set {dataset!r}; choose one of {', '.join(DATASETS)}."
            raise ValueError(msg)
        if not 0 < val_ratio < 1:
            msg = f"val_ratio must be in (0, 1), got {val_ratio}."
            raise ValueError(msg)
        self.root = Path(root)
        self.dataset = dataset
        self.normal_class = int(normal_class)
        self.download = download
        self.val_ratio = val_ratio
        self.max_train_images = max_train_images
        self.max_test_images = max_test_images
        self.category = f"{dataset}_{self.normal_class}"

    def prepare_data(self) -> None:
        """Write the data set's PNG files (see :func:`export_png`); Lightning calls this once per node."""
        export_png(self.dataset, self.root, self.download)

    def _setup(self, _stage: str | None = None) -> None:
        folder = export_png(self.dataset, self.root, self.download)  # nothing to do after prepare_data
        train = load_split(self.dataset, self.root, train=True, download=self.download)
        test = load_split(self.dataset, self.root, train=False, download=self.download)
        classes = sorted(set(train.targets.tolist()))
        if self.normal_class not in classes:
            msg = f"normal_class={self.normal_class} does not exist in {self.dataset}; its classes are {classes}."
            raise ValueError(msg)
        generator = torch.Generator().manual_seed(self.seed or 0)

        normal = torch.nonzero(train.targets == self.normal_class).flatten()
        normal = normal[torch.randperm(len(normal), generator=generator)]
        n_val = max(1, round(len(normal) * self.val_ratio))
        val_normal, train_normal = normal[:n_val], normal[n_val:]
        if self.max_train_images is not None:
            train_normal = train_normal[: self.max_train_images]
        if len(train_normal) == 0:
            msg = f"The one-class training set of {self.dataset} class {self.normal_class} is empty."
            raise ValueError(msg)
        others = torch.nonzero(train.targets != self.normal_class).flatten()
        val_anomalous = others[torch.randperm(len(others), generator=generator)[:n_val]]

        test_index = torch.arange(len(test.targets))
        if self.max_test_images is not None and self.max_test_images < len(test_index):
            test_index = test_index[torch.randperm(len(test_index), generator=generator)[: self.max_test_images]]

        def table(indices: torch.Tensor, targets: torch.Tensor, split: str, subset: str) -> pd.DataFrame:
            indices = indices.sort().values
            classes = targets[indices]
            abnormal = (classes != self.normal_class).numpy()
            return pd.DataFrame(
                {
                    "image_path": [
                        str(folder / split / str(int(c)) / f"{int(i):05d}.png")
                        for i, c in zip(indices, classes, strict=True)
                    ],
                    "mask_path": "",
                    "split": subset,
                    "label": np.where(abnormal, "abnormal", "normal"),
                    "label_index": np.where(abnormal, int(LabelName.ABNORMAL), int(LabelName.NORMAL)),
                    "class_index": classes.numpy(),
                }
            )

        self.train_data = OneClassDataset(table(train_normal, train.targets, "train", "train"))
        self.val_data = OneClassDataset(table(torch.cat([val_normal, val_anomalous]), train.targets, "train", "val"))
        self.test_data = OneClassDataset(table(test_index, test.targets, "test", "test"))

    def train_dataloader(self) -> DataLoader:
        """Shuffled training batches in an order fixed by ``seed`` and the epoch (see :class:`EpochSeededSampler`).

        Returns:
            DataLoader: The training loader; a run resumed from a checkpoint sees the same batches as an
            uninterrupted one.
        """
        return DataLoader(
            dataset=self.train_data,
            sampler=EpochSeededSampler(len(self.train_data), seed=self.seed or 0),
            batch_size=self.train_batch_size,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,  # not started again for every epoch of a stretched schedule
            collate_fn=self.external_collate_fn or self.train_data.collate_fn,
        )
