# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Inference FLOPs and parameters of teacher and student per data set config, counted by torch's counter.

    python -m benchmarks.accuracy.flops          # writes benchmarks/results/flops.json

FLOPs are those of scoring one image: the generator (G_E, G_D, E) on one 32x32 image, counted with
``torch.utils.flop_counter.FlopCounterMode`` (a multiply-add counts as 2 FLOPs). Parameters are the
generator's (the discriminator and the projection are training-time only). Anomalib's ``Ganomaly`` at its
defaults (64/100, 3 channels, 32x32) is counted the same way, for the accuracy/cost comparison.
"""

import json

import torch
from anomalib.models.image.ganomaly.torch_model import GanomalyModel
from torch.utils.flop_counter import FlopCounterMode

from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel, teacher_width
from benchmarks.common.dataset_configs import CONFIG_OF, PAPER_SHAPE_STUDENT, config_init_args
from benchmarks.common.paths import RESULTS


def count(module: torch.nn.Module, channels: int, size: int = 32) -> tuple[int, int]:
    module.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(torch.zeros(1, channels, size, size))
    return int(counter.get_total_flops()), sum(p.numel() for p in module.parameters())


def student_cost(
    generator: torch.nn.Module, channels: int, teacher_flops: int, block: str, features: int, latent: int
) -> dict:
    """FLOPs, parameters and FLOPs ratio against the teacher of one student generator, with its shape."""
    flops, params = count(generator, channels)
    return {
        "student_flops": flops,
        "student_params": params,
        "flops_ratio": round(teacher_flops / flops, 2),
        "student": {"block": block, "features": features, "latent": latent},
    }


def main() -> None:
    result = {}
    for dataset in CONFIG_OF:
        init = config_init_args(dataset)
        channels = init.get("num_input_channels", 1)
        size = tuple(init.get("input_size", (32, 32)))
        model = PkdganModel(
            size,
            channels,
            teacher_features=teacher_width(size, init.get("teacher_features", "auto")),
            teacher_latent=init.get("teacher_latent", 100),
            student_features=init["student_features"],
            student_latent=init["student_latent"],
            student_block=init.get("student_block", "standard"),
        )
        teacher_flops, teacher_params = count(model.teacher.generator, channels)
        shape = (init.get("student_block", "standard"), init["student_features"], init["student_latent"])
        result[dataset] = {
            "teacher_flops": teacher_flops,
            "teacher_params": teacher_params,
            **student_cost(model.student.generator, channels, teacher_flops, *shape),
        }
        if dataset in PAPER_SHAPE_STUDENT:  # the students of the benchmark's batch-32 grid
            block, features, latent = PAPER_SHAPE_STUDENT[dataset]
            paper = PkdganModel(size, channels, student_features=features, student_latent=latent, student_block=block)
            result[dataset]["paper_shape_student"] = student_cost(
                paper.student.generator, channels, teacher_flops, block, features, latent
            )
    ganomaly = GanomalyModel((32, 32), num_input_channels=3, n_features=64, latent_vec_size=100)
    flops, params = count(ganomaly.generator, 3)
    result["anomalib_ganomaly_32x32"] = {"flops": flops, "params": params}
    out = RESULTS / "flops.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
