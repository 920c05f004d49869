# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Render the result files into the results page (``docs/results.md``, whole) and the README's headline.

    python -m benchmarks.report
    python -m benchmarks.report --results some/results --out /tmp/report --page /tmp/report/results.md \
        --readme /tmp/report/README.md

Reads the result files in ``--results`` (default ``benchmarks/results``; whichever exist, each read once: see
``load.py``), draws the plots (``oneclass.png``, ``oneclass_hist.png``, ``oneclass_cost.png``) into ``--out`` (default:
the results folder), writes the page ``--page`` (default ``docs/results.md``; plots linked relative to it) with the
protocol and the commands that regenerate every result file (``protocol.md`` and ``reproduce.md`` beside this module),
and replaces the text between ``<!-- results:start -->`` and ``<!-- results:end -->`` in ``--readme`` (default
``README.md``) with the headline: the one-class means and what the distillation buys, linked to the page; the README's
``small-folder`` block gets the minutes of a 100-image folder at the defaults. Every number is computed from the result
files; the only constants are the paper's targets (``scoring.PAPER``, ``scoring.PAPER_FLOPS_RATIO``) and the memory
run's 2 CPU cores, which ``memory.json`` does not record.
"""

import argparse
import os
from pathlib import Path
from statistics import mean

from benchmarks.common.paths import BENCHMARKS, RESULTS
from benchmarks.report.costs import cost_table, costs, wide_students
from benchmarks.report.large_images import large_image_table
from benchmarks.report.load import DEFAULTS_GRID, PAPER_BUDGET, Results, load_results
from benchmarks.report.paired import (
    LEAD_HEADER,
    MINUTES_NOTE,
    RESAMPLES,
    RIVALS,
    SEED,
    SUMMARY_HEADER,
    cell_table,
    same_student_as_kd_frozen,
    summary_rows,
    teacher_lead_rows,
)
from benchmarks.report.plots import plot, plot_cost, plot_histograms
from benchmarks.report.scoring import NAMES, auto_test_auroc, listing
from benchmarks.report.tables import (
    capacity_caption,
    capacity_table,
    combined_score_lines,
    flops_table,
    grid_table,
    hints_table,
    memory_table,
    score_table,
    small_data_table,
    small_folder_minutes,
    small_folder_time_table,
    steps_table,
    summary,
    sweep_table,
    table,
)
from benchmarks.report.teacher_weights import teacher_weights_table
from benchmarks.report.tried import MIN_CELLS_FOR_INTERVAL, change_text, setting_changes, tried_table

REPO = BENCHMARKS.parent
PAGE = REPO / "docs" / "results.md"
README = REPO / "README.md"
TRIED_ANCHOR = "what-the-distillation-carries-benchmarksaccuracydistill_inputs_sweeppy"
"""The results page's section on distillation inputs (GitHub's anchor of its heading)."""
SMALL_FOLDER = "small-folder"
"""Name of the README block with the minutes of a 100-image folder at the defaults."""
HERE = Path(__file__).resolve().parent
HEADLINE_VARIANTS = ("teacher", "student_alone", "kd_frozen", "pkdgan", "knn_pixels", "pca_pixels")
"""The variants of the headline's one-class table, in its column order."""
BUDGETS = (
    (DEFAULTS_GRID, "reduced", "2,000 training images per class, E = 3, batch 8"),
    (PAPER_BUDGET, "configs'", "every training image, 15 + 15 + 5 epochs, batch 64"),
)
"""Grids of the configs' students: folder, short name, what the budget is."""


def budget_runs(results: Results) -> list[tuple[str, str, str, list[dict]]]:
    """``(folder, name, description, runs)`` of each budget's grid that has runs."""
    grids = {DEFAULTS_GRID: results.defaults_grid, PAPER_BUDGET: results.paper_budget}
    return [(folder, name, about, grids[folder]) for folder, name, about in BUDGETS if grids[folder]]


def oneclass_means(runs: list[dict]) -> list[tuple[str, int, str, dict[str, float]]]:
    """Per data set: the classes every headline variant ran, their seeds, and each variant's mean test AUROC (%,
    the score ``auto`` keeps) over those classes of its mean over seeds."""
    out = []
    for dataset in sorted({r["dataset"] for r in runs}):
        per: dict = {}
        for r in runs:
            if r["dataset"] == dataset and r["variant"] in HEADLINE_VARIANTS:
                per.setdefault((r["variant"], int(r["normal_class"])), {})[int(r["seed"])] = 100 * auto_test_auroc(r)
        ran = [{c for v, c in per if v == variant} for variant in HEADLINE_VARIANTS]
        classes = sorted(set.intersection(*ran))
        if not classes:
            continue
        seeds = listing("seed", {str(s) for v in HEADLINE_VARIANTS for c in classes for s in per[(v, c)]})
        means = {v: mean(mean(per[(v, c)].values()) for c in classes) for v in HEADLINE_VARIANTS}
        out.append((dataset, len(classes), seeds, means))
    return out


def headline(results: Results, page_link: str) -> str:
    """The README's short block: one-class means per budget and data set, and what the distillation buys."""
    grids = budget_runs(results)
    if not grids:
        return f"Results: [{page_link}]({page_link}).\n"
    lines = [
        "One-class image AUROC (%, test set, mean over the classes every variant ran; the score `auto` keeps) of "
        f"the configs' students and the raw-pixel baselines. Every table, plot and command: [{page_link}]"
        f"({page_link}).\n",
        "| budget | data set | classes | teacher | student alone | kd_frozen | P-KDGAN | kNN | PCA |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for _, name, _, runs in grids:
        for dataset, classes, seeds, means in oneclass_means(runs):
            values = " | ".join(f"{means[v]:.1f}" for v in HEADLINE_VARIANTS)
            lines.append(f"| {name} | {NAMES.get(dataset, dataset)} | {classes} ({seeds}) | {values} |")
    lines += [
        "",
        "What the distillation buys: P-KDGAN minus the same student trained alone, and minus single-step "
        "distillation from the frozen teacher (`kd_frozen`), in AUROC points, paired per (data set, class); mean "
        f"over cells with a paired bootstrap 95% interval ([per cell]({page_link}#what-the-distillation-buys)); "
        f"and what each costs to train. {MINUTES_NOTE}\n",
        *SUMMARY_HEADER,
    ]
    for _, name, _, runs in grids:
        lines += summary_rows(runs, name)
    tried = tried_table(
        results.distill_inputs,
        results.hint_sweep,
        results.defaults_grid,
        results.best_teacher,
        results.distill_inputs_paper,
    )
    if tried:
        lines += [
            "",
            "Other ways tried to make the distillation pay, each against the default on the same cells of the reduced "
            "budget unless the row names the configs' (the hard classes first, then more classes for what gained; one "
            "seed; the student's AUROC change "
            f"in points, with a paired bootstrap 95% interval from {MIN_CELLS_FOR_INTERVAL} cells on; validation "
            f"decides, test reports; [details]({page_link}#{TRIED_ANCHOR})):\n",
            *tried,
        ]
    return "\n".join(lines) + "\n"


def distillation_section(results: Results) -> list[str]:
    """P-KDGAN minus each rival per cell and on average, with intervals, for each budget that has runs."""
    grids = budget_runs(results)
    if not grids:
        return []
    rivals = ", and minus ".join(name for _, name in RIVALS)
    lines = [
        "## What the distillation buys\n",
        f"P-KDGAN minus {rivals}, in test AUROC points (the score `auto` keeps, as the product scores), on the "
        "grids of the configs' students. Runs are paired by (data set, class, seed); a class's difference is the "
        "mean over the seeds both variants ran, so every (data set, class) counts once. The interval is a paired "
        f"bootstrap 95% interval of the mean over cells ({RESAMPLES:,} resamples of the cells, numpy seed {SEED}). "
        f"{MINUTES_NOTE}\n",
        *SUMMARY_HEADER,
    ]
    for _, name, _, runs in grids:
        lines += summary_rows(runs, name)
    lines += [
        "",
        "Split by whether the teacher beats the same student trained alone on validation (each with the score it "
        "keeps), a split known before any test image is scored. The interval is a bootstrap 95% interval over the "
        "runs of each side.\n",
        *LEAD_HEADER,
    ]
    for _, name, _, runs in grids:
        lines += teacher_lead_rows(runs, name)
    lines.append("")
    for _, name, _, runs in grids:
        same, pairs = same_student_as_kd_frozen(runs)
        if pairs:
            lines.append(
                f"{name.capitalize()} budget: in {same} of {pairs} runs P-KDGAN kept the very student `kd_frozen` kept "
                "(same test scores): both start with the same epochs from the frozen teacher and the same seed, and "
                "their best validation, whose student `restore_best_validation` keeps, came before P-KDGAN's joint "
                "phase.\n"
            )
    for folder, name, about, runs in grids:
        lines += [f"### {name.capitalize()} budget (`results/{folder}`: {about})\n", *cell_table(runs), ""]
    return lines


def speed_sections(results: Results, page_folder: Path) -> list[str]:
    """Where the student's time goes, the OpenVINO settings and the student designs by measured speed."""
    parts = []
    if results.profile:
        parts += [
            "## Where the student's time goes (`benchmarks/speed/profile_student.py`)\n",
            "Default MNIST student (3/16), random weights, raw 32x32 images; microseconds per batch by stage: "
            "OpenVINO per-node counters of the graph Anomalib traced before (pre-processor, `PkdganModel.forward`, "
            "post-processor) and of the exported `FusedStudent`, and the PyTorch path stage by stage. In the graph "
            "traced before, OpenVINO fuses the normalisation into the resize. Same CPU, one run.\n",
            results.profile,
        ]
    if results.hints:
        parts += [
            "## OpenVINO settings (`benchmarks/speed/openvino_hints.py`)\n",
            "The exported default student under each setting, same images and CPU, one run.\n",
            results.hints,
        ]
    if results.designs:
        parts += ["## Student designs by measured speed (`benchmarks/speed/student_designs.py`)\n", results.designs]
        if results.design_plot:
            link = Path(os.path.relpath(results.design_plot, page_folder)).as_posix()
            parts.append(f"![AUROC against measured latency]({link})\n")
    return parts


def compression_section(results: Results) -> list[str]:
    """OpenVINO compressions of the exported student on one benchmark cell (``export_compression.csv``)."""
    if not results.compression:
        return []
    rows = [
        "| compression | image AUROC % | change vs FP32 | max score difference vs PyTorch | labels as PyTorch % "
        "| IR size kB | images/s, batch 1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results.compression:
        rows.append(
            f"| {row['compression']} | {100 * float(row['image_auroc']):.1f} "
            f"| {100 * float(row['auroc_change_vs_fp32']):+.1f} | {float(row['max_abs_score_diff_vs_pytorch']):.1e} "
            f"| {100 * float(row['label_agreement_vs_pytorch']):.1f} | {int(row['model_size_bytes']) / 1000:.0f} "
            f"| {float(row['images_per_s_batch1']):.0f} |"
        )
    return [
        "## OpenVINO compressions (`benchmarks/speed/export_compression.py`)\n",
        f"`anomalib export --export_type openvino --compression_type ...` of the MNIST config's student (class 2, "
        f"short schedule), scored through `OpenVINOInferencer` with `OPENVINO_FP32_CONFIG` on "
        f"{results.compression[0]['test_images']} test images, against PyTorch. Speeds are from a shared machine.\n",
        "\n".join(rows) + "\n",
    ]


def teacher_weights_section(results: Results) -> list[str]:
    """The teacher of its best validation against its last, on the reduced budget's cells (``best_teacher/``)."""
    table = teacher_weights_table(results.defaults_grid, results.best_teacher)
    if not table:
        return []
    return [
        "## The teacher's weights: its best validation against its last (`--teacher-weights`)\n",
        "The reduced budget's cells (`results/defaults_b8`, the teacher's last weights) run again with "
        "`restore_best_teacher=True` (`results/best_teacher`): the teacher phase ends with the teacher of its best "
        "validation (the better of its two scores), and `kd_frozen` and P-KDGAN distil from it. AUROC % of the score "
        "validation keeps; the students alone have no teacher and show whether anything else changed between the "
        "runs. Mean changes with a paired bootstrap 95% interval over the cells.\n",
        *table,
    ]


def distill_inputs_section(results: Results) -> list[str]:
    """P-KDGAN's distillation inputs and anomaly-vector term against the student alone, on validation first.

    One row per (data set, class, seed) cell, one column per setting; below, each setting's mean change against the
    student alone and against the default (``normal``) with paired bootstrap intervals (:mod:`.tried`).
    """
    if not results.distill_inputs:
        return []
    cells = sorted({(r["dataset"], int(r["normal_class"]), int(r["seed"])) for r in results.distill_inputs})
    settings = list(dict.fromkeys(r["setting"] for r in results.distill_inputs))
    by_key = {(r["dataset"], int(r["normal_class"]), int(r["seed"]), r["setting"]): r for r in results.distill_inputs}
    rows = ["| cell | " + " | ".join(f"`{setting}`" for setting in settings) + " |", "|---" * (len(settings) + 1) + "|"]
    for dataset, normal_class, seed in cells:
        values = []
        for setting in settings:
            row = by_key.get((dataset, normal_class, seed, setting))
            if row is None:
                values.append("")
                continue
            val = {score: float(row[f"val_auroc_{score}"]) for score in ("latent", "reconstruction")}
            chosen = max(val, key=lambda score: (val[score], score == "latent"))
            values.append(f"{100 * val[chosen]:.1f} / {100 * float(row[f'test_auroc_{chosen}']):.1f}")
        rows.append(f"| {NAMES.get(dataset, dataset)} {normal_class} (seed {seed}) | " + " | ".join(values) + " |")
    changes = ["| setting | against | cells | validation change | test change |", "|---|---|---|---|---|"]
    for against in ("alone", "normal"):
        for setting, values in setting_changes(results.distill_inputs, against).items():
            val, test = (change_text([100 * change[i] for change in values]) for i in (0, 1))
            changes.append(f"| `{setting}` | `{against}` | {len(values)} | {val} | {test} |")
    return [
        "## What the distillation carries (`benchmarks/accuracy/distill_inputs_sweep.py`)\n",
        "Validation / test image AUROC % of the score `auto` keeps, at the reduced budget (2,000 training images, "
        "E = 3, batch 8): `alone` is the student without distillation; the others are P-KDGAN with `distill_inputs` "
        "(`normal` is the paper's loss) and, after a colon, `w_distill_score`. Settings ran on the hard classes first "
        "and, where they gained on validation, on more classes; an empty entry was not run. A setting is chosen by "
        "validation only. The rows of the off-normal settings (all but `normal`) predate the fix that has the teacher "
        "make and answer those inputs in eval mode: in their joint phase the inputs also moved the teacher's "
        "BatchNorm statistics (CHANGELOG, Fixed).\n",
        "\n".join(rows) + "\n",
        "Mean change in points over the cells both ran, with a paired bootstrap 95% interval from "
        f"{MIN_CELLS_FOR_INTERVAL} cells on:\n",
        "\n".join(changes) + "\n",
    ]


def sections(results: Results, out: Path, page_folder: Path) -> str:
    """Draw the plots into ``out`` and return the page's result sections (plots linked from ``page_folder``)."""

    def image(name: str) -> str:
        return Path(os.path.relpath(out / name, page_folder)).as_posix()

    rows = results.oneclass
    oneclass = table(rows)
    parts = ["## Compute: teacher against student (inference, one 32x32 image)\n", flops_table(results.flops)]
    parts += [
        "## One-class AUROC, paper-shape students at batch 32 (`benchmarks/accuracy/one_class_benchmark.py`)\n",
        summary(rows, results.flops),
    ]
    parts.append(oneclass or "No results.\n")
    if plot(rows, out / "oneclass.png"):
        parts.append(f"![per-class AUROC]({image('oneclass.png')})\n")
    histograms = plot_histograms(results.details, out / "oneclass_hist.png")
    if histograms:
        parts.append(f"Score histograms of the GAN variants, {histograms}:\n")
        parts.append(f"![score histograms]({image('oneclass_hist.png')})\n")
    wide = wide_students(results.capacity, rows)
    summary_costs = costs(results.details, results.flops, wide, results.defaults_grid)
    if summary_costs:
        parts += [
            "## Accuracy against cost, every model (`benchmarks/report/costs.py`)\n",
            cost_table(summary_costs),
            "GAN rows marked `(config, batch 8)` are the configs' students and their teacher on the grid of the "
            "configs' students (below), scored with `auto` and the best validation's weights; the other GAN rows are "
            "the batch-32 grid above (paper-shape students, latent score, last weights).\n",
        ]
        if plot_cost(summary_costs, out / "oneclass_cost.png"):
            parts.append(f"![AUROC against FLOPs]({image('oneclass_cost.png')})\n")
    scores = score_table(results.details)
    if scores:
        parts += [
            "## Which score: latent distance, reconstruction error, or chosen per run (mean AUROC %, over classes)\n",
            "Validation AUROC comes from held-out training images (normal) and held-out training images of the "
            "other classes (anomalous), never from the test set. `test auto` is what the default "
            '`score_type="auto"` reports: each trained model keeps the score with the higher validation AUROC.\n',
            scores,
        ]
    sweep = sweep_table(results.distill)
    if sweep:
        parts += [
            "## Distillation weights, chosen on validation (`benchmarks/accuracy/distill_weight_sweep.py`)\n",
            sweep,
        ]
    capacity = capacity_table(rows, results.capacity)
    if capacity:
        parts += [
            "## Student size (`benchmarks/accuracy/capacity_sweep.py`)\n",
            capacity_caption(results.capacity),
            capacity,
        ]
    if results.throughput:
        parts += ["## Throughput (`benchmarks/speed/throughput.py`)\n", results.throughput]
    parts += speed_sections(results, page_folder)
    parts += compression_section(results)
    parts += distillation_section(results)
    parts += distill_inputs_section(results)
    parts += teacher_weights_section(results)
    parts += grid_table(results.defaults_grid, DEFAULTS_GRID)
    parts += grid_table(results.paper_budget, PAPER_BUDGET)
    parts += combined_score_lines(results.defaults_grid)
    parts += steps_table(results.details, results.batch8)
    parts += hints_table(results.hint_sweep)
    parts += small_data_table(results.small_data)
    parts += small_folder_time_table(results.small_folder_time)
    if results.defects:
        parts += [
            "## Defect maps (`benchmarks/defects/benchmark.py`)\n",
            results.defects,
        ]
        if results.defects_figure:
            link = Path(os.path.relpath(results.defects_figure, page_folder)).as_posix()
            parts.append(f"![defect examples: image, mask, student map]({link})\n")
    large = large_image_table(results.defect_rows, results.defect_candidates)
    if large:
        parts += [
            "## Large images: tiled against whole-image models (`benchmarks/defects/benchmark.py --sizes 256`)\n",
            "\n".join(large) + "\n",
        ]
    if results.train_time:
        parts += ["## Training time at 64 and 128 px (`benchmarks/speed/train_time.py`)\n", results.train_time]
        if results.train_time_plot:
            link = Path(os.path.relpath(results.train_time_plot, page_folder)).as_posix()
            parts.append(f"![projected training minutes per setting]({link})\n")
    if results.memory:
        parts += memory_table(results.memory)
    return "\n".join(parts)


def page(results: Results, out: Path, page_folder: Path) -> str:
    """The whole results page: the result sections, then the protocol and the commands that regenerate them."""
    return (
        "<!-- Generated by `python -m benchmarks.report` from benchmarks/results/: edit the generator, not this "
        "file. -->\n\n# Benchmark results\n\n"
        "Every table and plot below is computed from the result files in `benchmarks/results/`; the protocol and the "
        "commands that regenerate every result file are at the end ([protocol](#protocol-and-machine), "
        "[reproduce](#reproduce)).\n\n"
        + sections(results, out, page_folder)
        + "\n"
        + (HERE / "protocol.md").read_text()
        + "\n"
        + (HERE / "reproduce.md").read_text()
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the result files to render")
    parser.add_argument("--out", type=Path, default=None, help="folder for the plots (default: --results)")
    parser.add_argument("--page", type=Path, default=PAGE, help="the results page to write (whole)")
    parser.add_argument("--readme", type=Path, default=README, help="markdown file whose results block is replaced")
    args = parser.parse_args(argv)
    out = args.out or args.results
    out.mkdir(parents=True, exist_ok=True)
    args.page.parent.mkdir(parents=True, exist_ok=True)
    results = load_results(args.results)
    args.page.write_text(page(results, out, args.page.resolve().parent))
    link = Path(os.path.relpath(args.page.resolve(), args.readme.resolve().parent)).as_posix()
    block = headline(results, link)
    text = replace_block(args.readme.read_text(), "results", block)
    text = replace_block(text, SMALL_FOLDER, small_folder_minutes(results.small_folder_time))
    args.readme.write_text(text)
    print(block)


def replace_block(text: str, name: str, block: str) -> str:
    """``text`` with what lies between ``<!-- name:start -->`` and ``<!-- name:end -->`` replaced by ``block``.

    Text without both markers comes back unchanged.

    Example:
        >>> replace_block("a <!-- x:start -->old<!-- x:end --> b", "x", "new\\n")
        'a <!-- x:start -->\\nnew\\n<!-- x:end --> b'
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        return text
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}{end}{tail}"
