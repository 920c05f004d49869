# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Choices made on the validation set: the ``"auto"`` score type, map smoothing and ``tile_top_k``; best weights.

Before each validation epoch (never during Lightning's sanity check) it scores the validation images both ways,
keeps the score with the higher validation AUROC, and logs the choice with both AUROCs (a tiled model: each score
reduced from the tiles' with each ``tile_top_k`` tried, keeping the best pair); where the validation set
has masks, it also keeps the anomaly-map smoothing with the highest pixel AUROC. Through Lightning's ``log``, so every
logger Anomalib is given (TensorBoard, CSV, MLflow, W&B) records them, each validation logs:

* ``val/student/latent_AUROC``, ``val/student/reconstruction_AUROC``: the student's image AUROC with each score
  (where the validation set holds both labels), and ``val/teacher/...`` the same for the teacher. The teacher is
  scored only when it may have changed: every validation of the teacher and joint phases, the first of the frozen
  phase (later ones log the same values again), and never when it was neither trained nor loaded (a student
  trained alone, with no distillation weight);
* ``val/score_type``: the score the student reports, 0 for latent and 1 for reconstruction;
* ``val/anomaly_map_sigma``: the anomaly map's smoothing;
* ``val/kept_step``: with ``best_weights``, the training batch after which the best validation so far ran: the
  weights training ends with. The choice is made before
any validation batch, so the post-processor's normalisation and threshold come from the chosen score; rank 0
decides for every rank under DDP. The model saves the choice in its checkpoints.

With ``best_weights``, each validation after the student has started training is also offered to a
:class:`~.best_weights.BestValidation` once the post-processor has its thresholds, and the validation that ends
the schedule restores the best one before Anomalib's ``ModelCheckpoint`` (which Lightning runs after every other
callback) saves the model, so the checkpoint, the test and the export all use the same weights. The best validation
so far is part of the callback's state in checkpoints, so a resumed run ends as an uninterrupted one.

With ``best_teacher``, each validation of the teacher phase offers the teacher's networks to a
:class:`~.best_weights.BestTeacher` (judged by the better of the teacher's two validation AUROCs), and the teacher
phase ends with the best of them: before the first batch of the next phase (the teacher's Adam moments, which belong
to the later weights, are dropped), or before ``ModelCheckpoint`` saves a run that only pre-trains a teacher.
``val/teacher/kept_step`` logs the training batch after which the kept teacher was validated.
"""

import logging
from itertools import chain
from typing import Any, cast

from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.trainer.states import TrainerFn

from ..anomaly_map import ScoreType
from ..tiling import TOP_K_CHOICES
from .best_weights import BestTeacher, BestValidation
from .schedule import DistillationModule, Phase
from .validation_scores import ValidationScores, best_map_sigma, score_aurocs, score_preference, score_validation_set

logger = logging.getLogger(__name__)


class ScoreSelection(Callback):
    """Choose the student's score, the anomaly map's smoothing (where validation masks exist) and the weights.

    Args:
        score: Choose the score (latent distance or reconstruction error) by validation image AUROC.
        map_sigma: Choose the anomaly map's Gaussian smoothing by validation pixel AUROC (needs masks).
        best_weights: When the schedule ends, restore the state of the validation with the best image AUROC of
            the reported score (among those after the student started training).
        tile_top_k: With a tiler, choose how many of an image's highest tile scores its score averages (1, 2, 4
            or 8; see :data:`..tiling.TOP_K_CHOICES`) by validation image AUROC, together with the score.
        best_teacher: When the teacher phase ends, restore the teacher of its validation with the best image AUROC
            (the better of its latent and reconstruction scores).
    """

    def __init__(
        self,
        score: bool = True,
        map_sigma: bool = False,
        best_weights: bool = False,
        tile_top_k: bool = False,
        best_teacher: bool = False,
    ) -> None:
        self.score = score
        self.map_sigma = map_sigma
        self.best_weights = best_weights
        self.tile_top_k = tile_top_k
        self.best_teacher = best_teacher
        self.best = BestValidation()
        self.teacher = BestTeacher()
        self._pending: float | None = None  # this validation's image AUROC, offered once the post-processor is done
        self._frozen_teacher: dict[ScoreType, float] | None = None  # the frozen teacher's AUROCs, once scored

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        """Forget the validations of an earlier fit (a resumed fit then loads its own, see :meth:`load_state_dict`).

        Every stage forgets the frozen teacher's AUROCs: a ``validate`` after a fit may run on other weights.
        """
        del trainer, pl_module
        self._frozen_teacher = None
        if stage == "fit":
            self.best, self.teacher, self._pending = BestValidation(), BestTeacher(), None

    def state_dict(self) -> dict[str, Any]:
        """Return the best validation so far and the best teacher, saved in Lightning checkpoints."""
        return {**self.best.state_dict(), "teacher": self.teacher.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the best validation and teacher of the run a checkpoint was saved from.

        Checkpoints written before the teacher was kept have no ``"teacher"`` entry: nothing is kept for it.
        """
        if state_dict:
            self.best = BestValidation.from_state_dict(state_dict)
            teacher = state_dict.get("teacher")
            self.teacher = BestTeacher() if teacher is None else BestTeacher.from_state_dict(teacher)

    def on_validation_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Score the validation set, keep the better score and smoothing, and log the AUROCs and the choices."""
        self._pending = None
        if trainer.sanity_checking:
            return
        model = cast(DistillationModule, pl_module)
        tiled_choice = self.tile_top_k and model.model.tiler is not None
        transform = getattr(model.pre_processor, "transform", None)
        loaders = trainer.val_dataloaders
        batches = chain.from_iterable(loaders if isinstance(loaders, list) else [loaders])  # streamed, not stored
        top_ks = TOP_K_CHOICES if tiled_choice else (model.model.tile_top_k,)
        scores_teacher = self._scores_teacher(model)
        validation = score_validation_set(model.model, batches, transform, model.device, top_ks, scores_teacher)
        aurocs = {top_k: score_aurocs(scores, validation.labels) for top_k, scores in validation.scores.items()}
        if self.score or tiled_choice:
            self._choose_score(trainer, model, aurocs)
        chosen = aurocs[model.model.tile_top_k]
        fitting = trainer.state.fn == TrainerFn.FITTING
        if self.best_weights and fitting and int(model.student_steps) > 0 and chosen is not None:
            self._pending = float(trainer.strategy.broadcast(chosen[model.model.score_type], src=0))
        if self.map_sigma and validation.maps is not None and validation.masks is not None:
            pixel_aurocs = best_map_sigma(validation.maps, validation.masks)
            sigma = max(pixel_aurocs, key=lambda value: (pixel_aurocs[value], -value))
            values = ", ".join(f"sigma {value:g}: {auroc:.4f}" for value, auroc in pixel_aurocs.items())
            logger.info("PKDGAN anomaly_map_sigma='auto' uses %g (validation pixel AUROC: %s).", sigma, values)
            model.model.anomaly_map_sigma = float(trainer.strategy.broadcast(sigma, src=0))
        teacher_aurocs = self._teacher_aurocs(model, validation) if scores_teacher else self._frozen_teacher
        logged: dict[str, float] = {}
        if self.best_teacher and fitting and model.phase == Phase.TEACHER and teacher_aurocs is not None:
            auroc = float(trainer.strategy.broadcast(max(teacher_aurocs.values()), src=0))
            self.teacher.offer(auroc, model.model, int(model.schedule_step))
            logged["val/teacher/kept_step"] = float(self.teacher.step)
        logged |= {
            f"val/{network}/{score_type.value}_AUROC": auroc
            for network, values in (("student", chosen), ("teacher", teacher_aurocs))
            for score_type, auroc in (values or {}).items()
        }
        logged["val/score_type"] = float(list(ScoreType).index(model.model.score_type))
        logged["val/anomaly_map_sigma"] = model.model.anomaly_map_sigma
        # Rank 0's values on every rank (its choices are the ones broadcast), so the mean over ranks is rank 0's.
        pl_module.log_dict(trainer.strategy.broadcast(logged, src=0), sync_dist=True)

    def _scores_teacher(self, model: DistillationModule) -> bool:
        """Return whether this validation scores the teacher.

        Not when the frozen phase has scored it already, nor when it was neither trained nor loaded (a student
        trained alone): its scores cannot have changed.
        """
        if model.phase != Phase.FROZEN:
            return True
        plan = model.schedule.plan
        trained = plan is None or plan.batches[0] > 0
        return self._frozen_teacher is None and (trained or model.teacher_pretrained)

    def _teacher_aurocs(self, model: DistillationModule, validation: ValidationScores) -> dict[ScoreType, float] | None:
        """Return the teacher's AUROCs of this validation, kept for the frozen phase's later validations."""
        aurocs = score_aurocs(validation.teacher_scores or {}, validation.labels)
        if model.phase == Phase.FROZEN:
            self._frozen_teacher = aurocs or {}
        return aurocs

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Offer this validation to the best so far (the post-processor has its thresholds); log the kept step."""
        if self._pending is None:
            return
        model = cast(DistillationModule, pl_module)
        self.best.offer(self._pending, model.model, model.post_processor, int(model.schedule_step))
        pl_module.log("val/kept_step", float(self.best.step), sync_dist=True)

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int) -> None:
        """Restore the best teacher once the teacher phase is over.

        The schedule callback, which runs before this one, has already entered this batch's phase.
        """
        del batch, batch_idx
        model = cast(DistillationModule, pl_module)
        if model.phase != Phase.TEACHER:
            self._restore_teacher(trainer, model)

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """After the schedule's last validation, restore the best (before ``ModelCheckpoint`` saves the model)."""
        model = cast(DistillationModule, pl_module)
        plan = model.schedule.plan
        ended = plan is not None and int(model.schedule_step) >= plan.total
        if ended and trainer.state.fn == TrainerFn.FITTING and model.phase == Phase.TEACHER:
            self._restore_teacher(trainer, model)  # a run that only pre-trains a teacher
        if self._pending is None:
            return
        step = int(model.schedule_step)
        last, self._pending = self._pending, None
        if plan is None or step < plan.total or self.best.step == step:
            return
        self.best.restore(model.model, model.post_processor)
        logger.info(
            "PKDGAN keeps the weights validated after training batch %d (validation image AUROC %.4f; the last "
            "validation, after batch %d, had %.4f).",
            self.best.step,
            self.best.auroc,
            step,
            last,
        )

    def _restore_teacher(self, trainer: Trainer, model: DistillationModule) -> None:
        """Put the best teacher back (once, with ``best_teacher``, if a teacher validation was kept)."""
        if not self.best_teacher or self.teacher.empty or self.teacher.restored:
            return
        self.teacher.restore(model.model)
        for optimizer in trainer.optimizers[:2]:  # the teacher's (configure_optimizers): moments of later weights
            optimizer.state.clear()
        logger.info(
            "PKDGAN's teacher phase ends with the teacher validated after training batch %d (validation image AUROC "
            "%.4f).",
            self.teacher.step,
            self.teacher.auroc,
        )

    def _choose_score(
        self, trainer: Trainer, model: DistillationModule, aurocs: dict[int, dict[ScoreType, float] | None]
    ) -> None:
        """Keep the score type (if ``score``) and ``tile_top_k`` (if several) of the best validation image AUROC.

        Ties go to the latent score, then to fewer tiles.
        """
        score_types = list(ScoreType) if self.score else [model.model.score_type]
        options = {
            (score_type, top_k): by_type[score_type]
            for top_k, by_type in aurocs.items()
            if by_type is not None
            for score_type in score_types
        }
        if not options:
            logger.info(
                "PKDGAN score_type='auto': no anomalous validation images, keeping the %s score.",
                model.model.score_type.value,
            )
            return
        score_type, top_k = max(options, key=lambda option: score_preference(options[option], *option))
        tiled = len(aurocs) > 1
        values = ", ".join(
            f"{kind.value}{f' top {k}' if tiled else ''} {value:.4f}" for (kind, k), value in options.items()
        )
        chosen = f"the {score_type.value} score" + (f", averaged over the {top_k} highest tiles," if tiled else "")
        logger.info("PKDGAN uses %s (validation AUROC: %s).", chosen, values)
        model.model.score_type = ScoreType(trainer.strategy.broadcast(score_type.value, src=0))
        model.model.tile_top_k = int(trainer.strategy.broadcast(top_k, src=0))
