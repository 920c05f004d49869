# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Peak resident memory and time of each P-KDGAN training phase on a 32x32 one-class MNIST split.

    python -m benchmarks.speed.memory_phases --root /work/data --max-train-images 2000

Writes ``benchmarks/results/memory.json``: per phase, the peak RSS sampled after every training batch, the
number of tensors held in optimizer state, whether the teacher holds gradients, and the epoch time. Each phase
lasts exactly one epoch (``min_schedule_steps=0``).
"""

import argparse
import json
import time
from pathlib import Path

import psutil
import torch
from anomalib.engine import Engine
from lightning.pytorch import Callback, seed_everything

from anomalib_pkdgan import OneClassVision
from benchmarks.accuracy.one_class_benchmark import epoch_counted_pkdgan
from benchmarks.common.paths import RESULTS


class PhaseMemory(Callback):
    """Record the largest RSS seen during each phase, and what the optimizers and teacher hold."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.phases: dict[str, dict] = {}

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        entry = self.phases.setdefault(pl_module.phase.name, {"peak_rss_mb": 0.0})
        entry["peak_rss_mb"] = max(entry["peak_rss_mb"], self.process.memory_info().rss / 2**20)
        entry["teacher_optimizer_state_tensors"] = sum(
            torch.is_tensor(v) for opt in trainer.optimizers[:2] for s in opt.state.values() for v in s.values()
        )
        entry["student_optimizer_state_tensors"] = sum(
            torch.is_tensor(v) for opt in trainer.optimizers[2:] for s in opt.state.values() for v in s.values()
        )
        entry["teacher_holds_gradients"] = any(p.grad is not None for p in pl_module.model.teacher.parameters())

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.phases[pl_module.phase.name]["epoch_seconds"] = round(time.perf_counter() - self._start, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/work/data")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--normal-class", type=int, default=0)
    parser.add_argument("--max-train-images", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=RESULTS / "memory.json")
    args = parser.parse_args()

    seed_everything(0)
    datamodule = OneClassVision(
        root=args.root,
        dataset=args.dataset,
        normal_class=args.normal_class,
        max_train_images=args.max_train_images,
        max_test_images=1000,
    )
    model = epoch_counted_pkdgan(teacher_epochs=1, frozen_epochs=1, joint_epochs=1, visualizer=False)
    recorder = PhaseMemory()
    engine = Engine(
        max_epochs=3, accelerator="cpu", logger=False, callbacks=[recorder], default_root_dir="benchmarks/work"
    )
    engine.fit(model, datamodule=datamodule)
    result = {
        "dataset": args.dataset,
        "normal_class": args.normal_class,
        "train_images": len(datamodule.train_data),
        "batch_size": datamodule.train_batch_size,
        "input_size": [32, 32],
        "phases": recorder.phases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
