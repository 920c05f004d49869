# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Models of anomalib-pkdgan."""

from .pkdgan import PKDGAN, Pkdgan

__all__ = ["PKDGAN", "Pkdgan"]
