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

from lightning.pytorch import seed_everything
from sklearn.metrics import roc_auc_score

from anomalib_pkdgan import Pkdgan
from one_class_benchmark import append_row, done_cells, gan_scores, model_sizes, one_class_split, parse_list, train
from sweep_common import ensure_teacher, pairs, prepare, sweep_parser

COLUMNS = (
    "dataset", "normal_class", "seed", "epochs", "w_distill_latent", "w_distill_reconstruction",
    "val_auroc", "test_auroc", "train_seconds",
)  # fmt: skip


def cell_key(r: dict) -> tuple:
    return (
        r["dataset"], int(r["normal_class"]), int(r["seed"]), float(r["w_distill_latent"]),
        float(r["w_distill_reconstruction"]),
    )  # fmt: skip


def main() -> None:
    parser = sweep_parser(__doc__.splitlines()[0], classes="0,6")
    parser.add_argument(
        "--settings", type=pairs(float), default="1:50,0.1:50,0:50,1:5", help="comma list of w_latent:w_reconstruction"
    )
    args = parser.parse_args()
    prepare(args)
    out = args.out / "distill_sweep.csv"
    done = done_cells(out, cell_key)
    for dataset in args.dataset.split(","):
        for normal_class in parse_list(args.classes):
            for seed in parse_list(args.seeds):
                todo = [s for s in args.settings if (dataset, normal_class, seed, *s) not in done]
                if not todo:
                    continue
                teacher = ensure_teacher(args, dataset, normal_class, seed)
                datamodule, (val_images, val_labels), (test_images, test_labels) = one_class_split(
                    args, dataset, normal_class, seed, args.max_train_images
                )
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
                    append_row(out, row, COLUMNS)
                    print(row, flush=True)


if __name__ == "__main__":
    main()
