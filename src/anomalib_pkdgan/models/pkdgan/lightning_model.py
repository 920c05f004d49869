# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""P-KDGAN as an Anomalib model.

Zhang, Chen, Sun: "P-KDGAN: Progressive Knowledge Distillation with GANs for One-class Novelty
Detection", IJCAI 2020. A large teacher GAN and a compact student GAN of the same GANomaly shape are
linked by a distillation loss and trained in progressive phases (teacher pre-training, frozen-teacher
distillation, joint fine-training; see :mod:`.callbacks.progressive`). Only the student scores images.

Large images are tiled the Anomalib way: with ``TilerConfigurationCallback(enable=True, tile_size=input_size,
stride=...)`` the default pre-processor keeps whole images at their size, the GANs train and score on tiles of
``input_size``, and maps and image scores are brought back to the whole images (see :mod:`.tiling`).

Example:
    >>> from anomalib.engine import Engine
    >>> engine, model = Engine(), Pkdgan(input_size=(32, 32), num_input_channels=1)
    >>> engine.fit(model, datamodule=datamodule)  # doctest: +SKIP
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from anomalib import LearningType
from anomalib.data import Batch
from anomalib.metrics import PRO, Evaluator
from anomalib.models.components import AnomalibModule
from anomalib.pre_processing import PreProcessor
from anomalib.visualization import Visualizer
from lightning.pytorch import Callback, seed_everything
from lightning.pytorch.utilities.types import STEP_OUTPUT
from torch import nn, optim

from .anomaly_map import ScoreType
from .callbacks import Phase, ProgressiveDistillation, ScoreSelection
from .checkpoint import PkdganCheckpointMixin, load_teacher_state
from .components.distill_inputs import check_distill_inputs
from .data_fit import DEFAULT_INPUT_SIZE, InputFitMixin
from .divergence import DivergenceGuard
from .evaluator import MaskAwareEvaluator
from .export import StudentExportMixin
from .loss import DiscriminatorLoss, DistillationLoss, GeneratorLoss
from .pre_processing import default_pre_processor
from .tiling import TOP_K_CHOICES
from .torch_model import PkdganModel, teacher_width
from .training import GanTrainingMixin

UNSAVED_HYPERPARAMETERS = ("teacher_checkpoint", "seed")
"""Arguments with side effects (reading a file, seeding) that restoring a checkpoint must not repeat."""


class Pkdgan(GanTrainingMixin, InputFitMixin, PkdganCheckpointMixin, StudentExportMixin, AnomalibModule):
    """P-KDGAN: a compact student GAN distilled progressively from a large teacher GAN.

    Args:
        input_size: Image height and width the networks take; the default pre-processor resizes to it, unless a
            tiler (Anomalib's ``TilerConfigurationCallback``, whose ``tile_size`` must be ``input_size``) cuts whole
            images into tiles of this size. ``None``
            (default): 32x32, or 128x128 when the training images are at least 128 pixels on their shorter side
            (decided when the fit starts, see :mod:`.data_fit`).
        num_input_channels: 1 (grey) or 3 (colour). RGB batches are converted to this inside the model. ``None``
            (default): 3 when the training images have colour, else 1.
        teacher_features: Teacher base width, or ``"auto"`` (the default): GANomaly's 64 at 32x32, halved for each
            doubling of the image size (32 at 64x64, 16 at 128x128; see :func:`.torch_model.teacher_width`), so
            larger images train in a fraction of the time (training times: ``docs/results.md``).
        teacher_latent: Teacher latent size. Defaults to GANomaly's 100.
        student_features: Student base width (hidden units for the ``"dense"`` design). The default 3 makes the
            student a small fraction of the teacher's cost (FLOPs: ``docs/results.md``).
        student_latent: Student latent size.
        extra_layers: Extra 3x3 blocks in every encoder and decoder.
        student_block: ``"standard"`` (the paper's student: the teacher's shape with fewer channels),
            ``"separable"`` (depthwise-separable convolutions: wider at the same FLOPs) or ``"dense"`` (fully
            connected ``G_E``, ``G_D`` and ``E`` with ``student_features`` hidden units; see
            :mod:`.components.student_design`).
        score_type: ``"auto"`` (the student's score with the higher validation AUROC, see :mod:`.callbacks.selection`),
            ``"latent"`` (``||z - z'||^2``, the paper's score) or ``"reconstruction"``.
        anomaly_map_sigma: Gaussian smoothing of the anomaly map: ``"auto"`` (chosen by validation pixel AUROC
            among 0, 1, 2, 4 where validation masks exist, else none) or a sigma in pixels (0: none).
        tile_top_k: With a tiler, an image's score is the mean of its ``tile_top_k`` highest tile scores (1: the
            maximum); ``"auto"`` chooses among 1, 2, 4 and 8 with the score type by validation image AUROC (the
            maximum without anomalous validation images). Without a tiler it has no effect.
        teacher_epochs: Epochs of teacher pre-training (phase 0); skipped with ``teacher_checkpoint``.
        frozen_epochs: Epochs of distillation from the frozen teacher (phase 1).
        joint_epochs: Epochs of joint fine-training (phase 2).
        min_schedule_steps: The phases together get at least this many training batches, in the proportions of
            the epochs, however small the data set (0: the epochs alone decide). See :mod:`.callbacks.schedule`.
        restore_best_validation: When the schedule ends, go back to the student's weights (and the post-processor's
            thresholds, score type and map smoothing) of the validation with the best image AUROC after the student
            started training, the later one on a tie (see :mod:`.callbacks.best_weights`); ``False`` keeps the last
            weights. Needs anomalous validation images; without them the last weights are kept.
        restore_best_teacher: When the teacher's pre-training ends, go back to the teacher of its validation with
            the best image AUROC (the better of its two scores), so the student distils from that teacher instead
            of the teacher's last state (see :mod:`.callbacks.selection`). Off by default: on the benchmark's cells
            the better teacher did not make a better student on validation (``docs/results.md``). Needs anomalous
            validation images; a ``teacher_checkpoint`` is used as it is.
        keep_num_workers: Keep the datamodule's ``num_workers`` when the schedule stretches a small data set on a
            CPU; by default such a datamodule loads in the main process (see :mod:`.callbacks.loader_workers`).
        teacher_checkpoint: A Pkdgan Lightning checkpoint or a saved teacher ``GanNetwork`` state dict. Read
            once; checkpoints of this model hold the teacher's weights and do not read it again.
        wadv: Adversarial (feature matching) weight of each GAN's generator loss.
        wcon: Contextual (L1 reconstruction) weight of each GAN's generator loss.
        wenc: Encoder (latent consistency) weight of each GAN's generator loss.
        w_distill_latent: Weight of the student-to-teacher latent distillation term (0.1, chosen on validation).
        w_distill_reconstruction: Weight of the student-to-teacher reconstruction distillation term.
        w_distill_score: Weight of the term that copies the teacher's latent anomaly vector ``z - z'`` into the
            student's (projected) one, on every distilled input; 0, the default, adds none.
        distill_inputs: Inputs the distillation loss also covers besides the normal batch: ``"normal"`` (none,
            the paper's), ``"mixup"``, ``"cutpaste"``, ``"noise"`` or ``"generated"`` (see
            :mod:`.components.distill_inputs`).
        w_distill_hint: Weight of FitNets-style hints on the intermediate feature maps of the generators' encoder
            and decoder through trained 1x1 adapters (see :mod:`.components.hints`); 0, the default, adds no hints.
        lr: Adam learning rate of the teacher's optimizers (GANomaly's 2e-4), and of the student's unless
            ``student_lr`` is given.
        student_lr: Adam learning rate of the student's generator (with the latent projection and hint adapters)
            and discriminator; ``None`` (default) uses ``lr``.
        beta1: Adam beta1.
        beta2: Adam beta2.
        on_nan: ``"raise"`` (stop at the first NaN/Inf loss) or ``"skip"`` the step; see :mod:`.divergence`.
        seed: If set, ``seed_everything(seed)`` before the networks are built, so a run repeats exactly (Anomalib's
            CLI accepts ``--seed_everything`` but never applies it: use ``--model.seed``). Not saved in checkpoints.
        pre_processor: Anomalib pre-processor, ``True`` for the default (resize to ``input_size``, or keep the size
            with a tiler; scale to ``[-1, 1]``).
        post_processor: Anomalib post-processor (normalisation and thresholds from validation).
        evaluator: Anomalib evaluator.
        visualizer: Anomalib visualizer.

    Example:
        >>> model = Pkdgan(input_size=(32, 32), num_input_channels=1)
        >>> model.schedule.total_epochs
        35
    """

    def __init__(
        self,
        input_size: Sequence[int] | None = None,
        num_input_channels: int | None = None,
        teacher_features: int | str = "auto",
        teacher_latent: int = 100,
        student_features: int = 3,
        student_latent: int = 16,
        extra_layers: int = 0,
        student_block: str = "standard",
        score_type: str = "auto",
        anomaly_map_sigma: float | str = "auto",
        tile_top_k: int | str = "auto",
        teacher_epochs: int = 15,
        frozen_epochs: int = 15,
        joint_epochs: int = 5,
        min_schedule_steps: int = 2000,
        restore_best_validation: bool = True,
        restore_best_teacher: bool = False,
        keep_num_workers: bool = False,
        teacher_checkpoint: str | Path | None = None,
        wadv: float = 1.0,
        wcon: float = 50.0,
        wenc: float = 1.0,
        w_distill_latent: float = 0.1,
        w_distill_reconstruction: float = 50.0,
        w_distill_hint: float = 0.0,
        w_distill_score: float = 0.0,
        distill_inputs: str = "normal",
        lr: float = 2e-4,
        student_lr: float | None = None,
        beta1: float = 0.5,
        beta2: float = 0.999,
        on_nan: str = "raise",
        seed: int | None = None,
        pre_processor: nn.Module | bool = True,
        post_processor: nn.Module | bool = True,
        evaluator: Evaluator | bool = True,
        visualizer: Visualizer | bool = True,
    ) -> None:
        self.from_data = {"input_size": input_size is None, "num_input_channels": num_input_channels is None}
        input_size = DEFAULT_INPUT_SIZE if input_size is None else input_size
        num_input_channels = 1 if num_input_channels is None else num_input_channels
        if len(input_size) != 2:
            msg = f"PKDGAN input_size must be (height, width), got {input_size!r}."
            raise ValueError(msg)
        width = teacher_width(input_size, teacher_features)  # hparams keep the argument ("auto"), not the width
        self.teacher_features = teacher_features
        if score_type not in {"auto", *ScoreType}:
            msg = f"PKDGAN score_type must be 'auto', 'latent' or 'reconstruction', got {score_type!r}."
            raise ValueError(msg)
        if tile_top_k != "auto" and not (isinstance(tile_top_k, int) and tile_top_k >= 1):
            msg = f"PKDGAN tile_top_k must be 'auto' or a positive number of tiles, got {tile_top_k!r}."
            raise ValueError(msg)
        input_size = (int(input_size[0]), int(input_size[1]))
        if seed is not None:
            # Workaround: Anomalib's CLI (2.4 to 2.7, ``AnomalibCLI._add_default_arguments_to_parser``) declares
            # ``--seed_everything`` but never calls ``seed_everything``, so a CLI run could not be repeated.
            seed_everything(seed, workers=True)
        uses_default = pre_processor is True
        if pre_processor is True:
            pre_processor = self.configure_pre_processor(input_size)
        else:
            self.from_data["input_size"] = False  # the user's pre-processor decides the size the networks get
        super().__init__(
            pre_processor=pre_processor, post_processor=post_processor, evaluator=evaluator, visualizer=visualizer
        )
        self.default_pre_processor = uses_default  # resized to input_size, or kept whole for a tiler
        self.network_args: dict[str, Any] = {  # what PkdganModel takes besides the size, channels and width
            "teacher_latent": teacher_latent,
            "student_features": student_features,
            "student_latent": student_latent,
            "extra_layers": extra_layers,
            "student_block": student_block,
            "score_type": ScoreType.LATENT if score_type == "auto" else score_type,
            "anomaly_map_sigma": 0.0 if anomaly_map_sigma == "auto" else float(anomaly_map_sigma),
            "hints": w_distill_hint > 0,
        }
        self.model = PkdganModel(input_size, num_input_channels, width, **self.network_args)
        self.model.tile_top_k = TOP_K_CHOICES[0] if tile_top_k == "auto" else tile_top_k
        for name in UNSAVED_HYPERPARAMETERS:
            self._hparams.pop(name, None)
            self._hparams_initial.pop(name, None)
        self.selection = ScoreSelection(
            score=score_type == "auto",
            map_sigma=anomaly_map_sigma == "auto",
            best_weights=restore_best_validation,
            tile_top_k=tile_top_k == "auto",
            best_teacher=restore_best_teacher,
        )
        self.schedule = ProgressiveDistillation(
            teacher_epochs, frozen_epochs, joint_epochs, min_schedule_steps, keep_num_workers
        )
        self.generator_loss = GeneratorLoss(wadv, wcon, wenc)
        self.discriminator_loss = DiscriminatorLoss()
        self.distillation_loss = DistillationLoss(
            w_distill_latent, w_distill_reconstruction, w_distill_hint, w_distill_score
        )
        self.distill_inputs = check_distill_inputs(distill_inputs)
        student_lr = lr if student_lr is None else student_lr
        for name, value in (("lr", lr), ("student_lr", student_lr)):
            if not value > 0:
                msg = f"PKDGAN {name} must be a positive learning rate, got {value!r}."
                raise ValueError(msg)
        self.lr, self.student_lr, self.betas = lr, student_lr, (beta1, beta2)
        self.divergence = DivergenceGuard(on_nan)
        self.automatic_optimization = False
        self.register_buffer("phase_index", torch.tensor(int(Phase.TEACHER)))
        self.phase_index: torch.Tensor
        self.register_buffer("student_steps", torch.tensor(0))
        self.student_steps: torch.Tensor
        self.register_buffer("schedule_step", torch.tensor(0))
        self.schedule_step: torch.Tensor
        self.teacher_pretrained = teacher_checkpoint is not None
        if teacher_checkpoint is not None:
            self.model.teacher.load_state_dict(load_teacher_state(teacher_checkpoint, self.model.teacher))

    @staticmethod
    def configure_pre_processor(image_size: tuple[int, int] | None = None) -> PreProcessor:
        """Resize to ``image_size`` and scale to ``[-1, 1]`` (see :func:`.pre_processing.default_pre_processor`)."""
        return default_pre_processor(image_size or DEFAULT_INPUT_SIZE)

    @property
    def phase(self) -> Phase:
        """The current training phase (saved in checkpoints)."""
        return Phase(int(self.phase_index))

    @property
    def distills(self) -> bool:
        """Whether the distillation loss has any weight (``False`` trains the student alone)."""
        loss = self.distillation_loss
        return bool(loss.w_latent or loss.w_reconstruction or loss.w_hint or loss.w_score)

    def configure_optimizers(self) -> list[optim.Optimizer]:
        """Adam for the teacher's generator and discriminator (``lr``) and the student's (``student_lr``)."""
        student_generator = [*self.model.student.generator.parameters(), *self.model.latent_projection.parameters()]
        if self.model.hint_adapters is not None:
            student_generator += list(self.model.hint_adapters.parameters())
        groups = [
            self.model.teacher.generator.parameters(),
            self.model.teacher.discriminator.parameters(),
            student_generator,
            self.model.student.discriminator.parameters(),
        ]
        rates = [self.lr, self.lr, self.student_lr, self.student_lr]
        return [optim.Adam(params, lr=rate, betas=self.betas) for params, rate in zip(groups, rates, strict=True)]

    def configure_callbacks(self) -> Sequence[Callback] | Callback:
        """Anomalib's component callbacks, the :class:`ProgressiveDistillation` schedule and the score selection."""
        callbacks = super().configure_callbacks()
        callbacks = list(callbacks) if isinstance(callbacks, Sequence) else [callbacks]
        return [*callbacks, self.schedule, self.selection]

    def validation_step(self, batch: Batch, *args: Any, **kwargs: Any) -> STEP_OUTPUT:
        """Score the batch with the student; each image's score depends on that image alone."""
        del args, kwargs
        predictions = self.model(batch.image)
        return batch.update(**predictions._asdict())

    def configure_evaluator(self) -> Evaluator:  # type: ignore[override]
        """Anomalib's default metrics plus PRO (per-region overlap); pixel metrics only where the data has masks."""
        pro = PRO(fields=["anomaly_map", "gt_mask"], prefix="pixel_", strict=False)
        return MaskAwareEvaluator(test_metrics=[*super().configure_evaluator().test_metrics, pro])

    @property
    def trainer_arguments(self) -> dict[str, Any]:
        """Manual optimisation: no gradient clipping by Lightning; no sanity validation."""
        return {"gradient_clip_val": 0, "num_sanity_val_steps": 0}

    @property
    def learning_type(self) -> LearningType:
        """P-KDGAN trains on normal images only."""
        return LearningType.ONE_CLASS


class PKDGAN(Pkdgan):
    """``Pkdgan`` under the paper's name: Anomalib's CLI matches ``--model`` against class names exactly."""
