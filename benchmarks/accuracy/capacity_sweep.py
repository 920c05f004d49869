# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""How much of the student's gap to the pixel baselines is capacity, and how much is training data.

Trains the ``pkdgan`` variant of ``one_class_benchmark.py`` (frozen teacher ``E`` epochs, then joint ``E``
epochs, same split, seed and cached teacher) once per student size ``features:latent`` and per number of
training images, and writes one row per cell to ``capacity_sweep.csv``: the student's inference FLOPs and
compression ratio, the **validation** AUROC of both scores (what a size would be chosen by), and the test
AUROCs, recorded to report what a choice does (``test_auroc_auto`` is the test AUROC of the score with the
higher validation AUROC, as ``score_type="auto"`` picks it). A cell is a data set, class, seed, ``--epochs``,
training-image cap, batch size, choice of weights and student design and size (``cells.CAPACITY``; ``--block
separable`` builds depthwise-separable students, ``--block dense`` fully connected ones; ``--weights last`` scores
the last weights instead of those of the best validation; ``--student-lr`` sets the students' learning rate);
finished cells are skipped, so an interrupted run loses
nothing. The teachers come from the benchmark's cache under ``--work`` (keyed by data set, class, seed,
``--max-train-images``, ``--batch-size``, ``--epochs`` and the teacher's size, whatever the students'
``--train-images``); a missing one is trained as ``one_class_benchmark.py`` trains it.

    python -m benchmarks.accuracy.capacity_sweep --dataset mnist --classes 2,4 --students 3:16,8:32,16:64 \
        --train-images 2000 --epochs 3 --batch-size 32
    python -m benchmarks.accuracy.capacity_sweep --quick --students 2:4,4:8 --out /tmp/capacity  # CI smoke test
"""

import torch

from anomalib_pkdgan import Pkdgan, ScoreType
from anomalib_pkdgan.models.pkdgan.callbacks.validation_scores import best_score_type, score_aurocs
from anomalib_pkdgan.models.pkdgan.components.student_design import STUDENT_BLOCKS
from benchmarks.accuracy.flops import count
from benchmarks.accuracy.one_class_benchmark import (
    BestEpochTestAUROC,
    epoch_counted_pkdgan,
    gan_scores,
    model_sizes,
    parse_list,
    train,
)
from benchmarks.accuracy.sweeps import SweepSplit, pairs, prepare, run_sweep, sweep_parser
from benchmarks.common.cells import CAPACITY

WEIGHTS = ("best_validation", "last")
"""Which weights a run is scored with (``Pkdgan(restore_best_validation=...)``)."""


def aurocs(model: Pkdgan, images: torch.Tensor, labels) -> dict[ScoreType, float]:
    scores = {ScoreType(k): torch.from_numpy(v) for k, v in gan_scores(model, images, "student").items()}
    return score_aurocs(scores, torch.as_tensor(labels))


def main() -> None:
    parser = sweep_parser(__doc__.splitlines()[0], classes="2")
    parser.add_argument("--students", type=pairs(int), default="3:16,8:32,16:64", help="comma list of features:latent")
    parser.add_argument("--block", choices=STUDENT_BLOCKS, default="standard", help="the students' design")
    parser.add_argument(
        "--weights",
        choices=WEIGHTS,
        default="best_validation",
        help="the weights scored: those of the best validation (restore_best_validation, the default) or the last",
    )
    parser.add_argument("--student-lr", type=float, default=2e-4, help="the students' Adam learning rate")
    parser.add_argument(
        "--train-images",
        default=None,
        help="comma list of the students' training-image caps (0: all; default: the teacher's --max-train-images)",
    )
    args = parser.parse_args()
    prepare(args)
    design = {
        "batch_size": args.batch_size, "weights": args.weights, "student_lr": args.student_lr,
        "student_block": args.block,
    }  # fmt: skip

    def cells_of(split: dict) -> list[dict]:
        return [{**split, **design, "student_features": f, "student_latent": z} for f, z in args.students]

    def measure(cell: dict, data: SweepSplit) -> dict:
        features, latent = cell["student_features"], cell["student_latent"]
        sizes = {
            **model_sizes(cell["dataset"]), "student_features": features, "student_latent": latent,
            "student_block": args.block, "student_lr": args.student_lr,
        }  # fmt: skip
        model = epoch_counted_pkdgan(
            **sizes, visualizer=False, evaluator=False,
            restore_best_validation=args.weights == "best_validation",
            teacher_checkpoint=data.teacher,
            frozen_epochs=args.epochs, joint_epochs=args.epochs,
        )  # fmt: skip
        split = (cell[k] for k in ("dataset", "normal_class", "seed", "epochs", "train_images"))
        work = args.work / f"capacity_{'_'.join(map(str, split))}_{args.block}_{features}_{latent}"
        best_epoch = BestEpochTestAUROC(data.test_images, data.test_labels, "student")
        seconds = train(model, data.datamodule, work, model.schedule.total_epochs, [best_epoch])
        val = aurocs(model, data.val_images, data.val_labels)
        test = aurocs(model, data.test_images, data.test_labels)
        channels = sizes.get("num_input_channels", 1)
        teacher_flops, _ = count(model.model.teacher.generator, channels)
        student_flops, _ = count(model.model.student.generator, channels)
        return {
            **cell,
            "student_flops": student_flops,
            "flops_ratio": round(teacher_flops / student_flops, 1),
            "val_auroc_latent": round(val[ScoreType.LATENT], 6),
            "val_auroc_reconstruction": round(val[ScoreType.RECONSTRUCTION], 6),
            "test_auroc_latent": round(test[ScoreType.LATENT], 6),
            "test_auroc_reconstruction": round(test[ScoreType.RECONSTRUCTION], 6),
            "test_auroc_auto": round(test[best_score_type(val)], 6),
            "test_auroc_best_epoch": round(best_epoch.best, 6),  # GANomaly's protocol, apart
            "train_seconds": round(seconds, 1),
        }

    train_images = parse_list(args.train_images) if args.train_images else [args.max_train_images]
    run_sweep(args, CAPACITY, cells_of, measure, train_images)


if __name__ == "__main__":
    main()
