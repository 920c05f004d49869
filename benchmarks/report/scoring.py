# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What every table shares: the variants and data sets by name, the score ``auto`` keeps, number formats.

Example:
    >>> auto_test_auroc({"auroc": 0.8, "test_auroc_reconstruction": 0.9, "val_auroc_latent": 0.6,
    ...                  "val_auroc_reconstruction": 0.7})
    0.9
    >>> with_spread([90.0, 92.0])
    '91.0 ± 1.0'
"""

from statistics import mean, pstdev

VARIANTS = (
    "teacher",
    "student_alone",
    "kd_frozen",
    "kd_joint",
    "pkdgan",
    "knn_pixels",
    "pca_pixels",
    "anomalib_ganomaly",
)
STUDENTS = ("student_alone", "kd_frozen", "kd_joint", "pkdgan")
DEFAULT_BATCH = 32
"""The benchmark's batch size: capacity-sweep rows at another batch size are not compared with its rows."""
DEFAULT_LR = 2e-4
"""The benchmark's (and GANomaly's) learning rate: nor are rows with another student learning rate."""
NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10", "digits": "digits"}
PAPER = {"mnist": 97.25, "fashion_mnist": 92.93}
"""The paper's P-KDGAN student: mean AUROC (%) over the classes."""
PAPER_FLOPS_RATIO = {"mnist": 311, "fashion_mnist": 700}
"""The teacher:student FLOPs ratio the paper reports (the target of the data set's config)."""


def listing(noun: str, values: set[str]) -> str:
    """``seed 0`` or ``seeds 0, 1, 2``: numbered values after a singular or plural noun."""
    plural = "s" if len(values) > 1 else ""
    return f"{noun}{plural} {', '.join(sorted(values, key=int))}"


def at_benchmark_settings(row: dict) -> bool:
    """Whether a capacity-sweep row was trained as the benchmark's ``oneclass.csv`` rows: batch 32, GANomaly's
    learning rate, scored with the last weights (so the two can be compared)."""
    return (
        int(row["batch_size"]) == DEFAULT_BATCH and row["weights"] == "last" and float(row["student_lr"]) == DEFAULT_LR
    )


def student_of(row: dict) -> tuple[str, int, int]:
    """``(design, features, latent)`` of a capacity-sweep row."""
    return row["student_block"], int(row["student_features"]), int(row["student_latent"])


def student_label(block: str, features: int, latent: int) -> str:
    """``3/16``, or ``6/100 separable``."""
    return f"{features}/{latent}" + ("" if block == "standard" else f" {block}")


def mean_or_dash(values: list[float | None]) -> str:
    return f"{100 * mean(values):.1f}" if values and None not in values else "-"


def auto_test_auroc(record: dict) -> float:
    """Test AUROC of the score ``score_type="auto"`` keeps (the higher validation AUROC; ties: latent)."""
    if "val_auroc_reconstruction" not in record:
        return record["auroc"]
    latent_wins = record["val_auroc_latent"] >= record["val_auroc_reconstruction"]
    return record["auroc"] if latent_wins else record["test_auroc_reconstruction"]


def validation_auroc(record: dict) -> float | None:
    """Validation AUROC of what a run reports: the GANs' kept score, PCA's chosen components (kNN: none)."""
    if "val_auroc_reconstruction" in record:
        return max(record["val_auroc_latent"], record["val_auroc_reconstruction"])
    return record.get("val_auroc")


def with_spread(values: list[float]) -> str:
    """``94.8`` for one run, ``94.8 ± 1.2`` (population standard deviation) for several."""
    return f"{mean(values):.1f}" + (f" ± {pstdev(values):.1f}" if len(values) > 1 else "")
