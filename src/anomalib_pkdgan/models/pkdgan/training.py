# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""One training step of P-KDGAN: the networks the current phase trains, their losses, and what is logged.

Manual optimisation (``automatic_optimization = False``): each step runs the generators of the trained networks
(with the distillation loss when the student trains and the loss has weight), one backward pass over the sum of the
terms, then each trained network's discriminator. Non-finite terms are handled by :mod:`.divergence`. Every term is
logged per step under ``train/<network>/<term>``, their sum as ``train_loss`` (in the progress bar) and the phase
as an integer.
"""

from typing import Any

import torch
from anomalib.data import Batch
from lightning.pytorch.utilities.types import STEP_OUTPUT

from .callbacks import Phase
from .components import GanNetwork, GanOutput
from .divergence import DivergenceGuard
from .loss import DiscriminatorLoss, DistillationLoss, GeneratorLoss, reinitialise_if_won
from .torch_model import PkdganModel


class GanTrainingMixin:
    """``training_step`` of :class:`~anomalib_pkdgan.Pkdgan`; mixed in before ``AnomalibModule``."""

    model: PkdganModel
    phase: Phase
    distills: bool
    distill_inputs: str
    generator_loss: GeneratorLoss
    discriminator_loss: DiscriminatorLoss
    distillation_loss: DistillationLoss
    divergence: DivergenceGuard
    student_steps: torch.Tensor
    current_epoch: int
    global_step: int
    optimizers: Any
    manual_backward: Any
    log: Any
    log_dict: Any

    def _discriminator_step(self, network: GanNetwork, output: GanOutput, optimizer: Any, name: str) -> torch.Tensor:
        pred_real, _ = network.discriminate(output.canvas.detach())
        pred_fake, _ = network.discriminate(output.reconstruction.detach())
        loss = self.discriminator_loss(pred_real, pred_fake)
        if self._finite({f"{name}/discriminator": loss}):
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
            reinitialise_if_won(network.discriminator, loss)
        return loss.detach()

    def _finite(self, terms: dict[str, torch.Tensor]) -> bool:
        where = f"in phase {self.phase.name} at epoch {self.current_epoch}, step {self.global_step}"
        return self.divergence.finite(terms, where)

    def training_step(self, batch: Batch, batch_idx: int) -> STEP_OUTPUT:
        """One optimisation step of the current phase: generators first, then discriminators."""
        del batch_idx
        images = self.model.to_model_channels(self.model.tile(batch.image))  # with a tiler, all tiles of the batch
        teacher_g, teacher_d, student_g, student_d = self.optimizers()
        phase = self.phase
        optimizers = {"teacher": (teacher_g, teacher_d), "student": (student_g, student_d)}  # generator, discriminator
        trained = {name: optimizers[name] for name in phase.trained}

        outputs: dict[str, GanOutput] = {}
        hints = "student" in trained and self.distillation_loss.w_hint > 0
        if "teacher" in trained or self.distills:
            with torch.set_grad_enabled("teacher" in trained):
                outputs["teacher"] = self.model.teacher(images, features=hints)
        if "student" in trained:
            outputs["student"] = self.model.student(images, features=hints)
        terms = {
            f"{name}/{term}": value
            for name in trained
            for term, value in self.generator_loss.of(getattr(self.model, name), outputs[name]).items()
        }
        if "student" in trained and self.distills:
            distill = self.distillation_loss(
                outputs["student"], outputs["teacher"], self.model.latent_projection, self.model.hint_adapters
            )
            terms.update({f"distill/{term}": value for term, value in distill.items()})
            if self.distill_inputs != "normal":
                off_normal = self.distillation_loss.off_normal(
                    self.model, self.distill_inputs, images, outputs["teacher"]
                )
                terms.update({f"distill_off/{term}": value for term, value in off_normal.items()})

        if self._finite(terms):
            for generator_opt, _ in trained.values():
                generator_opt.zero_grad(set_to_none=True)
            self.manual_backward(torch.stack(list(terms.values())).sum())
            for generator_opt, _ in trained.values():
                generator_opt.step()
            self.student_steps += int("student" in trained)
        for name, (_, discriminator_opt) in trained.items():
            network = getattr(self.model, name)
            terms[f"{name}/discriminator"] = self._discriminator_step(network, outputs[name], discriminator_opt, name)

        # Per step: the loss terms, their sum (``train_loss``, in the progress bar) and the phase as an integer.
        logged = {f"train/{name}": value.detach() for name, value in terms.items()}
        self.log_dict(logged, on_step=True, on_epoch=False, batch_size=images.shape[0])
        total = torch.stack(list(logged.values())).sum()
        self.log("train_loss", total, on_step=True, on_epoch=False, prog_bar=True, batch_size=images.shape[0])
        self.log("phase", int(phase), on_step=True, on_epoch=False, prog_bar=True, batch_size=images.shape[0])
        return None
