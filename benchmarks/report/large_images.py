# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The defect benchmark's large-image tables: tiled models beside whole-image ones, and the tile candidates.

Read from ``defects.csv`` and ``defects_tiles.csv`` (``benchmarks/defects/benchmark.py``): the data sets shown are
those a tiled model (``*_tiled``) ran on; every model that ran there gets a row (one per GAN budget), with the test
image and pixel AUROC of each data set (mean over seeds), their mean over the data sets every baseline and P-KDGAN's
student (tiled and whole-image) at the main budget (the one run on the most data sets, then with the most rows) ran
(``-`` for a row that missed one), the training minutes and the images per second on one whole image. The
candidates table shows, per tiled model and tile size/stride, the validation metrics the choice was made on beside
the test metrics, and how often it was chosen.

Example:
    >>> row = {"model": "pca_pixels", "dataset": "brick_256_grey", "seed": "0", "budget": "", "image_auroc": "0.9",
    ...        "pixel_auroc": "0.95", "train_seconds": "6", "images_per_second": "120.5", "settings": "components=8"}
    >>> tiled = {**row, "model": "pca_pixels_tiled", "image_auroc": "0.8", "settings": "tile=64 stride=32 ..."}
    >>> lines = large_image_table([row, tiled], [])
    >>> print(lines[4]); print(lines[5])
    | pca_pixels_tiled | 80.0 / 95.0 | **80.0 / 95.0** | 0.1 | 120 |
    | pca_pixels | 90.0 / 95.0 | **90.0 / 95.0** | 0.1 | 120 |
"""

import re
from collections import defaultdict
from statistics import mean

MODEL_ORDER = (
    "pkdgan_tiled", "pkdgan_student", "pkdgan_teacher", "anomalib_ganomaly",
    "knn_pixels_tiled", "knn_pixels", "pca_pixels_tiled", "pca_pixels",
)  # fmt: skip
"""Row order: each tiled model above its whole-image counterpart."""

GANS = ("pkdgan_tiled", "pkdgan_student", "pkdgan_teacher", "anomalib_ganomaly")

PRODUCT = ("pkdgan_tiled", "pkdgan_student", "knn_pixels_tiled", "knn_pixels", "pca_pixels_tiled", "pca_pixels")
"""The rows whose data sets decide the mean: what a user runs (P-KDGAN's student, tiled or not) and the baselines;
the teacher and Anomalib's Ganomaly get a mean only where they ran all of those data sets."""


def _numbers(rows: list[dict], column: str) -> list[float]:
    return [float(row[column]) for row in rows if row.get(column, "") != ""]


def _pair(rows: list[dict], prefix: str = "") -> str:
    """``image / pixel`` AUROC (%) of rows, ``-`` where there is none."""
    values = [_numbers(rows, f"{prefix}{metric}_auroc") for metric in ("image", "pixel")]
    return " / ".join(f"{100 * mean(v):.1f}" if v else "-" for v in values)


def _gan_budget(budget: str) -> str:
    """A tiled GAN's budget without its tile candidates (shared with the whole-image GANs of the same run)."""
    return re.sub(r" tiles \S+ strides \S+$", "", budget)


def _row_budget(row: dict) -> str:
    """A row's GAN budget; ``""`` for a baseline."""
    return _gan_budget(row["budget"]) if row["model"] in GANS else ""


def large_image_table(rows: list[dict], candidates: list[dict]) -> list[str]:
    """The markdown lines of both tables; none if no tiled model ran."""
    datasets = sorted({row["dataset"] for row in rows if row["model"].endswith("_tiled")})
    if not datasets:
        return []
    shown = [row for row in rows if row["dataset"] in datasets and row["model"] in MODEL_ORDER]
    budgets = sorted({_row_budget(row) for row in shown if row["model"] in GANS})
    label = {budget: f"({chr(ord('a') + index)})" for index, budget in enumerate(budgets)} if len(budgets) > 1 else {}
    groups: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for row in shown:
        budget = _row_budget(row)
        name = f"{row['model']} {label[budget]}" if budget in label else row["model"]
        groups[MODEL_ORDER.index(row["model"]), name].append(row)
    ran = {budget: [row["dataset"] for row in shown if _row_budget(row) == budget] for budget in budgets}
    main = max(budgets, key=lambda budget: (len(set(ran[budget])), len(ran[budget])), default="")  # then most rows
    core = [group for group in groups.values() if group[0]["model"] in PRODUCT and _row_budget(group[0]) in ("", main)]
    common = [d for d in datasets if all(any(r["dataset"] == d for r in group) for group in core)]
    lines = [
        "Image AUROC / pixel AUROC (%) on the test half of each data set (mean over seeds); the mean is over the data "
        f"sets every baseline and P-KDGAN's student at the main budget ran ({len(common)}; `-`: a row that missed "
        "one); training minutes per data set and seed (P-KDGAN's student and teacher rows share one run; a tiled row "
        "counts its chosen candidate's run); images/s on one whole image at a time "
        "(P-KDGAN: the student exported to OpenVINO, FP32; pixel baselines: numpy). Tiled models: tile size, stride "
        "and the image score's top-k chosen on validation (candidates below). GANs: "
        + ("; ".join(f"{label[b]} {b}" for b in budgets) if label else (budgets[0] if budgets else "none"))
        + ".",
        "",
        "| model | " + " | ".join(datasets) + " | mean | train (min) | images/s |",
        "|---|" + "---|" * (len(datasets) + 3),
    ]
    for (_, name), group in sorted(groups.items()):
        cells = [_pair([row for row in group if row["dataset"] == dataset]) for dataset in datasets]
        covers = common and all(any(row["dataset"] == d for row in group) for d in common)
        mean_cell = _pair([row for row in group if row["dataset"] in common]) if covers else "-"
        minutes = _numbers(group, "train_seconds")
        speed = _numbers(group, "images_per_second")
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | **{mean_cell}** | "
            f"{mean(minutes) / 60:.1f} | " + (f"{mean(speed):,.0f}" if speed else "-") + " |"
        )
    return lines + candidate_table(candidates, rows, datasets, label)


def candidate_table(candidates: list[dict], rows: list[dict], datasets: list[str], label: dict[str, str]) -> list[str]:
    """Each tiled model's candidates on ``datasets``: validation and test AUROCs (mean over data sets and seeds)
    and the cells whose row each was chosen for; a GAN's name carries its budget's ``label`` where there is one."""
    chosen = defaultdict(int)
    for row in rows:
        match = re.match(r"tile=(\d+) stride=(\d+) ", row["settings"])
        if row["model"].endswith("_tiled") and match and row["dataset"] in datasets:
            chosen[row["model"], row["budget"], f"{match[1]}/{match[2]}"] += 1
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for row in candidates:
        if row["dataset"] in datasets:
            groups[row["model"], row["budget"], f"{row['tile']}/{row['stride']}"].append(row)
    if not groups:
        return []
    lines = [
        "",
        "Tile candidates (image / pixel AUROC %, mean over data sets and seeds): the row above is, per data set and "
        "seed, the candidate with the best mean of validation image and pixel AUROC.",
        "",
        "| model | tile / stride | cells | validation | test | chosen in |",
        "|---|---|---|---|---|---|",
    ]
    order = sorted(groups, key=lambda key: (MODEL_ORDER.index(key[0]), key[1], [int(v) for v in key[2].split("/")]))
    for key in order:
        group = groups[key]
        budget = _gan_budget(key[1]) if key[0] in GANS else ""
        name = f"{key[0]} {label[budget]}" if budget in label else key[0]
        lines.append(f"| {name} | {key[2]} | {len(group)} | {_pair(group, 'val_')} | {_pair(group)} | {chosen[key]} |")
    return lines
