# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Shared fixtures: tiny models and tiny data, so the suite runs in minutes on 2 CPU cores."""

import os
from pathlib import Path

import pytest
import torch

from anomalib_pkdgan import OneClassVision, Pkdgan

os.environ.setdefault("OMP_NUM_THREADS", "2")

TINY = {
    "input_size": (32, 32),
    "teacher_features": 8,
    "teacher_latent": 16,
    "student_features": 2,
    "student_latent": 4,
}


def tiny_model(**kwargs: object) -> Pkdgan:
    """A P-KDGAN small enough to train in seconds; keyword arguments override."""
    args = {
        **TINY,
        "teacher_epochs": 1,
        "frozen_epochs": 1,
        "joint_epochs": 1,
        "min_schedule_steps": 0,  # epochs alone: tests count phases in epochs of the tiny data
        "visualizer": False,
    }
    args.update(kwargs)
    return Pkdgan(**args)


@pytest.fixture
def make_model():
    """Factory of tiny models (see :func:`tiny_model`)."""
    return tiny_model


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data root for the session: the digits PNG export is written once."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def digits(data_root: Path) -> OneClassVision:
    """Digits one-class datamodule (digit 0 normal), cut down to a few batches."""
    return OneClassVision(
        root=data_root,
        dataset="digits",
        normal_class=0,
        train_batch_size=16,
        eval_batch_size=64,
        max_train_images=48,
        max_test_images=96,
    )


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
