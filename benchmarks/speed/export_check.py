# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Export parity and INT8 accuracy of the student on a real one-class split.

    python -m benchmarks.speed.export_check --dataset fashion_mnist --normal-class 0 --epochs 3

Trains P-KDGAN (the data set's config sizes, ``--epochs`` epochs per phase exactly: ``min_schedule_steps=0``)
through Anomalib's Engine, exports the student to OpenVINO
FP32 through ``Engine.export``, quantises it to INT8 with NNCF post-training quantisation (calibration on
training images of the normal class, never test images), and scores the whole test set with PyTorch,
OpenVINO FP32 and OpenVINO INT8. Writes ``benchmarks/results/export.json``.
"""

import argparse
import json
import os
import warnings
from pathlib import Path

import nncf
import numpy as np
import openvino as ov
import torch
from anomalib.deploy import ExportType
from anomalib.engine import Engine
from lightning.pytorch import seed_everything
from sklearn.metrics import roc_auc_score

from anomalib_pkdgan import OPENVINO_FP32_CONFIG, OneClassVision
from benchmarks.accuracy.one_class_benchmark import epoch_counted_pkdgan, load_images, model_sizes
from benchmarks.common.paths import RESULTS, WORK


def ov_scores(compiled: ov.CompiledModel, images: torch.Tensor) -> np.ndarray:
    output = compiled.output("pred_score")
    return np.concatenate([compiled(chunk.numpy())[output].reshape(-1) for chunk in images.split(256)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--normal-class", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per phase")
    parser.add_argument("--max-train-images", type=int, default=2000)
    parser.add_argument("--root", default=os.environ.get("PKDGAN_DATA", "/work/data"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=WORK / "export_check")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    seed_everything(0)
    datamodule = OneClassVision(
        root=args.root,
        dataset=args.dataset,
        normal_class=args.normal_class,
        max_train_images=args.max_train_images,
        train_batch_size=32,
        eval_batch_size=512,
    )
    model = epoch_counted_pkdgan(
        **model_sizes(args.dataset),
        teacher_epochs=args.epochs,
        frozen_epochs=args.epochs,
        joint_epochs=args.epochs,
        visualizer=False,
    )
    engine = Engine(max_epochs=model.schedule.total_epochs, accelerator="cpu", logger=False, default_root_dir=args.work)
    engine.fit(model, datamodule=datamodule)
    model.eval()
    test_images, test_labels = load_images(datamodule, "test")
    calibration_images, _ = load_images(datamodule, "train")

    with torch.inference_mode():
        torch_out = [model(chunk) for chunk in test_images.split(256)]
    torch_scores = torch.cat([o.pred_score for o in torch_out]).numpy()
    torch_labels = torch.cat([o.pred_label for o in torch_out]).numpy()

    fp32_path = engine.export(model, export_type=ExportType.OPENVINO, export_root=args.work / "fp32")
    core = ov.Core()
    fp32 = core.compile_model(str(fp32_path), "CPU", OPENVINO_FP32_CONFIG)
    # What a user gets without the FP32 hint: bfloat16 inference on CPUs that have it
    # (see anomalib_pkdgan.models.pkdgan.export.openvino).
    default_precision = core.compile_model(str(fp32_path), "CPU")
    default_scores = ov_scores(default_precision, test_images)
    fp32_scores = ov_scores(fp32, test_images)
    fp32_labels = np.concatenate(
        [fp32(chunk.numpy())[fp32.output("pred_label")].reshape(-1) for chunk in test_images.split(256)]
    )

    # Two INT8 routes: weights only (activations stay FP32), and full static post-training quantisation
    # (weights and activations; what the throughput benchmark times).
    weights_only = nncf.compress_weights(core.read_model(fp32_path), mode=nncf.CompressWeightsMode.INT8_ASYM)
    int8_scores = ov_scores(core.compile_model(weights_only, "CPU", OPENVINO_FP32_CONFIG), test_images)
    calibration = nncf.Dataset([chunk.numpy() for chunk in calibration_images[:300].split(1)])
    static = nncf.quantize(core.read_model(fp32_path), calibration, subset_size=300)
    static_scores = ov_scores(core.compile_model(static, "CPU", OPENVINO_FP32_CONFIG), test_images)
    for name, int8_model in (("int8_weights", weights_only), ("int8_static", static)):
        ov.save_model(int8_model, args.work / name / "model.xml")

    def auroc(scores: np.ndarray) -> float:
        return float(roc_auc_score(test_labels, scores))

    ov_model = core.read_model(fp32_path)
    exported = sum(
        int(np.prod(op.get_output_shape(0)))
        for op in ov_model.get_ops()
        if op.get_type_name() == "Constant" and op.get_element_type().is_real()
    )
    result = {
        "dataset": args.dataset,
        "normal_class": args.normal_class,
        "epochs_per_phase": args.epochs,
        "train_images": len(datamodule.train_data),
        "test_images": len(test_labels),
        "max_abs_score_diff": float(np.abs(torch_scores - fp32_scores).max()),
        "openvino_default_precision": str(default_precision.get_property("INFERENCE_PRECISION_HINT")),
        "max_abs_score_diff_default_precision": float(np.abs(torch_scores - default_scores).max()),
        "labels_equal": bool((torch_labels.astype(bool) == fp32_labels.astype(bool)).all()),
        "torch_auroc": auroc(torch_scores),
        "fp32_auroc": auroc(fp32_scores),
        "int8_auroc": auroc(int8_scores),
        "int8_auroc_drop": 100 * (auroc(fp32_scores) - auroc(int8_scores)),
        "int8_method": "nncf.compress_weights INT8_ASYM (weights INT8, activations FP32)",
        "int8_static_auroc": auroc(static_scores),
        "int8_static_auroc_drop": 100 * (auroc(fp32_scores) - auroc(static_scores)),
        "int8_static_method": "nncf.quantize, default preset (weights and activations INT8), 300 normal training "
        "images for calibration",
        "student_params": sum(p.numel() for p in model.model.student.generator.parameters()),
        "teacher_params": sum(p.numel() for p in model.model.teacher.generator.parameters()),
        "exported_params": exported,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "export.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
