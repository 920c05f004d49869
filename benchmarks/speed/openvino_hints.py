# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""OpenVINO settings for the exported student, measured: threads, performance hints and streams, static shapes.

    python -m benchmarks.speed.openvino_hints       # writes benchmarks/results/openvino_hints.{csv,md}

The default MNIST student as ``throughput.py`` exports it, on the same random raw images at batch 1 and 64, for a
fixed time after a warm-up (the median of ten slices), each setting in a fresh process, as ``throughput.py``:

* ``default``: ``OPENVINO_FP32_CONFIG`` (the CPU plugin's default LATENCY hint: one stream on all cores), one
  synchronous request, as ``OpenVINOInferencer`` and ``throughput.py`` run it;
* ``1 thread``: the same with ``INFERENCE_NUM_THREADS=1``;
* ``THROUGHPUT hint``: one stream per core; with one synchronous request only one of them works;
* ``THROUGHPUT hint, async``: as many requests in flight (``AsyncInferQueue``) as the plugin recommends;
* ``static shape``: the model reshaped to ``[B, 3, 32, 32]`` before compiling (the default setting otherwise): the
  exported graph has a dynamic batch and image size, which OpenVINO resolves at every inference.
"""

import argparse
import csv
import multiprocessing
import tempfile
import time
from pathlib import Path

import numpy as np
import openvino as ov

from anomalib_pkdgan import OPENVINO_FP32_CONFIG
from benchmarks.common.paths import RESULTS
from benchmarks.speed.throughput import DEFAULT_STUDENT, SETTLE_SECONDS, calls_per_second, export_all, wait_for

SETTINGS = {  # name -> (extra config, static shape, asynchronous)
    "default": ({}, False, False),
    "1 thread": ({"INFERENCE_NUM_THREADS": 1}, False, False),
    "THROUGHPUT hint": ({"PERFORMANCE_HINT": "THROUGHPUT"}, False, False),
    "THROUGHPUT hint, async": ({"PERFORMANCE_HINT": "THROUGHPUT"}, False, True),
    "static shape": ({}, True, False),
}


def images_per_second(compiled: ov.CompiledModel, images: np.ndarray, seconds: float, asynchronous: bool) -> float:
    """Images scored per second with one synchronous request, or with the recommended number in flight."""
    if asynchronous:
        queue = ov.AsyncInferQueue(compiled, compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        calls = calls_per_second(lambda: queue.start_async({0: images}, share_inputs=True), seconds, queue.wait_all)
    else:
        request = compiled.create_infer_request()
        calls = calls_per_second(lambda: request.infer({0: images}, share_inputs=True), seconds)
    return calls * len(images)


def measure(ir: str, name: str, batch_size: int, seconds: float, queue: multiprocessing.Queue) -> None:
    """Child process: compile the model under one setting, report images/s, streams and threads."""
    extra, static, asynchronous = SETTINGS[name]
    core = ov.Core()
    model = core.read_model(ir)
    if static:
        model.reshape([batch_size, 3, 32, 32])
    compiled = core.compile_model(model, "CPU", {**OPENVINO_FP32_CONFIG, **extra})
    images = np.random.default_rng(0).random((batch_size, 3, 32, 32), dtype=np.float32)
    speed = images_per_second(compiled, images, seconds, asynchronous)
    queue.put(
        {
            "setting": name,
            "batch_size": batch_size,
            "streams": int(compiled.get_property("NUM_STREAMS")),
            "threads": int(compiled.get_property("INFERENCE_NUM_THREADS")),
            "images_per_s": round(speed, 1),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")  # every setting in a fresh process, as throughput.py
    queue = context.Queue()
    exporter = context.Process(target=export_all, args=([("", DEFAULT_STUDENT)], Path(tempfile.mkdtemp()), queue))
    exporter.start()
    (ir,) = wait_for(queue, exporter, "the export")
    exporter.join()
    time.sleep(SETTLE_SECONDS)
    rows = []
    for batch_size in (1, 64):
        for name in SETTINGS:
            child = context.Process(target=measure, args=(ir, name, batch_size, args.seconds, queue))
            child.start()
            rows.append(wait_for(queue, child, f"{name} at batch {batch_size}"))
            child.join()
            print(rows[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "openvino_hints.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_table(rows, args.out / "openvino_hints.md")


def write_table(rows: list[dict], path: Path) -> None:
    """Settings as rows, images/s per batch size and the change against the default."""
    sizes = sorted({r["batch_size"] for r in rows})
    speed = {(r["setting"], r["batch_size"]): r for r in rows}
    header = " | ".join(f"images/s, batch {b} | vs default" for b in sizes)
    lines = [f"| setting | streams, threads in all | {header} |", "|---|---" + "|---|---" * len(sizes) + "|"]
    for name in SETTINGS:
        first = speed[(name, sizes[0])]
        cells = [f"{first['streams']}, {first['threads']}"]
        for size in sizes:
            value, default = speed[(name, size)]["images_per_s"], speed[("default", size)]["images_per_s"]
            cells += [f"{value:,.0f}", f"{value / default - 1:+.0%}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
