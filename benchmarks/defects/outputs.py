# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The defect benchmark's tables (``defects.md``) and example figure (``defects_examples.png``).

The tables read ``defects.csv``: image and pixel AUROC per data set and model (mean over seeds), a mean row, the
training time, and the pixel AUROC of each defect kind. The figure shows, for each data set, a normal test image
and two defective ones (kinds taken in turn), each as image, ground-truth mask and the student's anomaly map, drawn
with Anomalib's ``visualize_image_item``; the maps of one data set share one colour scale (0 to the 99.9th
percentile of its validation maps), so a normal image's map shows what "normal" looks like.
"""

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
from anomalib.data import NumpyImageItem
from anomalib.visualization import visualize_image_item
from anomalib.visualization.image.functional import add_text_to_image
from PIL import Image

from benchmarks.defects.data import LARGE_SIZE, Settings

PANEL = 128
"""Side of each drawn panel, in pixels."""


def _mean(values: list[str]) -> float | None:
    numbers = [float(value) for value in values if value != ""]
    return sum(numbers) / len(numbers) if numbers else None


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _kinds(text: str) -> dict[str, float]:
    """``"hole:0.981 noise:0.903"`` -> ``{"hole": 0.981, "noise": 0.903}``."""
    return {kind: float(value) for kind, value in (item.split(":") for item in text.split())}


def write_table(results: Path, path: Path, budget: str, order: tuple[str, ...]) -> None:
    """Write the markdown tables of the rows of ``results`` that used ``budget`` (and the baselines), models in
    ``order``, on the data sets below :data:`~.data.LARGE_SIZE` px (the report renders the larger ones); nothing if
    there are none."""
    with results.open() as handle:
        every_row = [row for row in csv.DictReader(handle) if Settings.size_of(row["dataset"]) < LARGE_SIZE]
    rows = [row for row in every_row if row["budget"] in {"", budget} and row["model"] in order]
    if not rows:
        return
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        cells[row["dataset"], row["model"]].append(row)
    datasets = list(dict.fromkeys(row["dataset"] for row in rows))
    models = [model for model in order if any(model == row["model"] for row in rows)]
    seeds = sorted({int(row["seed"]) for row in rows})
    lines = [
        f"Image AUROC / pixel AUROC (%) on the test half of each data set, mean over seeds {seeds}; "
        f"GANs: {budget}. Pixel AUROC '-': the model gives no anomaly map.",
        "",
        "| data set | " + " | ".join(models) + " |",
        "|---|" + "---|" * len(models),
    ]

    def cell(group: list[dict]) -> str:
        image, pixel = _mean([r["image_auroc"] for r in group]), _mean([r["pixel_auroc"] for r in group])
        return f"{_percent(image)} / {_percent(pixel)}"

    for dataset in datasets:
        lines.append(f"| {dataset} | " + " | ".join(cell(cells[dataset, model]) for model in models) + " |")
    by_model = {model: [row for row in rows if row["model"] == model] for model in models}
    lines.append("| **mean** | " + " | ".join(f"**{cell(by_model[model])}**" for model in models) + " |")
    seconds = [_mean([row["train_seconds"] for row in by_model[model]]) for model in models]
    lines.append("| training seconds (mean) | " + " | ".join(f"{s:.1f}" for s in seconds) + " |")
    kinds = sorted({kind for row in rows for kind in _kinds(row["defect_image_auroc"])})
    lines += [
        "",
        "Pixel AUROC (%) of each defect kind (its images and the normal test images), mean over data sets and seeds:",
        "",
        "| model | " + " | ".join(kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for model in models:
        per_kind = [_kinds(row["defect_pixel_auroc"]) for row in by_model[model]]
        means = [_mean([str(values[kind]) for values in per_kind if kind in values]) for kind in kinds]
        lines.append(f"| {model} | " + " | ".join(_percent(value) for value in means) + " |")
    path.write_text("\n".join([*lines, *budget_lines(every_row)]) + "\n")


def budget_lines(every_row: list[dict]) -> list[str]:
    """Every GAN budget run on a data set, side by side: the student's and teacher's validation and test AUROCs.

    Validation is what a budget (teacher width, precision, ...) is chosen by; nothing if only one budget was run.
    """
    rows = [row for row in every_row if row["model"] in {"pkdgan_student", "pkdgan_teacher"}]
    runs: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        runs[row["dataset"], row["budget"]][row["model"]].append(row)
    budgets_per_dataset = defaultdict(set)
    for dataset, budget in runs:
        budgets_per_dataset[dataset].add(budget)
    compared = sorted((key for key in runs if len(budgets_per_dataset[key[0]]) > 1), key=lambda key: key)
    if not compared:
        return []
    lines = [
        "",
        "GAN budgets compared on the data sets run with more than one (image / pixel AUROC %, mean over seeds, "
        "validation then test; the student's, then the teacher's):",
        "",
        "| data set | budget | student validation | student test | teacher validation | teacher test | train (s) |",
        "|---|---|---|---|---|---|---|",
    ]

    def pair(group: list[dict], split: str) -> str:
        prefix = "val_" if split == "val" else ""
        image, pixel = (_mean([row[prefix + metric] for row in group]) for metric in ("image_auroc", "pixel_auroc"))
        return f"{_percent(image)} / {_percent(pixel)}"

    for dataset, budget in compared:
        student, teacher = runs[dataset, budget]["pkdgan_student"], runs[dataset, budget]["pkdgan_teacher"]
        seconds = _mean([row["train_seconds"] for row in student + teacher]) or 0.0
        lines.append(
            f"| {dataset} | {budget} | {pair(student, 'val')} | {pair(student, 'test')} | {pair(teacher, 'val')} | "
            f"{pair(teacher, 'test')} | {seconds:.0f} |"
        )
    return lines


def example_strip(image: np.ndarray, mask: np.ndarray, anomaly_map: np.ndarray, label: str) -> Image.Image:
    """Image, ground-truth mask and anomaly map (already scaled to ``[0, 1]``) side by side, labelled."""
    item = NumpyImageItem(image=image, gt_mask=mask, anomaly_map=anomaly_map.astype(np.float32))
    strip = visualize_image_item(
        item, fields=["image", "gt_mask", "anomaly_map"], field_size=(PANEL, PANEL), text_config={"enable": False}
    )
    return add_text_to_image(strip, label, size=11, position=(3, 3))


def write_figure(examples: Path, path: Path) -> None:
    """One row per data set with examples in ``examples`` (see ``defects.save_examples``); nothing if none."""
    files = {}  # data set -> its first seed's examples
    for file in sorted(examples.glob("*.npz")):
        files.setdefault(file.stem.rsplit("_seed", 1)[0], file)
    if not files:
        return
    rows = []
    for row, (name, file) in enumerate(files.items()):
        data = np.load(file)
        kinds = list(data["kinds"])
        defective = [index for index, kind in enumerate(kinds) if kind != "good"]
        chosen = [kinds.index("good"), *(defective[(2 * row + i) % len(defective)] for i in range(2))]
        scale = max(float(data["scale"]), 1e-12)
        maps = np.clip(data["maps"] / scale, 0, 1)
        strips = [example_strip(data["images"][i], data["masks"][i], maps[i], f"{name}: {kinds[i]}") for i in chosen]
        rows.append(np.concatenate([np.asarray(strip) for strip in strips], axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)
