# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""P-KDGAN for Anomalib: progressive knowledge distillation with GANs for one-class novelty detection.

The public names are loaded lazily, so ``import anomalib_pkdgan`` stays cheap: the start-up hook
(:mod:`anomalib_pkdgan._autoload`) imports this package at every interpreter start and must not pull in
torch or Anomalib there.

Example:
    >>> from anomalib_pkdgan import Pkdgan
    >>> model = Pkdgan(input_size=(32, 32), num_input_channels=1)
    >>> model.model.student.num_input_channels
    1
"""

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "Pkdgan": "anomalib_pkdgan.models.pkdgan",
    "DivergenceError": "anomalib_pkdgan.models.pkdgan",
    "PKDGAN": "anomalib_pkdgan.models.pkdgan",
    "PkdganModel": "anomalib_pkdgan.models.pkdgan",
    "ProgressiveDistillation": "anomalib_pkdgan.models.pkdgan",
    "Phase": "anomalib_pkdgan.models.pkdgan",
    "ScoreType": "anomalib_pkdgan.models.pkdgan",
    "OneClassVision": "anomalib_pkdgan.data",
    "OPENVINO_FP32_CONFIG": "anomalib_pkdgan.models.pkdgan.export.openvino",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> object:
    """Import a public name on first use (PEP 562)."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    msg = f"module 'anomalib_pkdgan' has no attribute {name!r}"
    raise AttributeError(msg)
