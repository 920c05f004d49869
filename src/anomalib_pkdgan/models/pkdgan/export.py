# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Export of the compact student only, through Anomalib's ``ExportMixin``.

ONNX and OpenVINO trace the model's ``forward``, which runs the student alone, so their graphs hold no teacher.
Anomalib's ``to_torch`` instead pickles the whole Lightning module (teacher, discriminators and all); here it
pickles a :class:`StudentInference`: Anomalib's pre-processor, the student's scoring and Anomalib's
post-processor, which ``TorchInferencer`` calls exactly as it would the Lightning module.

Every export refuses a student that never trained, and removes the folder it had started to write if it fails.
"""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from anomalib.data import InferenceBatch
from torch import nn

from .torch_model import PkdganModel, StudentScorer


class StudentInference(nn.Module):
    """Pre-processing, the student's scoring and post-processing: what the Torch export holds.

    Args:
        model: The trained P-KDGAN networks (only the student generator is copied).
        pre_processor: Anomalib pre-processor of the Lightning module, or ``None``.
        post_processor: Anomalib post-processor of the Lightning module, or ``None``.
    """

    def __init__(self, model: PkdganModel, pre_processor: nn.Module | None, post_processor: nn.Module | None) -> None:
        super().__init__()
        self.pre_processor = pre_processor
        self.model = StudentScorer(model)
        self.post_processor = post_processor

    def forward(self, batch: torch.Tensor) -> InferenceBatch:
        """Score raw images ``(B, 3, H, W)`` in ``[0, 1]``, as ``AnomalibModule.forward`` does."""
        batch = self.pre_processor(batch) if self.pre_processor else batch
        predictions = self.model(batch)
        return self.post_processor(predictions) if self.post_processor else predictions


class StudentExportMixin:
    """Export hooks of :class:`~anomalib_pkdgan.Pkdgan`: student only, trained students only, no half-written folders.

    Mixed in before ``AnomalibModule``; expects ``model`` (:class:`PkdganModel`), ``student_steps``,
    ``pre_processor`` and ``post_processor`` attributes.
    """

    model: PkdganModel
    student_steps: torch.Tensor
    pre_processor: nn.Module | None
    post_processor: nn.Module | None

    def to_torch(self, export_root: Path | str, model_file_name: str = "model") -> Path:
        """Export the student, with pre- and post-processing, to ``export_root/weights/torch/<name>.pt``."""
        with self._export_guard(export_root, "torch") as target:
            target.mkdir(parents=True, exist_ok=True)
            path = target / f"{model_file_name}.pt"
            inference = StudentInference(self.model, self.pre_processor, self.post_processor).eval()
            torch.save({"model": inference}, path)
            return path

    def to_onnx(self, export_root: Path | str, *args: Any, **kwargs: Any) -> Path:
        """Export the student, with pre- and post-processing, to ONNX; refuses an untrained model."""
        with self._export_guard(export_root, "onnx"):
            return super().to_onnx(export_root, *args, **kwargs)  # type: ignore[misc]

    def to_openvino(self, export_root: Path | str, *args: Any, **kwargs: Any) -> Path:
        """Export the student, with pre- and post-processing, to OpenVINO IR; refuses an untrained model."""
        with self._export_guard(export_root, "openvino"):
            return super().to_openvino(export_root, *args, **kwargs)  # type: ignore[misc]

    def _check_exportable(self) -> None:
        """Refuse to export a student that never trained."""
        if int(self.student_steps) == 0:
            msg = (
                "PKDGAN cannot export this model: its student was never trained. Train it (engine.fit) or pass "
                "--ckpt_path of a trained PKDGAN checkpoint."
            )
            raise RuntimeError(msg)

    @contextmanager
    def _export_guard(self, export_root: Path | str, kind: str) -> Iterator[Path]:
        """Check the model first; if the export fails, remove the ``weights/<kind>`` folder it had started."""
        self._check_exportable()
        target = Path(export_root) / "weights" / kind
        existed = target.exists()
        try:
            yield target
        except BaseException:
            if not existed:
                shutil.rmtree(target, ignore_errors=True)
            raise
