# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Keep the networks of the validation with the best image AUROC, and restore them when training (or a phase) ends.

A GAN's AUROC moves from one validation to the next, and the best validation is often not the last (how often, in
the one-class benchmark: ``docs/results.md``). :class:`BestValidation` remembers, for the validations after the
student has trained, everything inference depends on: the student's networks (generator, discriminator, latent
projection, hint adapters; the teacher keeps its last weights, since only the student scores), the post-processor's
normalisation
and thresholds (computed from that same validation), the score type and the map smoothing. It is what
``ModelCheckpoint(monitor=..., mode="max")`` would give, without a file per improvement, and with the
post-processor that belongs to the weights. Its :meth:`~BestValidation.state_dict` travels in Lightning checkpoints
(through the callback that holds it), so a resumed run ends as an uninterrupted one.

:class:`BestTeacher` does the same for the teacher during its pre-training phase, judged by the better of its two
scores: the student then distils from the teacher of its best validation, not from whatever state the teacher's
last adversarial step left it in.

Example:
    >>> from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel
    >>> model = PkdganModel((32, 32), teacher_features=4, teacher_latent=8, student_features=2, student_latent=4)
    >>> best = BestValidation()
    >>> best.offer(0.7, model, post_processor=None, step=10)
    True
    >>> best.offer(0.6, model, post_processor=None, step=20)
    False
    >>> best.offer(0.7, model, post_processor=None, step=30)  # a tie keeps the later
    True
    >>> best.step, best.auroc
    (30, 0.7)
"""

from dataclasses import dataclass, field

import torch
from torch import nn

from ..anomaly_map import ScoreType
from ..torch_model import PkdganModel


def _copy(module: nn.Module, skip: str | None = None) -> dict[str, torch.Tensor]:
    state = module.state_dict()
    return {name: value.detach().clone() for name, value in state.items() if skip is None or not name.startswith(skip)}


@dataclass
class BestValidation:
    """The state of the best validation so far (image AUROC of the reported score), or nothing yet.

    Attributes:
        auroc: Its validation image AUROC (``-inf`` before any).
        step: The training batch after which it was validated.
    """

    auroc: float = float("-inf")
    step: int = -1
    _networks: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)
    _post_processor: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)
    _score_type: ScoreType = ScoreType.LATENT
    _map_sigma: float = 0.0
    _tile_top_k: int = 1

    @property
    def empty(self) -> bool:
        """Whether no validation has been kept."""
        return self.step < 0

    def offer(self, auroc: float, model: PkdganModel, post_processor: nn.Module | None, step: int) -> bool:
        """Keep this validation's state if its ``auroc`` is at least the best so far; say so.

        A tie keeps the later, more trained state: on an easy validation set the AUROC saturates at 1, and keeping
        the first validation to reach it would keep a student that trained less.
        """
        if auroc < self.auroc:
            return False
        self.auroc, self.step = auroc, step
        self._networks = _copy(model, skip="teacher.")
        self._post_processor = {} if post_processor is None else _copy(post_processor)
        self._score_type, self._map_sigma, self._tile_top_k = (
            model.score_type,
            model.anomaly_map_sigma,
            model.tile_top_k,
        )
        return True

    def restore(self, model: PkdganModel, post_processor: nn.Module | None) -> None:
        """Put the kept state back into ``model`` and ``post_processor``."""
        if self.empty:
            msg = "PKDGAN has no validation to restore: none with anomalous images ran after the student trained."
            raise RuntimeError(msg)
        model.load_state_dict({**model.state_dict(), **self._networks})
        if post_processor is not None and self._post_processor:
            post_processor.load_state_dict(self._post_processor)
        model.score_type, model.anomaly_map_sigma, model.tile_top_k = (
            self._score_type,
            self._map_sigma,
            self._tile_top_k,
        )

    def state_dict(self) -> dict[str, object]:
        """Everything kept, as tensors, numbers and strings (what ``torch.load(weights_only=True)`` reads)."""
        return {
            "auroc": self.auroc,
            "step": self.step,
            "networks": self._networks,
            "post_processor": self._post_processor,
            "score_type": self._score_type.value,
            "map_sigma": self._map_sigma,
            "tile_top_k": self._tile_top_k,
        }

    @classmethod
    def from_state_dict(cls, state: dict) -> "BestValidation":
        """Build the :class:`BestValidation` a :meth:`state_dict` describes."""
        return cls(
            auroc=float(state["auroc"]),
            step=int(state["step"]),
            _networks=dict(state["networks"]),
            _post_processor=dict(state["post_processor"]),
            _score_type=ScoreType(state["score_type"]),
            _map_sigma=float(state["map_sigma"]),
            _tile_top_k=int(state.get("tile_top_k", 1)),
        )


@dataclass
class BestTeacher:
    """The teacher's networks at the validation with its best image AUROC so far, or nothing yet.

    Attributes:
        auroc: That validation's image AUROC (``-inf`` before any).
        step: The training batch after which it was validated.
        restored: Whether the kept networks were put back (once, when the teacher's pre-training ended).

    Example:
        >>> from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel
        >>> model = PkdganModel((32, 32), teacher_features=4, teacher_latent=8, student_features=2, student_latent=4)
        >>> best = BestTeacher()
        >>> best.offer(0.9, model, step=10), best.offer(0.8, model, step=20)
        (True, False)
        >>> best.restore(model)
        >>> best.step, best.restored
        (10, True)
    """

    auroc: float = float("-inf")
    step: int = -1
    restored: bool = False
    _networks: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        """Whether no validation has been kept."""
        return self.step < 0

    def offer(self, auroc: float, model: PkdganModel, step: int) -> bool:
        """Keep the teacher's networks if ``auroc`` is at least the best so far (a tie keeps the later); say so."""
        if auroc < self.auroc:
            return False
        self.auroc, self.step = auroc, step
        self._networks = _copy(model.teacher)
        return True

    def restore(self, model: PkdganModel) -> None:
        """Put the kept networks back into ``model``'s teacher."""
        if self.empty:
            msg = "PKDGAN has no teacher validation to restore: none with anomalous images ran in the teacher phase."
            raise RuntimeError(msg)
        model.teacher.load_state_dict(self._networks)
        self.restored = True

    def state_dict(self) -> dict[str, object]:
        """Everything kept, as tensors, numbers and booleans (what ``torch.load(weights_only=True)`` reads)."""
        return {"auroc": self.auroc, "step": self.step, "restored": self.restored, "networks": self._networks}

    @classmethod
    def from_state_dict(cls, state: dict) -> "BestTeacher":
        """Build the :class:`BestTeacher` a :meth:`state_dict` describes."""
        return cls(
            auroc=float(state["auroc"]),
            step=int(state["step"]),
            restored=bool(state["restored"]),
            _networks=dict(state["networks"]),
        )


__all__ = ["BestTeacher", "BestValidation"]
