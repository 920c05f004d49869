# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Losses of P-KDGAN: each GAN's own GANomaly losses, and the teacher-student distillation loss.

Every loss returns its **weighted terms by name**, so training can log each one and name the term
that turned NaN. The discriminator loss is Anomalib's GANomaly ``DiscriminatorLoss`` (binary cross
entropy on real and reconstructed images), re-exported here.

Example:
    >>> import torch
    >>> from anomalib_pkdgan.models.pkdgan.components.gan_network import GanNetwork
    >>> net = GanNetwork((32, 32), 1, n_features=4, latent_vec_size=8)
    >>> out = net(torch.rand(2, 1, 32, 32) * 2 - 1)
    >>> _, real_features = net.discriminate(out.canvas)
    >>> _, fake_features = net.discriminate(out.reconstruction)
    >>> sorted(GeneratorLoss()(out, real_features, fake_features))
    ['adversarial', 'contextual', 'encoder']
    >>> sorted(GeneratorLoss().of(net, out)) == sorted(GeneratorLoss()(out, real_features, fake_features))
    True
"""

from collections.abc import Sequence

import torch
import torch.nn.functional as F  # noqa: N812
from anomalib.models.image.ganomaly.loss import DiscriminatorLoss
from anomalib.models.image.ganomaly.torch_model import GanomalyModel
from torch import nn

from .components.distill_inputs import off_normal_inputs
from .components.gan_network import GanNetwork, GanOutput

__all__ = [
    "DISCRIMINATOR_REINIT_BELOW",
    "DiscriminatorLoss",
    "DistillationLoss",
    "GeneratorLoss",
    "reinitialise_if_won",
]

DISCRIMINATOR_REINIT_BELOW = 1e-5
"""GANomaly re-initialises a discriminator whose loss falls below this (it has won outright)."""


def reinitialise_if_won(discriminator: nn.Module, loss: torch.Tensor) -> bool:
    """Re-initialise ``discriminator`` (DCGAN init, as GANomaly) if its ``loss`` is below the threshold.

    Returns:
        bool: Whether it was re-initialised.
    """
    if loss.item() >= DISCRIMINATOR_REINIT_BELOW:
        return False
    discriminator.apply(GanomalyModel.weights_init)
    return True


class GeneratorLoss(nn.Module):
    """GANomaly's generator loss, as in the GANomaly paper (Akcay et al., 2018).

    * ``adversarial``: feature matching, mean squared distance between the discriminator's last feature
      maps for the real and the reconstructed image (weight ``wadv``);
    * ``contextual``: L1 distance between image and reconstruction (weight ``wcon``);
    * ``encoder``: mean squared distance between ``z`` and ``z'`` (weight ``wenc``).

    Args:
        wadv: Weight of the adversarial term. Defaults to GANomaly's ``1``.
        wcon: Weight of the contextual term. Defaults to GANomaly's ``50``.
        wenc: Weight of the encoder term. Defaults to GANomaly's ``1``.
    """

    def __init__(self, wadv: float = 1.0, wcon: float = 50.0, wenc: float = 1.0) -> None:
        super().__init__()
        self.wadv = wadv
        self.wcon = wcon
        self.wenc = wenc

    def forward(
        self,
        output: GanOutput,
        real_features: torch.Tensor,
        fake_features: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """Weighted terms of the generator loss.

        Args:
            output: The generator's output for a batch.
            real_features: Discriminator features of ``output.canvas``.
            fake_features: Discriminator features of ``output.reconstruction``.

        Returns:
            dict[str, torch.Tensor]: ``adversarial``, ``contextual`` and ``encoder``, each weighted.
        """
        return {
            "adversarial": self.wadv * F.mse_loss(fake_features, real_features),
            "contextual": self.wcon * F.l1_loss(output.reconstruction, output.canvas),
            "encoder": self.wenc * F.mse_loss(output.latent_o, output.latent_i),
        }

    def of(self, network: GanNetwork, output: GanOutput) -> dict[str, torch.Tensor]:
        """Weighted terms for ``output`` of ``network``, whose discriminator gives the features."""
        _, real_features = network.discriminate(output.canvas)
        _, fake_features = network.discriminate(output.reconstruction)
        return self(output, real_features, fake_features)


class DistillationLoss(nn.Module):
    """Pull the student's latents and reconstruction toward the teacher's.

    * ``distill_latent``: mean squared distance between the projected student latents and the teacher
      latents, for both ``z`` and ``z'`` (weight ``w_latent``). The projection is a learned 1x1
      convolution from the student's latent size to the teacher's, trained with the student.
    * ``distill_reconstruction``: L1 distance between the student's and the teacher's reconstructions
      (weight ``w_reconstruction``; the default matches the contextual weight, since it is the same kind
      of pixel L1 term).
    * ``distill_score`` (only with ``w_score > 0``): the teacher's latent anomaly vector ``z - z'`` copied by the
      student's projected one (mean squared distance), so the student's latent score follows the teacher's.
    * ``distill_hint`` (only with ``w_hint > 0``): FitNets-style hints, the mean over the stages of ``G_E``
      and ``G_D`` of the squared distance between the adapted student feature map and the teacher's (see
      :mod:`.components.hints`; the outputs must carry ``features``).

    Gradients reach the teacher only when its outputs were computed with gradients, that is in the joint
    phase; in the frozen phase the teacher outputs come from ``torch.no_grad()``.

    Args:
        w_latent: Weight of the latent term.
        w_reconstruction: Weight of the reconstruction term.
        w_hint: Weight of the hint term (0: no hints).
        w_score: Weight of the anomaly-vector term (0: none).
    """

    def __init__(
        self, w_latent: float = 0.1, w_reconstruction: float = 50.0, w_hint: float = 0.0, w_score: float = 0.0
    ) -> None:
        super().__init__()
        self.w_latent = w_latent
        self.w_reconstruction = w_reconstruction
        self.w_hint = w_hint
        self.w_score = w_score

    def forward(
        self,
        student: GanOutput,
        teacher: GanOutput,
        projection: nn.Module,
        adapters: Sequence[nn.Module] | None = None,
        hints: bool = True,
    ) -> dict[str, torch.Tensor]:
        """Weighted terms of the distillation loss.

        Args:
            student: Student generator output.
            teacher: Teacher generator output for the same images.
            projection: Maps student latents ``(B, l_s, 1, 1)`` to ``(B, l_t, 1, 1)``.
            adapters: One 1x1 convolution per hinted stage (needed when ``w_hint > 0``).
            hints: Add the hint term when ``w_hint > 0`` (``False`` for inputs run without feature maps).

        Returns:
            dict[str, torch.Tensor]: ``distill_latent``, ``distill_reconstruction``, with ``w_score`` also
            ``distill_score`` and, with hints, ``distill_hint``, each weighted.
        """
        latent = F.mse_loss(projection(student.latent_i), teacher.latent_i) + F.mse_loss(
            projection(student.latent_o),
            teacher.latent_o,
        )
        terms = {
            "distill_latent": self.w_latent * latent,
            "distill_reconstruction": self.w_reconstruction * F.l1_loss(student.reconstruction, teacher.reconstruction),
        }
        if self.w_score:
            vector = projection(student.latent_i - student.latent_o)
            terms["distill_score"] = self.w_score * F.mse_loss(vector, teacher.latent_i - teacher.latent_o)
        if self.w_hint and hints:
            if adapters is None or not student.features or len(student.features) != len(teacher.features):
                msg = "PKDGAN hints need both networks' feature maps (forward(..., features=True)) and the adapters."
                raise ValueError(msg)
            stages = [
                F.mse_loss(adapter(s), t)
                for adapter, s, t in zip(adapters, student.features, teacher.features, strict=True)
            ]
            terms["distill_hint"] = self.w_hint * torch.stack(stages).mean()
        return terms

    def off_normal(
        self, model: nn.Module, kind: str, images: torch.Tensor, teacher: GanOutput
    ) -> dict[str, torch.Tensor]:
        """Weighted terms on inputs of ``kind`` made from the normal ``images`` (see :mod:`.components.distill_inputs`).

        The teacher's response to them is the target and is never trained towards the student's. The teacher makes
        and answers them in eval mode, also in the joint phase (where it trains): these batches leave its BatchNorm
        statistics alone, and the target is the response it would give when scoring.

        Args:
            model: The :class:`~.torch_model.PkdganModel` (its teacher, student and latent projection).
            kind: One of the ``distill_inputs`` choices other than ``"normal"``.
            images: The normal batch, with the model's channels.
            teacher: The teacher's output for ``images`` (its latents seed the ``"generated"`` inputs).
        """
        network = model.teacher
        training = network.training
        network.eval()
        try:
            inputs = off_normal_inputs(kind, images, network.generator.decoder, teacher.latent_i)
            if inputs.shape[-2:] != images.shape[-2:]:  # generated images are canvas-sized
                inputs = network.crop(inputs)
            with torch.no_grad():
                target = network(inputs)
        finally:
            network.train(training)
        return self(model.student(inputs), target, model.latent_projection, hints=False)
