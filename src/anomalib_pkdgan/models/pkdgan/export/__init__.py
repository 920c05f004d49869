# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Export of the student alone: Torch, ONNX and OpenVINO.

* :mod:`.mixin`: :class:`StudentExportMixin`, the export hooks of the Lightning module;
* :mod:`.scorer`: what the Torch export pickles;
* :mod:`.graph`: what the ONNX and OpenVINO exports trace, built from :mod:`.fused_student` (the P-KDGAN student
  as one graph), which uses the generic rewrites of :mod:`.fusion`;
* :mod:`.openvino`: the OpenVINO compile settings that keep FP32 inference in FP32.
"""

from .mixin import StudentExportMixin
from .openvino import OPENVINO_FP32_CONFIG

__all__ = ["OPENVINO_FP32_CONFIG", "StudentExportMixin"]
