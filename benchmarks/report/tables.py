# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The markdown tables of the results page, each computed from the rows of one or two result files."""

from collections import defaultdict
from statistics import mean, pstdev

from benchmarks.common.dataset_configs import PAPER_SHAPE_STUDENT
from benchmarks.report.load import DEFAULTS_GRID, PAPER_BUDGET
from benchmarks.report.scoring import (
    DEFAULT_BATCH,
    NAMES,
    PAPER,
    PAPER_FLOPS_RATIO,
    VARIANTS,
    at_benchmark_settings,
    auto_test_auroc,
    listing,
    mean_or_dash,
    student_label,
    student_of,
    validation_auroc,
    with_spread,
)


def table(rows: list[dict]) -> str:
    cells: dict = defaultdict(list)
    settings: dict = defaultdict(set)
    for row in rows:
        key = (row["dataset"], int(row["normal_class"]), row["variant"])
        cells[key].append(100 * float(row["auroc"]))
        settings[row["dataset"]].add((row["epochs"], row["seed"]))
    out = []
    for dataset in sorted({key[0] for key in cells}):
        variants = [v for v in VARIANTS if any(k[0] == dataset and k[2] == v for k in cells)]
        classes = sorted({k[1] for k in cells if k[0] == dataset})
        epochs = sorted({e for e, _ in settings[dataset]})
        seeds = sorted({s for _, s in settings[dataset]})
        out.append(
            f"**{NAMES.get(dataset, dataset)}**: image AUROC (%) on the full test set, epochs per phase "
            f"E = {', '.join(epochs)}, seeds {', '.join(seeds)} (mean ± std over seeds where there are several); "
            'GAN variants scored with the latent distance (the paper\'s score; the default `score_type="auto"` '
            "is in the score table below)\n"
        )
        out.append("| class | " + " | ".join(variants) + " |")
        out.append("|---" * (len(variants) + 1) + "|")
        means = defaultdict(list)
        for normal_class in classes:
            line = [str(normal_class)]
            for variant in variants:
                values = cells.get((dataset, normal_class, variant), [])
                if values:
                    means[variant].append(mean(values))
                    std = f" ± {pstdev(values):.1f}" if len(values) > 1 else ""
                    line.append(f"{mean(values):.1f}{std}")
                else:
                    line.append("-")
            out.append("| " + " | ".join(line) + " |")
        line = [f"**mean ({len(classes)} classes)**"]
        line += [f"**{mean(means[v]):.1f}**" if len(means[v]) == len(classes) else "-" for v in variants]
        out.append("| " + " | ".join(line) + " |")
        if dataset in PAPER:
            out.append(f"\nPaper's P-KDGAN student, mean over classes: {PAPER[dataset]}.")
        out.append("")
    return "\n".join(out)


def summary(rows: list[dict], flops: dict) -> str:
    """Targets of the paper and of the issues, each stated as met or missed with the measured numbers."""
    if not rows:
        return ""
    per: dict = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        per[row["dataset"]][row["variant"]][(int(row["normal_class"]), row["seed"])] = 100 * float(row["auroc"])
    out = []
    for dataset, variants in sorted(per.items()):
        pk = variants.get("pkdgan", {})
        if len(pk) == 0:
            continue
        name = NAMES.get(dataset, dataset)
        line = [f"- **{name}** ({len(pk)} class/seed cells):"]
        mean_pk = mean(pk.values())
        if dataset in PAPER:
            verdict = "met" if mean_pk >= PAPER[dataset] else "missed"
            line.append(f"P-KDGAN student {mean_pk:.1f} against the paper's {PAPER[dataset]} ({verdict});")
        for other in (
            "student_alone",
            "kd_frozen",
            "kd_joint",
            "knn_pixels",
            "pca_pixels",
            "anomalib_ganomaly",
            "teacher",
        ):
            shared = sorted(set(pk) & set(variants.get(other, {})))
            if shared:
                gap = mean(pk[k] - variants[other][k] for k in shared)
                wins = sum(pk[k] > variants[other][k] for k in shared)
                line.append(f"{gap:+.1f} points against {other} (ahead on {wins}/{len(shared)});")
        if dataset in flops and dataset in PAPER_FLOPS_RATIO:
            ratio = flops[dataset]["flops_ratio"]
            verdict = "met" if ratio >= PAPER_FLOPS_RATIO[dataset] else "missed"
            line.append(
                f"The config's student (`flops.json`): FLOPs {ratio:.0f}:1 against the target "
                f"{PAPER_FLOPS_RATIO[dataset]}:1 ({verdict})."
            )
        out.append(" ".join(line))
    return "\n".join(out) + "\n"


def score_table(details: list[dict]) -> str:
    """Latent against reconstruction score: mean validation and test AUROC per GAN variant and data set."""
    acc: dict = defaultdict(lambda: defaultdict(list))
    for record in details:
        if "val_auroc_reconstruction" not in record:
            continue
        key = (record["dataset"], record["variant"])
        acc[key]["val latent"].append(record["val_auroc_latent"])
        acc[key]["val reconstruction"].append(record["val_auroc_reconstruction"])
        acc[key]["test latent"].append(record["auroc"])
        acc[key]["test reconstruction"].append(record["test_auroc_reconstruction"])
        # score_type="auto": each run keeps the score with the higher validation AUROC (ties: latent).
        latent_wins = record["val_auroc_latent"] >= record["val_auroc_reconstruction"]
        acc[key]["test auto"].append(record["auroc"] if latent_wins else record["test_auroc_reconstruction"])
        acc[key]["auto picks latent"].append(latent_wins)
    if not acc:
        return ""
    columns = ("val latent", "val reconstruction", "test latent", "test reconstruction", "test auto")
    header = "| data set | variant | cells | " + " | ".join(columns) + " | auto picks latent |"
    out = [header, "|---" * (len(columns) + 4) + "|"]
    for (dataset, variant), values in sorted(acc.items()):
        cells = " | ".join(f"{100 * mean(values[c]):.1f}" for c in columns)
        picks = f"{sum(values['auto picks latent'])}/{len(values['val latent'])}"
        out.append(f"| {NAMES.get(dataset, dataset)} | {variant} | {len(values['val latent'])} | {cells} | {picks} |")
    return "\n".join(out) + "\n"


def sweep_table(rows: list[dict]) -> str:
    """Distillation weights tried on validation (``distill_weight_sweep.py``): mean AUROC per setting."""
    if not rows:
        return ""
    acc: dict = defaultdict(lambda: defaultdict(list))
    for r in rows:
        key = tuple(float(r[f"w_distill_{w}"]) for w in ("latent", "reconstruction", "hint"))
        acc[key]["val"].append(float(r["val_auroc"]))
        acc[key]["test"].append(float(r["test_auroc"]))
        acc[key]["cells"].append(f"{NAMES.get(r['dataset'], r['dataset'])} {r['normal_class']}")
    full = max(len(v["val"]) for v in acc.values())
    complete = {k: v for k, v in acc.items() if len(v["val"]) == full}
    best = max(complete, key=lambda k: mean(complete[k]["val"]))
    out = [
        "| w_distill_latent | w_distill_reconstruction | w_distill_hint | cells | validation AUROC | "
        "test AUROC (not used to choose) |",
        "|---|---|---|---|---|---|",
    ]
    for key in sorted(acc, key=lambda k: (-k[0], -k[1], k[2])):
        v = acc[key]
        mark = " (chosen)" if key == best else ""
        out.append(
            f"| {key[0]:g} | {key[1]:g} | {key[2]:g} | {len(v['val'])} | {100 * mean(v['val']):.1f}{mark} | "
            f"{100 * mean(v['test']):.1f} |"
        )
    cells = ", ".join(sorted(set(acc[best]["cells"])))
    seeds = listing("seed", {r["seed"] for r in rows})
    caption = (
        f"P-KDGAN (frozen then joint, E = {', '.join(sorted({r['epochs'] for r in rows}, key=int))}) with each "
        "setting on the same cells; mean AUROC % of the student's latent score.\n"
    )
    return caption + "\n" + "\n".join(out) + f"\n\nCells: {cells}; {seeds}, same split and teacher per cell.\n"


def capacity_table(rows: list[dict], sweep: list[dict]) -> str:
    """Student sizes tried (``capacity_sweep.py``), per data set, seed and size, beside the default student and
    the kNN of the same cells (mean test AUROC %)."""
    if not sweep:
        return ""
    bench = {(r["dataset"], r["normal_class"], r["variant"], r["seed"]): float(r["auroc"]) for r in rows}
    default_rows = {
        (r["dataset"], r["normal_class"], r["seed"], r["train_images"]): float(r["test_auroc_latent"])
        for r in sweep
        if student_of(r) == PAPER_SHAPE_STUDENT[r["dataset"]] and at_benchmark_settings(r)
    }
    groups: dict = defaultdict(list)
    for r in sweep:
        key = (
            r["dataset"], int(r["seed"]), int(r["train_images"]), int(r["batch_size"]), *student_of(r), r["weights"],
            float(r["student_lr"]),
        )  # fmt: skip
        groups[key].append(r)
    out = [
        "| data set | seed | classes | training images | batch | student (features/latent) | student lr | weights | "
        "MFLOPs | "
        "teacher:student | validation (best score) | test latent | test auto | "
        "paper-shape student, same cells (latent) | kNN, same cells |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    marked: set[tuple[str, str]] = set()  # (data set, seed) of the rows that fall back on the benchmark's rows
    for key in sorted(groups):
        group = groups[key]
        cells = [(r["normal_class"], r["seed"], r["train_images"]) for r in group]
        default = [default_rows.get((key[0], *c)) for c in cells]
        mark = ""
        if None in default and key[3] == DEFAULT_BATCH:  # the benchmark's own P-KDGAN rows of the same class and seed
            default, mark = [bench.get((key[0], c, "pkdgan", seed)) for c, seed, _ in cells], " *"
            marked.add((key[0], str(key[1])))
        knn = [bench.get((key[0], c, "knn_pixels", seed)) for c, seed, _ in cells]
        classes = ",".join(sorted({c for c, *_ in cells}, key=int))
        out.append(
            f"| {NAMES.get(key[0], key[0])} | {key[1]} | {classes} | {key[2] or 'all'} | {key[3]} | "
            f"{student_label(*key[4:7])} | {key[8]:g} | {key[7].replace('_', ' ')} | "
            f"{mean(int(r['student_flops']) for r in group) / 1e6:.3f} | "
            f"{mean(float(r['flops_ratio']) for r in group):.0f}:1 | "
            f"{100 * mean(max(float(r['val_auroc_latent']), float(r['val_auroc_reconstruction'])) for r in group):.1f}"
            " | "
            f"{100 * mean(float(r['test_auroc_latent']) for r in group):.1f} | "
            f"{100 * mean(float(r['test_auroc_auto']) for r in group):.1f} | "
            f"{mean_or_dash(default)}{mark} | {mean_or_dash(knn)} |"
        )
    note = "\n"
    if marked:
        rerun = rerun_agreement(bench, [r for r in sweep if (r["dataset"], r["seed"]) in marked])
        note = (
            "\n\n\\* from the benchmark's `pkdgan` rows of the same classes and seed, made with the same cached "
            f"teachers and code{f' ({rerun})' if rerun else ''}.\n"
        )
    return "\n".join(out) + note


def rerun_agreement(bench: dict, sweep: list[dict]) -> str:
    """How the sweep's default-student rows compare with the benchmark's ``pkdgan`` rows of the same cells."""
    pairs = {
        (r["dataset"], int(r["normal_class"]), int(r["seed"])): (
            float(r["test_auroc_latent"]),
            bench[(r["dataset"], r["normal_class"], "pkdgan", r["seed"])],
        )
        for r in sweep
        if student_of(r) == PAPER_SHAPE_STUDENT[r["dataset"]]
        and at_benchmark_settings(r)
        and (r["dataset"], r["normal_class"], "pkdgan", r["seed"]) in bench
    }
    if not pairs:
        return ""
    cells = "; ".join(f"{NAMES.get(d, d)} class {c}, seed {s}" for d, c, s in sorted(pairs))
    gap = max(abs(sweep_auroc - bench_auroc) for sweep_auroc, bench_auroc in pairs.values())
    agreement = "the same AUROC to six digits" if gap <= 5e-7 else f"AUROCs up to {100 * gap:.2f} points apart"
    return f"re-running {cells} with `capacity_sweep.py` gives {agreement}"


def flops_table(data: dict) -> str:
    if not data:
        return ""
    out = [
        "| config | teacher FLOPs | student FLOPs | ratio | teacher params | student params |",
        "|---|---|---|---|---|---|",
    ]
    for dataset in ("mnist", "fashion_mnist", "cifar10"):
        if dataset in data:
            d = data[dataset]
            out.append(
                f"| {NAMES[dataset]} | {d['teacher_flops'] / 1e6:.1f} M | {d['student_flops'] / 1e6:.3f} M | "
                f"{d['flops_ratio']:.0f}:1 | {d['teacher_params'] / 1e6:.2f} M | {d['student_params'] / 1e3:.1f} k |"
            )
    return "\n".join(out) + "\n"


def capacity_caption(sweep: list[dict]) -> str:
    epochs = ", ".join(sorted({r["epochs"] for r in sweep}, key=int))
    return (
        f"P-KDGAN (frozen then joint, E = {epochs}) with other student widths, on the benchmark's splits and cached "
        f"teachers, for the seeds and classes listed ({len(sweep)} runs). Mean AUROC % over those classes; "
        "`validation (best score)` is the validation AUROC of the score `auto` keeps, which is what a width would "
        "be chosen by.\n"
    )


def small_data_table(rows: list[dict]) -> list[str]:
    """P-KDGAN at its defaults on 100-image folders against ``min_schedule_steps``, beside the pixel baselines."""
    if not rows:
        return []
    lines = [
        "## A folder of 100 images (`benchmarks/accuracy/small_data.py`)\n",
        "P-KDGAN at its defaults (64/100 teacher, 3/16 student, 32x32) trained through Anomalib's `Folder` on "
        "100 normal training images (validation: held-out training images of both labels; test: the official "
        "test split), against `min_schedule_steps` (0: 15 + 15 + 5 epochs of 4 batches, the epoch-counted "
        "schedule; 2000: the default). Raw-pixel 5-NN and PCA on the same split. One seed; training times were "
        "taken while other jobs shared the 2 cores, so they are upper bounds.\n",
        "| data set | class | model | batches | train (s) | score | validation AUROC | test AUROC |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def order(r: dict) -> tuple:
        return (r["dataset"], int(r["normal_class"]), r["model"] != "pkdgan", int(r["min_schedule_steps"] or 0))

    for r in sorted(rows, key=order):
        model = r["model"] if r["model"] != "pkdgan" else f"P-KDGAN, min_schedule_steps {r['min_schedule_steps']}"
        seconds = f"{float(r['train_seconds']):.0f}" if r["train_seconds"] else "-"
        lines.append(
            f"| {NAMES.get(r['dataset'], r['dataset'])} | {r['normal_class']} | {model} | {r['batches'] or '-'} | "
            f"{seconds} | {r['score_type'] or '-'} | {100 * float(r['val_auroc']):.1f} | "
            f"{100 * float(r['test_auroc']):.1f} |"
        )
    return [*lines, ""]


def steps_table(details: list[dict], batch8: list[dict]) -> list[str]:
    """The same cells (seed, ``E``, 2,000 images) at batch 32 and at batch 8 (4x the optimiser steps)."""
    if not batch8:
        return []

    def key(r: dict) -> tuple:
        return (r["dataset"], r["normal_class"], r["variant"], r["seed"], r["epochs"])

    small = {key(r): r for r in batch8}
    large = {key(r): r for r in details if key(r) in small}
    cells = sorted(k for k in small if k in large)
    if not cells:
        return []
    lines = [
        "## Optimiser steps: batch 32 against batch 8 (`one_class_benchmark.py --batch-size 8`)\n",
        "The same splits, seed and epochs (E = 3, 2,000 training images: 63 batches per epoch at batch 32, 250 at "
        "batch 8, so 4x the optimiser steps); P-KDGAN's teacher is trained at the same batch size as its student. "
        "Latent score, AUROC %; `best-validation epoch` is the test AUROC of the epoch whose validation AUROC was "
        "highest (what keeping the best checkpoint by validation would give); `best test epoch` is GANomaly's "
        "protocol, reported apart.\n",
        "| data set | class | seed | variant | validation (32 / 8) | test (32 / 8) | test, best-validation epoch (8) | "
        "test, best test epoch (8) | train s (32 / 8) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}"

    for cell in cells:
        a, b = large[cell], small[cell]
        lines.append(
            f"| {NAMES.get(cell[0], cell[0])} | {cell[1]} | {cell[3]} | {cell[2]} | {pct(a.get('val_auroc_latent'))} / "
            f"{pct(b.get('val_auroc_latent'))} | {pct(a['auroc'])} / {pct(b['auroc'])} | "
            f"{pct(b.get('test_auroc_best_val_epoch'))} | {pct(b.get('test_auroc_best_epoch'))} | "
            f"{a['train_seconds']:.0f} / {b['train_seconds']:.0f} |"
        )
    for variant in sorted({cell[2] for cell in cells}):
        chosen = [cell for cell in cells if cell[2] == variant]
        val = [(large[c].get("val_auroc_latent"), small[c].get("val_auroc_latent")) for c in chosen]
        test = [(large[c]["auroc"], small[c]["auroc"]) for c in chosen]
        lines.append(
            f"| **mean** | {len(chosen)} runs | | {variant} | {pct(mean(v[0] for v in val))} / "
            f"{pct(mean(v[1] for v in val))} | {pct(mean(t[0] for t in test))} / {pct(mean(t[1] for t in test))} "
            f"| {pct(mean(small[c]['test_auroc_best_val_epoch'] for c in chosen))} | "
            f"{pct(mean(small[c]['test_auroc_best_epoch'] for c in chosen))} | |"
        )
    return [*lines, ""]


GRID_SECTIONS = {
    DEFAULTS_GRID: (
        f"The configs' students on every class (`one_class_benchmark.py --batch-size 8 --out results/{DEFAULTS_GRID}`)",
        "on the benchmark's reduced budget (2,000 training images, E = 3) at batch 8",
    ),
    PAPER_BUDGET: (
        "The configs' students at the configs' budget (`one_class_benchmark.py --epochs 15 --joint-epochs 5 "
        f"--batch-size 64 --out results/{PAPER_BUDGET}`)",
        "trained as the configs train them: every training image of the class, 15 + 15 + 5 epochs, batch 64",
    ),
}
"""Each one-class grid of the configs' students: its section heading and the budget it ran at."""


def grid_table(details: list[dict], grid: str) -> list[str]:
    """The configs' students on every class of a grid (:data:`GRID_SECTIONS`), scored as the product scores
    (``auto``, best validation).

    A variant's columns hold the seeds that ran it on every class of the data set (a variant no seed has completed
    shows the runs it has, without a mean); seeds that have not covered every class yet are listed below the table.
    """
    if not details:
        return []
    runs = {(r["dataset"], r["variant"], int(r["normal_class"]), int(r["seed"])): r for r in details}
    heading, budget = GRID_SECTIONS[grid]
    lines = [
        f"## {heading}\n",
        "The students of `configs/mnist.yaml` and `configs/fashion_mnist.yaml` (see `flops.json`), "
        f"{budget}. GAN variants are scored as the product "
        'scores: `score_type="auto"` and `restore_best_validation=True`, both decided on validation. Test AUROC %, '
        "mean ± standard deviation over the seeds in the `seeds` row (each variant's seeds that ran every class). "
        "`mean` is the mean of the per-seed class means ± their deviation over seeds; `seed spread` is the mean over "
        "classes of each class's deviation over seeds; `validation mean` is the mean validation "
        "AUROC (held-out training images) of the GANs' kept score and of PCA's chosen number of components; "
        "`best test epoch` is the test AUROC of the latent score at its best epoch, GANomaly's protocol: "
        "reported apart, never used to choose, it shows how much of a gap to the paper is protocol.\n",
    ]
    for dataset in sorted({key[0] for key in runs}):
        mine = [key for key in runs if key[0] == dataset]
        classes = sorted({c for _, _, c, _ in mine})
        variants = [v for v in VARIANTS if any(key[1] == v for key in mine)]
        tried = {v: sorted({s for _, variant, _, s in mine if variant == v}) for v in variants}
        complete = {v: [s for s in tried[v] if all((dataset, v, c, s) in runs for c in classes)] for v in variants}
        # A variant no seed has run on every class yet shows the runs it has, without a mean.
        shown = {v: complete[v] or tried[v] for v in variants}
        test = {
            v: {
                c: [100 * auto_test_auroc(runs[k]) for s in shown[v] if (k := (dataset, v, c, s)) in runs]
                for c in classes
            }
            for v in variants
        }
        lines += [f"**{NAMES.get(dataset, dataset)}**\n", "| class | " + " | ".join(variants) + " |"]
        lines.append("|---" * (len(variants) + 1) + "|")
        for c in classes:
            lines.append(
                f"| {c} | " + " | ".join(with_spread(test[v][c]) if test[v][c] else "-" for v in variants) + " |"
            )
        seed_means = {
            v: [mean(a) for a in zip(*(test[v][c] for c in classes), strict=True)] for v in variants if complete[v]
        }
        lines.append(
            f"| **mean ({len(classes)} class{'es' if len(classes) != 1 else ''})** | "
            + " | ".join(f"**{with_spread(seed_means[v])}**" if complete[v] else "-" for v in variants)
            + " |"
        )
        spread = {v: mean(pstdev(test[v][c]) for c in classes) for v in variants if len(complete[v]) > 1}
        lines.append(
            "| seed spread | " + " | ".join(f"{spread[v]:.1f}" if v in spread else "-" for v in variants) + " |"
        )
        for label, value_of in (
            ("validation mean", validation_auroc),
            ("best test epoch, latent (GANomaly's protocol)", lambda run: run.get("test_auroc_best_epoch")),
        ):
            values = {v: [value_of(runs[(dataset, v, c, s)]) for c in classes for s in complete[v]] for v in variants}
            lines.append(
                f"| {label} | "
                + " | ".join(
                    f"{100 * mean(values[v]):.1f}" if values[v] and None not in values[v] else "-" for v in variants
                )
                + " |"
            )
        lines.append("| seeds | " + " | ".join(", ".join(map(str, complete[v])) or "-" for v in variants) + " |")
        partial = defaultdict(list)
        for _, v, c, s in sorted(mine):
            if s not in complete[v]:
                partial[(v, s)].append(str(c))
        if partial:
            listed = "; ".join(f"{v} seed {s} (classes {', '.join(cs)})" for (v, s), cs in sorted(partial.items()))
            lines.append(f"\nSeeds that have not run every class yet, in no mean: {listed}.")
        rivals = (
            ("student_alone", "the student alone"),
            ("kd_frozen", "single-step distillation from the frozen teacher (`kd_frozen`)"),
            ("kd_joint", "single-step joint training (`kd_joint`)"),
            ("knn_pixels", "the pixel kNN"),
        )
        for rival, name in rivals:
            cells = [(c, s) for c in classes for s in complete.get("pkdgan", []) if s in complete.get(rival, [])]
            if cells:
                pairs = [
                    (auto_test_auroc(runs[(dataset, "pkdgan", *cell)]), auto_test_auroc(runs[(dataset, rival, *cell)]))
                    for cell in cells
                ]
                ahead = sum(mine > theirs for mine, theirs in pairs)
                level = sum(mine == theirs for mine, theirs in pairs)  # the same kept weights, e.g. kd_frozen's
                ties = f" (level on {level})" if level else ""
                lines.append(f"\nP-KDGAN ahead of {name} on {ahead} of {len(cells)} class/seed cells{ties}.")
        if dataset in PAPER:
            lines.append(f"\nPaper's P-KDGAN student, mean over classes: {PAPER[dataset]}.")
        lines.append("")
    return lines


def combined_score_lines(details: list[dict]) -> list[str]:
    """A candidate score (``standardised_sum`` in ``one_class_benchmark.py``) against the score ``auto`` keeps, on
    the runs that recorded it, per data set."""
    recorded = [r for r in details if r.get("val_auroc_combined") is not None]
    if not recorded:
        return []
    lines = [
        "**A candidate score, latent + reconstruction** (each standardised by its mean and deviation on the normal "
        "validation images), recorded beside the two the product offers; mean AUROC % against the score `auto` keeps "
        "on the same runs:\n",
        "| data set | runs (variants, seeds) | validation, combined | validation, auto | test, combined | test, auto "
        "| combined ahead on validation |",
        "|---|---|---|---|---|---|---|",
    ]
    for dataset in sorted({r["dataset"] for r in recorded}):
        mine = [r for r in recorded if r["dataset"] == dataset]
        kinds = ", ".join(sorted({r["variant"] for r in mine}))
        seeds = listing("seed", {str(r["seed"]) for r in mine})
        ahead = sum(r["val_auroc_combined"] > validation_auroc(r) for r in mine)
        means = [
            mean(r["val_auroc_combined"] for r in mine),
            mean(map(validation_auroc, mine)),
            mean(r["test_auroc_combined"] for r in mine),
            mean(map(auto_test_auroc, mine)),
        ]
        lines.append(
            f"| {NAMES.get(dataset, dataset)} | {len(mine)} ({kinds}; {seeds}) | "
            + " | ".join(f"{100 * m:.1f}" for m in means)
            + f" | {ahead} of {len(mine)} |"
        )
    return [*lines, ""]


def hints_table(rows: list[dict]) -> list[str]:
    """P-KDGAN with and without FitNets-style hints on the same cells and cached teachers."""
    if not rows:
        return []
    by_hint: dict = defaultdict(dict)
    for r in rows:
        by_hint[float(r["w_distill_hint"])][(r["dataset"], r["normal_class"], r["seed"])] = r
    cells = sorted(set.intersection(*(set(v) for v in by_hint.values())))
    if not cells:
        return []
    hints = sorted(by_hint)
    lines = [
        "## FitNets-style hints (`distill_weight_sweep.py --hints`)\n",
        "P-KDGAN (frozen then joint, E = 3, batch 32, 2,000 images, the same cached teacher per cell) with "
        "`w_distill_hint` = " + " and ".join(f"{h:g}" for h in hints) + "; AUROC % of the student's latent score.\n",
        "| data set | class | "
        + " | ".join(f"validation, hint {h:g}" for h in hints)
        + " | "
        + " | ".join(f"test, hint {h:g}" for h in hints)
        + " |",
        "|---|---|" + "---|" * (2 * len(hints)),
    ]
    for cell in cells:
        vals = [f"{100 * float(by_hint[h][cell]['val_auroc']):.1f}" for h in hints]
        tests = [f"{100 * float(by_hint[h][cell]['test_auroc']):.1f}" for h in hints]
        lines.append(f"| {NAMES.get(cell[0], cell[0])} | {cell[1]} | " + " | ".join(vals + tests) + " |")
    means = [f"**{100 * mean(float(by_hint[h][c]['val_auroc']) for c in cells):.1f}**" for h in hints]
    means += [f"**{100 * mean(float(by_hint[h][c]['test_auroc']) for c in cells):.1f}**" for h in hints]
    lines.append(f"| **mean** | {len(cells)} cells | " + " | ".join(means) + " |")
    return [*lines, ""]


def memory_table(data: dict) -> list[str]:
    lines = ["## Memory per phase (`benchmarks/speed/memory_phases.py`)\n"]
    lines.append("| phase | peak RSS (MB) | teacher optimizer state tensors | teacher gradients | epoch (s) |")
    lines.append("|---|---|---|---|---|")
    for phase, entry in data["phases"].items():
        lines.append(
            f"| {phase} | {entry['peak_rss_mb']:.0f} | {entry['teacher_optimizer_state_tensors']} | "
            f"{'yes' if entry['teacher_holds_gradients'] else 'no'} | {entry['epoch_seconds']} |"
        )
    lines.append(
        f"\n{data['train_images']} training images of {NAMES.get(data['dataset'], data['dataset'])} class "
        f"{data['normal_class']}, batch {data['batch_size']}, 2 CPU cores; the RSS is mostly the Python, "
        "torch and Anomalib process itself.\n"
    )
    return lines


def small_folder_minutes(rows: list[dict], default_steps: int = 2000) -> str:
    """The README's sentence on a 100-image folder at the defaults, from ``small_folder_time.csv`` ("" if unmeasured).

    Minutes: the runs at ``default_steps`` with Folder's own ``num_workers`` and P-KDGAN's default loading, per image
    size (mean over repeats). Ratio: those runs' fit time over the same run's with ``num_workers=0``, at any
    schedule both were measured with back to back.
    """
    defaults = [r for r in rows if r["workers"] == "default" and r["keep_num_workers"] == "false"]
    minutes = defaultdict(list)
    for r in defaults:
        if int(r["min_schedule_steps"]) == default_steps:
            minutes[int(r["size"])].append(float(r["fit_seconds"]) / 60)
    if not minutes:
        return ""
    key = ("size", "min_schedule_steps", "repeat", "train_images")
    without = {tuple(r[k] for k in key): float(r["fit_seconds"]) for r in rows if r["workers"] == "0"}
    ratios = [float(r["fit_seconds"]) / without[k] for r in defaults if (k := tuple(r[c] for c in key)) in without]
    images = sorted({r["train_images"] for r in defaults if int(r["min_schedule_steps"]) == default_steps})
    sizes = ", ".join(f"{mean(values):.1f} minutes at {size} px" for size, values in sorted(minutes.items()))
    text = (
        f"Measured at the defaults ({'/'.join(images)} images, `Folder`'s own `num_workers`, `Engine()` with no "
        f"limits, 2 CPU cores): {sizes}"
    )
    if ratios:
        text += f"; {mean(ratios):.2f}x the time of the same run with `num_workers=0` ({len(ratios)} pairs)"
    return text + ".\n"


def small_folder_time_table(rows: list[dict]) -> list[str]:
    """Where the time of a 100-image folder at the defaults goes, by loader setting, from ``small_folder_time.csv``."""
    if not rows:
        return []
    lines = [
        "## Training time of a folder of 100 images (`benchmarks/speed/small_folder_time.py`)\n",
        "P-KDGAN at its defaults (but `min_schedule_steps`) through Anomalib's `Folder` (batch 32, its other "
        "defaults but `num_workers`) and `Engine()`, fit then test on 80 images, on noisy-stripe images; 2 CPU "
        "cores shared with other jobs (the 1-minute load average before and after each run is given: compare rows "
        "measured back to back). `loading`: `main process` is what P-KDGAN does by default on a CPU when the schedule "
        "stretches a small data set (`keep_num_workers=False`); `workers kept` is `keep_num_workers=True`, the "
        "behaviour before. Seconds of the fit: the training steps, each epoch's start (the loader's iterator and "
        "worker processes, and the first batch), the validations, and the rest; `x workers=0` is the fit's time over "
        "the same run's with `num_workers=0`. Test: seconds per image, of it the visualiser's.\n",
        "| px | min_schedule_steps | num_workers | loading | epochs | batches | fit s (x workers=0) | steps s | "
        "epoch starts s (per epoch) | validations s | other s | fit minutes | test s per image (visualiser) | "
        "image AUROC | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def run(r: dict) -> tuple:
        return (int(r["size"]), int(r["min_schedule_steps"]), int(r["repeat"]), int(r["train_images"]))

    baseline = {run(r): float(r["fit_seconds"]) for r in rows if r["workers"] == "0"}
    for r in sorted(rows, key=lambda r: (*run(r), r["workers"] != "0", r["keep_num_workers"])):
        fit = float(r["fit_seconds"])
        ratio = f" ({fit / baseline[run(r)]:.2f})" if run(r) in baseline and r["workers"] != "0" else ""
        workers = r["workers"] if r["workers"] != "default" else "Folder's"
        if r["workers_used"] != r["workers"]:
            workers += f" -> {r['workers_used']}" if r["keep_num_workers"] != "true" else f" ({r['workers_used']})"
        loading = (
            "workers kept"
            if r["keep_num_workers"] == "true"
            else "main process"
            if r["workers_used"] == "0"
            else "workers"
        )
        images = int(r["test_images"])
        lines.append(
            f"| {r['size']} | {r['min_schedule_steps']} | {workers} | {loading} | {r['epochs']} | {r['batches']} | "
            f"{fit:.0f}{ratio} | {float(r['step_seconds']):.0f} | {float(r['epoch_start_seconds']):.0f} "
            f"({float(r['epoch_start_seconds']) / int(r['epochs']):.2f}) | "
            f"{float(r['validation_seconds']):.0f} | {float(r['other_seconds']):.0f} | {fit / 60:.1f} | "
            f"{float(r['test_seconds']) / images:.3f} ({float(r['visualizer_seconds']) / images:.3f}) | "
            f"{100 * float(r['test_auroc']):.1f} | {r['load_before']} / {r['load_after']} |"
        )
    return [*lines, ""]
