# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""P-KDGAN: Progressive Knowledge Distillation with GANs for one-class novelty detection.

Example:
    >>> from anomalib_pkdgan.models.pkdgan import Pkdgan
    >>> model = Pkdgan(input_size=(32, 32), num_input_channels=1)
"""

from .callback import Phase, ProgressiveDistillation
from .lightning_model import PKDGAN, DivergenceError, Pkdgan
from .torch_model import GanNetwork, PkdganModel, ScoreType

__all__ = [
    "PKDGAN",
    "DivergenceError",
    "GanNetwork",
    "Phase",
    "Pkdgan",
    "PkdganModel",
    "ProgressiveDistillation",
    "ScoreType",
]
