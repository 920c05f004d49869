# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""How many training batches each phase of P-KDGAN gets, and what the callbacks may use of the model.

The phases are given in epochs, as in the paper and GANomaly's code (15 teacher, 15 frozen, 5 joint), but
they run in training batches: an epoch of a 100-image folder holds 4 batches, so an epoch-counted schedule
would give the GANs a few dozen optimiser steps. :func:`plan_phases` turns the epochs into batch counts with
the training loader's length, then

* scales them **up**, keeping their proportions, until the schedule holds at least ``min_steps`` batches;
* scales them **down**, keeping their proportions and at least one batch per phase, when the trainer's
  ``max_epochs`` or ``max_steps`` cannot hold the schedule (a warning gives both lengths).

Lightning counts ``max_steps`` in optimiser steps. P-KDGAN steps two optimisers (generator and
discriminator) per batch and network trained: two in the teacher and frozen phases, four in the joint phase.

The callbacks type the Lightning module as :class:`DistillationModule`, a protocol of the few attributes they read
and write, so they do not import :mod:`..lightning_model` (which imports them).

Example:
    >>> plan = plan_phases((15, 15, 5), batches_per_epoch=4, min_steps=700)
    >>> plan.batches, plan.total
    ((300, 300, 100), 700)
    >>> [plan.phase_at(step).name for step in (0, 299, 300, 600)]
    ['TEACHER', 'TEACHER', 'FROZEN', 'JOINT']
    >>> plan_phases((15, 15, 5), batches_per_epoch=4, min_steps=700, max_batches=7).batches
    (3, 3, 1)
"""

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import torch
    from torch import nn

    from ..torch_model import PkdganModel


class Phase(IntEnum):
    """Training phase of P-KDGAN."""

    TEACHER = 0
    FROZEN = 1
    JOINT = 2

    @property
    def trained(self) -> tuple[str, ...]:
        """The networks this phase trains (``"teacher"``, ``"student"``), in the order the training step runs them.

        Example:
            >>> Phase.FROZEN.trained, Phase.JOINT.trained
            (('student',), ('teacher', 'student'))
        """
        return {Phase.TEACHER: ("teacher",), Phase.FROZEN: ("student",), Phase.JOINT: ("teacher", "student")}[self]


BATCHES_BETWEEN_VALIDATIONS = 100
"""When ``min_steps`` stretches the schedule over many short epochs (small data sets), validate (and so write
checkpoints) about this often, in batches, rather than after every epoch; and always after the last batch."""

OPTIMIZER_STEPS_PER_BATCH = {phase: 2 * len(phase.trained) for phase in Phase}
"""Optimiser steps (what Lightning's ``max_steps`` counts) of one training batch in each phase: a generator and a
discriminator step per network trained."""


@dataclass(frozen=True)
class PhasePlan:
    """Training batches of each phase, in order (teacher, frozen, joint)."""

    batches: tuple[int, int, int]

    @property
    def total(self) -> int:
        """Training batches of the whole schedule."""
        return sum(self.batches)

    @property
    def optimizer_steps(self) -> int:
        """Optimiser steps of the whole schedule (what Lightning's ``max_steps`` counts)."""
        return sum(n * OPTIMIZER_STEPS_PER_BATCH[phase] for phase, n in zip(Phase, self.batches, strict=True))

    def phase_at(self, step: int) -> Phase:
        """Phase of the (0-based) training batch ``step``; batches past the schedule stay in its last phase."""
        end = 0
        last = Phase.TEACHER
        for phase, count in zip(Phase, self.batches, strict=True):
            if count == 0:
                continue
            end += count
            last = phase
            if step < end:
                return phase
        return last

    def describe(self) -> str:
        """``teacher 300 + frozen 300 + joint 100 batches``."""
        parts = " + ".join(f"{phase.name.lower()} {n}" for phase, n in zip(Phase, self.batches, strict=True))
        return f"{parts} batches"


def _scale(batches: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    """Scale each non-empty phase by ``factor``, rounding, and keep at least one batch in it."""
    return tuple(max(1, round(n * factor)) if n else 0 for n in batches)  # type: ignore[return-value]


def plan_phases(
    epochs: tuple[int, int, int],
    batches_per_epoch: int,
    min_steps: int = 0,
    max_batches: int | None = None,
    max_optimizer_steps: int | None = None,
) -> PhasePlan:
    """Turn phase lengths in epochs into training batches (see the module docstring).

    Args:
        epochs: Epochs of the teacher, frozen and joint phases.
        batches_per_epoch: Batches of one training epoch.
        min_steps: The schedule holds at least this many training batches (0: epochs alone).
        max_batches: The trainer's limit in training batches (``max_epochs * batches_per_epoch``), if any.
        max_optimizer_steps: The trainer's ``max_steps`` (optimiser steps), if any.

    Returns:
        PhasePlan: Batches per phase.

    Raises:
        ValueError: The data set is empty, or the trainer's limit is too short for one batch per phase.
    """
    if batches_per_epoch < 1:
        msg = "PKDGAN cannot plan its phases: the training dataloader has no batches (is the training set empty?)."
        raise ValueError(msg)
    batches = tuple(e * batches_per_epoch for e in epochs)
    if 0 < sum(batches) < min_steps:
        batches = _scale(batches, min_steps / sum(batches))
        while sum(batches) < min_steps:  # rounding left it short: top up the longest phase
            longest = max(range(3), key=lambda i: batches[i])
            batches = tuple(n + (i == longest) for i, n in enumerate(batches))
    plan = PhasePlan(batches)  # type: ignore[arg-type]
    limits = []
    if max_batches is not None and plan.total > max_batches:
        limits.append(max_batches / plan.total)
    if max_optimizer_steps is not None and plan.optimizer_steps > max_optimizer_steps:
        limits.append(max_optimizer_steps / plan.optimizer_steps)
    if not limits:
        return plan
    factor = min(limits)
    shrunk = PhasePlan(_scale(plan.batches, factor))
    while (max_batches is not None and shrunk.total > max_batches) or (
        max_optimizer_steps is not None and shrunk.optimizer_steps > max_optimizer_steps
    ):
        if max(shrunk.batches) <= 1:
            msg = (
                f"PKDGAN's phases ({plan.describe()}) cannot fit the trainer's limit (max_epochs x batches per epoch "
                f"= {max_batches}, max_steps = {max_optimizer_steps}) with one batch per phase: raise max_epochs "
                "or max_steps."
            )
            raise ValueError(msg)
        factor *= 0.95
        shrunk = PhasePlan(_scale(plan.batches, factor))
    return shrunk


def epoch_limit_is_lightning_default(max_epochs: int | None, max_steps: int) -> bool:
    """Whether ``max_epochs`` is the 1000 Lightning sets when neither ``max_epochs`` nor ``max_steps`` was given.

    Workaround: Lightning (``_parse_loop_limits``) replaces an unset ``max_epochs`` by 1000 before any callback
    runs, so a user who set no limit cannot be told apart from one who asked for exactly 1000 epochs. P-KDGAN
    treats 1000 with no ``max_steps`` as "no limit" and lets its schedule decide the length of the run.
    """
    return max_epochs == 1000 and max_steps == -1


def stretches_epochs(plan: PhasePlan, epochs: tuple[int, int, int], batches_per_epoch: int) -> bool:
    """Whether ``min_steps`` made the plan longer than its ``epochs`` (a small data set: many short epochs).

    Example:
        >>> plan = plan_phases((15, 15, 5), batches_per_epoch=4, min_steps=2000)
        >>> stretches_epochs(plan, (15, 15, 5), 4), stretches_epochs(plan_phases((15, 15, 5), 400), (15, 15, 5), 400)
        (True, False)
    """
    return plan.total > sum(epochs) * batches_per_epoch


def epochs_between_validations(plan: PhasePlan, epochs: tuple[int, int, int], batches_per_epoch: int) -> int:
    """Return how many epochs apart to validate (the schedule callback's ``check_val_every_n_epoch``).

    1, or about :data:`BATCHES_BETWEEN_VALIDATIONS` batches when ``min_steps`` stretched the ``epochs`` over short
    epochs.

    Example:
        >>> plan = plan_phases((15, 15, 5), batches_per_epoch=4, min_steps=2000)
        >>> epochs_between_validations(plan, (15, 15, 5), 4), epochs_between_validations(plan, (15, 15, 5), 400)
        (25, 1)
    """
    if stretches_epochs(plan, epochs, batches_per_epoch) and batches_per_epoch < BATCHES_BETWEEN_VALIDATIONS:
        return BATCHES_BETWEEN_VALIDATIONS // batches_per_epoch
    return 1


def epochs_needed(plan: PhasePlan, batches_per_epoch: int) -> int:
    """Epochs a plan's batches span."""
    return math.ceil(plan.total / batches_per_epoch)


class PhaseSchedule(Protocol):
    """The schedule callback as the other callbacks see it: its plan, once training has started."""

    plan: PhasePlan | None


class DistillationModule(Protocol):
    """What the callbacks read and write of the Lightning module (:class:`~anomalib_pkdgan.Pkdgan`).

    The schedule callback writes ``phase_index`` and ``schedule_step``; the model's training step counts
    ``student_steps``.
    """

    model: "PkdganModel"
    schedule: PhaseSchedule
    phase_index: "torch.Tensor"
    schedule_step: "torch.Tensor"
    student_steps: "torch.Tensor"
    teacher_pretrained: bool
    training: bool
    device: "torch.device"
    pre_processor: "nn.Module | None"
    post_processor: "nn.Module | None"

    @property
    def phase(self) -> Phase:
        """The current training phase."""
        ...

    @property
    def distills(self) -> bool:
        """Whether the distillation loss has any weight."""
        ...
