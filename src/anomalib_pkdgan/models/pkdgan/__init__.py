# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""P-KDGAN: Progressive Knowledge Distillation with GANs for one-class novelty detection.

Example:
    >>> from anomalib_pkdgan.models.pkdgan import Pkdgan
    >>> model = Pkdgan(input_size=(32, 32), num_input_channels=1)
"""

from .callback import ProgressiveDistillation
from .divergence import DivergenceError
from .lightning_model import PKDGAN, Pkdgan
from .schedule import Phase, PhasePlan
from .score_callback import ScoreSelection
from .torch_model import GanNetwork, PkdganModel, ScoreType

__all__ = [
    "PKDGAN",
    "DivergenceError",
    "GanNetwork",
    "Phase",
    "PhasePlan",
    "Pkdgan",
    "PkdganModel",
    "ProgressiveDistillation",
    "ScoreSelection",
    "ScoreType",
]
