# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Accuracy, fidelity, size and speed of every OpenVINO compression Anomalib offers, on one benchmark cell.

    python -m benchmarks.speed.export_compression

Trains P-KDGAN on one-class MNIST, normal class 2 (2000 training images, seed 0), with the model arguments of
``configs/mnist.yaml`` on a short schedule (teacher/frozen/joint 3/3/1 epochs exactly: ``min_schedule_steps=0``;
train batch 8) through Anomalib's ``Engine``, and keeps its checkpoint under ``--work`` (a later run reloads it).
Exports the student through ``Engine.export`` as OpenVINO FP32 and with each of Anomalib's compressions: FP16
(weights stored in float16), INT8 (NNCF weight compression), INT8_PTQ (NNCF post-training quantisation of weights
and activations, calibrated by Anomalib on the validation split) and INT8_ACQ (the same with NNCF's accuracy
control, which Anomalib validates with image F1 on the test split). Each export is loaded in Anomalib's
``OpenVINOInferencer`` (with :data:`anomalib_pkdgan.OPENVINO_FP32_CONFIG`) and scores the whole MNIST test set.

One row per compression goes to ``--out`` (``benchmarks/results/export_compression.csv``) as soon as it is done;
compressions already in the file are skipped. Columns:

* ``image_auroc``: test image AUROC of the inferencer's ``pred_score`` (the normalised score users get);
* ``auroc_change_vs_fp32``: ``image_auroc`` minus the FP32 export's;
* ``max_abs_score_diff_vs_pytorch``: largest |``pred_score`` - the Lightning model's| over the test set;
* ``label_agreement_vs_pytorch``: share of test images whose ``pred_label`` equals the Lightning model's;
* ``model_size_bytes``: the IR on disk (``model.xml`` + ``model.bin``);
* ``images_per_s_batch1``: ``OpenVINOInferencer.predict`` on one preloaded image at a time (after a warm-up),
  Anomalib's pre- and post-processing included; on a shared machine, compare rows of one run only.
"""

import argparse
import csv
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from anomalib.data.utils import read_image
from anomalib.deploy import CompressionType, ExportType, OpenVINOInferencer
from anomalib.engine import Engine
from lightning.pytorch import seed_everything
from sklearn.metrics import roc_auc_score

from anomalib_pkdgan import OPENVINO_FP32_CONFIG, OneClassVision, Pkdgan
from benchmarks.common.paths import RESULTS, WORK

COMPRESSIONS = {
    "FP32": None,
    "FP16": CompressionType.FP16,
    "INT8": CompressionType.INT8,
    "INT8_PTQ": CompressionType.INT8_PTQ,
    "INT8_ACQ": CompressionType.INT8_ACQ,
}
CALIBRATED = {CompressionType.INT8_PTQ, CompressionType.INT8_ACQ}
COLUMNS = [
    "compression",
    "test_images",
    "image_auroc",
    "auroc_change_vs_fp32",
    "max_abs_score_diff_vs_pytorch",
    "label_agreement_vs_pytorch",
    "model_size_bytes",
    "images_per_s_batch1",
]
# configs/mnist.yaml's model arguments, with the short schedule of this benchmark.
MODEL_ARGS = {
    "input_size": (32, 32),
    "num_input_channels": 1,
    "student_features": 3,
    "student_latent": 16,
    "student_lr": 0.001,
    "teacher_epochs": 3,
    "frozen_epochs": 3,
    "joint_epochs": 1,
    "min_schedule_steps": 0,
    "visualizer": False,
}


def done_rows(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with path.open() as file:
        return {row["compression"]: row for row in csv.DictReader(file)}


def append_row(path: Path, row: dict) -> None:
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(row)


def trained_model(datamodule: OneClassVision, work: Path) -> tuple[Engine, Pkdgan]:
    """Train the cell, or reload the checkpoint an earlier run left in ``work``."""
    checkpoint = work / "model.ckpt"
    engine = Engine(accelerator="cpu", max_epochs=-1, logger=False, default_root_dir=work)
    if checkpoint.exists():
        return engine, Pkdgan.load_from_checkpoint(checkpoint)
    seed_everything(0)
    model = Pkdgan(**MODEL_ARGS)
    engine.fit(model, datamodule=datamodule)
    engine.trainer.save_checkpoint(checkpoint)
    return engine, model


def images_per_second(inferencer: OpenVINOInferencer, images: np.ndarray, warm_up: int = 50) -> float:
    for image in images[:warm_up]:
        inferencer.predict(image)
    start = time.perf_counter()
    for image in images:
        inferencer.predict(image)
    return len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/work/data")
    parser.add_argument("--out", type=Path, default=RESULTS / "export_compression.csv")
    parser.add_argument("--work", type=Path, default=WORK / "export_compression")
    parser.add_argument("--speed-images", type=int, default=1000, help="test images timed at batch 1")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    done = done_rows(args.out)
    if all(name in done for name in COMPRESSIONS):
        print(f"all compressions done in {args.out}")
        return

    datamodule = OneClassVision(
        root=args.root,
        dataset="mnist",
        normal_class=2,
        download=False,
        max_train_images=2000,
        seed=0,
        train_batch_size=8,
    )
    args.work.mkdir(parents=True, exist_ok=True)
    engine, model = trained_model(datamodule, args.work)
    model.eval()
    datamodule.setup()
    samples = datamodule.test_data.samples
    images = torch.stack([read_image(path, as_tensor=True) for path in samples.image_path])
    labels = samples.label_index.to_numpy().astype(int)
    with torch.inference_mode():
        outputs = [model(chunk) for chunk in images.split(512)]
    torch_scores = torch.cat([output.pred_score.reshape(-1) for output in outputs]).numpy()
    torch_labels = torch.cat([output.pred_label.reshape(-1) for output in outputs]).numpy().astype(bool)
    print(f"PyTorch: image AUROC {roc_auc_score(labels, torch_scores):.4f} on {len(labels)} test images")
    speed_images = images[: args.speed_images].numpy()

    for name, compression in COMPRESSIONS.items():
        if name in done:
            continue
        path = engine.export(
            model,
            export_type=ExportType.OPENVINO,
            export_root=args.work / name,
            compression_type=compression,
            datamodule=datamodule if compression in CALIBRATED else None,
        )
        inferencer = OpenVINOInferencer(path=path, device="CPU", config=OPENVINO_FP32_CONFIG)
        predictions = [inferencer.predict(chunk.numpy()) for chunk in images.split(512)]
        scores = np.concatenate([np.asarray(p.pred_score).reshape(-1) for p in predictions])
        pred_labels = np.concatenate([np.asarray(p.pred_label).reshape(-1) for p in predictions]).astype(bool)
        auroc = roc_auc_score(labels, scores)
        fp32 = auroc if name == "FP32" else float(done_rows(args.out)["FP32"]["image_auroc"])
        row = {
            "compression": name,
            "test_images": len(labels),
            "image_auroc": f"{auroc:.4f}",
            "auroc_change_vs_fp32": f"{auroc - fp32:+.4f}",
            "max_abs_score_diff_vs_pytorch": f"{np.abs(scores - torch_scores).max():.2e}",
            "label_agreement_vs_pytorch": f"{(pred_labels == torch_labels).mean():.4f}",
            "model_size_bytes": path.stat().st_size + path.with_suffix(".bin").stat().st_size,
            "images_per_s_batch1": f"{images_per_second(inferencer, speed_images):.0f}",
        }
        append_row(args.out, row)
        print(row)


if __name__ == "__main__":
    main()
