# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Two-process DDP training on CPU (gloo): phases and teacher weights identical on every rank."""

import os
import re
import subprocess
import sys
import textwrap

import pytest
import torch

SCRIPT = textwrap.dedent(
    """
    import os
    import sys
    from anomalib.engine import Engine
    from anomalib_pkdgan import OneClassVision, Pkdgan
    from lightning.pytorch import Callback, seed_everything


    class Report(Callback):
        def __init__(self, folder):
            self.folder = folder

        def on_train_epoch_end(self, trainer, pl_module):
            teacher = sum(p.detach().double().sum().item() for p in pl_module.model.teacher.parameters())
            student = sum(p.detach().double().sum().item() for p in pl_module.model.student.parameters())
            with open(f"{self.folder}/rank{trainer.global_rank}.txt", "a") as report:
                report.write(
                    f"EPOCH {trainer.current_epoch} PHASE {pl_module.phase.name} TEACHER_TRAINING "
                    f"{pl_module.model.teacher.training} TEACHER {teacher:.8f} STUDENT {student:.8f}\\n"
                )


    if __name__ == "__main__":
        root, out = sys.argv[1], sys.argv[2]
        os.makedirs(out, exist_ok=True)
        seed_everything(0)
        datamodule = OneClassVision(
            root=root, dataset="digits", normal_class=0, train_batch_size=8, max_train_images=32, max_test_images=32
        )
        model = Pkdgan(
            teacher_features=8, teacher_latent=16, student_features=2, student_latent=4,
            teacher_epochs=1, frozen_epochs=1, joint_epochs=1, min_schedule_steps=0, visualizer=False,
        )
        engine = Engine(
            max_epochs=3, accelerator="cpu", devices=2, strategy="ddp_find_unused_parameters_true",
            logger=False, default_root_dir=out, callbacks=[Report(out)],
        )
        engine.fit(model, datamodule=datamodule)
        if engine.trainer.global_rank == 0:
            print("CHECKPOINT", engine.trainer.checkpoint_callback.best_model_path, flush=True)
    """
)


@pytest.mark.slow
def test_ddp_two_cpu_processes(tmp_path, data_root):
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(script), str(data_root), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    # One report file per rank: two processes printing to one pipe can interleave their lines.
    by_rank = {rank: (tmp_path / "out" / f"rank{rank}.txt").read_text().splitlines() for rank in ("0", "1")}
    assert len(by_rank["0"]) == len(by_rank["1"]) == 3
    assert by_rank["0"] == by_rank["1"]  # same phase, teacher mode and weights on both ranks
    phases = [re.search(r"PHASE (\w+)", line).group(1) for line in by_rank["0"]]
    assert phases == ["TEACHER", "FROZEN", "JOINT"]

    from anomalib_pkdgan import Phase, Pkdgan
    from anomalib_pkdgan._compat import CHECKPOINTS_LOAD_WEIGHTS_ONLY

    checkpoint = re.search(r"CHECKPOINT (\S+)", result.stdout).group(1)
    model = Pkdgan.load_from_checkpoint(checkpoint, weights_only=CHECKPOINTS_LOAD_WEIGHTS_ONLY)
    assert model.phase == Phase.JOINT
    assert model.eval()(torch.rand(2, 3, 32, 32)).pred_score.shape == (2,)
