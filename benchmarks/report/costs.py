# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Accuracy against cost: every model's mean AUROC beside its inference FLOPs, kept values and speed."""

from collections import defaultdict
from statistics import mean

from benchmarks.common.dataset_configs import PAPER_SHAPE_STUDENT
from benchmarks.report.scoring import (
    NAMES,
    STUDENTS,
    at_benchmark_settings,
    auto_test_auroc,
    student_label,
    student_of,
)

CONFIGS_GRID_IN_COSTS = {"teacher": "teacher", "student_alone": "student", "pkdgan": "pkdgan"}
"""Variants of the configs' grid shown in the cost table, and their names there (with the student and batch)."""


def costs(
    details: list[dict], flops: dict, wide: dict[tuple[str, str], list[dict]], configs_grid: list[dict] = ()
) -> dict:
    """Per (data set, variant): mean AUROC, cells, inference FLOPs per image, what it keeps in memory, images/s.

    FLOPs of the GANs are counted by ``flops.py`` (torch's FLOP counter). kNN compares a query with every kept
    training image: 2 FLOPs per kept value (the matrix product of the distance). PCA's count is stored with
    its result (4 x components x pixels). Images/s is the test-set scoring time the benchmark measured (batches
    of 512 images, PyTorch or scikit-learn, 2 cores). ``wide`` adds the students of :func:`wide_students`;
    ``configs_grid`` adds the configs' students at batch 8 (:func:`~benchmarks.report.tables.grid_table`), scored
    with ``auto``.
    """
    acc: dict = defaultdict(lambda: defaultdict(list))
    for record in configs_grid:
        dataset, variant = record["dataset"], record["variant"]
        if dataset not in flops or variant not in CONFIGS_GRID_IN_COSTS:
            continue
        network = "teacher" if variant == "teacher" else "student"
        student = flops[dataset]["student"]
        size = (
            ""
            if variant == "teacher"
            else f" {student_label(student['block'], student['features'], student['latent'])}"
        )
        key = (dataset, f"{CONFIGS_GRID_IN_COSTS[variant]}{size} (config, batch 8)")
        acc[key]["auroc"].append(100 * auto_test_auroc(record))
        acc[key]["flops"].append(flops[dataset][f"{network}_flops"])
        acc[key]["kept"].append(flops[dataset][f"{network}_params"])
        if record.get("score_seconds"):
            acc[key]["images_per_s"].append(record["test_images"] / record["score_seconds"])
    for record in details:
        dataset, variant = record["dataset"], record["variant"]
        if dataset not in flops:
            continue
        key = (dataset, variant)
        acc[key]["auroc"].append(100 * record["auroc"])
        if record.get("score_seconds"):
            acc[key]["images_per_s"].append(record["test_images"] / record["score_seconds"])
        if variant == "teacher":
            acc[key]["flops"].append(flops[dataset]["teacher_flops"])
            acc[key]["kept"].append(flops[dataset]["teacher_params"])
        elif variant in STUDENTS:  # the batch-32 grid's students have the paper's shape, not the config's
            student = flops[dataset].get("paper_shape_student", flops[dataset])
            acc[key]["flops"].append(student["student_flops"])
            acc[key]["kept"].append(student["student_params"])
        elif variant == "anomalib_ganomaly":
            acc[key]["flops"].append(flops["anomalib_ganomaly_32x32"]["flops"])
            acc[key]["kept"].append(flops["anomalib_ganomaly_32x32"]["params"])
        elif variant == "knn_pixels":
            acc[key]["flops"].append(2 * record["memory_floats"])
            acc[key]["kept"].append(record["memory_floats"])
        elif variant == "pca_pixels":
            acc[key]["flops"].append(record["inference_flops"])
            acc[key]["kept"].append(record["inference_flops"] // 4)
    for (dataset, name), group in wide.items():
        if dataset in flops:
            acc[(dataset, name)]["auroc"] = [100 * float(r["test_auroc_latent"]) for r in group]
            acc[(dataset, name)]["flops"] = [int(r["student_flops"]) for r in group]
    return {
        key: {"cells": len(entry["auroc"])} | {name: mean(values) for name, values in entry.items()}
        for key, entry in acc.items()
    }


def wide_students(sweep: list[dict], rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """Capacity-sweep students (other than the config's), pooled over the seeds that ran every class that the
    benchmark (``rows``) ran on the data set."""
    benchmark_classes: dict = defaultdict(set)
    for r in rows:
        benchmark_classes[r["dataset"]].add(r["normal_class"])
    by_seed: dict = defaultdict(list)
    for r in sweep:
        size = student_of(r)
        if size != PAPER_SHAPE_STUDENT[r["dataset"]] and at_benchmark_settings(r):
            by_seed[(r["dataset"], size, int(r["seed"]))].append(r)
    pooled: dict = defaultdict(dict)
    for (dataset, size, seed), group in by_seed.items():
        if benchmark_classes[dataset] and {r["normal_class"] for r in group} >= benchmark_classes[dataset]:
            pooled[(dataset, size)][seed] = group
    groups = {}
    for (dataset, size), seeds in pooled.items():
        label = "seed" if len(seeds) == 1 else "seeds"
        name = f"pkdgan {student_label(*size)} ({label} {', '.join(str(seed) for seed in sorted(seeds))})"
        groups[(dataset, name)] = [r for seed in sorted(seeds) for r in seeds[seed]]
    return groups


def cost_table(summary_costs: dict) -> str:
    if not summary_costs:
        return ""
    out = [
        "| data set | model | mean AUROC (%) | cells | inference FLOPs / image | values kept (params or pixels) "
        "| images/s (scoring the test set) |",
        "|---|---|---|---|---|---|---|",
    ]
    for (dataset, variant), entry in sorted(summary_costs.items(), key=lambda kv: (kv[0][0], -kv[1]["auroc"])):
        speed = f"{entry['images_per_s']:,.0f}" if "images_per_s" in entry else "-"
        kept = f"{entry['kept'] / 1e3:,.1f} k" if "kept" in entry else "-"
        out.append(
            f"| {NAMES.get(dataset, dataset)} | {variant} | {entry['auroc']:.1f} | {entry['cells']} | "
            f"{entry['flops'] / 1e6:.3g} M | {kept} | {speed} |"
        )
    return "\n".join(out) + "\n"
