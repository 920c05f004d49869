# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""One-class novelty detection benchmark (OCGAN / P-KDGAN protocol) with P-KDGAN's ablations and baselines.

For each data set, normal class ``k`` and seed: train on class ``k`` only, test on the whole test set (other
classes anomalous), image AUROC from raw per-image scores. Variants (the student architecture is the same in
all student variants, and every student gets ``E + J`` epochs, E = ``--epochs``, J = ``--joint-epochs``, which
defaults to E; ``--epochs 15 --joint-epochs 5`` is the configs' budget, 15/15/5):

* ``teacher``: the teacher GAN alone, ``E`` epochs, ending with its last weights (``Pkdgan``'s default) or those of
  its best validation (``--teacher-weights best_validation``), scored with the teacher's latent distance;
* ``student_alone``: the student alone, no distillation, ``E + J`` epochs;
* ``kd_frozen``: single-step distillation from the frozen teacher, ``E + J`` epochs;
* ``kd_joint``: single-step joint training of teacher and student from scratch, ``E + J`` epochs;
* ``pkdgan``: progressive, frozen teacher ``E`` epochs, then joint ``J`` epochs;
* ``knn_pixels``, ``pca_pixels``: the raw-pixel baselines of ``common/baselines.py`` at their default settings
  (PCA's components chosen on validation), on grey 32x32 pixels;
* ``anomalib_ganomaly``: Anomalib's own ``Ganomaly`` at its defaults (64/100, its default pre-processing at
  32x32), trained through the same Engine on the same split for ``E + J`` epochs. It is scored with the raw
  latent distance of each test image (``GanomalyModel`` in eval mode), i.e. without its per-batch min-max
  normalisation: AUROC is rank-based, so this is its best honest number and independent of batch size.

The teacher of ``teacher``, ``kd_frozen`` and ``pkdgan`` is the same network, passed on as a
``teacher_checkpoint`` and cached under ``--work``/teachers, keyed by every setting that shapes it (data set,
class, seed, training images, batch size, ``E``, ``--teacher-weights``, the teacher's width, latent size, channels
and input size:
:func:`teacher_cache_path`), so a run with other settings never reuses it. ``kd_frozen`` and ``pkdgan`` asked
for without the ``teacher`` variant (or with its cell already done) still get the benchmark's teacher: when
none with these settings is cached, it is trained first, exactly as the ``teacher`` variant trains it (``E``
epochs, same split and batch size), and cached; it gets no row unless ``teacher`` was asked for. The sweeps
take their teachers from the same cache. Every phase lasts exactly its epochs (``min_schedule_steps=0``),
whatever the size of the split. Every finished cell is appended to ``oneclass.csv`` at once (columns:
``cells.ONECLASS``), and finished cells are skipped, so an interrupted run loses nothing.

    python -m benchmarks.accuracy.one_class_benchmark --dataset mnist --classes 0-9 --seeds 0 --epochs 1
    python -m benchmarks.accuracy.one_class_benchmark --quick --out /tmp/quick   # seconds, no download (CI smoke test)
"""

import argparse
import inspect
import json
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from anomalib.engine import Engine
from anomalib.models import Ganomaly
from lightning.pytorch import Callback, Trainer, seed_everything
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

from anomalib_pkdgan import OneClassVision, Pkdgan, ScoreType
from anomalib_pkdgan.models.pkdgan.data_fit import DEFAULT_INPUT_SIZE
from anomalib_pkdgan.models.pkdgan.torch_model import teacher_width
from benchmarks.common.baselines import BASELINES, KnnPixels, fit_on_validation
from benchmarks.common.cells import ONECLASS
from benchmarks.common.dataset_configs import config_init_args
from benchmarks.common.paths import RESULTS, WORK

GAN_VARIANTS = ("teacher", "student_alone", "kd_frozen", "kd_joint", "pkdgan")
VARIANTS = GAN_VARIANTS + BASELINES + ("anomalib_ganomaly",)
DEFAULT_TEACHER_WEIGHTS = (
    "best_validation" if inspect.signature(Pkdgan).parameters["restore_best_teacher"].default else "last"
)
"""``--teacher-weights`` as ``Pkdgan``'s default ``restore_best_teacher`` has it."""
NEEDS_TEACHER = ("kd_frozen", "pkdgan")
"""Variants distilled from the benchmark's pre-trained teacher."""
TEACHER_SHAPING = ("input_size", "num_input_channels", "teacher_features", "teacher_latent", "extra_layers")
"""``Pkdgan`` arguments that shape the teacher network (besides its data and its training budget)."""


def model_sizes(dataset: str) -> dict:
    """Network sizes, student design and student learning rate of a data set's config (digits: tiny networks)."""
    if dataset == "digits":
        return {"teacher_features": 8, "teacher_latent": 16, "student_features": 2, "student_latent": 4}
    init = config_init_args(dataset)
    keys = (
        "num_input_channels",
        "teacher_features",
        "teacher_latent",
        "student_features",
        "student_latent",
        "student_block",
        "student_lr",
    )
    return {key: init[key] for key in keys if key in init}


def parse_list(text: str) -> list[int]:
    values: list[int] = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-")
            values.extend(range(int(low), int(high) + 1))
        elif part:
            values.append(int(part))
    return values


def epoch_counted_pkdgan(**kwargs: object) -> Pkdgan:
    """A ``Pkdgan`` whose phases last exactly the epochs given, however few batches an epoch has.

    ``Pkdgan`` releases with ``min_schedule_steps`` stretch a short schedule to that many batches; the benchmarks
    count epochs, so they turn it off (where the argument exists) to stay reproducible.
    """
    if "min_schedule_steps" in inspect.signature(Pkdgan).parameters:
        kwargs["min_schedule_steps"] = 0
    return Pkdgan(**kwargs)


def teacher_settings(args: argparse.Namespace, dataset: str, normal_class: int, seed: int) -> dict:
    """Every setting that shapes the benchmark's teacher of a (data set, class, seed) cell.

    Its data (data set, class, seed, training-image cap), its training (batch size, ``E`` epochs) and its network
    (:data:`TEACHER_SHAPING`, from the data set's config or else ``Pkdgan``'s defaults).
    """
    parameters = inspect.signature(Pkdgan).parameters
    network = {name: parameters[name].default for name in TEACHER_SHAPING}
    network.update({k: v for k, v in model_sizes(dataset).items() if k in TEACHER_SHAPING})
    # Left to the data (None), the one-class data sets' small images give the default size, grey unless the config
    # says otherwise (see anomalib_pkdgan.models.pkdgan.data_fit)
    network["input_size"] = network["input_size"] or DEFAULT_INPUT_SIZE
    network["num_input_channels"] = network["num_input_channels"] or 1
    # the width "auto" builds, so the cache key names the network
    network["teacher_features"] = teacher_width(network["input_size"], network["teacher_features"])
    return {
        "dataset": dataset,
        "normal_class": normal_class,
        "seed": seed,
        "max_train_images": args.max_train_images,
        "batch_size": args.batch_size,
        "teacher_epochs": args.epochs,
        "teacher_weights": args.teacher_weights,
        **network,
    }


def teacher_cache_path(work: Path, settings: dict) -> Path:
    """Where the teacher trained with ``settings`` (see :func:`teacher_settings`) is cached under ``work``."""
    height, width = settings["input_size"]
    name = (
        f"{settings['dataset']}_class{settings['normal_class']}_seed{settings['seed']}"
        f"_images{settings['max_train_images'] or 'all'}_batch{settings['batch_size']}_e{settings['teacher_epochs']}"
        f"_teacher{settings['teacher_features']}x{settings['teacher_latent']}_extra{settings['extra_layers']}"
        f"_{settings['num_input_channels']}ch_{height}x{width}"
        + ("_bestval" if settings["teacher_weights"] == "best_validation" else "")
    )
    return work / "teachers" / name / "teacher.pt"


def append_details(path: Path, record: dict) -> None:
    with path.open("a") as handle:
        handle.write(json.dumps(record) + "\n")


def load_images(datamodule: OneClassVision, subset: str) -> tuple[torch.Tensor, np.ndarray]:
    """All images of a split as one RGB float tensor in [0, 1], with labels (1 = anomalous)."""
    loader = {
        "train": datamodule.train_dataloader,
        "val": datamodule.val_dataloader,
        "test": datamodule.test_dataloader,
    }
    images, labels = [], []
    for batch in loader[subset]():
        images.append(batch.image)
        labels.append(batch.gt_label)
    return torch.cat(images), torch.cat(labels).numpy().astype(int)


def one_class_split(
    args: argparse.Namespace, dataset: str, normal_class: int, seed: int, max_train_images: int | None
) -> tuple[OneClassVision, tuple[torch.Tensor, np.ndarray], tuple[torch.Tensor, np.ndarray]]:
    """A cell's one-class split: the datamodule, and its validation and test images with labels."""
    datamodule = OneClassVision(
        root=args.root, dataset=dataset, normal_class=normal_class, seed=seed,
        max_train_images=max_train_images, max_test_images=args.max_test_images,
        train_batch_size=args.batch_size, eval_batch_size=512,
    )  # fmt: skip
    datamodule.setup()
    return datamodule, load_images(datamodule, "val"), load_images(datamodule, "test")


@torch.inference_mode()
def gan_scores(model: Pkdgan, images: torch.Tensor, network: str) -> dict[str, np.ndarray]:
    """Raw latent and reconstruction scores of ``network`` ('student' or 'teacher'), per image."""
    model.eval()
    chunks = [model.model.scores(model.pre_processor.transform(c), network)[0] for c in images.split(512)]
    return {str(t.value): torch.cat([c[t] for c in chunks]).numpy() for t in ScoreType}


def standardised_sum(
    val_scores: dict[str, np.ndarray], val_labels: np.ndarray, scores: dict[str, np.ndarray]
) -> np.ndarray:
    """Latent plus reconstruction score, each standardised by its mean and deviation on the normal validation images.

    A candidate score (issue 20), recorded for analysis beside the two the product offers; nothing chooses by it yet.
    """
    normal = val_labels == 0
    return sum(
        (scores[name] - val_scores[name][normal].mean()) / (val_scores[name][normal].std() + 1e-12) for name in scores
    )


@torch.inference_mode()
def ganomaly_scores(model: Ganomaly, images: torch.Tensor) -> np.ndarray:
    """Raw per-image latent distance of Anomalib's Ganomaly (no per-batch min-max normalisation)."""
    model.model.eval()
    return torch.cat([model.model(model.pre_processor.transform(c)).pred_score for c in images.split(512)]).numpy()


class BestEpochTestAUROC(Callback):
    """GANomaly's reference protocol, recorded apart: the best **test** AUROC (latent score) over training epochs.

    The paper's numbers likely follow GANomaly's code, which reports the best test epoch. This is kept in its own,
    clearly named column (``test_auroc_best_epoch``) so readers can see how much of a gap is protocol; nothing is
    ever chosen by it. Given validation images, it also records the test AUROC of the epoch with the best
    **validation** AUROC (``test_auroc_best_val_epoch``): what keeping the best checkpoint by a validation metric
    (Lightning's ``ModelCheckpoint(monitor=...)``) would give, an honest alternative to the last epoch.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: np.ndarray,
        network: str,
        val_images: torch.Tensor | None = None,
        val_labels: np.ndarray | None = None,
    ) -> None:
        self.images, self.labels, self.network = images, labels, network
        self.val_images, self.val_labels = val_images, val_labels
        self.epochs: list[tuple[float | None, float]] = []  # (validation AUROC, test AUROC) after each epoch

    def _auroc(self, pl_module: Pkdgan, images: torch.Tensor, labels: np.ndarray) -> float:
        return float(roc_auc_score(labels, gan_scores(pl_module, images, self.network)["latent"]))

    def on_train_epoch_end(self, trainer: Trainer, pl_module: Pkdgan) -> None:
        training = pl_module.training
        val = None if self.val_images is None else self._auroc(pl_module, self.val_images, self.val_labels)
        self.epochs.append((val, self._auroc(pl_module, self.images, self.labels)))
        pl_module.train(training)

    @property
    def best(self) -> float | None:
        """The best test AUROC over epochs (GANomaly's protocol)."""
        return max((test for _, test in self.epochs), default=None)

    @property
    def at_best_validation(self) -> float | None:
        """The test AUROC of the epoch with the best validation AUROC (the first such epoch)."""
        scored = [(val, test) for val, test in self.epochs if val is not None]
        return max(scored, key=lambda pair: pair[0])[1] if scored else None


def train(
    model: Pkdgan | Ganomaly, datamodule: OneClassVision, work: Path, epochs: int, callbacks: list | None = None
) -> float:
    engine = Engine(
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=work,
        callbacks=callbacks,
    )
    start = time.perf_counter()
    engine.fit(model, datamodule=datamodule)
    return time.perf_counter() - start


def pixels(images: torch.Tensor, size: int = 32) -> np.ndarray:
    """Raw pixels at the GANs' input size, grey, in [0, 1] (the baselines see what the GANs see)."""
    images = torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear", antialias=True)
    return images.mean(1).flatten(1).numpy()


def run_baseline(variant: str, train_x: np.ndarray, val: tuple, test: tuple) -> tuple[float, float, dict]:
    """Test AUROC, fitting seconds (setting chosen on validation) and the record's extra columns of a baseline."""
    start = time.perf_counter()
    model, val_auroc = fit_on_validation(variant, train_x, *val)
    seconds = time.perf_counter() - start
    scoring = time.perf_counter()
    scores = model.scores(test[0])
    extra: dict = {"score_seconds": round(time.perf_counter() - scoring, 4)}
    if isinstance(model, KnnPixels):
        extra["memory_floats"] = model.memory_floats
    else:
        extra.update({"n_components": int(model.pca.n_components_), "val_auroc": val_auroc})
        extra["inference_flops"] = model.inference_flops
    return float(roc_auc_score(test[1], scores)), seconds, extra


def gan_model(
    variant: str,
    sizes: dict,
    epochs: int,
    teacher_path: Path | None,
    joint: int | None = None,
    teacher_weights: str = "last",
) -> Pkdgan:
    """The ``Pkdgan`` of a GAN variant; the variants of :data:`NEEDS_TEACHER` refuse to run without the teacher.

    The teacher trains ``epochs`` and ends with its last weights or those of its best validation (``teacher_weights=
    "best_validation"``, ``Pkdgan(restore_best_teacher=True)``); every student ``epochs + joint``
    (``joint`` defaults to ``epochs``), P-KDGAN's as ``epochs`` frozen and ``joint`` joint.
    """
    joint = epochs if joint is None else joint
    common = {**sizes, "visualizer": False, "evaluator": False}
    if variant in NEEDS_TEACHER and (teacher_path is None or not teacher_path.exists()):
        msg = (
            f"{variant} distils from the benchmark's pre-trained teacher, but {teacher_path} does not exist: "
            "train the teacher variant with the same settings first (run_class does this itself)"
        )
        raise FileNotFoundError(msg)
    if variant == "teacher":
        return epoch_counted_pkdgan(
            **common, teacher_epochs=epochs, frozen_epochs=0, joint_epochs=0,
            restore_best_teacher=teacher_weights == "best_validation",
        )  # fmt: skip
    if variant == "student_alone":
        return epoch_counted_pkdgan(
            **common, teacher_epochs=0, frozen_epochs=epochs + joint, joint_epochs=0,
            w_distill_latent=0.0, w_distill_reconstruction=0.0,
        )  # fmt: skip
    if variant == "kd_frozen":
        return epoch_counted_pkdgan(
            **common, teacher_checkpoint=teacher_path, frozen_epochs=epochs + joint, joint_epochs=0
        )
    if variant == "kd_joint":
        return epoch_counted_pkdgan(**common, teacher_epochs=0, frozen_epochs=0, joint_epochs=epochs + joint)
    return epoch_counted_pkdgan(**common, teacher_checkpoint=teacher_path, frozen_epochs=epochs, joint_epochs=joint)


def variant_order(todo: list[str], teacher_cached: bool) -> list[str]:
    """The order in which to run a cell's variants: the teacher first whenever it runs.

    It runs when asked for, and also (to fill the cache, without a row) when a variant of :data:`NEEDS_TEACHER`
    is asked for and no teacher with the cell's settings is cached.
    """
    others = [variant for variant in todo if variant != "teacher"]
    needed = not teacher_cached and any(variant in NEEDS_TEACHER for variant in todo)
    return ["teacher", *others] if "teacher" in todo or needed else others


def run_class(args: argparse.Namespace, dataset: str, normal_class: int, seed: int, todo: list[str], bar: tqdm) -> None:
    details = args.out / "oneclass_details.jsonl"
    work = args.work / f"{dataset}_{normal_class}_{seed}_e{args.epochs}"
    work.mkdir(parents=True, exist_ok=True)
    datamodule, (val_images, val_labels), (test_images, test_labels) = one_class_split(
        args, dataset, normal_class, seed, args.max_train_images
    )
    sizes = model_sizes(dataset)
    teacher_path = teacher_cache_path(args.work, teacher_settings(args, dataset, normal_class, seed))
    for variant in variant_order(todo, teacher_path.exists()):
        bar.set_description(f"{dataset} class {normal_class} seed {seed} {variant}")
        seed_everything(seed, workers=True)
        record = {"dataset": dataset, "normal_class": normal_class, "variant": variant, "seed": seed}
        record.update({"epochs": args.epochs, "joint_epochs": args.joint_epochs, "test_images": len(test_labels)})
        if variant == "teacher" or variant in NEEDS_TEACHER:
            record["teacher_weights"] = args.teacher_weights
        if variant in BASELINES:
            train_images, _ = load_images(datamodule, "train")
            auroc, seconds, extra = run_baseline(
                variant, pixels(train_images), (pixels(val_images), val_labels), (pixels(test_images), test_labels)
            )
            record.update(extra)
        elif variant == "anomalib_ganomaly":
            model = Ganomaly(
                batch_size=args.batch_size,
                pre_processor=Ganomaly.configure_pre_processor(image_size=(32, 32)),
                visualizer=False,
                evaluator=False,
            )
            seconds = train(model, datamodule, work / variant, args.epochs + args.joint_epochs)
            scoring = time.perf_counter()
            test_scores = ganomaly_scores(model, test_images)
            record["score_seconds"] = round(time.perf_counter() - scoring, 4)
            auroc = float(roc_auc_score(test_labels, test_scores))
            record["val_auroc_latent"] = float(roc_auc_score(val_labels, ganomaly_scores(model, val_images)))
        else:
            model = gan_model(variant, sizes, args.epochs, teacher_path, args.joint_epochs, args.teacher_weights)
            network = "teacher" if variant == "teacher" else "student"
            best_epoch = BestEpochTestAUROC(test_images, test_labels, network, val_images, val_labels)
            seconds = train(model, datamodule, work / variant, model.schedule.total_epochs, [best_epoch])
            record["test_auroc_best_epoch"] = best_epoch.best  # reported apart, never used to choose
            record["test_auroc_best_val_epoch"] = best_epoch.at_best_validation
            if variant == "teacher":  # written whole or not at all: an interrupted save leaves no cached teacher
                teacher_path.parent.mkdir(parents=True, exist_ok=True)
                partial = teacher_path.with_suffix(".partial")
                torch.save(model.model.teacher.state_dict(), partial)
                partial.replace(teacher_path)
            val_scores = gan_scores(model, val_images, network)
            scoring = time.perf_counter()
            test_scores = gan_scores(model, test_images, network)
            record["score_seconds"] = round(time.perf_counter() - scoring, 4)
            auroc = float(roc_auc_score(test_labels, test_scores["latent"]))
            record.update(
                {
                    "val_auroc_latent": float(roc_auc_score(val_labels, val_scores["latent"])),
                    "val_auroc_reconstruction": float(roc_auc_score(val_labels, val_scores["reconstruction"])),
                    "test_auroc_reconstruction": float(roc_auc_score(test_labels, test_scores["reconstruction"])),
                    "val_auroc_combined": float(
                        roc_auc_score(val_labels, standardised_sum(val_scores, val_labels, val_scores))
                    ),
                    "test_auroc_combined": float(
                        roc_auc_score(test_labels, standardised_sum(val_scores, val_labels, test_scores))
                    ),
                    "test_scores_latent": [round(float(s), 6) for s in test_scores["latent"]]
                    if args.keep_scores
                    else None,
                    "test_labels": test_labels.tolist() if args.keep_scores else None,
                }
            )
        record.update({"auroc": auroc, "train_seconds": round(seconds, 2)})
        if variant in todo:
            append_details(details, record)
            ONECLASS.append(args.out, record)
            bar.update(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist", help="comma list of mnist, fashion_mnist, cifar10, digits")
    parser.add_argument("--classes", default="0-9")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--epochs", type=int, default=1, help="E: teacher epochs and P-KDGAN's frozen epochs")
    parser.add_argument("--joint-epochs", type=int, default=None, help="J: P-KDGAN's joint epochs (default E)")
    parser.add_argument("--root", default=os.environ.get("PKDGAN_DATA", "/work/data"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--max-train-images", type=int, default=None)
    parser.add_argument("--max-test-images", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--keep-scores", action="store_true", help="store test scores (for histograms)")
    parser.add_argument(
        "--teacher-weights",
        choices=("best_validation", "last"),
        default=DEFAULT_TEACHER_WEIGHTS,
        help="the teacher ends with the weights of its best validation or its last (as Pkdgan's default does)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run on scikit-learn digits")
    args = parser.parse_args()
    if args.quick:
        args.dataset, args.classes, args.seeds, args.epochs = "digits", "0,1", "0", 1
        args.max_train_images, args.max_test_images, args.batch_size = 48, 120, 16
        args.root = str(args.work / "data")
    args.joint_epochs = args.epochs if args.joint_epochs is None else args.joint_epochs
    variants = args.variants.split(",")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("anomalib").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")

    done = ONECLASS.done(args.out)
    plan = []
    for dataset in args.dataset.split(","):
        for normal_class in parse_list(args.classes):
            for seed in parse_list(args.seeds):
                cell = {"dataset": dataset, "normal_class": normal_class, "seed": seed, "epochs": args.epochs}
                todo = [v for v in variants if ONECLASS.key({**cell, "variant": v}) not in done]
                if todo:
                    plan.append((dataset, normal_class, seed, todo))
    total = sum(len(todo) for *_, todo in plan)
    start = time.perf_counter()
    with tqdm(total=total, unit="cell") as bar:
        for dataset, normal_class, seed, todo in plan:
            run_class(args, dataset, normal_class, seed, todo, bar)
    print(f"{total} cells in {time.perf_counter() - start:.0f} s -> {args.out / 'oneclass.csv'}")


if __name__ == "__main__":
    main()
