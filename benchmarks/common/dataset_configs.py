# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The model arguments that each data set's config in ``configs/`` sets.

Only YAML is read (no torch, no Anomalib), so the report can use it as cheaply as the benchmarks.

Example:
    >>> config_init_args("mnist")["student_features"]
    3
"""

import yaml

from benchmarks.common.paths import BENCHMARKS

CONFIGS = BENCHMARKS.parent / "configs"
CONFIG_OF = {"mnist": "mnist.yaml", "fashion_mnist": "fashion_mnist.yaml", "cifar10": "cifar10.yaml"}
"""Benchmark data set name -> its config file."""
PAPER_SHAPE_STUDENT = {"mnist": ("standard", 3, 16), "fashion_mnist": ("standard", 2, 8)}
"""The teacher's shape with fewer channels (the paper's design) at the paper's compression, as (block, features,
latent): the configs' students before the dense students, and those of the benchmark's batch-32 rows in
``oneclass.csv``."""


def config_init_args(dataset: str) -> dict:
    """``model.init_args`` of the config of ``dataset`` (one of :data:`CONFIG_OF`)."""
    return yaml.safe_load((CONFIGS / CONFIG_OF[dataset]).read_text())["model"]["init_args"]
