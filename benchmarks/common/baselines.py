# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The raw-pixel baselines every benchmark compares with: k-nearest neighbours and PCA reconstruction error.

One implementation with one set of default settings (:data:`KNN_NEIGHBOURS`, :data:`PCA_COMPONENTS`,
:data:`PCA_SOLVER`); a setting is chosen by validation AUROC only (:func:`fit_on_validation`), never on test.
Images come as ``(N, D)`` flat pixels or ``(N, C, H, W)`` arrays; anomaly maps need the latter.

* ``knn_pixels``: the mean Euclidean distance to the ``k`` nearest training images; its map is, per pixel, the
  smallest squared difference to those ``k`` images (mean over channels).
* ``pca_pixels``: the mean squared error of the reconstruction from the first ``components`` principal
  components (scikit-learn's ``PCA``, ``random_state=0``); its map is that error per pixel (mean over channels).

The committed result files were written with the defaults, except two that keep their own settings, passed as
parameters: the defect benchmark (``neighbours=(1, 5)``, ``components=(2, 4, ..., 128)``, ``svd_solver="full"``)
and the 100-image folders of ``accuracy/small_data.py`` (``components=(2, 4, 8, 16, 32)``).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> train = rng.normal(size=(40, 16))
    >>> val = np.concatenate([rng.normal(size=(10, 16)), rng.normal(3, 1, size=(10, 16))])
    >>> model, val_auroc = fit_on_validation("pca_pixels", train, val, np.repeat([0, 1], 10), components=(2, 4))
    >>> model.setting, val_auroc
    ('components=2', 1.0)
"""

from collections.abc import Sequence

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

KNN_NEIGHBOURS = (5,)
"""Neighbours tried by ``knn_pixels`` (one: nothing to choose)."""
PCA_COMPONENTS = (8, 16, 32, 64)
"""Components tried by ``pca_pixels`` (those below the number of training images and of pixels)."""
PCA_SOLVER = "auto"
"""scikit-learn's SVD solver of ``pca_pixels`` (``auto``: randomised for large inputs, seeded)."""
BASELINES = ("knn_pixels", "pca_pixels")


def flat(images: np.ndarray) -> np.ndarray:
    """``(N, ...)`` images as ``(N, D)`` rows."""
    return images.reshape(len(images), -1)


class KnnPixels:
    """``knn_pixels`` fitted on ``train`` with ``k`` neighbours."""

    name = "knn_pixels"

    def __init__(self, train: np.ndarray, k: int = KNN_NEIGHBOURS[0]) -> None:
        self.train, self.k = train, k
        self.index = NearestNeighbors(n_neighbors=k).fit(flat(train))

    @property
    def setting(self) -> str:
        return f"k={self.k}"

    @property
    def memory_floats(self) -> int:
        """Values kept to score an image: every training pixel."""
        return int(self.train.size)

    def scores(self, images: np.ndarray) -> np.ndarray:
        """Mean distance of each image to its ``k`` nearest training images."""
        return self.index.kneighbors(flat(images))[0].mean(axis=1)

    def scores_and_maps(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ``(N, H, W)`` maps of ``(N, C, H, W)`` images (training images of the same shape)."""
        distances, indices = self.index.kneighbors(flat(images))
        nearest = zip(images, indices, strict=True)
        maps = np.stack([((self.train[idx] - image[None]) ** 2).mean(axis=1).min(axis=0) for image, idx in nearest])
        return distances.mean(axis=1), maps


class PcaPixels:
    """``pca_pixels`` fitted on ``train`` with ``components`` principal components."""

    name = "pca_pixels"

    def __init__(self, train: np.ndarray, components: int, svd_solver: str = PCA_SOLVER) -> None:
        self.pca = PCA(n_components=components, svd_solver=svd_solver, random_state=0).fit(flat(train))

    @property
    def setting(self) -> str:
        return f"components={self.pca.n_components_}"

    @property
    def inference_flops(self) -> int:
        """Projection and reconstruction: ``4 x components x pixels``."""
        return int(4 * self.pca.n_components_ * self.pca.n_features_in_)

    def errors(self, images: np.ndarray) -> np.ndarray:
        """Squared reconstruction error of every value, ``(N, D)``."""
        rows = flat(images)
        return (rows - self.pca.inverse_transform(self.pca.transform(rows))) ** 2

    def scores(self, images: np.ndarray) -> np.ndarray:
        """Mean squared reconstruction error of each image."""
        return self.errors(images).mean(axis=1)

    def scores_and_maps(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ``(N, H, W)`` maps of ``(N, C, H, W)`` images."""
        errors = self.errors(images)
        return errors.mean(axis=1), errors.reshape(images.shape).mean(axis=1)


def candidates(
    name: str,
    train: np.ndarray,
    neighbours: Sequence[int] = KNN_NEIGHBOURS,
    components: Sequence[int] = PCA_COMPONENTS,
    svd_solver: str = PCA_SOLVER,
) -> list[KnnPixels | PcaPixels]:
    """Every setting of baseline ``name`` that ``train`` allows, fitted, in the order given."""
    if name == "knn_pixels":
        return [KnnPixels(train, k) for k in dict.fromkeys(min(k, len(train)) for k in neighbours)]
    if name == "pca_pixels":
        most = min(flat(train).shape)
        return [PcaPixels(train, c, svd_solver) for c in components if c < most]
    msg = f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}"
    raise ValueError(msg)


def fit_on_validation(
    name: str,
    train: np.ndarray,
    val: np.ndarray,
    val_labels: np.ndarray,
    *,
    neighbours: Sequence[int] = KNN_NEIGHBOURS,
    components: Sequence[int] = PCA_COMPONENTS,
    svd_solver: str = PCA_SOLVER,
) -> tuple[KnnPixels | PcaPixels, float]:
    """Baseline ``name`` at the setting with the highest validation AUROC (ties: the first), and that AUROC."""
    fitted = candidates(name, train, neighbours, components, svd_solver)
    aurocs = [float(roc_auc_score(val_labels, model.scores(val))) for model in fitted]
    best = int(np.argmax(aurocs))
    return fitted[best], aurocs[best]
