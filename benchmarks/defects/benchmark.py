# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Defect benchmark with masks: P-KDGAN's student and teacher, Anomalib's Ganomaly and raw-pixel baselines.

The data sets are MVTec AD-format folders written by ``defects/data.py`` (scikit-image textures and an object with
synthetic defects and exact masks, at 64, 128 and 256 px, grey and RGB). Each model trains on ``train/good`` through
Anomalib's ``Folder(..., mask_dir=...)``; Folder's default validation split (half of the test folder, drawn with the
cell's seed) is where every setting is chosen; the metrics are measured on the other half (see
``defects/evaluation.py``).

* ``pkdgan_student``: P-KDGAN as users get it, through ``Engine.fit``; its own validation choices
  (``score_type="auto"``, ``anomaly_map_sigma="auto"``); scored per image (raw, not normalised) with its map.
* ``pkdgan_teacher``: the teacher of the same run, through ``PkdganModel.scores(network="teacher")``; its score
  (latent or reconstruction) and map smoothing chosen on validation by the same rules. Both rows share the run,
  so both report the run's training time.
* ``anomalib_ganomaly``: Anomalib's ``Ganomaly`` with the teacher's width and latent size, trained through the same
  Engine for as many batches as the P-KDGAN run, scored with its raw latent distance per image (no per-batch
  min-max normalisation). Anomalib's Ganomaly gives no anomaly map, so its pixel columns are empty.
* ``knn_pixels``, ``pca_pixels``: the raw-pixel baselines of ``common/baselines.py`` (image score and map; the
  kNN's ``k`` and PCA's components chosen on validation, see ``defects/evaluation.py``).
* ``pkdgan_tiled``: P-KDGAN with ``input_size`` = the tile size, trained and scored on tiles through Anomalib's
  ``TilerConfigurationCallback(enable=True, tile_size=..., stride=...)`` given to the Engine, as a user would; its
  own validation choices (score, map smoothing, ``tile_top_k="auto"``); the map is the stitched tile maps. The
  image batch is ``--batch-size`` divided by the tiles per image (at least 1), so a step sees about as many tiles as
  the untiled model sees images (the row's settings give it). One run per ``--tile-sizes`` x ``--tile-strides``
  candidate; each is written to ``defects_tiles.csv``, and the one with the best validation (``defects/tiles.py``)
  is the row.
* ``knn_pixels_tiled``, ``pca_pixels_tiled``: the same baselines fitted on tiles of each ``--baseline-tiles`` size
  (strides: the tile and its half), chosen the same way (``defects/tiles.py``).

``images_per_second``: P-KDGAN's student (whole-image and tiled) exported to OpenVINO and the pixel baselines'
numpy scoring, on whole images of the data set's size, one at a time (``defects/speed.py``).

Every map's Gaussian smoothing (0, 1, 2 or 4 pixels) is chosen on validation pixel AUROC, as P-KDGAN's ``auto``
does. Each finished cell is appended to ``defects.csv`` at once (columns: :data:`DEFECT_CELLS`); finished cells
(model, data set, seed and GAN budget) are skipped when run again. At the end, ``defects.md`` (tables of this run's
budget) and ``defects_examples.png`` (test images, masks and the student's maps, drawn with Anomalib's
visualiser) are written from the results.

    python -m benchmarks.defects.benchmark          # 8 data sets, seed 0, the defaults (teacher auto)
    python -m benchmarks.defects.benchmark --teacher-features 16 --teacher-latent 64 --min-schedule-steps 500
    python -m benchmarks.defects.benchmark --sizes 256 --train 400 --models pkdgan_tiled,knn_pixels_tiled \
        --student-features 3 --student-latent 16 --tile-sizes 64 --tile-strides 64,32
    python -m benchmarks.defects.benchmark --quick --out /tmp/quick --work /tmp/quick --root /tmp/quick/data
"""

import argparse
import csv
import logging
import math
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from anomalib.callbacks import TilerConfigurationCallback
from anomalib.engine import Engine
from anomalib.models import Ganomaly
from lightning.pytorch import Callback, seed_everything

from anomalib_pkdgan import Pkdgan, ScoreType
from anomalib_pkdgan.models.pkdgan.callbacks.schedule import plan_phases
from anomalib_pkdgan.models.pkdgan.callbacks.validation_scores import best_score_type, score_aurocs
from anomalib_pkdgan.models.pkdgan.torch_model import teacher_width
from benchmarks.common.cells import CellSchema
from benchmarks.common.paths import RESULTS, WORK
from benchmarks.defects.data import COUNTS, DEFECTS, LARGE_SIZE, SOURCES, Settings, write_dataset
from benchmarks.defects.evaluation import (
    Split,
    choose_sigma,
    evaluate,
    fit_baseline,
    folder_datamodule,
    load_split,
    pixels,
    smoothed,
)
from benchmarks.defects.outputs import write_figure, write_table
from benchmarks.defects.speed import numpy_images_per_second, openvino_images_per_second
from benchmarks.defects.tiles import TileCandidate, choose, tile_candidates, tiled_baseline_row

WHOLE_MODELS = ("pkdgan_student", "pkdgan_teacher", "anomalib_ganomaly", "knn_pixels", "pca_pixels")
"""The models that see whole images (``defects.md``'s columns)."""
MODELS = (*WHOLE_MODELS, "pkdgan_tiled", "knn_pixels_tiled", "pca_pixels_tiled")
BASELINES = ("knn_pixels", "pca_pixels")
TILED_BASELINES = ("knn_pixels_tiled", "pca_pixels_tiled")

DEFECT_CELLS = CellSchema(
    file="defects.csv",
    columns=(
        "model",
        "dataset",
        "seed",
        "image_auroc",
        "pixel_auroc",
        "pixel_pro",
        "train_seconds",
        "settings",
        "budget",
        "val_image_auroc",
        "val_pixel_auroc",
        "defect_image_auroc",
        "defect_pixel_auroc",
        "train_images",
        "val_images",
        "test_images",
        "images_per_second",
    ),
    key_columns=(("model", str), ("dataset", str), ("seed", int), ("budget", str)),
)
"""One model on one data set and seed; ``budget`` names the GANs' sizes and schedule (empty for the baselines) and
the tile candidates of the tiled models."""

TILE_CANDIDATES = CellSchema(
    file="defects_tiles.csv",
    columns=(*DEFECT_CELLS.columns, "tile", "stride"),
    key_columns=(*DEFECT_CELLS.key_columns, ("tile", int), ("stride", int)),
)
"""One tiled model at one tile size and stride (a candidate) on one data set and seed: the row it would give."""


def gan_budget(args: argparse.Namespace) -> str:
    """The GAN settings of this run as text, e.g. ``teacher 64/100 student 8/32 epochs 15/15/5 min_steps 2000``."""
    text = (
        f"teacher {args.teacher_features}/{args.teacher_latent} student {args.student_features}/{args.student_latent}"
        f" epochs {'/'.join(map(str, args.epochs))} min_steps {args.min_schedule_steps} batch {args.batch_size}"
    )
    text += f" precision {args.precision}" if args.precision != "32-true" else ""
    return text + (f" max_epochs {args.max_epochs}" if args.max_epochs else "")


def model_budget(args: argparse.Namespace, model: str) -> str:
    """A model's ``budget`` column in this run: the GAN settings and, for tiled models, the tile candidates."""
    if model in BASELINES:
        return ""
    if model in TILED_BASELINES:
        return f"tiles {args.baseline_tiles} strides tile,tile/2"
    tiles = f" tiles {args.tile_sizes} strides {args.tile_strides}" if model == "pkdgan_tiled" else ""
    return gan_budget(args) + tiles


def cell_of(args: argparse.Namespace, dataset: str, seed: int, model: str) -> dict:
    """The key columns of a model's cell in this run."""
    return {"model": model, "dataset": dataset, "seed": seed, "budget": model_budget(args, model)}


def gan_candidates(args: argparse.Namespace, size: int) -> list[TileCandidate]:
    """``pkdgan_tiled``'s tile candidates for ``size`` px images; an error if none covers them."""
    found = tile_candidates(size, map(int, args.tile_sizes.split(",")), map(int, args.tile_strides.split(",")))
    if not found:
        msg = f"no --tile-sizes {args.tile_sizes} with --tile-strides {args.tile_strides} covers {size} px images"
        raise ValueError(msg)
    return found


def baseline_candidates(args: argparse.Namespace, size: int) -> list[TileCandidate]:
    """The tiled baselines' candidates for ``size`` px images: each ``--baseline-tiles`` size, strides tile and half."""
    return tile_candidates(size, map(int, args.baseline_tiles.split(",")))


def models_of(args: argparse.Namespace, size: int) -> list[str]:
    """The models ``--models`` names for ``size`` px data sets (``auto``: tiled ones from :data:`LARGE_SIZE` up)."""
    if args.models == "auto":
        return list(MODELS if size >= LARGE_SIZE else WHOLE_MODELS)
    return args.models.split(",")


def examples_dir(args: argparse.Namespace) -> Path:
    """Where this budget's examples for the figure are kept (one file per data set and seed)."""
    return args.work / "examples" / re.sub(r"\W+", "_", gan_budget(args))


def engine(args: argparse.Namespace, name: str, callbacks: list[Callback] | None = None, **limits: int) -> Engine:
    """A quiet CPU Engine writing under ``--work``; ``--max-epochs`` caps every GAN."""
    if args.max_epochs:
        limits["max_epochs"] = args.max_epochs
    return Engine(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                  precision=args.precision, default_root_dir=args.work / "runs" / name, callbacks=callbacks,
                  **limits)  # fmt: skip


def gan(args: argparse.Namespace, size: int, channels: int) -> Pkdgan:
    """P-KDGAN with this run's GAN settings, taking ``size`` x ``size`` images (or tiles) of ``channels``."""
    teacher_epochs, frozen_epochs, joint_epochs = args.epochs
    return Pkdgan(
        input_size=(size, size), num_input_channels=channels,
        teacher_features=args.teacher_features, teacher_latent=args.teacher_latent,
        student_features=args.student_features, student_latent=args.student_latent,
        teacher_epochs=teacher_epochs, frozen_epochs=frozen_epochs, joint_epochs=joint_epochs,
        min_schedule_steps=args.min_schedule_steps, visualizer=False, evaluator=False,
    )  # fmt: skip


def pkdgan_rows(args: argparse.Namespace, folder: Path, settings: Settings, seed: int, val: Split, test: Split) -> dict:
    """Train P-KDGAN once; the student's and the teacher's rows, and the examples for the figure."""
    channels = 1 if SOURCES[settings.source].colour == "grey" else 3
    seed_everything(seed, workers=True)
    model = gan(args, settings.size, channels)
    datamodule = folder_datamodule(folder, seed, args.batch_size, list(settings.defects), args.num_workers)
    trainer = engine(args, f"{folder.name}_s{seed}_pkdgan")
    start = time.perf_counter()
    trainer.fit(model, datamodule=datamodule)
    seconds = time.perf_counter() - start
    model.eval()
    rows = {}
    for network in ("student", "teacher"):
        (val_scores, val_maps), (test_scores, test_maps) = (gan_outputs(model, split, network) for split in (val, test))
        if network == "student":  # the model's own choices, as its inference reports them
            chosen, sigma = model.model.score_type, model.model.anomaly_map_sigma
        else:  # the same rules, applied here
            aurocs = score_aurocs({t: torch.from_numpy(v) for t, v in val_scores.items()}, torch.from_numpy(val.labels))
            chosen, sigma = best_score_type(aurocs), choose_sigma(val_maps, val.masks)
        val_maps, test_maps = smoothed(val_maps, sigma), smoothed(test_maps, sigma)
        row = evaluate(val, test, val_scores[chosen], test_scores[chosen], val_maps, test_maps)
        rows[f"pkdgan_{network}"] = {**row, "settings": f"score={chosen.value} sigma={sigma:g}"}
        if network == "student" and settings.size < LARGE_SIZE:  # the figure of defects.md's data sets
            save_examples(examples_dir(args) / f"{folder.name}_seed{seed}.npz", test, test_maps, val_maps)
    rows["pkdgan_student"]["images_per_second"] = openvino_images_per_second(
        trainer, model, args.work / "exports" / f"{folder.name}_s{seed}_pkdgan", settings.size, args.speed_seconds
    )
    for row in rows.values():
        row["train_seconds"] = seconds
    return rows


def pkdgan_tiled_row(args: argparse.Namespace, folder: Path, settings: Settings, seed: int, val: Split, test: Split,
                     candidate: TileCandidate) -> dict:  # fmt: skip
    """Train P-KDGAN on the tiles of one candidate through Anomalib's tiler callback and measure its student.

    The image batch is ``--batch-size`` divided by the tiles per image (at least one image), so that a training
    step sees about ``--batch-size`` tiles; validation batches likewise hold about 64 tiles' worth of images.
    """
    channels = 1 if SOURCES[settings.source].colour == "grey" else 3
    tiles = candidate.tiles_per_image(settings.size)
    batch, eval_batch = max(1, args.batch_size // tiles), max(1, 64 // tiles)
    seed_everything(seed, workers=True)
    model = gan(args, candidate.tile, channels)
    datamodule = folder_datamodule(folder, seed, batch, list(settings.defects), args.num_workers, eval_batch)
    tiler = TilerConfigurationCallback(enable=True, tile_size=candidate.tile, stride=candidate.stride)
    name = f"{folder.name}_s{seed}_pkdgan_tiled_{candidate.tile}_{candidate.stride}"
    trainer = engine(args, name, callbacks=[tiler])
    start = time.perf_counter()
    trainer.fit(model, datamodule=datamodule)
    seconds = time.perf_counter() - start
    model.eval()
    (val_scores, val_maps), (test_scores, test_maps) = (
        gan_outputs(model, split, "student", eval_batch) for split in (val, test)
    )
    chosen, sigma = model.model.score_type, model.model.anomaly_map_sigma
    val_maps, test_maps = smoothed(val_maps, sigma), smoothed(test_maps, sigma)
    row = evaluate(val, test, val_scores[chosen], test_scores[chosen], val_maps, test_maps)
    settings_text = (
        f"tile={candidate.tile} stride={candidate.stride} batch={batch} ({batch * tiles} tiles) "
        f"top_k={model.model.tile_top_k} score={chosen.value} sigma={sigma:g}"
    )
    speed = openvino_images_per_second(trainer, model, args.work / "exports" / name, settings.size, args.speed_seconds)
    return {**row, "settings": settings_text, "train_seconds": seconds, "images_per_second": speed}


@torch.no_grad()
def gan_outputs(
    model: Pkdgan, split: Split, network: str, chunk_size: int = 64
) -> tuple[dict[ScoreType, np.ndarray], np.ndarray]:
    """Raw scores of both types and raw maps of a trained P-KDGAN's ``"student"`` or ``"teacher"`` on a split,
    pre-processed as in training (a tiled model cuts the whole images into tiles and stitches the maps)."""
    scores: dict[ScoreType, list[torch.Tensor]] = {score_type: [] for score_type in ScoreType}
    maps = []
    for chunk in split.images.split(chunk_size):
        chunk_scores, raw = model.model.scores(model.pre_processor.transform(chunk), network)
        for score_type, values in chunk_scores.items():
            scores[score_type].append(values)
        maps.append(raw[:, 0])
    return {score_type: torch.cat(values).numpy() for score_type, values in scores.items()}, torch.cat(maps).numpy()


def save_examples(path: Path, test: Split, maps: np.ndarray, val_maps: np.ndarray) -> None:
    """The first normal test image and the first of each defect kind, with mask and map, for the figure.

    ``scale`` (the 99.9th percentile of the validation maps) puts every map of the data set on one colour scale.
    """
    first = {kind: index for index, kind in reversed(list(enumerate(test.kinds)))}
    indices = [first[kind] for kind in sorted(first, key=lambda kind: (kind != "good", kind))]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        images=(test.images[indices].permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8),
        masks=test.masks[indices],
        maps=maps[indices].astype(np.float32),
        kinds=np.array([test.kinds[i] for i in indices]),
        scale=np.quantile(val_maps, 0.999),
    )


def ganomaly_row(args: argparse.Namespace, folder: Path, settings: Settings, seed: int, val: Split, test: Split,
                 train_images: int) -> dict:  # fmt: skip
    """Train Anomalib's Ganomaly for as many batches as the P-KDGAN run and score it per image (raw latent)."""
    batches_per_epoch = math.ceil(train_images / args.batch_size)
    limit = args.max_epochs * batches_per_epoch if args.max_epochs else None
    batches = plan_phases(tuple(args.epochs), batches_per_epoch, args.min_schedule_steps, max_batches=limit).total
    seed_everything(seed, workers=True)
    width = teacher_width((settings.size, settings.size), args.teacher_features)
    model = Ganomaly(
        batch_size=args.batch_size, n_features=width, latent_vec_size=args.teacher_latent,
        pre_processor=Ganomaly.configure_pre_processor(image_size=(settings.size, settings.size)),
        visualizer=False, evaluator=False,
    )  # fmt: skip
    datamodule = folder_datamodule(folder, seed, args.batch_size, list(settings.defects), args.num_workers)
    trainer = engine(args, f"{folder.name}_s{seed}_ganomaly", max_steps=2 * batches, limit_val_batches=0)
    start = time.perf_counter()
    trainer.fit(model, datamodule=datamodule)  # two optimiser steps (generator, discriminator) per batch
    seconds = time.perf_counter() - start
    model.model.eval()
    with torch.no_grad():
        val_scores, test_scores = (
            torch.cat([model.model(model.pre_processor.transform(c)).pred_score for c in split.images.split(64)])
            for split in (val, test)
        )
    row = evaluate(val, test, val_scores.numpy(), test_scores.numpy(), None, None)
    return {**row, "settings": f"score=latent (raw) batches={batches}", "train_seconds": seconds,
            "images_per_second": ""}  # fmt: skip


def baseline_row(args: argparse.Namespace, name: str, channels: int, train: Split, val: Split, test: Split) -> dict:
    """Fit a raw-pixel baseline, choose its setting and map smoothing on validation, and measure it on test."""
    val_x, test_x = pixels(val, channels), pixels(test, channels)
    start = time.perf_counter()
    score, setting = fit_baseline(name, pixels(train, channels), val_x, val.labels)
    seconds = time.perf_counter() - start
    (val_scores, val_maps), (test_scores, test_maps) = score(val_x), score(test_x)
    sigma = choose_sigma(val_maps, val.masks)
    row = evaluate(val, test, val_scores, test_scores, smoothed(val_maps, sigma), smoothed(test_maps, sigma))
    speed = numpy_images_per_second(score, channels, val_x.shape[-1], args.speed_seconds)
    return {**row, "settings": f"{setting} sigma={sigma:g}", "train_seconds": seconds, "images_per_second": speed}


@dataclass
class CellWriter:
    """Appends the rows of one data set and seed: their common columns added, floats rounded, one line printed."""

    args: argparse.Namespace
    base: dict

    def cell(self, model: str) -> dict:
        """The key columns of ``model``'s cell."""
        return cell_of(self.args, self.base["dataset"], self.base["seed"], model)

    def row(self, model: str, row: dict) -> dict:
        """``row`` with the cell's columns, floats rounded to 4 decimals."""
        row = {**self.base, **row, **self.cell(model)}
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}

    def append(self, model: str, row: dict) -> None:
        """Append ``model``'s finished row to ``defects.csv``."""
        row = self.row(model, row)
        DEFECT_CELLS.append(self.args.out, row)
        print(f"{row['dataset']} seed {row['seed']} {model}: image {row['image_auroc']} pixel {row['pixel_auroc']} "
              f"({row['train_seconds']} s)", flush=True)  # fmt: skip

    def append_tiled(
        self, model: str, candidates: list[TileCandidate], measure: Callable[[TileCandidate], dict]
    ) -> None:
        """Measure a tiled model at each candidate not yet in ``defects_tiles.csv`` (``measure(candidate) -> row``,
        appended at once), then append the candidate with the best validation as the model's row."""
        keys = [TILE_CANDIDATES.key({**self.cell(model), "tile": c.tile, "stride": c.stride}) for c in candidates]
        done = TILE_CANDIDATES.done(self.args.out)
        for candidate, key in zip(candidates, keys, strict=True):
            if key not in done:
                row = {**measure(candidate), "tile": candidate.tile, "stride": candidate.stride}
                TILE_CANDIDATES.append(self.args.out, self.row(model, row))
                print(f"{self.base['dataset']} seed {self.base['seed']} {model} {candidate.label}: "
                      f"validation image {row['val_image_auroc']:.4f} pixel {row['val_pixel_auroc']:.4f}",
                      flush=True)  # fmt: skip
        with (self.args.out / TILE_CANDIDATES.file).open() as handle:
            rows = [row for row in csv.DictReader(handle) if TILE_CANDIDATES.key(row) in set(keys)]
        best = choose(rows)
        self.append(model, {**best, "settings": f"{best['settings']} (best validation of {len(rows)} candidates)"})


def run_cell(args: argparse.Namespace, settings: Settings, seed: int, todo: list[str]) -> None:
    """Every model of ``todo`` on one data set and seed; each row is appended as soon as it is measured."""
    folder = write_dataset(args.root, settings)
    datamodule = folder_datamodule(folder, seed, args.batch_size, list(settings.defects), args.num_workers)
    datamodule.setup()
    train, val, test = (load_split(datamodule, subset) for subset in ("train", "val", "test"))
    channels = 1 if SOURCES[settings.source].colour == "grey" else 3
    writer = CellWriter(args, {"dataset": settings.name, "seed": seed, "train_images": len(train.labels),
                               "val_images": len(val.labels), "test_images": len(test.labels)})  # fmt: skip

    for name in (model for model in BASELINES if model in todo):
        writer.append(name, baseline_row(args, name, channels, train, val, test))
    for name in (model for model in TILED_BASELINES if model in todo):

        def measure(candidate: TileCandidate, baseline: str = name.removesuffix("_tiled")) -> dict:
            row, score = tiled_baseline_row(baseline, candidate, channels, train, val, test, seed)
            speed = numpy_images_per_second(score, channels, settings.size, args.speed_seconds)
            return {**row, "images_per_second": speed}

        writer.append_tiled(name, baseline_candidates(args, settings.size), measure)
    if "pkdgan_tiled" in todo:
        writer.append_tiled(
            "pkdgan_tiled",
            gan_candidates(args, settings.size),
            lambda candidate: pkdgan_tiled_row(args, folder, settings, seed, val, test, candidate),
        )
    if {"pkdgan_student", "pkdgan_teacher"} & set(todo):
        for name, row in pkdgan_rows(args, folder, settings, seed, val, test).items():
            if name in todo:
                writer.append(name, {"images_per_second": "", **row})
    if "anomalib_ganomaly" in todo:
        writer.append("anomalib_ganomaly", ganomaly_row(args, folder, settings, seed, val, test, len(train.labels)))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--sizes", default="64,128")
    parser.add_argument("--seeds", default="0")
    parser.add_argument(
        "--models",
        default="auto",
        help=f"comma-separated, or auto: the whole-image models below {LARGE_SIZE} px, every model from there up",
    )
    parser.add_argument("--train", type=int, default=COUNTS["train"], help="normal training images per data set")
    parser.add_argument("--test-good", type=int, default=COUNTS["test_good"], help="normal test images (half: val)")
    parser.add_argument("--per-defect", type=int, default=COUNTS["per_defect"], help="defective images of each kind")
    parser.add_argument(
        "--teacher-features",
        type=lambda text: text if text == "auto" else int(text),
        default="auto",
        help='"auto" (the default: 32 at 64 px, 16 at 128 px) or a width',
    )
    parser.add_argument("--teacher-latent", type=int, default=100)
    parser.add_argument("--student-features", type=int, default=8)
    parser.add_argument("--student-latent", type=int, default=32)
    parser.add_argument("--epochs", default="15,15,5", help="teacher,frozen,joint phase proportions (epochs)")
    parser.add_argument("--min-schedule-steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--precision", default="32-true", help="Lightning's training precision, e.g. bf16-mixed")
    parser.add_argument("--max-epochs", type=int, default=None, help="cap (the schedule shrinks to fit)")
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--tile-sizes", default="64", help="pkdgan_tiled's tile size candidates (px)")
    parser.add_argument("--tile-strides", default="64", help="pkdgan_tiled's stride candidates (px)")
    parser.add_argument("--baseline-tiles", default="32,64", help="the tiled baselines' tile sizes (px; stride: "
                        "the tile and its half)")  # fmt: skip
    parser.add_argument("--speed-seconds", type=float, default=3.0, help="time spent measuring images/s per model")
    parser.add_argument("--root", type=Path, default=WORK / "defects", help="where the data sets live")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=WORK / "defect_runs")
    parser.add_argument("--quick", action="store_true", help="one tiny data set, tiny networks, one thread")
    args = parser.parse_args()
    if args.quick:
        args.sources, args.sizes, args.seeds, args.train, args.test_good, args.per_defect = "brick", "32", "0", 32, 8, 4
        args.teacher_features, args.teacher_latent, args.student_features, args.student_latent = 8, 16, 2, 4
        args.epochs, args.min_schedule_steps, args.batch_size = "1,1,1", 24, 8
        args.tile_sizes, args.tile_strides, args.baseline_tiles, args.speed_seconds = "16", "16", "8,16", 0.2
        args.models = ",".join(MODELS) if args.models == "auto" else args.models
        torch.set_num_threads(1)  # tiny networks: a second thread costs more than it gives (far more on a busy CPU)
    args.epochs = tuple(int(e) for e in args.epochs.split(","))
    unknown = set(args.models.split(",")) - {*MODELS, "auto"}
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; choose from {', '.join(MODELS)}")
    return args


def main() -> None:
    args = parse_args()
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("anomalib").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    args.out.mkdir(parents=True, exist_ok=True)
    done = DEFECT_CELLS.done(args.out)
    for source in args.sources.split(","):
        for size in map(int, args.sizes.split(",")):
            settings = Settings(source, size, args.train, args.test_good, args.per_defect, tuple(DEFECTS), 0)
            models = models_of(args, size)
            for seed in map(int, args.seeds.split(",")):
                keys = {model: DEFECT_CELLS.key(cell_of(args, settings.name, seed, model)) for model in models}
                todo = [model for model in models if keys[model] not in done]
                if todo:
                    run_cell(args, settings, seed, todo)
    write_table(args.out / DEFECT_CELLS.file, args.out / "defects.md", gan_budget(args), WHOLE_MODELS)
    write_figure(examples_dir(args), args.out / "defects_examples.png")


if __name__ == "__main__":
    main()
