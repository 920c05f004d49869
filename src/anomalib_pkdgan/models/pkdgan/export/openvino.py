# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""OpenVINO settings for running the exported student with the same scores as PyTorch.

On CPUs with bfloat16 units (Intel AMX or AVX512-BF16: 4th-generation Xeon and newer), OpenVINO runs an FP32
model in bfloat16 unless told otherwise. The student's latent score is a small difference of two encodings and
its reconstruction score a small mean of squared errors, so bfloat16 visibly moves normalised scores (the measured
differences: ``docs/results.md``). An FP32 export holds no setting that OpenVINO reads back to prevent this
(``runtime_options`` in the IR covers other hints), so pass this configuration when compiling.

Example:
    >>> from anomalib_pkdgan import OPENVINO_FP32_CONFIG
    >>> OPENVINO_FP32_CONFIG
    {'INFERENCE_PRECISION_HINT': 'f32'}
    >>> # OpenVINOInferencer(path="export/weights/openvino/model.xml", device="CPU", config=OPENVINO_FP32_CONFIG)
"""

OPENVINO_FP32_CONFIG = {"INFERENCE_PRECISION_HINT": "f32"}
"""OpenVINO compile configuration that keeps FP32 inference in FP32 on every CPU."""
