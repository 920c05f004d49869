# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Datamodules of anomalib-pkdgan."""

from .one_class import DATASETS, OneClassDataset, OneClassVision, export_png, load_split
from .sampler import EpochSeededSampler

__all__ = ["DATASETS", "EpochSeededSampler", "OneClassDataset", "OneClassVision", "export_png", "load_split"]
