# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The plots of the results page (matplotlib, imported only when a plot is drawn)."""

import math
from pathlib import Path
from statistics import mean

from benchmarks.report.scoring import NAMES, VARIANTS


def plot_cost(summary_costs: dict, path: Path) -> bool:
    """Mean AUROC against inference FLOPs (log scale), one marker per model and data set, saved to ``path``."""
    if not summary_costs:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = sorted({dataset for dataset, _ in summary_costs})
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        points = sorted(
            ((variant, entry) for (d, variant), entry in summary_costs.items() if d == dataset),
            key=lambda point: -point[1]["auroc"],
        )
        gap = 0.045 * ((points[0][1]["auroc"] - points[-1][1]["auroc"]) or 1.0)
        labels: list[tuple[float, float]] = []  # (FLOPs, label height) of the labels placed so far, highest first
        for variant, entry in points:
            colour = f"C{VARIANTS.index(variant)}" if variant in VARIANTS else "black"
            ax.scatter(entry["flops"], entry["auroc"], s=40, color=colour)
            height = entry["auroc"]
            for flops, placed in labels:  # models of (nearly) the same cost: stack their labels, never overlap
                if abs(math.log10(flops / entry["flops"])) < 0.3 and height > placed - gap:
                    height = placed - gap
            labels.append((entry["flops"], height))
            ax.annotate(variant, (entry["flops"], entry["auroc"]), xytext=(entry["flops"] * 1.15, height), fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("inference FLOPs per image (log)")
        ax.set_ylabel("mean image AUROC (%)")
        ax.set_title(f"{NAMES.get(dataset, dataset)}: accuracy against cost")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_histograms(details: list[dict], path: Path) -> str | None:
    """Score histograms, normal against anomalous test images, for the first class run with ``--keep-scores``,
    saved to ``path``; returns which class they show."""
    kept = [r for r in details if r.get("test_scores_latent")]
    if not kept:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    dataset, normal_class = kept[0]["dataset"], kept[0]["normal_class"]
    records = [r for r in kept if (r["dataset"], r["normal_class"]) == (dataset, normal_class)]
    fig, axes = plt.subplots(1, len(records), figsize=(3.2 * len(records), 2.8), squeeze=False)
    for ax, record in zip(axes[0], records, strict=True):
        scores = np.log10(np.asarray(record["test_scores_latent"]) + 1e-12)
        labels = np.asarray(record["test_labels"])
        bins = np.linspace(scores.min(), scores.max(), 40)
        ax.hist(scores[labels == 0], bins=bins, alpha=0.6, density=True, label="normal")
        ax.hist(scores[labels == 1], bins=bins, alpha=0.6, density=True, label="anomalous")
        ax.set_title(f"{record['variant']} ({100 * record['auroc']:.1f})", fontsize=9)
        ax.set_xlabel("log10 latent score", fontsize=8)
        ax.set_yticks([])
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{NAMES.get(dataset, dataset)} class {normal_class}: test scores (AUROC %)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"{NAMES.get(dataset, dataset)} class {normal_class}"


def plot(rows: list[dict], path: Path) -> bool:
    """Bars of the AUROC of every variant per normal class, one panel per data set, saved to ``path``."""
    if not rows:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = sorted({row["dataset"] for row in rows})
    fig, axes = plt.subplots(len(datasets), 1, figsize=(12, 3.5 * len(datasets)), squeeze=False)
    for ax, dataset in zip(axes[:, 0], datasets, strict=True):
        subset = [row for row in rows if row["dataset"] == dataset]
        classes = sorted({int(row["normal_class"]) for row in subset})
        variants = [v for v in VARIANTS if any(row["variant"] == v for row in subset)]
        width = 0.8 / len(variants)
        for index, variant in enumerate(variants):
            values = []
            for normal_class in classes:
                aurocs = [
                    100 * float(r["auroc"])
                    for r in subset
                    if int(r["normal_class"]) == normal_class and r["variant"] == variant
                ]
                values.append(mean(aurocs) if aurocs else 0)
            ax.bar([c + index * width for c in classes], values, width, label=variant)
        ax.set_title(f"{NAMES.get(dataset, dataset)}: image AUROC per normal class")
        ax.set_xticks([c + 0.4 - width / 2 for c in classes], [str(c) for c in classes])
        ax.set_ylim(40, 100)
        ax.set_ylabel("AUROC (%)")
        ax.legend(ncol=len(variants), fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
