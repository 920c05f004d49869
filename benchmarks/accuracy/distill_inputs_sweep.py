# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What the distillation carries: P-KDGAN with distillation on inputs beyond the normal set, chosen on validation.

Trains, on the benchmark's split and with its cached teacher, the student alone (``alone``: no distillation,
``2E`` epochs) and P-KDGAN (frozen ``E`` epochs, then joint ``E``) once per setting ``INPUTS[:W_SCORE]``:
``distill_inputs`` (``normal``, ``mixup``, ``cutpaste``, ``noise``, ``generated``) and the weight of the
anomaly-vector term ``w_distill_score`` (default 0). One row per cell in ``distill_inputs.csv``: validation
AUROC of both scores (what a setting is chosen by) and their test AUROC (recorded to report what the choice
did). Finished cells are skipped, so an interrupted run resumes.

    python -m benchmarks.accuracy.distill_inputs_sweep --dataset mnist,fashion_mnist --classes 2,8 --seeds 0 \
        --settings alone,normal,mixup,cutpaste,noise,generated,normal:1 --batch-size 8 \
        --out benchmarks/results/distill_inputs
    python -m benchmarks.accuracy.distill_inputs_sweep --quick --settings alone,cutpaste:1 --out /tmp/inputs  # smoke
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
from benchmarks.accuracy.sweeps import ensure_teacher, prepare, sweep_parser
from benchmarks.common.cells import DISTILL_INPUTS as INPUTS


def model_for(setting: str, sizes: dict, epochs: int, teacher: object) -> object:
    common = {**sizes, "visualizer": False, "evaluator": False}
    if setting == "alone":
        return epoch_counted_pkdgan(
            **common, teacher_epochs=0, frozen_epochs=2 * epochs, joint_epochs=0,
            w_distill_latent=0.0, w_distill_reconstruction=0.0,
        )  # fmt: skip
    inputs, _, w_score = setting.partition(":")
    return epoch_counted_pkdgan(
        **common, teacher_checkpoint=teacher, frozen_epochs=epochs, joint_epochs=epochs,
        distill_inputs=inputs, w_distill_score=float(w_score or 0),
    )  # fmt: skip


def main() -> None:
    parser = sweep_parser(__doc__.splitlines()[0], classes="2,8")
    parser.add_argument("--settings", default="alone,normal,mixup,cutpaste,noise,generated")
    args = parser.parse_args()
    prepare(args)
    done = INPUTS.done(args.out)
    for dataset in args.dataset.split(","):
        for normal_class in parse_list(args.classes):
            for seed in parse_list(args.seeds):
                split = {"dataset": dataset, "normal_class": normal_class, "seed": seed, "epochs": args.epochs}
                cells = [{**split, "batch_size": args.batch_size, "setting": s} for s in args.settings.split(",")]
                todo = [cell for cell in cells if INPUTS.key(cell) not in done]
                if not todo:
                    continue
                teacher = ensure_teacher(args, dataset, normal_class, seed)
                datamodule, (val_images, val_labels), (test_images, test_labels) = one_class_split(
                    args, dataset, normal_class, seed, args.max_train_images
                )
                for cell in todo:
                    seed_everything(seed, workers=True)
                    model = model_for(cell["setting"], model_sizes(dataset), args.epochs, teacher)
                    work = args.work / f"inputs_{dataset}_{normal_class}_{seed}_{cell['setting'].replace(':', '_')}"
                    seconds = train(model, datamodule, work, model.schedule.total_epochs)
                    val = gan_scores(model, val_images, "student")
                    test = gan_scores(model, test_images, "student")
                    row = {**cell, "train_seconds": round(seconds, 1)}
                    for score in ("latent", "reconstruction"):
                        row[f"val_auroc_{score}"] = round(roc_auc_score(val_labels, val[score]), 6)
                        row[f"test_auroc_{score}"] = round(roc_auc_score(test_labels, test[score]), 6)
                    INPUTS.append(args.out, row)
                    print(row, flush=True)


if __name__ == "__main__":
    main()
