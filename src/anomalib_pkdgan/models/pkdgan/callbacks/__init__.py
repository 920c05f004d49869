# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Lightning callbacks that train P-KDGAN, and the phase plan they share.

* :mod:`.schedule`: the phases in training batches, and the protocol the callbacks type the model against;
* :mod:`.progressive`: :class:`ProgressiveDistillation` walks the model through its phases;
* :mod:`.selection`: :class:`ScoreSelection` makes the validation-time choices (score, map smoothing, kept weights),
  with :mod:`.validation_scores` and :mod:`.best_weights`.
"""

from .progressive import ProgressiveDistillation
from .schedule import DistillationModule, Phase, PhasePlan
from .selection import ScoreSelection

__all__ = ["DistillationModule", "Phase", "PhasePlan", "ProgressiveDistillation", "ScoreSelection"]
