# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Choose P-KDGAN's distillation weights on validation data (never on test).

Trains the ``pkdgan`` variant of ``one_class_benchmark.py`` (frozen teacher ``E`` epochs, then joint ``E``
epochs, same split, seed and cached teacher) once per ``(w_distill_latent, w_distill_reconstruction)``
setting and writes one row per cell to ``distill_sweep.csv``: the **validation** AUROC, which is what a
setting is chosen by, and the test AUROC, recorded only to report what the choice did. Finished cells are
skipped, so an interrupted run loses nothing. The teacher checkpoints come from ``one_class_benchmark.py``
runs with the same ``--epochs``/``--work`` (it trains the teacher when one is missing).

    python benchmarks/distill_weight_sweep.py --dataset mnist,fashion_mnist --classes 0,6 \
        --settings 0.1:50,0:50,1:5 --epochs 3 --batch-size 32 --max-train-images 2000
    python benchmarks/distill_weight_sweep.py --quick --settings 0.1:50,0:50 --out /tmp/sweep  # CI smoke test
"""

import argparse
import csv
import logging
import os
import warnings
from pathlib import Path

from lightning.pytorch import seed_everything
from sklearn.metrics import roc_auc_score

from anomalib_pkdgan import OneClassVision, Pkdgan
from one_class_benchmark import HERE, gan_scores, load_images, model_sizes, parse_list, run_class, train

COLUMNS = (
    "dataset", "normal_class", "seed", "epochs", "w_distill_latent", "w_distill_reconstruction",
    "val_auroc", "test_auroc", "train_seconds",
)  # fmt: skip


def done_cells(path: Path) -> set[tuple]:
    if not path.exists():
        return set()
    with path.open() as handle:
        return {
            (r["dataset"], int(r["normal_class"]), int(r["seed"]), float(r["w_distill_latent"]),
             float(r["w_distill_reconstruction"]))
            for r in csv.DictReader(handle)
        }  # fmt: skip


def append_row(path: Path, row: dict, columns: tuple[str, ...] = COLUMNS) -> None:
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        if new:
            writer.writeheader()
        writer.writerow(row)
        handle.flush()
        os.fsync(handle.fileno())


def ensure_teacher(args: argparse.Namespace, dataset: str, normal_class: int, seed: int) -> Path:
    """The benchmark's cached teacher of this cell, trained by the benchmark if it is missing."""
    path = args.work / f"{dataset}_{normal_class}_{seed}_e{args.epochs}" / "teacher.pt"
    if not path.exists():
        bench = argparse.Namespace(**{**vars(args), "out": args.work / "sweep_teachers", "keep_scores": False})
        bench.out.mkdir(parents=True, exist_ok=True)
        run_class(bench, dataset, normal_class, seed, ["teacher"], _NoBar())
    return path


class _NoBar:
    def set_description(self, _: str) -> None: ...

    def update(self, _: int) -> None: ...


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist,fashion_mnist")
    parser.add_argument("--classes", default="0,6")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--settings", default="1:50,0.1:50,0:50,1:5", help="comma list of w_latent:w_reconstruction")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--root", default=os.environ.get("PKDGAN_DATA", "/work/data"))
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--max-train-images", type=int, default=2000)
    parser.add_argument("--max-test-images", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run on scikit-learn digits")
    args = parser.parse_args()
    if args.quick:
        args.dataset, args.classes, args.seeds, args.epochs = "digits", "0", "0", 1
        args.max_train_images, args.max_test_images, args.batch_size = 48, 120, 16
        args.root = str(args.work / "data")
    settings = [tuple(float(v) for v in s.split(":")) for s in args.settings.split(",")]
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("anomalib").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "distill_sweep.csv"
    done = done_cells(out)
    for dataset in args.dataset.split(","):
        for normal_class in parse_list(args.classes):
            for seed in parse_list(args.seeds):
                todo = [s for s in settings if (dataset, normal_class, seed, *s) not in done]
                if not todo:
                    continue
                teacher = ensure_teacher(args, dataset, normal_class, seed)
                datamodule = OneClassVision(
                    root=args.root, dataset=dataset, normal_class=normal_class, seed=seed,
                    max_train_images=args.max_train_images, max_test_images=args.max_test_images,
                    train_batch_size=args.batch_size, eval_batch_size=512,
                )  # fmt: skip
                datamodule.setup()
                val_images, val_labels = load_images(datamodule, "val")
                test_images, test_labels = load_images(datamodule, "test")
                for w_latent, w_recon in todo:
                    seed_everything(seed, workers=True)
                    model = Pkdgan(
                        **model_sizes(dataset), visualizer=False, evaluator=False, teacher_checkpoint=teacher,
                        frozen_epochs=args.epochs, joint_epochs=args.epochs,
                        w_distill_latent=w_latent, w_distill_reconstruction=w_recon,
                    )  # fmt: skip
                    work = args.work / f"sweep_{dataset}_{normal_class}_{seed}_{w_latent:g}_{w_recon:g}"
                    seconds = train(model, datamodule, work, model.schedule.total_epochs)
                    val = roc_auc_score(val_labels, gan_scores(model, val_images, "student")["latent"])
                    test = roc_auc_score(test_labels, gan_scores(model, test_images, "student")["latent"])
                    cell = (dataset, normal_class, seed, args.epochs, w_latent, w_recon)
                    row = dict(zip(COLUMNS[: len(cell)], cell, strict=True))
                    row.update(val_auroc=round(val, 6), test_auroc=round(test, 6), train_seconds=round(seconds, 1))
                    append_row(out, row)
                    print(row, flush=True)


if __name__ == "__main__":
    main()
