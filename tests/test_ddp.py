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
    import sys
    from anomalib.engine import Engine
    from anomalib_pkdgan import OneClassVision, Pkdgan
    from lightning.pytorch import Callback, seed_everything


    class Report(Callback):
        def on_train_epoch_end(self, trainer, pl_module):
            teacher = sum(p.detach().double().sum().item() for p in pl_module.model.teacher.parameters())
            student = sum(p.detach().double().sum().item() for p in pl_module.model.student.parameters())
            print(
                f"RANK {trainer.global_rank} EPOCH {trainer.current_epoch} PHASE {pl_module.phase.name} "
                f"TEACHER_TRAINING {pl_module.model.teacher.training} TEACHER {teacher:.8f} STUDENT {student:.8f}",
                flush=True,
            )


    if __name__ == "__main__":
        root, out = sys.argv[1], sys.argv[2]
        seed_everything(0)
        datamodule = OneClassVision(
            root=root, dataset="digits", normal_class=0, train_batch_size=8, max_train_images=32, max_test_images=32
        )
        model = Pkdgan(
            teacher_features=8, teacher_latent=16, student_features=2, student_latent=4,
            teacher_epochs=1, frozen_epochs=1, joint_epochs=1, visualizer=False,
        )
        engine = Engine(
            max_epochs=3, accelerator="cpu", devices=2, strategy="ddp_find_unused_parameters_true",
            logger=False, default_root_dir=out, callbacks=[Report()],
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
    reports = re.findall(r"RANK (\d) EPOCH (\d) (.*)", result.stdout)
    by_rank = {rank: [(epoch, rest) for r, epoch, rest in reports if r == rank] for rank in ("0", "1")}
    assert len(by_rank["0"]) == len(by_rank["1"]) == 3
    assert by_rank["0"] == by_rank["1"]  # same phase, teacher mode and weights on both ranks
    phases = [re.search(r"PHASE (\w+)", rest).group(1) for _, rest in by_rank["0"]]
    assert phases == ["TEACHER", "FROZEN", "JOINT"]

    from anomalib_pkdgan import Phase, Pkdgan

    checkpoint = re.search(r"CHECKPOINT (\S+)", result.stdout).group(1)
    model = Pkdgan.load_from_checkpoint(checkpoint)
    assert model.phase == Phase.JOINT
    assert model.eval()(torch.rand(2, 3, 32, 32)).pred_score.shape == (2,)
