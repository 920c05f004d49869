# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""``benchmarks/report.py`` rendered from a small fixture into a temporary folder.

``tests/fixtures/report/`` holds rows cut from ``benchmarks/results/`` (MNIST classes 0-2, seeds 0 and 1, some
variants; the MNIST sweep rows; the FLOPs, throughput and memory files as they are). Every number checked here
is computed by the test from those files, not copied from the report.
"""

import csv
import importlib
import json
import pathlib
import shutil
from collections import defaultdict
from pathlib import Path
from statistics import mean

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "report"
BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
START, END = "<!-- results:start -->", "<!-- results:end -->"


@pytest.fixture
def report(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("report")


def read_csv(path: Path) -> list[dict]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def render(report, results: Path, tmp_path: Path) -> tuple[str, Path]:
    """Render ``results`` into ``tmp_path``/out with a README in ``tmp_path``; return its text and the out folder."""
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{START}\nold section\n{END}\nafter\n")
    out = tmp_path / "out"
    report.main(["--results", str(results), "--out", str(out), "--readme", str(readme)])
    return readme.read_text(), out


def test_report_renders_tables_and_claims_computed_from_the_fixture(report, tmp_path, monkeypatch):
    before = {path.name: path.read_bytes() for path in FIXTURE.iterdir()}
    opened: dict[str, int] = defaultdict(int)
    real_open = pathlib.Path.open

    def counting_open(self, *args, **kwargs):
        if self.parent.resolve() == FIXTURE.resolve():
            opened[self.name] += 1
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", counting_open)
    text, out = render(report, FIXTURE, tmp_path)
    monkeypatch.undo()

    assert dict(opened) == {path.name: 1 for path in FIXTURE.iterdir()}  # each result file read once
    assert {path.name: path.read_bytes() for path in FIXTURE.iterdir()} == before  # nothing written to the input
    assert text.startswith(f"# Title\n\nbefore\n{START}\n")
    assert text.endswith(f"{END}\nafter\n")
    section = text.split(START)[1].split(END)[0]
    assert "old section" not in section

    # The per-class table: pkdgan's mean over classes of its mean over seeds, also written to out/oneclass.md.
    rows = read_csv(FIXTURE / "oneclass.csv")
    auroc = {(r["variant"], r["normal_class"], r["seed"]): 100 * float(r["auroc"]) for r in rows}
    per_class = [mean(v for (variant, c, _), v in auroc.items() if (variant, c) == ("pkdgan", k)) for k in "012"]
    mean_row = next(line for line in section.splitlines() if line.startswith("| **mean (3 classes)**"))
    assert mean_row.split(" | ")[3] == f"**{mean(per_class):.1f}**"  # columns: class, teacher, kd_joint, pkdgan
    assert mean_row in (out / "oneclass.md").read_text()

    # The summary's claims: the paper's target, and how often P-KDGAN is ahead of the kNN on the same cells.
    pkdgan = {(c, s): v for (variant, c, s), v in auroc.items() if variant == "pkdgan"}
    wins = sum(pkdgan[cell] > auroc[("knn_pixels", *cell)] for cell in pkdgan)
    gap = mean(pkdgan[cell] - auroc[("knn_pixels", *cell)] for cell in pkdgan)
    assert f"- **MNIST** ({len(pkdgan)} class/seed cells): P-KDGAN student {mean(pkdgan.values()):.1f}" in section
    assert f"{gap:+.1f} points against knn_pixels (ahead on {wins}/{len(pkdgan)});" in section
    flops = json.loads((FIXTURE / "flops.json").read_text())
    assert f"FLOPs {flops['mnist']['flops_ratio']:.0f}:1 against the target 311:1" in section

    # The distillation sweep: the setting with the best mean validation AUROC is the one marked chosen.
    by_setting = defaultdict(list)
    for r in read_csv(FIXTURE / "distill_sweep.csv"):
        setting = tuple(float(r[f"w_distill_{w}"]) for w in ("latent", "reconstruction", "hint"))
        by_setting[setting].append(float(r["val_auroc"]))
    best = max(by_setting, key=lambda setting: mean(by_setting[setting]))
    weights = " | ".join(f"{w:g}" for w in best)
    chosen = f"| {weights} | {len(by_setting[best])} | {100 * mean(by_setting[best]):.1f} (chosen) |"
    assert chosen in section
    assert section.count("(chosen)") == 1

    # The capacity sweep: the wide student pooled over the seed that ran every benchmark class, and the re-run check.
    capacity = read_csv(FIXTURE / "capacity_sweep.csv")
    wide = [float(r["test_auroc_latent"]) for r in capacity if (r["seed"], r["student_features"]) == ("1", "16")]
    assert f"| MNIST | pkdgan 16/64 (seed 1) | {100 * mean(wide):.1f} | {len(wide)} |" in section
    rerun = next(r for r in capacity if (r["seed"], r["normal_class"], r["student_features"]) == ("1", "2", "3"))
    assert abs(float(rerun["test_auroc_latent"]) - auroc[("pkdgan", "2", "1")] / 100) <= 5e-7
    assert "re-running MNIST class 2, seed 1 with `capacity_sweep.py` gives the same AUROC to six digits" in section
    assert f"({len(capacity)} runs)" in section

    # The plots go to out/ and are linked relative to the README; no histogram without kept scores.
    for name in ("oneclass.png", "oneclass_cost.png"):
        assert (out / name).stat().st_size > 0
        assert f"](out/{name})" in section
    assert not (out / "oneclass_hist.png").exists()
    assert (FIXTURE / "throughput.md").read_text() in section


def test_report_prose_follows_the_data(report, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(FIXTURE, results)
    distill = read_csv(results / "distill_sweep.csv")
    for row in distill:
        row.update(epochs="5", seed="2" if row["normal_class"] == "0" else "4")
    with (results / "distill_sweep.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(distill[0]))
        writer.writeheader()
        writer.writerows(distill)
    capacity = read_csv(results / "capacity_sweep.csv")
    rerun = next(r for r in capacity if (r["seed"], r["normal_class"], r["student_features"]) == ("1", "2", "3"))
    rerun["test_auroc_latent"] = str(float(rerun["test_auroc_latent"]) + 0.0123)
    for row in capacity:
        row["epochs"] = "7"
    with (results / "capacity_sweep.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(capacity[0]))
        writer.writeheader()
        writer.writerows(capacity)

    section = render(report, results, tmp_path)[0].split(START)[1]
    assert "P-KDGAN (frozen then joint, E = 5) with each setting on the same cells" in section
    assert "; seeds 2, 4, same split and teacher per cell." in section
    assert "P-KDGAN (frozen then joint, E = 7) with other student widths" in section
    assert "re-running MNIST class 2, seed 1 with `capacity_sweep.py` gives AUROCs up to 1.23 points apart" in section


def test_defaults_grid_scores_as_the_product_and_averages_complete_seeds(report):
    def run(variant, normal_class, seed, latent, reconstruction=0.0, val_latent=0.8, val_reconstruction=0.7):
        return {
            "dataset": "fashion_mnist", "normal_class": normal_class, "variant": variant, "seed": seed,
            "auroc": latent, "test_auroc_reconstruction": reconstruction,
            "val_auroc_latent": val_latent, "val_auroc_reconstruction": val_reconstruction,
            "test_auroc_best_epoch": latent + 0.05,
        }  # fmt: skip

    details = [
        # class 0: P-KDGAN's validation prefers the reconstruction score, so its 0.9 counts, not the latent 0.5.
        run("pkdgan", 0, 0, 0.5, 0.9, val_latent=0.6, val_reconstruction=0.7),
        run("pkdgan", 0, 1, 0.7),
        run("pkdgan", 1, 0, 0.8),
        run("pkdgan", 1, 1, 0.6),
        run("student_alone", 0, 0, 0.8),
        run("student_alone", 0, 1, 0.75, 0.99),  # the latent score is kept: its 0.99 must not count
        run("student_alone", 1, 0, 0.7),
        run("student_alone", 1, 1, 0.73),
        run("student_alone", 0, 2, 0.1),  # seed 2 has not run class 1: listed, not averaged
        run("kd_frozen", 0, 0, 0.6),  # no seed has run every class: shown, without a mean, in no count
        run("kd_joint", 0, 0, 0.9),
        run("kd_joint", 1, 0, 0.7),
        {"dataset": "fashion_mnist", "normal_class": 0, "variant": "knn_pixels", "seed": 0, "auroc": 0.85},
        {"dataset": "fashion_mnist", "normal_class": 1, "variant": "knn_pixels", "seed": 0, "auroc": 0.85},
    ]
    lines = report.defaults_grid_table(details)
    assert "| class | student_alone | kd_frozen | kd_joint | pkdgan | knn_pixels |" in lines
    assert "| 0 | 77.5 ± 2.5 | 60.0 | 90.0 | 80.0 ± 10.0 | 85.0 |" in lines
    assert "| 1 | 71.5 ± 1.5 | - | 70.0 | 70.0 ± 10.0 | 85.0 |" in lines
    # Per-seed class means: student alone 75.0 and 74.0, P-KDGAN 85.0 and 65.0.
    assert "| **mean (2 classes)** | **74.5 ± 0.5** | - | **80.0** | **75.0 ± 10.0** | **85.0** |" in lines
    assert "| seed spread | 2.0 | - | - | 10.0 | - |" in lines
    assert "| seeds | 0, 1 | - | 0 | 0, 1 | 0 |" in lines
    # GANomaly's protocol, apart: the latent score's best test epoch over the complete seeds (+5 points here).
    assert "| best test epoch, latent (GANomaly's protocol) | 79.5 | - | 85.0 | 70.0 | - |" in lines
    partial = "kd_frozen seed 0 (classes 0); student_alone seed 2 (classes 0)"
    assert f"\nSeeds that have not run every class yet, in no mean: {partial}." in lines
    assert "\nP-KDGAN ahead of the student alone on 2 of 4 class/seed cells." in lines
    assert "\nP-KDGAN ahead of the pixel kNN on 1 of 2 class/seed cells." in lines
    assert (
        "\nP-KDGAN ahead of single-step joint training (`kd_joint`) on 1 of 2 class/seed cells (level on 1)." in lines
    )
    assert not any("(`kd_frozen`)" in line for line in lines)
    assert report.defaults_grid_table([]) == []


def test_cost_table_shows_the_configs_students_scored_as_the_product(report):
    flops = json.loads((FIXTURE / "flops.json").read_text())
    grid = [
        {"dataset": "mnist", "normal_class": c, "variant": "pkdgan", "seed": 0, "auroc": 0.6,
         "test_auroc_reconstruction": 0.9, "val_auroc_latent": 0.5, "val_auroc_reconstruction": 0.7,
         "test_images": 100, "score_seconds": 0.01}
        for c in (0, 1)
    ] + [{"dataset": "mnist", "normal_class": 0, "variant": "kd_joint", "seed": 0, "auroc": 0.7}]  # fmt: skip
    student = flops["mnist"]["student"]
    name = f"pkdgan {student['features']}/{student['latent']} (config, batch 8)"
    summary = report.costs([], flops, {}, grid)
    assert set(summary) == {("mnist", name)}  # variants outside the cost table's list are left out
    entry = summary[("mnist", name)]
    assert entry["cells"] == 2
    assert entry["auroc"] == pytest.approx(90.0)  # validation prefers the reconstruction score
    assert entry["flops"] == flops["mnist"]["student_flops"]
    assert f"| MNIST | {name} | 90.0 | 2 |" in report.cost_table(summary)


def test_candidate_combined_score_is_compared_with_the_kept_score_on_the_runs_that_recorded_it(report):
    def run(val_combined, test_combined, variant="kd_joint", seed=2):
        return {
            "dataset": "mnist", "normal_class": 0, "variant": variant, "seed": seed, "auroc": 0.9,
            "test_auroc_reconstruction": 0.7, "val_auroc_latent": 0.8, "val_auroc_reconstruction": 0.6,
            "val_auroc_combined": val_combined, "test_auroc_combined": test_combined,
        }  # fmt: skip

    assert report.combined_score_lines([{"dataset": "mnist", "variant": "pkdgan", "auroc": 0.9}]) == []
    lines = report.combined_score_lines([run(0.9, 0.95), run(0.7, 0.75, "kd_frozen", 1)])
    # auto keeps the latent score (validation 80, test 90) on both runs; combined is ahead on the first only.
    assert "| MNIST | 2 (kd_frozen, kd_joint; seeds 1, 2) | 80.0 | 80.0 | 85.0 | 90.0 | 1 of 2 |" in lines
