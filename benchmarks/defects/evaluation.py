# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What the defect benchmark measures every model with: its data split, metrics, map smoothing, pixel baselines.

Every model is judged the same way. Its per-image scores give the image AUROC; its anomaly maps (``(N, H, W)``,
higher = more anomalous) give the pixel AUROC over every test pixel, and the PRO as Anomalib 2.7 computes it (the
mean recall of the ground-truth regions at one pixel threshold, here the F1-optimal threshold on validation
pixels, as Anomalib's post-processor sets it; this is not the area under the PRO curve of the MVTec AD paper).
A setting (the map's Gaussian smoothing, the baselines' ``k`` or components, the GAN's score) is chosen on the
validation split only; the test split is only measured.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from anomalib.data import Folder
from anomalib.metrics.pro import _PRO
from anomalib.metrics.threshold.f1_adaptive_threshold import _F1AdaptiveThreshold
from sklearn.metrics import roc_auc_score
from torchmetrics.functional.classification import binary_auroc

from anomalib_pkdgan.models.pkdgan.anomaly_map import map_smoothing
from anomalib_pkdgan.models.pkdgan.callbacks.validation_scores import best_map_sigma
from benchmarks.common.baselines import fit_on_validation

KNN_K = (1, 5)
"""Neighbours tried by the kNN baseline here (chosen by validation image AUROC)."""

PCA_COMPONENTS = (2, 4, 8, 16, 32, 64, 128)
"""Components tried by the PCA baseline here (chosen by validation image AUROC; fewer than the training images).
The defect data sets have a few hundred training images each, so this range reaches further down and further up
than the one-class default (``baselines.PCA_COMPONENTS``); ``defects.csv`` was written with it."""


@dataclass
class Split:
    """One split's images as the data module gives them, with labels, masks and defect kinds.

    Attributes:
        images: ``(N, 3, H, W)`` float in ``[0, 1]`` (grey data sets have three equal channels).
        labels: ``(N,)``, 1 = defective.
        masks: ``(N, H, W)`` bool.
        kinds: Each image's folder name: ``good`` or its defect kind.
    """

    images: torch.Tensor
    labels: np.ndarray
    masks: np.ndarray
    kinds: list[str]


def folder_datamodule(
    folder: Path, seed: int, batch_size: int, defects: list[str], num_workers: int = 0, eval_batch_size: int = 64
) -> Folder:
    """Anomalib's ``Folder`` on a data set of ``defects/data.py``, with its default validation split (half of test).

    The split is drawn with ``seed``, so every model of a cell sees the same validation and test images.
    """
    return Folder(
        name=folder.name,
        root=folder,
        normal_dir="train/good",
        normal_test_dir="test/good",
        abnormal_dir=[f"test/{defect}" for defect in defects],
        mask_dir=[f"ground_truth/{defect}" for defect in defects],
        train_batch_size=batch_size,
        eval_batch_size=eval_batch_size,
        num_workers=num_workers,
        seed=seed,
    )


def load_split(datamodule: Folder, subset: str) -> Split:
    """Every image of ``subset`` (``train``, ``val`` or ``test``) of a set-up data module."""
    loader = getattr(datamodule, f"{subset}_dataloader")()
    images, labels, masks, kinds = [], [], [], []
    for batch in loader:
        images.append(batch.image)
        labels.append(np.asarray(batch.gt_label).reshape(-1))
        masks.append(np.asarray(batch.gt_mask).reshape(len(batch.image), *batch.image.shape[-2:]))
        kinds.extend(Path(path).parent.name for path in batch.image_path)
    return Split(torch.cat(images), np.concatenate(labels).astype(int), np.concatenate(masks) > 0, kinds)


def pixels(split: Split, channels: int) -> np.ndarray:
    """A split's images as ``(N, C, H, W)`` float32 numpy arrays with the data set's channels (1 or 3)."""
    return split.images[:, :channels].numpy().astype(np.float32)


def pixel_auroc(maps: np.ndarray, masks: np.ndarray) -> float:
    """AUROC over every pixel of every image (exact, no binning)."""
    return float(binary_auroc(torch.from_numpy(maps).flatten().float(), torch.from_numpy(masks).flatten().int()))


def smoothed(maps: np.ndarray, sigma: float) -> np.ndarray:
    """Maps ``(N, H, W)`` smoothed with P-KDGAN's Gaussian (``map_smoothing``; 0: unchanged)."""
    with torch.no_grad():
        return map_smoothing(sigma)(torch.from_numpy(maps)[:, None].float())[:, 0].numpy()


def choose_sigma(val_maps: np.ndarray, val_masks: np.ndarray) -> float:
    """The smoothing with the best validation pixel AUROC (P-KDGAN's ``anomaly_map_sigma="auto"`` rule)."""
    aurocs = best_map_sigma(torch.from_numpy(val_maps)[:, None].float(), torch.from_numpy(val_masks)[:, None])
    return max(aurocs, key=lambda sigma: (aurocs[sigma], -sigma))


def validation_pro(val_maps: np.ndarray, val_masks: np.ndarray, maps: np.ndarray, masks: np.ndarray) -> float:
    """Anomalib's PRO on ``maps`` at the F1-optimal threshold of the validation pixels."""
    threshold = _F1AdaptiveThreshold()
    threshold.update(torch.from_numpy(val_maps).flatten().float(), torch.from_numpy(val_masks).flatten().int())
    pro = _PRO(threshold=float(threshold.compute()))
    pro.update(torch.from_numpy(maps)[:, None].float(), torch.from_numpy(masks).float())
    return float(pro.compute())


def per_kind(split: Split, scores: np.ndarray, maps: np.ndarray | None) -> tuple[str, str]:
    """Image and pixel AUROC of each defect kind against the normal test images: ``"hole:0.981 noise:0.903"``."""
    normal = np.array([kind == "good" for kind in split.kinds])
    image, pixel = [], []
    for kind in sorted(set(split.kinds) - {"good"}):
        chosen = normal | np.array([k == kind for k in split.kinds])
        image.append(f"{kind}:{roc_auc_score(split.labels[chosen], scores[chosen]):.3f}")
        if maps is not None:
            pixel.append(f"{kind}:{pixel_auroc(maps[chosen], split.masks[chosen]):.3f}")
    return " ".join(image), " ".join(pixel)


def evaluate(val: Split, test: Split, val_scores: np.ndarray, test_scores: np.ndarray,
             val_maps: np.ndarray | None, test_maps: np.ndarray | None) -> dict:  # fmt: skip
    """The result columns of one model: test metrics from already smoothed maps, validation AUROCs beside them."""
    row = {
        "image_auroc": float(roc_auc_score(test.labels, test_scores)),
        "val_image_auroc": float(roc_auc_score(val.labels, val_scores)),
        "pixel_auroc": "",
        "pixel_pro": "",
        "val_pixel_auroc": "",
    }
    if val_maps is not None and test_maps is not None:
        row["pixel_auroc"] = pixel_auroc(test_maps, test.masks)
        row["val_pixel_auroc"] = pixel_auroc(val_maps, val.masks)
        row["pixel_pro"] = validation_pro(val_maps, val.masks, test_maps, test.masks)
    row["defect_image_auroc"], row["defect_pixel_auroc"] = per_kind(test, test_scores, test_maps)
    return row


def fit_baseline(name: str, train: np.ndarray, val: np.ndarray, val_labels: np.ndarray) -> tuple:
    """Fit ``knn_pixels`` or ``pca_pixels`` (``common/baselines.py``) on ``train`` at the defect benchmark's
    settings, chosen by validation image AUROC.

    Returns:
        ``(score, setting)``: ``score(images) -> (scores, maps)`` with the chosen setting, and that setting as text.
    """
    settings = {"neighbours": KNN_K, "components": PCA_COMPONENTS, "svd_solver": "full"}
    model, _ = fit_on_validation(name, train, val, val_labels, **settings)
    return model.scores_and_maps, model.setting
