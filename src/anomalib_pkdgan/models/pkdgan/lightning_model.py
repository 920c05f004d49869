# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""P-KDGAN as an Anomalib model.

Zhang, Chen, Sun: "P-KDGAN: Progressive Knowledge Distillation with GANs for One-class Novelty
Detection", IJCAI 2020. A large teacher GAN and a compact student GAN of the same GANomaly shape are
linked by a distillation loss and trained in progressive phases (teacher pre-training, frozen-teacher
distillation, joint fine-training; see :mod:`.callback`). Only the student scores images.

Example:
    >>> from anomalib.engine import Engine
    >>> from anomalib_pkdgan import Pkdgan
    >>> model = Pkdgan(input_size=(32, 32), num_input_channels=1, teacher_epochs=1, frozen_epochs=1)
    >>> engine = Engine(max_epochs=model.schedule.total_epochs)
    >>> engine.fit(model, datamodule=datamodule)  # doctest: +SKIP
    >>> engine.test(model, datamodule=datamodule)  # doctest: +SKIP
"""

import logging
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any

import torch
from anomalib import LearningType
from anomalib.data import Batch
from anomalib.metrics import Evaluator
from anomalib.models.components import AnomalibModule
from anomalib.models.image.ganomaly.torch_model import GanomalyModel
from anomalib.pre_processing import PreProcessor
from anomalib.visualization import Visualizer
from lightning.pytorch import Callback, seed_everything
from lightning.pytorch.utilities.types import STEP_OUTPUT
from torch import nn, optim
from torchvision.transforms.v2 import Compose, Normalize, Resize

from .callback import Phase, ProgressiveDistillation
from .loss import DiscriminatorLoss, DistillationLoss, GeneratorLoss
from .score_selection import best_score_type, score_aurocs, score_validation_set
from .teacher_checkpoint import load_teacher_state
from .torch_model import GanNetwork, GanOutput, PkdganModel, ScoreType

logger = logging.getLogger(__name__)

DISCRIMINATOR_REINIT_BELOW = 1e-5
"""GANomaly re-initialises a discriminator whose loss falls below this (it has won outright)."""


class DivergenceError(FloatingPointError):
    """A P-KDGAN loss became NaN or infinite."""


class Pkdgan(AnomalibModule):
    """P-KDGAN: a compact student GAN distilled progressively from a large teacher GAN.

    Args:
        input_size: Image height and width the networks take; the default pre-processor resizes to it.
        num_input_channels: 1 (grey) or 3 (colour). RGB batches are converted to this inside the model.
        teacher_features: Teacher base width. Defaults to GANomaly's 64.
        teacher_latent: Teacher latent size. Defaults to GANomaly's 100.
        student_features: Student base width. The default 3 makes the student 323x cheaper at 32x32.
        student_latent: Student latent size.
        extra_layers: Extra 3x3 blocks in every encoder and decoder.
        score_type: ``"auto"`` (default: before each validation epoch, the student's score with the higher
            validation AUROC; needs anomalous validation images, else keeps the latent score), ``"latent"``
            (``||z - z'||^2``, the paper's score) or ``"reconstruction"``. See :mod:`.score_selection`.
        teacher_epochs: Epochs of teacher pre-training (phase 0); skipped with ``teacher_checkpoint``.
        frozen_epochs: Epochs of distillation from the frozen teacher (phase 1).
        joint_epochs: Epochs of joint fine-training (phase 2).
        teacher_checkpoint: A Pkdgan Lightning checkpoint or a saved teacher ``GanNetwork`` state dict.
        wadv: Adversarial (feature matching) weight of each GAN's generator loss.
        wcon: Contextual (L1 reconstruction) weight of each GAN's generator loss.
        wenc: Encoder (latent consistency) weight of each GAN's generator loss.
        w_distill_latent: Weight of the student-to-teacher latent distillation term (0.1, chosen on validation).
        w_distill_reconstruction: Weight of the student-to-teacher reconstruction distillation term.
        lr: Adam learning rate of all optimizers.
        beta1: Adam beta1.
        beta2: Adam beta2.
        on_nan: ``"raise"`` stops training at the first NaN/Inf loss with a :class:`DivergenceError`;
            ``"skip"`` logs it and skips that optimisation step.
        seed: If set, seeds Python, NumPy and torch (Lightning's ``seed_everything``) before the networks are
            built, so weight initialisation and everything after it repeat from run to run. ``None`` (default)
            leaves the global random state alone: seed it yourself in Python. From the CLI use
            ``--model.seed``: Anomalib's CLI accepts ``--seed_everything`` but never applies it.
        pre_processor: Anomalib pre-processor, ``True`` for the default (resize to ``input_size``, scale to
            ``[-1, 1]`` for the Tanh decoder).
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
        input_size: Sequence[int] = (32, 32),
        num_input_channels: int = 1,
        teacher_features: int = 64,
        teacher_latent: int = 100,
        student_features: int = 3,
        student_latent: int = 16,
        extra_layers: int = 0,
        score_type: str = "auto",
        teacher_epochs: int = 15,
        frozen_epochs: int = 15,
        joint_epochs: int = 5,
        teacher_checkpoint: str | Path | None = None,
        wadv: float = 1.0,
        wcon: float = 50.0,
        wenc: float = 1.0,
        w_distill_latent: float = 0.1,
        w_distill_reconstruction: float = 50.0,
        lr: float = 2e-4,
        beta1: float = 0.5,
        beta2: float = 0.999,
        on_nan: str = "raise",
        seed: int | None = None,
        pre_processor: nn.Module | bool = True,
        post_processor: nn.Module | bool = True,
        evaluator: Evaluator | bool = True,
        visualizer: Visualizer | bool = True,
    ) -> None:
        if len(input_size) != 2:
            msg = f"PKDGAN input_size must be (height, width), got {input_size!r}."
            raise ValueError(msg)
        if num_input_channels not in {1, 3}:
            msg = f"PKDGAN supports 1- or 3-channel images, got num_input_channels={num_input_channels}."
            raise ValueError(msg)
        if score_type not in {"auto", *ScoreType}:
            msg = f"PKDGAN score_type must be 'auto', 'latent' or 'reconstruction', got {score_type!r}."
            raise ValueError(msg)
        if on_nan not in {"raise", "skip"}:
            msg = f"PKDGAN on_nan must be 'raise' or 'skip', got {on_nan!r}."
            raise ValueError(msg)
        input_size = (int(input_size[0]), int(input_size[1]))
        if seed is not None:
            # Workaround: Anomalib's CLI (2.4 to 2.7, ``AnomalibCLI._add_default_arguments_to_parser``) declares
            # ``--seed_everything`` but never calls ``seed_everything``, so a CLI run could not be repeated.
            seed_everything(seed, workers=True)
        if pre_processor is True:
            pre_processor = self.configure_pre_processor(input_size)
        super().__init__(
            pre_processor=pre_processor,
            post_processor=post_processor,
            evaluator=evaluator,
            visualizer=visualizer,
        )
        self.model = PkdganModel(
            input_size=input_size,
            num_input_channels=num_input_channels,
            teacher_features=teacher_features,
            teacher_latent=teacher_latent,
            student_features=student_features,
            student_latent=student_latent,
            extra_layers=extra_layers,
            score_type=ScoreType.LATENT if score_type == "auto" else score_type,
        )
        self.selects_score = score_type == "auto"
        self.schedule = ProgressiveDistillation(teacher_epochs, frozen_epochs, joint_epochs)
        self.generator_loss = GeneratorLoss(wadv, wcon, wenc)
        self.discriminator_loss = DiscriminatorLoss()
        self.distillation_loss = DistillationLoss(w_distill_latent, w_distill_reconstruction)
        self.lr, self.betas = lr, (beta1, beta2)
        self.on_nan = on_nan
        self.automatic_optimization = False
        self.register_buffer("phase_index", torch.tensor(int(Phase.TEACHER)))
        self.phase_index: torch.Tensor
        self.register_buffer("student_steps", torch.tensor(0))
        self.student_steps: torch.Tensor
        self.teacher_pretrained = teacher_checkpoint is not None
        if teacher_checkpoint is not None:
            self.model.teacher.load_state_dict(load_teacher_state(teacher_checkpoint, self.model.teacher))

    @staticmethod
    def configure_pre_processor(image_size: tuple[int, int] | None = None) -> PreProcessor:
        """Default pre-processor: resize to ``image_size`` and scale ``[0, 1]`` to ``[-1, 1]``.

        The decoder ends in Tanh, so inputs are scaled to its range rather than ImageNet-normalised.
        Anomalib batches always hold RGB images; the model itself converts them to the channel count it
        was built for (see :meth:`PkdganModel.to_model_channels`), inside exported graphs too.

        Example:
            >>> pre = Pkdgan.configure_pre_processor((32, 32))
            >>> out = pre(torch.ones(2, 3, 64, 48))
            >>> out.shape, out.max().item()
            (torch.Size([2, 3, 32, 32]), 1.0)
        """
        image_size = image_size or (32, 32)
        return PreProcessor(
            transform=Compose(
                [
                    Resize(image_size, antialias=True),
                    Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5]),
                ]
            ),
        )

    @property
    def phase(self) -> Phase:
        """The current training phase (saved in checkpoints)."""
        return Phase(int(self.phase_index))

    @property
    def distills(self) -> bool:
        """Whether the distillation loss has any weight (``False`` trains the student alone)."""
        return bool(self.distillation_loss.w_latent or self.distillation_loss.w_reconstruction)

    def set_phase(self, phase: Phase) -> None:
        """Enter ``phase``: freeze or unfreeze the teacher and drop state the phase does not need."""
        if phase != self.phase:
            logger.info("PKDGAN enters phase %s at epoch %d.", phase.name, self.current_epoch)
        self.phase_index.fill_(int(phase))
        frozen = phase == Phase.FROZEN
        self.model.teacher.requires_grad_(not frozen)
        if frozen and self._trainer is not None:
            # A frozen teacher keeps no gradients and no Adam moments: phase 1 costs only the student's memory.
            teacher_generator_opt, teacher_discriminator_opt, *_ = self.optimizers()
            for opt in (teacher_generator_opt, teacher_discriminator_opt):
                opt.optimizer.state.clear()
            self.model.teacher.zero_grad(set_to_none=True)
        self.train(self.training)

    def train(self, mode: bool = True) -> "Pkdgan":
        """Set train/eval mode; a frozen teacher always stays in eval mode (fixed BatchNorm statistics)."""
        super().train(mode)
        if mode and self.phase == Phase.FROZEN:
            self.model.teacher.eval()
        return self

    def configure_optimizers(self) -> list[optim.Optimizer]:
        """Adam for teacher generator, teacher discriminator, student generator (+ projection), student D."""
        student_generator = [*self.model.student.generator.parameters(), *self.model.latent_projection.parameters()]
        groups = [
            self.model.teacher.generator.parameters(),
            self.model.teacher.discriminator.parameters(),
            student_generator,
            self.model.student.discriminator.parameters(),
        ]
        return [optim.Adam(params, lr=self.lr, betas=self.betas) for params in groups]

    def configure_callbacks(self) -> Sequence[Callback] | Callback:
        """Anomalib's component callbacks plus the :class:`ProgressiveDistillation` schedule."""
        callbacks = super().configure_callbacks()
        callbacks = list(callbacks) if isinstance(callbacks, Sequence) else [callbacks]
        return [*callbacks, self.schedule]

    def _generator_terms(self, network: GanNetwork, output: GanOutput) -> dict[str, torch.Tensor]:
        _, real_features = network.discriminate(output.canvas)
        _, fake_features = network.discriminate(output.reconstruction)
        return self.generator_loss(output, real_features, fake_features)

    def _discriminator_step(self, network: GanNetwork, output: GanOutput, optimizer: Any, name: str) -> torch.Tensor:
        pred_real, _ = network.discriminate(output.canvas.detach())
        pred_fake, _ = network.discriminate(output.reconstruction.detach())
        loss = self.discriminator_loss(pred_real, pred_fake)
        if self._finite({f"{name}/discriminator": loss}):
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
            if loss.item() < DISCRIMINATOR_REINIT_BELOW:
                network.discriminator.apply(GanomalyModel.weights_init)
        return loss.detach()

    def _finite(self, terms: dict[str, torch.Tensor]) -> bool:
        """Return whether every loss term is finite; on a NaN/Inf raise or report, as ``on_nan`` says."""
        bad = [name for name, value in terms.items() if not torch.isfinite(value).all()]
        if not bad:
            return True
        msg = (
            f"PKDGAN training diverged: loss term(s) {', '.join(bad)} became "
            f"{', '.join(str(terms[name].item()) for name in bad)} in phase {self.phase.name} at epoch "
            f"{self.current_epoch}, step {self.global_step}. Checkpoints saved before this step are kept; "
            "try a lower lr or smaller loss weights."
        )
        if self.on_nan == "raise":
            raise DivergenceError(msg)
        logger.warning("%s Skipping the step (on_nan='skip').", msg)
        return False

    def training_step(self, batch: Batch, batch_idx: int) -> STEP_OUTPUT:
        """One optimisation step of the current phase: generators first, then discriminators."""
        del batch_idx
        images = self.model.to_model_channels(batch.image)
        teacher_g, teacher_d, student_g, student_d = self.optimizers()
        phase = self.phase
        trains_teacher = phase in {Phase.TEACHER, Phase.JOINT}
        trains_student = phase in {Phase.FROZEN, Phase.JOINT}
        uses_teacher = trains_teacher or self.distills

        terms: dict[str, torch.Tensor] = {}
        teacher_out = student_out = None
        if uses_teacher:
            with torch.set_grad_enabled(trains_teacher):
                teacher_out = self.model.teacher(images)
            if trains_teacher:
                terms.update(
                    {f"teacher/{k}": v for k, v in self._generator_terms(self.model.teacher, teacher_out).items()}
                )
        if trains_student:
            student_out = self.model.student(images)
            terms.update({f"student/{k}": v for k, v in self._generator_terms(self.model.student, student_out).items()})
            if self.distills:
                assert teacher_out is not None
                distill = self.distillation_loss(student_out, teacher_out, self.model.latent_projection)
                terms.update({f"distill/{k}": v for k, v in distill.items()})

        generator_optimizers = [opt for opt, on in ((teacher_g, trains_teacher), (student_g, trains_student)) if on]
        if self._finite(terms):
            generator_loss = torch.stack(list(terms.values())).sum()
            for opt in generator_optimizers:
                opt.zero_grad(set_to_none=True)
            self.manual_backward(generator_loss)
            for opt in generator_optimizers:
                opt.step()
            if trains_student:
                self.student_steps += 1

        if trains_teacher:
            assert teacher_out is not None
            terms["teacher/discriminator"] = self._discriminator_step(
                self.model.teacher, teacher_out, teacher_d, "teacher"
            )
        if trains_student:
            assert student_out is not None
            terms["student/discriminator"] = self._discriminator_step(
                self.model.student, student_out, student_d, "student"
            )

        logged = {f"train/{name}": value.detach() for name, value in terms.items()}
        self.log_dict(logged, on_step=False, on_epoch=True, batch_size=images.shape[0])
        self.log("phase", float(phase), on_step=False, on_epoch=True, prog_bar=True, batch_size=images.shape[0])
        return None

    def on_validation_epoch_start(self) -> None:
        """With ``score_type="auto"``, choose the student's score on the validation set before it is scored.

        The choice is made before any validation batch, so the post-processor's normalisation and threshold
        come from the chosen score; rank 0 decides for every rank under DDP.
        """
        if not self.selects_score or self.trainer.sanity_checking:
            return
        transform = getattr(self.pre_processor, "transform", None)
        loaders = self.trainer.val_dataloaders
        batches = chain.from_iterable(loaders if isinstance(loaders, list) else [loaders])  # streamed, not stored
        scores, labels = score_validation_set(self.model, batches, transform, self.device)
        aurocs = score_aurocs(scores, labels)
        if aurocs is None:
            logger.info(
                "PKDGAN score_type='auto': no anomalous validation images, keeping the %s score.",
                self.model.score_type.value,
            )
            chosen = self.model.score_type
        else:
            chosen = best_score_type(aurocs)
            values = ", ".join(f"{name.value} {value:.4f}" for name, value in aurocs.items())
            logger.info("PKDGAN score_type='auto' uses the %s score (validation AUROC: %s).", chosen.value, values)
        self.model.score_type = ScoreType(self.trainer.strategy.broadcast(chosen.value, src=0))

    def validation_step(self, batch: Batch, *args: Any, **kwargs: Any) -> STEP_OUTPUT:
        """Score the batch with the student; each image's score depends on that image alone."""
        del args, kwargs
        predictions = self.model(batch.image)
        return batch.update(**predictions._asdict())

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Store the score the student reports (chosen on validation with ``score_type="auto"``)."""
        checkpoint["pkdgan_score_type"] = self.model.score_type.value

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore the chosen score; refuse, with a clear message, a checkpoint that another model wrote."""
        state = checkpoint.get("state_dict", {})
        if not any(key.startswith("model.student.") for key in state):
            msg = (
                "This checkpoint was not written by a PKDGAN model (it has no 'model.student.*' weights; its first "
                f"keys are {list(state)[:3]}). Pass a checkpoint from a Pkdgan/PKDGAN run."
            )
            raise ValueError(msg)
        if "pkdgan_score_type" in checkpoint:
            self.model.score_type = ScoreType(checkpoint["pkdgan_score_type"])
        super().on_load_checkpoint(checkpoint)

    def _check_exportable(self) -> None:
        """Refuse to export a student that never trained or never saw validation data."""
        if int(self.student_steps) == 0:
            msg = (
                "PKDGAN cannot export this model: its student was never trained. Train it (engine.fit) or pass "
                "--ckpt_path of a trained PKDGAN checkpoint."
            )
            raise RuntimeError(msg)

    def to_torch(self, export_root: Path | str, *args: Any, **kwargs: Any) -> Path:
        """Export to a Torch file (see Anomalib's ``ExportMixin``); refuses an untrained model."""
        with self._export_guard(export_root, "torch"):
            return super().to_torch(export_root, *args, **kwargs)

    def to_onnx(self, export_root: Path | str, *args: Any, **kwargs: Any) -> Path:
        """Export the student, with pre- and post-processing, to ONNX; refuses an untrained model."""
        with self._export_guard(export_root, "onnx"):
            return super().to_onnx(export_root, *args, **kwargs)

    def to_openvino(self, export_root: Path | str, *args: Any, **kwargs: Any) -> Path:
        """Export the student, with pre- and post-processing, to OpenVINO IR; refuses an untrained model."""
        with self._export_guard(export_root, "openvino"):
            return super().to_openvino(export_root, *args, **kwargs)

    @contextmanager
    def _export_guard(self, export_root: Path | str, kind: str) -> Iterator[None]:
        """Check the model first; if the export fails, remove the folder it had started to write."""
        self._check_exportable()
        target = Path(export_root) / "weights" / kind
        existed = target.exists()
        try:
            yield
        except BaseException:
            if not existed:
                shutil.rmtree(target, ignore_errors=True)
            raise

    @property
    def trainer_arguments(self) -> dict[str, Any]:
        """Manual optimisation: no gradient clipping by Lightning; no sanity validation."""
        return {"gradient_clip_val": 0, "num_sanity_val_steps": 0}

    @property
    def learning_type(self) -> LearningType:
        """P-KDGAN trains on normal images only."""
        return LearningType.ONE_CLASS


class PKDGAN(Pkdgan):
    """The same model under the name the paper uses, so ``anomalib train --model PKDGAN`` resolves.

    Anomalib's CLI matches ``--model`` against class names exactly, so both spellings are classes.
    """
