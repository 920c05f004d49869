# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Choose P-KDGAN's distillation weights on validation data (never on test).

Trains the ``pkdgan`` variant of ``one_class_benchmark.py`` (frozen teacher ``E`` epochs, then joint ``E``
epochs, same split, seed and cached teacher) once per ``(w_distill_latent, w_distill_reconstruction)``
setting, and per FitNets-style hint weight ``w_distill_hint`` (``--hints``), and writes one row per cell to
``distill_sweep.csv``: the **validation** AUROC, which is what a
setting is chosen by, and the test AUROC, recorded only to report what the choice did. A cell is a data set,
class, seed, ``--epochs`` and set of weights (``cells.DISTILL``); finished cells are skipped, so an interrupted
run loses nothing, and a run with other epochs adds its own rows. The teachers come from the benchmark's cache
under ``--work`` (keyed by data set, class, seed, ``--max-train-images``, ``--batch-size``, ``--epochs`` and the
teacher's size); a missing one is trained as ``one_class_benchmark.py`` trains it.

    python -m benchmarks.accuracy.distill_weight_sweep --dataset mnist,fashion_mnist --classes 0,6 \
        --settings 0.1:50,0:50,1:5 --hints 0,1 --epochs 3 --batch-size 32 --max-train-images 2000
    python -m benchmarks.accuracy.distill_weight_sweep --quick --settings 0.1:50,0:50 --out /tmp/sweep  # CI smoke test
"""

from lightning.pytorch import seed_everything
from sklearn.metrics import roc_auc_score

from benchmarks.accuracy.one_class_benchmark import (
    epoch_counted_pkdgan,
    gan_scores,
    model_sizes,
    one_class_split,
    parse_list,
    train,
)
from benchmarks.accuracy.sweeps import ensure_teacher, pairs, prepare, sweep_parser
from benchmarks.common.cells import DISTILL


def main() -> None:
    parser = sweep_parser(__doc__.splitlines()[0], classes="0,6")
    parser.add_argument(
        "--settings", type=pairs(float), default="1:50,0.1:50,0:50,1:5", help="comma list of w_latent:w_reconstruction"
    )
    parser.add_argument("--hints", default="0", help="comma list of w_distill_hint (FitNets-style hints)")
    args = parser.parse_args()
    prepare(args)
    done = DISTILL.done(args.out)
    for dataset in args.dataset.split(","):
        for normal_class in parse_list(args.classes):
            for seed in parse_list(args.seeds):
                split = {"dataset": dataset, "normal_class": normal_class, "seed": seed, "epochs": args.epochs}
                cells = [
                    {**split, "w_distill_latent": w_latent, "w_distill_reconstruction": w_recon, "w_distill_hint": hint}
                    for w_latent, w_recon in args.settings
                    for hint in map(float, args.hints.split(","))
                ]
                todo = [cell for cell in cells if DISTILL.key(cell) not in done]
                if not todo:
                    continue
                teacher = ensure_teacher(args, dataset, normal_class, seed)
                datamodule, (val_images, val_labels), (test_images, test_labels) = one_class_split(
                    args, dataset, normal_class, seed, args.max_train_images
                )
                for cell in todo:
                    w_latent, w_recon, hint = (cell[f"w_distill_{w}"] for w in ("latent", "reconstruction", "hint"))
                    seed_everything(seed, workers=True)
                    model = epoch_counted_pkdgan(
                        **model_sizes(dataset), visualizer=False, evaluator=False, teacher_checkpoint=teacher,
                        frozen_epochs=args.epochs, joint_epochs=args.epochs,
                        w_distill_latent=w_latent, w_distill_reconstruction=w_recon, w_distill_hint=hint,
                    )  # fmt: skip
                    weights = f"{w_latent:g}_{w_recon:g}" + (f"_hint{hint:g}" if hint else "")
                    work = args.work / f"sweep_{dataset}_{normal_class}_{seed}_e{args.epochs}_{weights}"
                    seconds = train(model, datamodule, work, model.schedule.total_epochs)
                    val = roc_auc_score(val_labels, gan_scores(model, val_images, "student")["latent"])
                    test = roc_auc_score(test_labels, gan_scores(model, test_images, "student")["latent"])
                    row = {**cell, "val_auroc": round(val, 6), "test_auroc": round(test, 6)}
                    row["train_seconds"] = round(seconds, 1)
                    DISTILL.append(args.out, row)
                    print(row, flush=True)


if __name__ == "__main__":
    main()
