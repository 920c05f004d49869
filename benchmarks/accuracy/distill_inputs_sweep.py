# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What the distillation carries: P-KDGAN with distillation on inputs beyond the normal set, chosen on validation.

Trains, on the benchmark's split and with its cached teacher, the student alone (``alone``: no distillation,
``E + J`` epochs) and P-KDGAN (frozen ``E`` epochs, then joint ``J``; ``--joint-epochs``, default ``E``) once per
setting ``INPUTS[:W_SCORE]``:
``distill_inputs`` (``normal``, ``mixup``, ``cutpaste``, ``noise``, ``generated``) and the weight of the
anomaly-vector term ``w_distill_score`` (default 0). One row per cell in ``distill_inputs.csv``: validation
AUROC of both scores (what a setting is chosen by) and their test AUROC (recorded to report what the choice
did). Finished cells are skipped, so an interrupted run resumes.

    python -m benchmarks.accuracy.distill_inputs_sweep --dataset mnist,fashion_mnist --classes 2,8 --seeds 0 \
        --settings alone,normal,mixup,cutpaste,noise,generated,normal:1 --batch-size 8 \
        --out benchmarks/results/distill_inputs
    python -m benchmarks.accuracy.distill_inputs_sweep --dataset fashion_mnist --classes 6 --settings normal:1 \
        --epochs 15 --joint-epochs 5 --batch-size 64 --max-train-images all \
        --out benchmarks/results/distill_inputs_paper
    python -m benchmarks.accuracy.distill_inputs_sweep --quick --settings alone,cutpaste:1 --out /tmp/inputs  # smoke
"""

from sklearn.metrics import roc_auc_score

from benchmarks.accuracy.one_class_benchmark import epoch_counted_pkdgan, gan_scores, model_sizes, train
from benchmarks.accuracy.sweeps import SweepSplit, prepare, run_sweep, sweep_parser
from benchmarks.common.cells import DISTILL_INPUTS as INPUTS


def model_for(setting: str, sizes: dict, epochs: int, joint: int, teacher: object) -> object:
    common = {**sizes, "visualizer": False, "evaluator": False}
    if setting == "alone":
        return epoch_counted_pkdgan(
            **common, teacher_epochs=0, frozen_epochs=epochs + joint, joint_epochs=0,
            w_distill_latent=0.0, w_distill_reconstruction=0.0,
        )  # fmt: skip
    inputs, _, w_score = setting.partition(":")
    return epoch_counted_pkdgan(
        **common, teacher_checkpoint=teacher, frozen_epochs=epochs, joint_epochs=joint,
        distill_inputs=inputs, w_distill_score=float(w_score or 0),
    )  # fmt: skip


def main() -> None:
    parser = sweep_parser(__doc__.splitlines()[0], classes="2,8")
    parser.add_argument("--settings", default="alone,normal,mixup,cutpaste,noise,generated")
    parser.add_argument("--joint-epochs", type=int, default=None, help="J: P-KDGAN's joint epochs (default E)")
    args = parser.parse_args()
    prepare(args)

    def cells_of(split: dict) -> list[dict]:
        cell = {**split, "batch_size": args.batch_size, "joint_epochs": args.joint_epochs}
        return [{**cell, "setting": s} for s in args.settings.split(",")]

    def measure(cell: dict, data: SweepSplit) -> dict:
        joint = args.epochs if args.joint_epochs is None else args.joint_epochs
        model = model_for(cell["setting"], model_sizes(cell["dataset"]), args.epochs, joint, data.teacher)
        name = "_".join(str(cell[k]) for k in ("dataset", "normal_class", "seed", "setting")).replace(":", "_")
        seconds = train(model, data.datamodule, args.work / f"inputs_{name}", model.schedule.total_epochs)
        val = gan_scores(model, data.val_images, "student")
        test = gan_scores(model, data.test_images, "student")
        row = {**cell, "train_seconds": round(seconds, 1)}
        for score in ("latent", "reconstruction"):
            row[f"val_auroc_{score}"] = round(roc_auc_score(data.val_labels, val[score]), 6)
            row[f"test_auroc_{score}"] = round(roc_auc_score(data.test_labels, test[score]), 6)
        return row

    run_sweep(args, INPUTS, cells_of, measure)


if __name__ == "__main__":
    main()
