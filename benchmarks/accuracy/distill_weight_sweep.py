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

from sklearn.metrics import roc_auc_score

from benchmarks.accuracy.one_class_benchmark import epoch_counted_pkdgan, gan_scores, model_sizes, train
from benchmarks.accuracy.sweeps import SweepSplit, pairs, prepare, run_sweep, sweep_parser
from benchmarks.common.cells import DISTILL


def main() -> None:
    parser = sweep_parser(__doc__.splitlines()[0], classes="0,6")
    parser.add_argument(
        "--settings", type=pairs(float), default="1:50,0.1:50,0:50,1:5", help="comma list of w_latent:w_reconstruction"
    )
    parser.add_argument("--hints", default="0", help="comma list of w_distill_hint (FitNets-style hints)")
    args = parser.parse_args()
    prepare(args)

    def cells_of(split: dict) -> list[dict]:
        return [
            {**split, "w_distill_latent": w_latent, "w_distill_reconstruction": w_recon, "w_distill_hint": hint}
            for w_latent, w_recon in args.settings
            for hint in map(float, args.hints.split(","))
        ]

    def measure(cell: dict, data: SweepSplit) -> dict:
        w_latent, w_recon, hint = (cell[f"w_distill_{w}"] for w in ("latent", "reconstruction", "hint"))
        model = epoch_counted_pkdgan(
            **model_sizes(cell["dataset"]), visualizer=False, evaluator=False, teacher_checkpoint=data.teacher,
            frozen_epochs=args.epochs, joint_epochs=args.epochs,
            w_distill_latent=w_latent, w_distill_reconstruction=w_recon, w_distill_hint=hint,
        )  # fmt: skip
        weights = f"{w_latent:g}_{w_recon:g}" + (f"_hint{hint:g}" if hint else "")
        name = "_".join(str(cell[k]) for k in ("dataset", "normal_class", "seed"))
        work = args.work / f"sweep_{name}_e{args.epochs}_{weights}"
        seconds = train(model, data.datamodule, work, model.schedule.total_epochs)
        val = roc_auc_score(data.val_labels, gan_scores(model, data.val_images, "student")["latent"])
        test = roc_auc_score(data.test_labels, gan_scores(model, data.test_images, "student")["latent"])
        return {**cell, "val_auroc": round(val, 6), "test_auroc": round(test, 6), "train_seconds": round(seconds, 1)}

    run_sweep(args, DISTILL, cells_of, measure)


if __name__ == "__main__":
    main()
