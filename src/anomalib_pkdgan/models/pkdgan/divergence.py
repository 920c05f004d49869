# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""What P-KDGAN does when a loss turns NaN or infinite: stop with a message naming it, or skip the step.

Example:
    >>> import torch
    >>> guard = DivergenceGuard("skip")
    >>> guard.finite({"student/contextual": torch.tensor(1.0)}, where="in phase FROZEN")
    True
    >>> guard.finite({"student/contextual": torch.tensor(float("nan"))}, where="in phase FROZEN")
    False
"""

import logging

import torch

logger = logging.getLogger(__name__)

ON_NAN = ("raise", "skip")


class DivergenceError(FloatingPointError):
    """A P-KDGAN loss became NaN or infinite."""


class DivergenceGuard:
    """Check loss terms before a step; on a NaN/Inf raise :class:`DivergenceError` or report and skip.

    Args:
        on_nan: ``"raise"`` stops training at the first NaN/Inf loss; ``"skip"`` logs it and skips the step.
    """

    def __init__(self, on_nan: str = "raise") -> None:
        if on_nan not in ON_NAN:
            msg = f"PKDGAN on_nan must be 'raise' or 'skip', got {on_nan!r}."
            raise ValueError(msg)
        self.on_nan = on_nan

    def finite(self, terms: dict[str, torch.Tensor], where: str) -> bool:
        """Return whether every term is finite; ``where`` (phase, epoch, step) goes into the message."""
        bad = [name for name, value in terms.items() if not torch.isfinite(value).all()]
        if not bad:
            return True
        msg = (
            f"PKDGAN training diverged: loss term(s) {', '.join(bad)} became "
            f"{', '.join(str(terms[name].item()) for name in bad)} {where}. Checkpoints saved before this step are "
            "kept; try a lower lr or smaller loss weights."
        )
        if self.on_nan == "raise":
            raise DivergenceError(msg)
        logger.warning("%s Skipping the step (on_nan='skip').", msg)
        return False
