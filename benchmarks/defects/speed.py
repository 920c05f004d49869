# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Images per second of the defect benchmark's models on whole images of the data set's size.

* P-KDGAN's student (whole-image or tiled): exported through ``Engine.export(..., export_type=OPENVINO)`` as a
  user would (pre-processing, tiling, network, stitching and post-processing in one graph taking whole RGB images in
  ``[0, 1]``), compiled for the CPU with ``OPENVINO_FP32_CONFIG`` and run with one synchronous request sharing the
  input array, as ``OpenVINOInferencer`` calls it.
* The pixel baselines: their numpy scoring of one whole image, score and map (tiled ones: cut, score, stitch).

One image per call, timed with ``speed/throughput.py``'s :func:`calls_per_second` (the median of ten slices of
``seconds``, after a warm-up); the images' values do not matter to the time.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import openvino as ov
from anomalib.deploy import ExportType
from anomalib.engine import Engine

from anomalib_pkdgan import OPENVINO_FP32_CONFIG, Pkdgan
from benchmarks.speed.throughput import calls_per_second


def openvino_images_per_second(engine: Engine, model: Pkdgan, export_root: Path, size: int, seconds: float) -> float:
    """Export a trained P-KDGAN to OpenVINO under ``export_root`` and time it on ``size`` x ``size`` RGB images."""
    path = engine.export(model, export_type=ExportType.OPENVINO, export_root=export_root)
    request = ov.Core().compile_model(path, "CPU", OPENVINO_FP32_CONFIG).create_infer_request()
    image = np.random.default_rng(0).random((1, 3, size, size), dtype=np.float32)
    return calls_per_second(lambda: request.infer({0: image}, share_inputs=True), seconds)


def numpy_images_per_second(
    score: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], channels: int, size: int, seconds: float
) -> float:
    """Time a baseline's ``score(images) -> (scores, maps)`` on one ``channels`` x ``size`` x ``size`` image."""
    image = np.random.default_rng(0).random((1, channels, size, size), dtype=np.float32)
    return calls_per_second(lambda: score(image), seconds)
