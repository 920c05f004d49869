# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Inference throughput, latency and peak memory: teacher, student (PyTorch, OpenVINO FP32/INT8), Ganomaly.

    python benchmarks/throughput.py            # writes benchmarks/results/throughput.{csv,md,png}

Every configuration runs in a fresh child process (so its peak RSS is its own) on the same random RGB
32x32 images, at batch sizes 1 and 64, for a fixed time after a warm-up. Weights are random: speed does not
depend on their values. What is timed is scoring from raw RGB images: for the PyTorch rows the default
pre-processor (resize, normalise) and the network's score under ``torch.inference_mode``; for OpenVINO the
student exported through Anomalib (pre-processing, network and post-processing in one graph), compiled for
the CPU; INT8 is NNCF post-training quantisation of that IR.
Anomalib's ``Ganomaly`` is its ``GanomalyModel`` at its defaults (64/100, 3 channels) at 32x32.
"""

import argparse
import csv
import json
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIGS = [  # model, backend, precision, INT8 method ("weights": weight-only, "static": weights and activations)
    ("teacher", "torch", "fp32", ""),
    ("student", "torch", "fp32", ""),
    ("student", "openvino", "fp32", ""),
    ("student", "openvino", "int8", "weights"),
    ("student", "openvino", "int8", "static"),
    ("ganomaly", "torch", "fp32", ""),
]
COLUMNS = ("model", "backend", "precision", "batch_size", "images_per_s", "latency_ms", "peak_rss_mb", "int8_method")


def export_student(folder: Path, int8_method: str) -> Path:
    """Export an (untrained, random-weight) default MNIST student through Anomalib; optionally quantise.

    ``int8_method`` is "" (FP32), "weights" (``nncf.compress_weights``, weights INT8, activations FP32) or
    "static" (``nncf.quantize``, weights and activations INT8), the two routes ``export_check.py`` measures.
    """
    import numpy as np
    import openvino as ov
    import torch

    from anomalib_pkdgan import Pkdgan

    torch.manual_seed(0)
    model = Pkdgan(visualizer=False)
    model.student_steps.fill_(1)  # random weights are fine for timing; the export guard wants a trained student
    for name, buffer in model.post_processor.named_buffers():  # stand-in validation statistics (NaN when untrained)
        buffer.fill_(0.0 if "min" in name else 1.0 if "max" in name else 0.5)
    path = model.to_openvino(folder)
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


def measure(config: tuple[str, str, str, str], batch_size: int, seconds: float, queue: multiprocessing.Queue) -> None:
    """Child process: build one configuration, time it, report images/s, latency and peak RSS."""
    import torch

    torch.set_num_threads(2)
    model_name, backend, _, int8_method = config
    images = torch.rand(batch_size, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    if backend == "openvino":
        import openvino as ov

        folder = Path(tempfile.mkdtemp())
        from anomalib_pkdgan import OPENVINO_FP32_CONFIG

        compiled = ov.Core().compile_model(str(export_student(folder, int8_method)), "CPU", OPENVINO_FP32_CONFIG)
        request = compiled.create_infer_request()
        array = images.numpy()

        def run() -> None:
            request.infer({0: array})
    else:
        from anomalib.models import Ganomaly
        from anomalib.models.image.ganomaly.torch_model import GanomalyModel

        from anomalib_pkdgan import Pkdgan
        from anomalib_pkdgan.models.pkdgan.torch_model import PkdganModel

        if model_name == "ganomaly":
            net = GanomalyModel((32, 32), num_input_channels=3, n_features=64, latent_vec_size=100).eval()
            pre = Ganomaly.configure_pre_processor((32, 32)).transform

            def run() -> None:
                net(pre(images))
        else:
            pkdgan = PkdganModel((32, 32), num_input_channels=1).eval()
            network = getattr(pkdgan, model_name)
            pre = Pkdgan.configure_pre_processor((32, 32)).transform

            def run() -> None:
                out = network(pkdgan.to_model_channels(pre(images)))
                (out.latent_i - out.latent_o).pow(2).flatten(1).mean(1)

    with torch.inference_mode():
        for _ in range(5):
            run()
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            run()
            count += 1
        elapsed = time.perf_counter() - start
    queue.put(
        {
            "images_per_s": round(count * batch_size / elapsed, 1),
            "latency_ms": round(1000 * elapsed / count, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", default="1,64")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    rows = []
    for batch_size in map(int, args.batch_sizes.split(",")):
        for config in CONFIGS:
            queue = context.Queue()
            child = context.Process(target=measure, args=(config, batch_size, args.seconds, queue))
            child.start()
            result = queue.get(timeout=900)
            child.join()
            row = dict(zip(("model", "backend", "precision", "int8_method"), config, strict=True))
            rows.append({**row, "batch_size": batch_size, **result})
            print(rows[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "throughput.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    write_report(rows, args.out)


def precision(row: dict) -> str:
    return f"{row['precision']} ({row['int8_method']})" if row["int8_method"] else row["precision"]


def write_report(rows: list[dict], out: Path) -> None:
    teacher = {r["batch_size"]: r["images_per_s"] for r in rows if r["model"] == "teacher"}
    ganomaly = {r["batch_size"]: r["images_per_s"] for r in rows if r["model"] == "ganomaly"}
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
    note = (
        "\n\nSame CPU (2 cores), same images, one run. PyTorch rows: pre-processing and the latent score; "
        "OpenVINO rows: Anomalib's exported graph (pre-processing, score, anomaly map, normalisation). "
        "INT8 (weights): weight-only compression, accuracy kept; INT8 (static): weights and activations, "
        "see `export.json` for its AUROC cost.\n"
    )
    (out / "throughput.md").write_text("\n".join(lines) + note)
    (out / "throughput.json").write_text(json.dumps(rows, indent=2) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    sizes = sorted({r["batch_size"] for r in rows})
    labels = [f"{m}\n{b} {p} {q}".strip() for m, b, p, q in CONFIGS]
    width = 0.8 / len(sizes)
    for index, size in enumerate(sizes):
        values = [
            next(
                r["images_per_s"]
                for r in rows
                if (r["model"], r["backend"], r["precision"], r["int8_method"]) == c and r["batch_size"] == size
            )
            for c in CONFIGS
        ]
        ax.bar([i + index * width for i in range(len(CONFIGS))], values, width, label=f"batch {size}")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(CONFIGS))], labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("images / s (log)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "throughput.png", dpi=110)


if __name__ == "__main__":
    main()
