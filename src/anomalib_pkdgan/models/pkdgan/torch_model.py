# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""PyTorch modules of P-KDGAN: one GANomaly-style GAN, and the teacher/student pair.

A :class:`GanNetwork` is the encoder-decoder-encoder generator (``G_E -> z``, ``G_D -> x_hat``,
``E -> z'``) plus a discriminator ``D``, built from Anomalib's own GANomaly blocks. The blocks need a
square, power-of-two canvas of at least 32 pixels, so any ``H x W`` image is padded (edge replication,
centred) onto such a canvas and the reconstruction is cropped back.

:class:`PkdganModel` holds a large teacher and a compact student of the same shape, plus the 1x1
projection that maps student latents to the teacher's latent size for distillation. Its ``forward``
is the inference path and uses the **student only**, so exported graphs hold no teacher weights.

Example:
    >>> import torch
    >>> model = PkdganModel(input_size=(28, 36), num_input_channels=1).eval()
    >>> out = model(torch.rand(4, 1, 28, 36) * 2 - 1)
    >>> out.pred_score.shape, out.anomaly_map.shape
    (torch.Size([4]), torch.Size([4, 1, 28, 36]))
"""

from copy import deepcopy
from dataclasses import dataclass, field
from enum import Enum

import torch
import torch.nn.functional as F  # noqa: N812
from anomalib.data import InferenceBatch
from anomalib.models.components import GaussianBlur2d
from anomalib.models.image.ganomaly.torch_model import Discriminator, GanomalyModel, Generator
from torch import nn

from .hints import HintAdapters, generator_features
from .student_design import DenseGenerator, check_block, make_separable

MIN_CANVAS = 32
"""Smallest square canvas on which Anomalib's GANomaly encoder gives a 1x1 latent."""

LUMA = (0.2989, 0.587, 0.114)
"""RGB-to-grey weights (ITU-R 601-2, as torchvision's ``Grayscale``)."""

MIN_SIDE = 8
"""Smallest image side accepted: below it the padded canvas would be mostly padding."""


def map_smoothing(sigma: float) -> nn.Module:
    """Gaussian smoothing of anomaly maps (Anomalib's ``GaussianBlur2d``), or identity for ``sigma == 0``.

    Example:
        >>> map_smoothing(0.0)
        Identity()
        >>> map_smoothing(2.0)(torch.zeros(1, 1, 32, 32)).shape
        torch.Size([1, 1, 32, 32])
    """
    if sigma < 0:
        msg = f"PKDGAN anomaly_map_sigma must be >= 0, got {sigma}."
        raise ValueError(msg)
    if sigma == 0:
        return nn.Identity()
    blur = GaussianBlur2d(sigma=float(sigma), channels=1)
    # The kernel follows from sigma, which checkpoints store on their own: keep it out of the state dict, so
    # that weights load whatever smoothing the model was built with.
    kernel = blur.kernel
    del blur.kernel
    blur.register_buffer("kernel", kernel, persistent=False)
    return blur


class ScoreType(str, Enum):
    """Which per-image anomaly score the student reports.

    ``latent``: mean over latent units of ``(z - z')^2`` (GANomaly's score, the paper's choice).
    ``reconstruction``: mean over pixels of ``(x - x_hat)^2`` inside the image (not the padding).
    """

    LATENT = "latent"
    RECONSTRUCTION = "reconstruction"


@dataclass
class GanOutput:
    """What one pass through a :class:`GanNetwork` generator returns.

    Attributes:
        canvas: Input padded onto the square canvas, ``(B, C, S, S)``.
        reconstruction: Generator output on the canvas, ``(B, C, S, S)``, in ``[-1, 1]``.
        latent_i: ``z = G_E(x)``, ``(B, latent, 1, 1)``.
        latent_o: ``z' = E(G_D(z))``, ``(B, latent, 1, 1)``.
        features: The intermediate feature maps of ``G_E`` and ``G_D`` (see :mod:`.hints`) when asked for.
    """

    canvas: torch.Tensor
    reconstruction: torch.Tensor
    latent_i: torch.Tensor
    latent_o: torch.Tensor
    features: list[torch.Tensor] = field(default_factory=list)


def canvas_size(input_size: tuple[int, int]) -> int:
    """Side of the square power-of-two canvas an ``input_size`` image is padded onto.

    Example:
        >>> canvas_size((28, 28)), canvas_size((32, 32)), canvas_size((40, 100))
        (32, 32, 128)
    """
    side = max(MIN_CANVAS, *input_size)
    return 1 << (side - 1).bit_length()


def teacher_width(input_size: tuple[int, int], teacher_features: int | str = "auto") -> int:
    """Return the teacher's base width: ``teacher_features`` itself, or what ``"auto"`` picks for an image size.

    ``"auto"`` is GANomaly's 64 channels on a 32x32 canvas, halved for each doubling of the canvas (at least 8).
    Each doubling adds a down-sampling stage that doubles the channels, so the deepest stage stays at GANomaly's 256
    channels, and the teacher's cost per image grows slowly with the image size instead of about 4 times per
    doubling (measured in ``benchmarks/train_time.py``).

    Example:
        >>> [teacher_width((side, side)) for side in (28, 32, 64, 100, 128, 256, 512)]
        [64, 64, 32, 16, 16, 8, 8]
        >>> teacher_width((128, 128), 48)
        48

    Raises:
        ValueError: ``teacher_features`` is a string other than ``"auto"``.
    """
    if not isinstance(teacher_features, str):
        return teacher_features
    if teacher_features != "auto":
        msg = f"PKDGAN teacher_features must be a positive integer or 'auto', got {teacher_features!r}."
        raise ValueError(msg)
    return max(8, 64 * MIN_CANVAS // canvas_size(input_size))


class GanNetwork(nn.Module):
    """One encoder-decoder-encoder GAN (generator and discriminator), DCGAN-style as in GANomaly.

    Args:
        input_size: Image height and width the network takes. Any size with both sides >= 8.
        num_input_channels: Image channels (1 for grey, 3 for colour).
        n_features: Base width: channels of the first convolution, doubled at each down-sampling.
        latent_vec_size: Size of the latents ``z`` and ``z'``.
        extra_layers: Extra 3x3 convolution blocks in each encoder and decoder.
        block: ``"standard"`` (GANomaly's convolutions), ``"separable"`` (the generator's convolutions made
            depthwise-separable) or ``"dense"`` (a fully connected generator with ``n_features`` hidden units, see
            :mod:`.student_design`). The discriminator stays standard.

    Example:
        >>> net = GanNetwork((32, 32), num_input_channels=3, n_features=8, latent_vec_size=16)
        >>> out = net(torch.zeros(2, 3, 32, 32))
        >>> out.latent_i.shape, out.reconstruction.shape
        (torch.Size([2, 16, 1, 1]), torch.Size([2, 3, 32, 32]))
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        num_input_channels: int,
        n_features: int,
        latent_vec_size: int,
        extra_layers: int = 0,
        block: str = "standard",
    ) -> None:
        super().__init__()
        input_size = (int(input_size[0]), int(input_size[1]))
        if min(input_size) < MIN_SIDE:
            msg = f"PKDGAN needs images of at least {MIN_SIDE}x{MIN_SIDE} pixels, got input_size={input_size}."
            raise ValueError(msg)
        for name, value in (
            ("num_input_channels", num_input_channels),
            ("n_features", n_features),
            ("latent_vec_size", latent_vec_size),
        ):
            if value < 1:
                msg = f"PKDGAN {name} must be a positive integer, got {value}."
                raise ValueError(msg)
        if extra_layers < 0:
            msg = f"PKDGAN extra_layers must be >= 0, got {extra_layers}."
            raise ValueError(msg)
        self.input_size = input_size
        self.num_input_channels = num_input_channels
        self.n_features = n_features
        self.latent_vec_size = latent_vec_size
        self.canvas = canvas_size(input_size)
        square = (self.canvas, self.canvas)
        if check_block(block) == "dense" and extra_layers:
            msg = (
                f"PKDGAN extra_layers={extra_layers} adds 3x3 convolution blocks; the 'dense' student generator has "
                "none. Use extra_layers=0 or student_block='standard' or 'separable'."
            )
            raise ValueError(msg)
        if block == "dense":
            self.generator = DenseGenerator(self.canvas, latent_vec_size, num_input_channels, n_features)
        else:
            self.generator = Generator(square, latent_vec_size, num_input_channels, n_features, extra_layers)
        if block == "separable":
            make_separable(self.generator)
        self.discriminator = Discriminator(square, num_input_channels, n_features, extra_layers)
        # DCGAN initialisation. Anomalib's GanomalyModel calls ``weights_init(self.generator)`` directly, which
        # only looks at the top-level module's class name and so initialises nothing; ``apply`` reaches every layer.
        self.generator.apply(GanomalyModel.weights_init)
        self.discriminator.apply(GanomalyModel.weights_init)
        height, width = input_size
        self._top, self._left = (self.canvas - height) // 2, (self.canvas - width) // 2
        self._padding = (self._left, self.canvas - width - self._left, self._top, self.canvas - height - self._top)

    def check_input(self, images: torch.Tensor) -> None:
        """Raise a ``ValueError`` naming the problem if ``images`` do not fit this network."""
        if images.ndim != 4:
            msg = f"PKDGAN expects a batch of images shaped (B, C, H, W), got a tensor of shape {tuple(images.shape)}."
            raise ValueError(msg)
        if images.shape[1] != self.num_input_channels:
            msg = (
                f"PKDGAN was built for {self.num_input_channels}-channel images but got {images.shape[1]} channels. "
                f"Set num_input_channels={images.shape[1]} or convert the images."
            )
            raise ValueError(msg)
        if tuple(images.shape[-2:]) != self.input_size:
            msg = (
                f"PKDGAN was built for {self.input_size[0]}x{self.input_size[1]} images but got "
                f"{images.shape[-2]}x{images.shape[-1]}. Resize them (the default pre-processor does) "
                "or build the model with that input_size."
            )
            raise ValueError(msg)

    def pad(self, images: torch.Tensor) -> torch.Tensor:
        """Place images on the square canvas by replicating their edges."""
        if not any(self._padding):
            return images
        return F.pad(images, self._padding, mode="replicate")

    def crop(self, canvas: torch.Tensor) -> torch.Tensor:
        """Cut the original ``H x W`` region back out of a canvas-sized tensor."""
        height, width = self.input_size
        return canvas[..., self._top : self._top + height, self._left : self._left + width]

    def forward(self, images: torch.Tensor, features: bool = False) -> GanOutput:
        """Run the generator on ``images`` of shape ``(B, C, H, W)`` in ``[-1, 1]``.

        Args:
            images: The images.
            features: Also return the intermediate feature maps that hints distil (see :mod:`.hints`).
        """
        self.check_input(images)
        canvas = self.pad(images)
        if features:
            (reconstruction, latent_i, latent_o), maps = generator_features(self.generator, canvas)
            return GanOutput(canvas, reconstruction, latent_i, latent_o, maps)
        reconstruction, latent_i, latent_o = self.generator(canvas)
        return GanOutput(canvas=canvas, reconstruction=reconstruction, latent_i=latent_i, latent_o=latent_o)

    def discriminate(self, canvas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Discriminator probability of ``real`` ``(B,)`` and its last feature map."""
        return self.discriminator(canvas)

    def generator_only(self) -> "GanNetwork":
        """Return a copy without the discriminator, which only training needs (its ``discriminate`` then fails).

        Example:
            >>> net = GanNetwork((32, 32), 1, n_features=4, latent_vec_size=8)
            >>> hasattr(net.generator_only(), "discriminator"), hasattr(net, "discriminator")
            (False, True)
        """
        copy = deepcopy(self)
        del copy.discriminator
        return copy


def convert_channels(images: torch.Tensor, num_channels: int, luma: torch.Tensor) -> torch.Tensor:
    """Convert a batch to ``num_channels`` channels.

    Anomalib batches are RGB. A grey model takes their luminance (``luma``: ITU-R 601 weights shaped
    ``(1, 3, 1, 1)``, as torchvision's ``Grayscale``); a colour model repeats a grey image to three channels.
    Other channel counts are refused with a ``ValueError`` naming them.

    Example:
        >>> luma = torch.tensor(LUMA).view(1, 3, 1, 1)
        >>> convert_channels(torch.ones(2, 3, 8, 8), 1, luma).shape
        torch.Size([2, 1, 8, 8])
    """
    channels = images.shape[1] if images.ndim == 4 else None
    if channels == num_channels:
        return images
    if channels == 3 and num_channels == 1:
        return (images * luma).sum(dim=1, keepdim=True)
    if channels == 1 and num_channels == 3:
        return images.expand(-1, 3, -1, -1)
    msg = (
        f"PKDGAN was built for {num_channels}-channel images and converts 1- or 3-channel input, "
        f"but got a batch of shape {tuple(images.shape)}."
    )
    raise ValueError(msg)


def network_scores(gan: GanNetwork, images: torch.Tensor) -> tuple[dict[ScoreType, torch.Tensor], torch.Tensor]:
    """Every per-image score of ``gan`` on ``images`` (with its channel count), and the anomaly map.

    Returns:
        ``({ScoreType: (B,) scores}, anomaly_map)``; the map is ``(B, 1, H, W)``, the squared reconstruction
        error averaged over channels. Each image's scores depend on that image alone.
    """
    output = gan(images)
    anomaly_map = (images - gan.crop(output.reconstruction)).pow(2).mean(dim=1, keepdim=True)
    scores = {
        ScoreType.LATENT: (output.latent_i - output.latent_o).pow(2).flatten(1).mean(dim=1),
        ScoreType.RECONSTRUCTION: anomaly_map.flatten(1).mean(dim=1),
    }
    return scores, anomaly_map


class PkdganModel(nn.Module):
    """Teacher GAN, compact student GAN and the latent projection that links them.

    The defaults are for 32x32 MNIST-like data: the teacher is GANomaly's published configuration
    (64 base channels, latent 100) and the student (3 base channels, latent 16) needs 323 times fewer
    inference FLOPs (114.0 MFLOPs against 0.35 MFLOPs per 32x32 image).

    Args:
        input_size: Image height and width.
        num_input_channels: Image channels (1 or 3).
        teacher_features: Teacher base width.
        teacher_latent: Teacher latent size.
        student_features: Student base width.
        student_latent: Student latent size.
        extra_layers: Extra layers in every encoder/decoder (teacher and student alike).
        student_block: The student generator's design, ``"standard"`` (the paper's), ``"separable"`` or ``"dense"``.
        score_type: Per-image score reported at inference, see :class:`ScoreType`.
        anomaly_map_sigma: Gaussian smoothing of the reported anomaly map (0: none); the scores are unchanged.
        hints: Build the 1x1 adapters of FitNets-style hints (:class:`.hints.HintAdapters`, trained with the
            student, never exported); without them the checkpoint holds no adapter weights.

    Example:
        >>> model = PkdganModel((32, 32), num_input_channels=3, teacher_features=16, student_features=4)
        >>> model.eval()(torch.zeros(2, 3, 32, 32)).pred_score.shape
        torch.Size([2])
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        num_input_channels: int = 1,
        teacher_features: int = 64,
        teacher_latent: int = 100,
        student_features: int = 3,
        student_latent: int = 16,
        extra_layers: int = 0,
        student_block: str = "standard",
        score_type: str = "latent",
        anomaly_map_sigma: float = 0.0,
        hints: bool = False,
    ) -> None:
        super().__init__()
        if num_input_channels not in {1, 3}:
            msg = f"PKDGAN supports 1- or 3-channel images, got num_input_channels={num_input_channels}."
            raise ValueError(msg)
        self.score_type = ScoreType(score_type)
        self.teacher = GanNetwork(input_size, num_input_channels, teacher_features, teacher_latent, extra_layers)
        self.student = GanNetwork(
            input_size, num_input_channels, student_features, student_latent, extra_layers, student_block
        )
        self.latent_projection = nn.Conv2d(student_latent, teacher_latent, kernel_size=1, bias=False)
        if hints and student_block == "dense":
            msg = "PKDGAN hints distil convolutional feature maps; the 'dense' student has none. Use w_distill_hint=0."
            raise ValueError(msg)
        self.hint_adapters = HintAdapters(self.student.generator, self.teacher.generator) if hints else None
        self.num_input_channels = num_input_channels
        self.register_buffer("luma", torch.tensor(LUMA).view(1, 3, 1, 1), persistent=False)
        self.luma: torch.Tensor
        self.anomaly_map_sigma = anomaly_map_sigma

    @property
    def anomaly_map_sigma(self) -> float:
        """Gaussian smoothing (sigma, pixels) of the anomaly map that inference reports; 0 for none."""
        return self._anomaly_map_sigma

    @anomaly_map_sigma.setter
    def anomaly_map_sigma(self, sigma: float) -> None:
        self.smooth_map = map_smoothing(sigma)
        self._anomaly_map_sigma = float(sigma)

    def to_model_channels(self, images: torch.Tensor) -> torch.Tensor:
        """Convert a batch to the channel count the networks take (see :func:`convert_channels`)."""
        return convert_channels(images, self.num_input_channels, self.luma)

    def scores(
        self, images: torch.Tensor, network: str = "student"
    ) -> tuple[dict[ScoreType, torch.Tensor], torch.Tensor]:
        """Every per-image score of one network (the student unless told), and its anomaly map.

        Args:
            images: Pre-processed images ``(B, C, H, W)`` in ``[-1, 1]``, RGB or with the model's channels.
            network: ``"student"`` (what inference and export use) or ``"teacher"``.

        Returns:
            ``({ScoreType: (B,) scores}, anomaly_map)``, see :func:`network_scores`.

        Example:
            >>> model = PkdganModel((32, 32), teacher_features=8, teacher_latent=16).eval()
            >>> scores, anomaly_map = model.scores(torch.zeros(2, 1, 32, 32), network="teacher")
            >>> scores[ScoreType.LATENT].shape, anomaly_map.shape
            (torch.Size([2]), torch.Size([2, 1, 32, 32]))
        """
        if network not in {"student", "teacher"}:
            msg = f"network must be 'student' or 'teacher', got {network!r}."
            raise ValueError(msg)
        return network_scores(getattr(self, network), self.to_model_channels(images))

    def forward(self, images: torch.Tensor) -> InferenceBatch:
        """Score images with the student: one score per image, independent of the rest of the batch.

        Args:
            images: Pre-processed images ``(B, C, H, W)`` in ``[-1, 1]``, RGB or with the model's channels.

        Returns:
            InferenceBatch: ``pred_score`` (``score_type``) of shape ``(B,)`` and ``anomaly_map`` of shape
            ``(B, 1, H, W)`` (squared reconstruction error, averaged over channels, smoothed with
            ``anomaly_map_sigma``).
        """
        scores, anomaly_map = network_scores(self.student, self.to_model_channels(images))
        return InferenceBatch(pred_score=scores[self.score_type], anomaly_map=self.smooth_map(anomaly_map))


class StudentScorer(nn.Module):
    """The student's inference path alone: no teacher, no discriminators, no projection.

    It scores exactly as :meth:`PkdganModel.forward` does, from a copy of the student generator taken when it is
    built; the Torch export pickles it so the file holds the student's weights only.

    Example:
        >>> model = PkdganModel((32, 32), teacher_features=8, teacher_latent=16).eval()
        >>> scorer = StudentScorer(model)
        >>> images = torch.rand(2, 3, 32, 32) * 2 - 1
        >>> torch.equal(scorer(images).pred_score, model(images).pred_score)
        True
    """

    def __init__(self, model: PkdganModel) -> None:
        super().__init__()
        self.student = model.student.generator_only()
        self.num_input_channels = model.num_input_channels
        self.score_type = model.score_type
        self.smooth_map = deepcopy(model.smooth_map)
        self.register_buffer("luma", model.luma.clone(), persistent=False)
        self.luma: torch.Tensor
        self.train(model.training)

    def forward(self, images: torch.Tensor) -> InferenceBatch:
        """Score pre-processed images, as :meth:`PkdganModel.forward`."""
        scores, anomaly_map = network_scores(self.student, convert_channels(images, self.num_input_channels, self.luma))
        return InferenceBatch(pred_score=scores[self.score_type], anomaly_map=self.smooth_map(anomaly_map))
