# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What differs between the supported Anomalib releases (2.4.2 to 2.7), in one place.

Anomalib 2.7 writes Lightning checkpoints that ``torch.load(weights_only=True)`` reads: the pre- and
post-processors are stored as plain configs and Anomalib's own types are allowlisted
(``AnomalibModule.checkpoint_safe_globals``). Older releases (tested: 2.4.2; 2.5 and 2.6 untested) pickle
the pre-processor object into ``hyper_parameters``, so their checkpoints load only with ``weights_only=False``;
Anomalib 2.4's own ``Engine`` passes that for ``ckpt_path``, and so do we for a teacher checkpoint the user
names.
"""

from pathlib import Path
from typing import Any

import torch
from anomalib.models.components import AnomalibModule

#: ``True`` when Anomalib's checkpoints can be read with ``torch.load(weights_only=True)`` (Anomalib >= 2.7).
CHECKPOINTS_LOAD_WEIGHTS_ONLY = hasattr(AnomalibModule, "checkpoint_safe_globals")


def load_checkpoint_file(path: Path) -> Any:
    """``torch.load`` a checkpoint the user named, as safely as this Anomalib release's checkpoints allow.

    Args:
        path: Checkpoint file (a Lightning checkpoint or a plain state dict).

    Returns:
        Any: The loaded object.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        if CHECKPOINTS_LOAD_WEIGHTS_ONLY:
            raise
        # Anomalib < 2.7 pickles its pre-processor into every Lightning checkpoint.
        return torch.load(path, map_location="cpu", weights_only=False)  # nosec B614
