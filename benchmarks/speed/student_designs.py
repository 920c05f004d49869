# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Student designs by measured speed: FLOPs, parameters, OpenVINO FP32 images/s and AUROC, one row per design.

    python -m benchmarks.speed.student_designs      # writes benchmarks/results/student_designs.{csv,md,png}
    python -m benchmarks.speed.student_designs --students standard:3:16,separable:6:100,separable:12:100

Every student design (``block:features:latent``; by default the four standard widths and every design that
``capacity_sweep.csv`` holds) is exported through Anomalib like ``throughput.py``'s student and timed in OpenVINO
FP32 at batch 1 (one thread, the README's setting for one image at a time: OpenVINO's default of all cores is slower
there and varies from run to run) and at batch 64 (the default), in the same run as the teacher and Anomalib's
Ganomaly in PyTorch and the raw-pixel kNN and PCA (``throughput.py``'s configurations and timing). FLOPs and
parameters are the generator's (``flops.py``'s count); for the kNN and PCA they are those ``report.py`` uses, and
"parameters" are the values they keep.

AUROC (``auto`` score, the default) comes from existing runs at the benchmark's reduced budget (E = 3, 2,000
training images), on the cells every width was run on: seed 0, MNIST classes 2 and 4, Fashion-MNIST classes 0
and 6. Students: ``capacity_sweep.csv`` (validation: the score ``auto`` keeps); the others:
``oneclass_details.jsonl``. A design without runs on all of a data set's cells has empty AUROC cells.
"""

import argparse
import csv
import json
import math
from collections import defaultdict
from pathlib import Path
from statistics import mean

from benchmarks.common.paths import RESULTS
from benchmarks.speed.throughput import KNN_TRAIN_IMAGES, PCA_COMPONENTS, Config, parse_student, run_configs

STANDARD_WIDTHS = ("standard:2:8", "standard:3:16", "standard:8:32", "standard:16:64")
CELLS = {"mnist": ("2", "4"), "fashion_mnist": ("0", "6")}
"""The (seed 0) cells every student width was run on, per data set."""
BUDGET = {
    "seed": "0",
    "epochs": "3",
    "train_images": "2000",
    "batch_size": "32",
    "weights": "last",
    "student_lr": "0.0002",
}
"""The benchmark's reduced budget: which capacity-sweep rows count."""
NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
REFERENCES = (
    Config("teacher", "torch"),
    Config("ganomaly", "torch"),
    Config("knn_pixels", "scikit-learn"),
    Config("pca_pixels", "scikit-learn"),
)
REFERENCE_VARIANTS = {
    "teacher": "teacher",
    "ganomaly": "anomalib_ganomaly",
    "knn_pixels": "knn_pixels",
    "pca_pixels": "pca_pixels",
}
"""Model name here -> variant name in ``oneclass_details.jsonl``."""
COLUMNS = (
    "model",
    "student_block",
    "student_features",
    "student_latent",
    "backend",
    "flops",
    "params",
    "images_per_s_b1",
    "images_per_s_b64",
    "latency_ms_b1",
    *(f"{split}_auroc_{dataset}" for dataset in CELLS for split in ("val", "test")),
)


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open() as handle:
        return list(csv.DictReader(handle))


def swept_designs(sweep: list[dict]) -> list[str]:
    """Every ``block:features:latent`` in the capacity sweep."""
    return sorted({f"{r['student_block']}:{r['student_features']}:{r['student_latent']}" for r in sweep})


def student_auroc(sweep: list[dict], student: str) -> dict[str, float]:
    """Validation (score ``auto`` keeps) and test (``auto``) AUROC of a design per data set, on :data:`CELLS`."""
    block, features, latent = parse_student(student)
    found: dict = {}
    for r in sweep:
        design = (r["student_block"], int(r["student_features"]), int(r["student_latent"]))
        if design == (block, features, latent) and all(r[k] == v for k, v in BUDGET.items()):
            found[(r["dataset"], r["normal_class"])] = r  # the last run of a cell counts
    out = {}
    for dataset, classes in CELLS.items():
        rows = [found.get((dataset, c)) for c in classes]
        if None not in rows:
            val = [max(float(r["val_auroc_latent"]), float(r["val_auroc_reconstruction"])) for r in rows]
            out[f"val_auroc_{dataset}"] = mean(val)
            out[f"test_auroc_{dataset}"] = mean(float(r["test_auroc_auto"]) for r in rows)
    return out


def reference_auroc(details: list[dict], variant: str) -> dict[str, float]:
    """Validation and test AUROC of a benchmark variant on :data:`CELLS` (GANs: the ``auto`` score)."""
    found = {(r["dataset"], str(r["normal_class"])): r for r in details if r["variant"] == variant and r["seed"] == 0}
    out = {}
    for dataset, classes in CELLS.items():
        rows = [found.get((dataset, c)) for c in classes]
        if None in rows:
            continue
        tests, vals = [], []
        for r in rows:
            if "val_auroc_reconstruction" in r:  # GANs scored both ways: auto keeps the better on validation
                latent_wins = r["val_auroc_latent"] >= r["val_auroc_reconstruction"]
                tests.append(r["auroc"] if latent_wins else r["test_auroc_reconstruction"])
                vals.append(max(r["val_auroc_latent"], r["val_auroc_reconstruction"]))
            else:
                tests.append(r["auroc"])
                vals.append(r.get("val_auroc", r.get("val_auroc_latent")))
        out[f"test_auroc_{dataset}"] = mean(tests)
        if None not in vals:
            out[f"val_auroc_{dataset}"] = mean(vals)
    return out


def cost(config: Config) -> tuple[int, int]:
    """Inference FLOPs per 32x32 image and parameters (values kept, for the pixel baselines)."""
    from anomalib.models.image.ganomaly.torch_model import GanomalyModel
    from flops import count

    from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel

    pixels = 32 * 32
    if config.model == "knn_pixels":
        return 2 * KNN_TRAIN_IMAGES * pixels, KNN_TRAIN_IMAGES * pixels
    if config.model == "pca_pixels":
        return 4 * PCA_COMPONENTS * pixels, PCA_COMPONENTS * pixels
    if config.model == "ganomaly":
        return count(GanomalyModel((32, 32), 3, n_features=64, latent_vec_size=100).generator, 3)
    block, features, latent = parse_student(config.student)
    model = PkdganModel((32, 32), 1, student_features=features, student_latent=latent, student_block=block)
    return count(getattr(model, config.model).generator, 1)


def student_config(student: str, batch_size: int) -> Config:
    """OpenVINO FP32 as the README advises: one thread for one image at a time, the default (all cores) for batches."""
    return Config("student", "openvino", student=student, threads=1 if batch_size == 1 else 0)


def design_rows(students: list[str], timings: list[dict], sweep: list[dict], details: list[dict]) -> list[dict]:
    """One row per reference model and student design: costs, measured speed, AUROC."""
    speed: dict = defaultdict(dict)
    for t in timings:
        speed[(t["model"], t["student"] if t["model"] == "student" else "")][t["batch_size"]] = t
    configs = [*REFERENCES, *(Config("student", "openvino", student=s) for s in students)]
    rows = []
    for config in configs:
        timed = speed[(config.model, config.student if config.model == "student" else "")]
        flops, params = cost(config)
        row = {
            "model": config.model,
            "backend": config.backend,
            "flops": flops,
            "params": params,
            "images_per_s_b1": timed[1]["images_per_s"],
            "images_per_s_b64": timed[64]["images_per_s"],
            "latency_ms_b1": timed[1]["latency_ms"],
        }
        if config.model == "student":
            block, features, latent = parse_student(config.student)
            row.update(student_block=block, student_features=features, student_latent=latent)
            row.update(student_auroc(sweep, config.student))
        else:
            row.update(reference_auroc(details, REFERENCE_VARIANTS[config.model]))
        rows.append(row)
    return rows


def label(row: dict) -> str:
    """``teacher``, ``3/16`` or ``6/100 separable``."""
    if row["model"] != "student":
        return row["model"]
    block = "" if row["student_block"] == "standard" else f" {row['student_block']}"
    return f"{row['student_features']}/{row['student_latent']}{block}"


def percent(value: object) -> str:
    return "-" if value in (None, "") else f"{100 * float(value):.1f}"


def write_table(rows: list[dict], path: Path) -> None:
    """Markdown table and how to read it."""
    columns = " | ".join(f"{NAMES[d]} {split}" for d in CELLS for split in ("val", "test"))
    lines = [
        f"| model | backend | MFLOPs | parameters | images/s, batch 1 | images/s, batch 64 | {columns} |",
        "|---" * (6 + 2 * len(CELLS)) + "|",
    ]
    for r in rows:
        aurocs = " | ".join(percent(r.get(f"{split}_auroc_{d}")) for d in CELLS for split in ("val", "test"))
        lines.append(
            f"| {label(r)} | {r['backend']} | {r['flops'] / 1e6:.3g} | {r['params']:,} | "
            f"{r['images_per_s_b1']:,.0f} | {r['images_per_s_b64']:,.0f} | {aurocs} |"
        )
    note = (
        "\n\nOne run on one CPU (2 cores); students: OpenVINO FP32 graph as exported (pre-processing, score, map, "
        "normalisation), one synchronous request, one thread at batch 1 and the default (all cores) at batch 64; "
        "teacher and Ganomaly: PyTorch, 2 threads. AUROC (%) of the `auto` score at the benchmark's budget, mean "
        "of seed 0 on MNIST classes 2 and 4 and Fashion-MNIST classes 0 and 6 (students: `capacity_sweep.csv`; "
        "the others: the one-class benchmark); `-`: no run on those cells yet. kNN and PCA: parameters are the "
        "values they keep.\n"
    )
    path.write_text("\n".join(lines) + note)


def plot(rows: list[dict], path: Path) -> None:
    """Test AUROC against measured time per image, at batch 1 (latency) and 64, one column per data set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timings = (("latency_ms_b1", "batch 1: latency"), ("images_per_s_b64", "batch 64: time"))
    fig, axes = plt.subplots(len(timings), len(CELLS), figsize=(6 * len(CELLS), 7), squeeze=False)
    for row_axes, (column, name) in zip(axes, timings, strict=True):
        for ax, dataset in zip(row_axes, CELLS, strict=True):
            points = []
            for r in rows:
                auroc = r.get(f"test_auroc_{dataset}")
                if auroc not in (None, ""):
                    value = float(r[column])
                    micros = 1000 * value if column.startswith("latency") else 1e6 / value
                    points.append((micros, 100 * float(auroc), r))
            placed: list[tuple[float, float]] = []  # labels so far (time, height): stack close ones, never overlap
            for micros, auroc, r in sorted(points, key=lambda point: -point[1]):
                ax.scatter(micros, auroc, color="C0" if r["model"] == "student" else "C3", s=30)
                height = auroc
                for other, other_height in placed:
                    if abs(math.log10(micros / other)) < 0.12 and height > other_height - 0.8:
                        height = other_height - 0.8
                placed.append((micros, height))
                ax.annotate(label(r), (micros, auroc), xytext=(micros * 1.06, height), fontsize=7)
            ax.set_xscale("log")
            ax.set_xlabel(f"measured {name} per image (µs, log)")
            ax.set_ylabel("test AUROC (%)")
            ax.set_title(f"{NAMES[dataset]}, classes {' and '.join(CELLS[dataset])}", fontsize=10)
            ax.grid(alpha=0.3)
    fig.suptitle("AUROC against measured time: students in OpenVINO FP32 (blue), the others (red)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="", help="block:features:latent,... (default: see the docstring)")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the AUROC files are")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: --results)")
    args = parser.parse_args()
    sweep = read_csv(args.results / "capacity_sweep.csv")
    details_file = args.results / "oneclass_details.jsonl"
    details = [json.loads(line) for line in details_file.read_text().splitlines()] if details_file.exists() else []
    students = (
        args.students.split(",") if args.students else list(dict.fromkeys([*STANDARD_WIDTHS, *swept_designs(sweep)]))
    )
    plan = [(size, config) for size in (1, 64) for config in REFERENCES]
    plan += [(size, student_config(student, size)) for size in (1, 64) for student in students]
    rows = design_rows(students, run_configs(plan, args.seconds), sweep, details)
    out = args.out or args.results
    out.mkdir(parents=True, exist_ok=True)
    with (out / "student_designs.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    write_table(rows, out / "student_designs.md")
    plot(rows, out / "student_designs.png")


if __name__ == "__main__":
    main()
