# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""P-KDGAN: Progressive Knowledge Distillation with GANs for one-class novelty detection.

A batch goes one way through the folder: :mod:`.pre_processing` (resize, scale, channels), :mod:`.torch_model`
(the teacher/student pair, built from :mod:`.components`), :mod:`.anomaly_map` (scores and map). Training is
wired in :mod:`.lightning_model` with :mod:`.loss`, :mod:`.divergence` and the :mod:`.callbacks`; :mod:`.checkpoint`
and :mod:`.export` cover what is saved and what is deployed.

Example:
    >>> from anomalib_pkdgan.models.pkdgan import Pkdgan
    >>> model = Pkdgan(input_size=(32, 32), num_input_channels=1)
"""

from .anomaly_map import ScoreType
from .callbacks import Phase, PhasePlan, ProgressiveDistillation, ScoreSelection
from .components import GanNetwork
from .divergence import DivergenceError
from .lightning_model import PKDGAN, Pkdgan
from .torch_model import PkdganModel

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
