# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Export of the compact student only, through Anomalib's ``ExportMixin``.

``to_onnx`` and ``to_openvino`` export an :class:`~.graph.ExportGraph` (:mod:`.graph`), ``to_torch`` pickles a
:class:`~.scorer.StudentInference` (:mod:`.scorer`). No export holds the teacher. Every export refuses a student
that never trained, and removes the folder it had started to write if it fails.
"""

import inspect
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from anomalib.deploy import CompressionType
from anomalib.models.components.base.export_mixin import ExportMixin
from torch import nn

from ..torch_model import PkdganModel
from .graph import ExportGraph, TracedExport, tiled_export_sizes
from .scorer import StudentInference

CALIBRATED_COMPRESSIONS = (CompressionType.INT8_PTQ, CompressionType.INT8_ACQ)
"""Anomalib's OpenVINO compressions that run calibration images through the graph (NNCF)."""

ONNX_OPSET = 18
"""The ONNX opset of the ONNX and OpenVINO exports unless the caller passes ``opset_version``.

Workaround: Anomalib 2.7 asks torch's exporter for opset 14, which torch 2.9+ (dynamo) does not implement: it warns,
exports opset 18 and runs onnx's version converter down to 14 (keeping 18 when that fails). Asking for 18 gives the
exported graph without the conversion attempt or its warnings. Under Anomalib 2.4 (TorchScript exporter, which wrote
the 14 asked for) the exports are opset 18 too, so that both supported releases give the same graph.
"""


class StudentExportMixin:
    """Export hooks of :class:`~anomalib_pkdgan.Pkdgan`: student only, trained students only, no half-written folders.

    Mixed in before ``AnomalibModule``; expects ``model`` (:class:`PkdganModel`), ``student_steps``,
    ``pre_processor`` and ``post_processor`` attributes.
    """

    model: PkdganModel
    device: torch.device
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

    def to_onnx(self, export_root: Path | str, *args: Any, always_resize: bool = False, **kwargs: Any) -> Path:
        """Export the :class:`ExportGraph` (student, pre- and post-processing) to ONNX; refuses an untrained model.

        ``to_openvino`` converts this ONNX file, so both exports hold the same graph. ``always_resize``: no ``If``
        skips the resize for images of the model's size (see :meth:`to_openvino`); other arguments are Anomalib's
        (``opset_version`` defaults to :data:`ONNX_OPSET`).
        A tiled model's graph tiles and stitches whole images of one size (see :func:`.graph.tiled_export_sizes`).
        """
        arguments = inspect.signature(ExportMixin.to_onnx).bind(self, export_root, *args, **kwargs).arguments
        del arguments["self"]
        arguments.update(arguments.pop("kwargs", {}))
        arguments.setdefault("opset_version", ONNX_OPSET)
        with self._export_guard(export_root, "onnx"):
            image_size, arguments["input_size"] = tiled_export_sizes(
                self.model, self.pre_processor, arguments.get("input_size")
            )
            graph = ExportGraph(self.model, self.pre_processor, self.post_processor, always_resize, image_size)
            return TracedExport(graph).to(self.device).to_onnx(**arguments)

    def to_openvino(self, export_root: Path | str, *args: Any, **kwargs: Any) -> Path:
        """Export the student, with pre- and post-processing, to OpenVINO IR; refuses an untrained model.

        Arguments are Anomalib's. NNCF calibrates each branch of an ``If`` with the samples that take it, and refuses
        a branch no sample takes: calibration images that all have the model's size would never take the resize.
        The calibrated INT8 compressions (``INT8_PTQ``, ``INT8_ACQ``) therefore export a graph that always resizes.
        """
        arguments = inspect.signature(ExportMixin.to_openvino).bind(self, export_root, *args, **kwargs).arguments
        del arguments["self"]
        if arguments.get("compression_type") in CALIBRATED_COMPRESSIONS:
            arguments["onnx_kwargs"] = {**(arguments.get("onnx_kwargs") or {}), "always_resize": True}
        with self._export_guard(export_root, "openvino"):
            return super().to_openvino(**arguments)  # type: ignore[misc]

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
