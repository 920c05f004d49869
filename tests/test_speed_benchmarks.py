# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The bookkeeping of the speed benchmarks (``speed/student_designs.py``, ``speed/profile_student.py``); nothing is
timed here."""

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


@pytest.fixture
def benchmark(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    return importlib.import_module


def sweep_row(dataset: str, normal_class: int, seed: int = 0, block: str = "standard", size=(3, 16), **aurocs):
    row = {
        "dataset": dataset,
        "normal_class": str(normal_class),
        "seed": str(seed),
        "epochs": "3",
        "train_images": "2000",
        "batch_size": "32",
        "weights": "last",
        "student_lr": "0.0002",
        "student_block": block,
        "student_features": str(size[0]),
        "student_latent": str(size[1]),
        "val_auroc_latent": "0.6",
        "val_auroc_reconstruction": "0.7",
        "test_auroc_auto": "0.8",
    }
    return {**row, **{key: str(value) for key, value in aurocs.items()}}


def test_design_auroc_needs_every_shared_cell_of_a_data_set(benchmark):
    designs = benchmark("benchmarks.speed.student_designs")
    sweep = [
        sweep_row("mnist", 2),
        sweep_row("mnist", 4, val_auroc_latent=0.9, test_auroc_auto=0.6),
        sweep_row("mnist", 4, seed=1, test_auroc_auto=0.1),  # another seed: not a shared cell
        sweep_row("fashion_mnist", 0),  # class 6 missing: no Fashion-MNIST AUROC
        sweep_row("mnist", 2, block="separable", size=(6, 100)),
    ]
    aurocs = designs.student_auroc(sweep, "standard:3:16")
    assert aurocs == pytest.approx({"val_auroc_mnist": (0.7 + 0.9) / 2, "test_auroc_mnist": (0.8 + 0.6) / 2})
    assert designs.student_auroc(sweep, "separable:6:100") == {}
    assert designs.swept_designs(sweep) == ["separable:6:100", "standard:3:16"]


def test_reference_auroc_scores_the_gans_with_auto(benchmark):
    designs = benchmark("benchmarks.speed.student_designs")
    details = [
        {"dataset": "mnist", "normal_class": c, "variant": "teacher", "seed": 0, "auroc": 0.9,
         "val_auroc_latent": 0.8, "val_auroc_reconstruction": 0.85 if c == 2 else 0.5,
         "test_auroc_reconstruction": 0.7}
        for c in (2, 4)
    ]  # fmt: skip
    aurocs = designs.reference_auroc(details, "teacher")
    assert aurocs == pytest.approx({"test_auroc_mnist": (0.7 + 0.9) / 2, "val_auroc_mnist": (0.85 + 0.8) / 2})


@pytest.mark.parametrize(
    ("scope", "stage"),
    [
        ("pre_processor.export_transform: Compose/upsample_bilinear2d: aten.upsample_bilinear2d.vec", "resize"),
        ("pre_processor.export_transform: Compose/sub_5: aten.sub.Tensor", "normalisation"),
        ("model: PkdganModel/mul_29: aten.mul.Tensor", "grey conversion"),
        ("model: PkdganModel/model.student.generator.encoder1.input_layers: Sequential/conv2d: x", "encoder G_E"),
        ("inference.model: FusedStudent/inference.model.input: InputStage/cond: torch.ops.higher_order.cond", "resize"),
        (
            "inference.model: FusedStudent/inference.model.input: InputStage/mul_6: x",
            "normalisation + grey (one affine map)",
        ),
        ("inference.model: FusedStudent/inference.model.second_encoder: Sequential/conv2d_7: x", "encoder E"),
        ("inference.post_processor: FoldedPostProcessor/sub_66: aten.sub.Tensor", "post-processing"),
        ("inference.model: FusedStudent/sub_46: aten.sub.Tensor", "anomaly map or score"),
        (
            "_empty_nn_module_stack_from_metadata_hook: _empty_nn_module_stack_from_metadata_hook/sym_size_int_5: x",
            "layouts and shapes",
        ),
    ],
)
def test_profile_charges_onnx_nodes_to_stages(benchmark, scope, stage):
    assert benchmark("benchmarks.speed.profile_student").scope_stage(scope) == stage
