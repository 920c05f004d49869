# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Inference throughput, latency and peak memory: teacher, student (PyTorch, OpenVINO FP32/INT8), Ganomaly, and
the raw-pixel kNN and PCA.

    python -m benchmarks.speed.throughput            # writes benchmarks/results/throughput.{csv,json,md,png}

Every configuration runs in a fresh child process (so its peak RSS is its own) on the same random RGB
32x32 images, at batch sizes 1 and 64, for a fixed time after a warm-up (the median of ten slices of it, so that
a short interruption by another process does not count). Weights are random: speed does not depend on their
values. What is timed is scoring from raw RGB images in [0, 1]: for the PyTorch rows the default
pre-processor (resize, normalise) and the network's latent score under ``torch.inference_mode``; for OpenVINO the
student exported through Anomalib (pre-processing, network and post-processing in one graph), compiled for the CPU
with ``OPENVINO_FP32_CONFIG`` (backend ``openvino``: OpenVINO's default threads, all cores) or with one thread
(``openvino (1 thread)``), and run with one synchronous request that shares the input array, as
``OpenVINOInferencer`` calls it; INT8 is NNCF post-training quantisation of that IR. Anomalib's ``Ganomaly`` is its
``GanomalyModel`` at its defaults (64/100, 3 channels) at 32x32. The pixel baselines are those of
``common/baselines.py`` on grey pixels, as the one-class benchmark scores them: PCA reconstruction error with
:data:`PCA_COMPONENTS` components, mean distance to the nearest of :data:`KNN_TRAIN_IMAGES` training images.
"""

import argparse
import csv
import json
import multiprocessing
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from queue import Empty

from benchmarks.common.baselines import KNN_NEIGHBOURS
from benchmarks.common.paths import RESULTS

COLUMNS = ("model", "backend", "precision", "batch_size", "images_per_s", "latency_ms", "peak_rss_mb", "int8_method")
DEFAULT_STUDENT = "standard:3:16"
"""The MNIST config's student, ``block:features:latent``."""
PCA_COMPONENTS = 32
"""Components of the timed PCA: one of ``baselines.PCA_COMPONENTS``, among which the benchmark chooses on validation."""
KNN_TRAIN_IMAGES, KNN_NEIGHBOURS = 2000, KNN_NEIGHBOURS[0]
"""The benchmark's kNN: its training images (all kept) and neighbours."""
SETTLE_SECONDS = 3.0
"""Pause after the export, whose helper processes (PyTorch's compile workers) take a moment to exit."""
SLICES = 10
"""Equal slices of a measurement's time; the median slice's rate is reported (see :func:`calls_per_second`)."""


@dataclass(frozen=True)
class Config:
    """One timed configuration.

    ``model`` is ``teacher``, ``student``, ``ganomaly``, ``knn_pixels`` or ``pca_pixels``; ``int8_method`` is ``""``
    (FP32), ``"weights"`` (``nncf.compress_weights``) or ``"static"`` (``nncf.quantize``); ``student`` is the
    student's ``block:features:latent``; ``threads`` (OpenVINO) is ``INFERENCE_NUM_THREADS``, 0 for the default.
    """

    model: str
    backend: str
    precision: str = "fp32"
    int8_method: str = ""
    student: str = DEFAULT_STUDENT
    threads: int = 0

    @property
    def backend_label(self) -> str:
        """``openvino`` or ``openvino (1 thread)``: the backend column of the results."""
        return f"{self.backend} ({self.threads} thread{'s' * (self.threads > 1)})" if self.threads else self.backend


CONFIGS = (
    Config("teacher", "torch"),
    Config("student", "torch"),
    Config("student", "openvino"),
    Config("student", "openvino", threads=1),
    Config("student", "openvino", "int8", "weights"),
    Config("student", "openvino", "int8", "static"),
    Config("ganomaly", "torch"),
    Config("knn_pixels", "scikit-learn"),
    Config("pca_pixels", "scikit-learn"),
)


def parse_student(spec: str) -> tuple[str, int, int]:
    """``"separable:6:100"`` as ``("separable", 6, 100)``."""
    block, features, latent = spec.split(":")
    return block, int(features), int(latent)


def export_student(folder: Path, int8_method: str = "", student: str = DEFAULT_STUDENT) -> Path:
    """Export an (untrained, random-weight) 32x32 grey student through Anomalib; optionally quantise.

    ``int8_method`` is "" (FP32), "weights" (``nncf.compress_weights``, weights INT8, activations FP32) or
    "static" (``nncf.quantize``, weights and activations INT8), the two routes ``export_check.py`` measures. Static
    INT8 quantises the graph Anomalib's calibrated INT8 exports get, which always resizes (see ``to_openvino``).
    """
    import numpy as np
    import openvino as ov
    import torch

    from anomalib_pkdgan import Pkdgan

    torch.manual_seed(0)
    block, features, latent = parse_student(student)
    model = Pkdgan(student_features=features, student_latent=latent, student_block=block, visualizer=False)
    model.student_steps.fill_(1)  # random weights are fine for timing; the export guard wants a trained student
    for name, buffer in model.post_processor.named_buffers():  # stand-in validation statistics (NaN when untrained)
        buffer.fill_(0.0 if "min" in name else 1.0 if "max" in name else 0.5)
    path = model.to_openvino(folder, onnx_kwargs={"always_resize": int8_method == "static"})
    if not int8_method:
        return path
    import nncf

    out = folder / f"int8_{int8_method}.xml"
    if int8_method == "weights":
        ov.save_model(nncf.compress_weights(ov.Core().read_model(path)), out)
        return out
    rng = np.random.default_rng(0)
    calibration = nncf.Dataset([rng.random((1, 3, 32, 32), dtype=np.float32) for _ in range(64)])
    quantised = nncf.quantize(ov.Core().read_model(path), calibration, subset_size=64)
    ov.save_model(quantised, out)
    return out


def openvino_runner(config: Config, images, ir: str) -> Callable[[], object]:
    """One synchronous inference of the exported student, sharing the input array as ``OpenVINOInferencer`` does."""
    import openvino as ov

    from anomalib_pkdgan import OPENVINO_FP32_CONFIG

    settings = {**OPENVINO_FP32_CONFIG, **({"INFERENCE_NUM_THREADS": config.threads} if config.threads else {})}
    request = ov.Core().compile_model(ir, "CPU", settings).create_infer_request()
    return lambda: request.infer({0: images}, share_inputs=True)


def torch_runner(config: Config, images, ir: str) -> Callable[[], object]:
    """Pre-processing and the latent score of one network in PyTorch (2 threads, inference mode)."""
    import torch
    from anomalib.models import Ganomaly
    from anomalib.models.image.ganomaly.torch_model import GanomalyModel

    from anomalib_pkdgan import Pkdgan
    from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel

    del ir
    torch.set_num_threads(2)
    batch = torch.from_numpy(images)
    if config.model == "ganomaly":
        net = GanomalyModel((32, 32), num_input_channels=3, n_features=64, latent_vec_size=100).eval()
        pre = Ganomaly.configure_pre_processor((32, 32)).transform
        return torch.inference_mode()(lambda: net(pre(batch)))
    block, features, latent = parse_student(config.student)
    pkdgan = PkdganModel((32, 32), 1, student_features=features, student_latent=latent, student_block=block).eval()
    network = getattr(pkdgan, config.model)
    pre = Pkdgan.configure_pre_processor((32, 32)).transform

    @torch.inference_mode()
    def run() -> object:
        out = network(pkdgan.to_model_channels(pre(batch)))
        return (out.latent_i - out.latent_o).pow(2).flatten(1).mean(1)

    return run


def pixel_runner(config: Config, images, ir: str) -> Callable[[], object]:
    """The benchmark's pixel baselines (``common/baselines.py``) on grey pixels, fitted on random training images."""
    import numpy as np

    from benchmarks.common.baselines import KnnPixels, PcaPixels

    del ir
    train = np.random.default_rng(0).random((KNN_TRAIN_IMAGES, 32 * 32), dtype=np.float32)
    model = PcaPixels(train, PCA_COMPONENTS) if config.model == "pca_pixels" else KnnPixels(train, KNN_NEIGHBOURS)
    return lambda: model.scores(images.mean(1).reshape(len(images), -1))


RUNNERS = {"openvino": openvino_runner, "torch": torch_runner, "scikit-learn": pixel_runner}


def measure(config: Config, batch_size: int, seconds: float, ir: str, queue: multiprocessing.Queue) -> None:
    """Child process: build one configuration, time it, report images/s, latency and peak RSS."""
    import numpy as np

    images = np.random.default_rng(0).random((batch_size, 3, 32, 32), dtype=np.float32)
    run = RUNNERS[config.backend](config, images, ir)
    calls_per_s = calls_per_second(run, seconds)
    queue.put(
        {
            "images_per_s": round(calls_per_s * batch_size, 1),
            "latency_ms": round(1000 / calls_per_s, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )


def calls_per_second(run: Callable[[], object], seconds: float, finish: Callable[[], object] = lambda: None) -> float:
    """Calls of ``run`` per second: the median over ten equal slices of ``seconds``, after a warm-up.

    The median slice keeps a short interruption by another process (the CPU is shared) out of the result.
    ``finish`` ends a slice (waits for asynchronous calls in flight).
    """
    for _ in range(5):
        run()
    finish()
    rates = []
    for _ in range(SLICES):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / SLICES:
            run()
            count += 1
        finish()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def export_all(models: list[tuple[str, str]], folder: Path, queue: multiprocessing.Queue) -> None:
    """Child process: export every ``(int8_method, student)`` model, report the IR paths in order."""
    queue.put([str(export_student(folder / str(index), *model)) for index, model in enumerate(models)])


def wait_for(queue: multiprocessing.Queue, child: multiprocessing.Process, what: str) -> object:
    """The child's result, or a ``RuntimeError`` naming ``what`` if the child dies first."""
    while True:
        try:
            return queue.get(timeout=5)
        except Empty:
            if not child.is_alive():
                msg = f"{what} failed (exit code {child.exitcode})"
                raise RuntimeError(msg) from None


def run_configs(plan: list[tuple[int, Config]], seconds: float) -> list[dict]:
    """Time every ``(batch size, configuration)`` of the plan, each in its own child process; one row each.

    The OpenVINO models are exported first, each once, so that a child only compiles and times its model (and its
    peak RSS is OpenVINO's, not the export's).
    """
    context = multiprocessing.get_context("spawn")
    models = list(dict.fromkeys((c.int8_method, c.student) for _, c in plan if c.backend == "openvino"))
    queue = context.Queue()
    exporter = context.Process(target=export_all, args=(models, Path(tempfile.mkdtemp()), queue))
    exporter.start()  # in a child: a child's peak RSS starts from its parent's, which must stay small
    irs = dict(zip(models, wait_for(queue, exporter, "the export"), strict=True))
    exporter.join()
    time.sleep(SETTLE_SECONDS)
    rows = []
    for batch_size, config in plan:
        queue = context.Queue()
        ir = irs.get((config.int8_method, config.student), "")
        child = context.Process(target=measure, args=(config, batch_size, seconds, ir, queue))
        child.start()
        result = wait_for(queue, child, f"{config} at batch {batch_size}")
        child.join()
        rows.append({**asdict(config), "backend": config.backend_label, "batch_size": batch_size, **result})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", default="1,64")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    sizes = [int(size) for size in args.batch_sizes.split(",")]
    rows = run_configs([(size, config) for size in sizes for config in CONFIGS], args.seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "throughput.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    write_report(rows, args.out)


def precision(row: dict) -> str:
    return f"{row['precision']} ({row['int8_method']})" if row["int8_method"] else row["precision"]


def speed_of(rows: list[dict], model: str, backend: str, precision: str = "fp32") -> dict[int, float]:
    """Images/s per batch size of one configuration (INT8 rows apart)."""
    return {
        r["batch_size"]: r["images_per_s"]
        for r in rows
        if (r["model"], r["backend"], r["precision"], r["int8_method"]) == (model, backend, precision, "")
    }


def write_report(rows: list[dict], out: Path) -> None:
    teacher, ganomaly = speed_of(rows, "teacher", "torch"), speed_of(rows, "ganomaly", "torch")
    pca = speed_of(rows, "pca_pixels", "scikit-learn")
    header = (
        "| model | backend | precision | batch | images/s | latency (ms/batch) | peak RSS (MB) "
        "| x teacher | x Ganomaly |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        b = r["batch_size"]
        lines.append(
            f"| {r['model']} | {r['backend']} | {precision(r)} | {b} | {r['images_per_s']:,.0f} | "
            f"{r['latency_ms']:.2f} | {r['peak_rss_mb']:.0f} | {r['images_per_s'] / teacher[b]:.1f} | "
            f"{r['images_per_s'] / ganomaly[b]:.1f} |"
        )
    claims = []
    for backend in dict.fromkeys(r["backend"] for r in rows if r["model"] == "student" and r["backend"] != "torch"):
        student = speed_of(rows, "student", backend)
        against = {
            name: ", ".join(f"{student[b] / of[b]:.1f}x at batch {b}" for b in sorted(student) if b in of)
            for name, of in (("teacher", teacher), ("pca", pca))
        }
        claims.append(
            f"with `{backend}` {against['teacher']} the teacher's PyTorch images/s and {against['pca']} the pixel PCA's"
        )
    note = (
        "\n\nSame CPU (2 cores), same images, one run. PyTorch rows: pre-processing and the latent score; "
        "OpenVINO rows: Anomalib's exported graph (pre-processing, score, anomaly map, normalisation) with "
        "`OPENVINO_FP32_CONFIG` (and `INFERENCE_NUM_THREADS` 1 where it says so), one synchronous request; "
        "scikit-learn rows: grey pixels and the score. The student's OpenVINO FP32 graph scores "
        f"{'; '.join(claims)}. INT8 (weights): weight-only compression, accuracy kept; INT8 (static): weights and "
        "activations, see `export.json` for its AUROC cost.\n"
    )
    (out / "throughput.md").write_text("\n".join(lines) + note)
    (out / "throughput.json").write_text(json.dumps(rows, indent=2) + "\n")
    plot(rows, out / "throughput.png")


def plot(rows: list[dict], path: Path) -> None:
    """Bars of images/s (log) per configuration and batch size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = list(dict.fromkeys((r["model"], r["backend"], precision(r)) for r in rows))
    sizes = sorted({r["batch_size"] for r in rows})
    speed = {(r["model"], r["backend"], precision(r), r["batch_size"]): r["images_per_s"] for r in rows}
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / len(sizes)
    for index, size in enumerate(sizes):
        values = [speed.get((*config, size), 0) for config in configs]
        ax.bar([i + index * width for i in range(len(configs))], values, width, label=f"batch {size}")
    labels = [f"{model}\n{backend} {name}" for model, backend, name in configs]
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(configs))], labels, fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("images / s (log)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
