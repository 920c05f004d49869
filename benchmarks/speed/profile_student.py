# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Where the student's inference time goes, per stage, in OpenVINO (before and after issue 16) and in PyTorch.

    python -m benchmarks.speed.profile_student      # writes benchmarks/results/profile_student.{csv,md}

The default MNIST student (3/16, random weights, as in ``throughput.py``) is exported twice: as Anomalib's own
``ExportMixin.to_onnx`` traces the Lightning module (pre-processor, ``PkdganModel.forward``, post-processor: what
the export held before issue 16) and as this package exports it (``ExportGraph``: the ``FusedStudent`` and the
post-processor). Both are converted to OpenVINO IR, compiled with ``OPENVINO_FP32_CONFIG`` and ``PERF_COUNT`` and run
with one synchronous request on random raw images at batch 1 and 64. Each node's time (OpenVINO counts whole
microseconds) is its mean over the runs, leaving out the slowest tenth (other jobs' interruptions), and is charged
to the stage of the ONNX node it came from (the exporter records every node's module scope); nodes OpenVINO adds
(layout reorders, shape arithmetic) go to "layouts and shapes", and "outside the nodes" is the wall time of
``infer`` (the same mean) minus the nodes' sum: the request, shape inference of the dynamic graph, Python.
Every export and measurement runs in a fresh process, as in ``throughput.py``.
The PyTorch path (default pre-processor, the student as ``PkdganModel.forward`` runs it, post-processor) is split
into the same stages by timing each stage on its own (median per call); ``torch.profiler`` would add about a
microsecond to each of the path's ~40 operators, as much as several stages take at batch 1.
"""

import argparse
import csv
import multiprocessing
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import openvino as ov
import torch
from anomalib.data import InferenceBatch
from anomalib.models.components.base.export_mixin import ExportMixin

from anomalib_pkdgan import OPENVINO_FP32_CONFIG, Pkdgan
from benchmarks.common.paths import RESULTS
from benchmarks.speed.throughput import SETTLE_SECONDS, wait_for

STAGES = (
    "resize",
    "normalisation",
    "grey conversion",
    "normalisation + grey (one affine map)",
    "padding",
    "encoder G_E",
    "decoder G_D",
    "encoder E",
    "anomaly map",
    "score",
    "post-processing",
    "layouts and shapes",
    "outside the nodes",
)
SUB_NETWORKS = {
    "encoder1": "encoder G_E",  # module names of the traced Lightning module ...
    "decoder": "decoder G_D",
    "encoder2": "encoder E",
    "encoder": "encoder G_E",  # ... and of the FusedStudent
    "output_activation": "decoder G_D",
    "second_encoder": "encoder E",
}
PATHS = ("openvino, as traced before", "openvino, fused (exported)", "pytorch")


def student_model() -> Pkdgan:
    """The default MNIST student with random weights and stand-in validation statistics, as ``throughput.py``."""
    torch.manual_seed(0)
    model = Pkdgan(visualizer=False)
    model.student_steps.fill_(1)
    for name, buffer in model.post_processor.named_buffers():
        buffer.fill_(0.0 if "min" in name else 1.0 if "max" in name else 0.5)
    return model.eval()


def scope_stage(scope: str) -> str:
    """The stage of one ONNX node from its module scope (``namespace`` metadata: modules, then the aten op)."""
    parts = [part.split(":")[0].strip() for part in scope.split("/")]
    names = [name for part in parts[:-1] for name in part.split(".") if name and not name.startswith("_empty_nn")]
    op = parts[-1]
    if not names:
        return "layouts and shapes"
    if "post_processor" in names:
        return "post-processing"
    stage = next((SUB_NETWORKS[name] for name in names if name in SUB_NETWORKS), None)
    if stage:
        return stage
    if "export_transform" in names:  # Anomalib's Resize and Normalize
        return "resize" if op.startswith(("upsample", "view")) else "normalisation"
    if "input" in names:  # the FusedStudent's InputStage: the If around the resize, then one affine map
        return "resize" if op.startswith(("cond", "eq", "and", "sym_size")) else "normalisation + grey (one affine map)"
    if op.startswith(("mul", "sum")):
        return "grey conversion"
    if "pad" in op:
        return "padding"
    return "anomaly map or score"


def onnx_stages(path: Path) -> dict[str, str]:
    """ONNX node name -> stage, for every node of the graph and of its subgraphs (an ``If``'s branches)."""
    stages = {}

    def walk(graph: onnx.GraphProto, parent: str | None) -> None:
        for node in graph.node:
            scope = next((p.value for p in node.metadata_props if p.key == "namespace"), "")
            stages[node.name] = parent or scope_stage(scope)
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.GRAPH:
                    walk(attribute.g, stages[node.name])

    walk(onnx.load(str(path)).graph, None)
    return stages


def node_stage(node: ov.Node, stages: dict[str, str]) -> str:
    """Stage of one node of OpenVINO's executed graph: that of the first original layer fused into it."""
    info = node.get_rt_info()
    originals = info["originalLayersNames"].astype(str).split(",") if "originalLayersNames" in info else []
    stage = next((stages[name] for name in originals if name in stages), "layouts and shapes")
    if stage != "anomaly map or score":
        return stage
    shape = node.get_output_partial_shape(0)  # per-image size tells the map (pixels) from the latent score
    per_image = np.prod([d.get_length() for d in list(shape)[1:] if d.is_static]) if shape.rank.is_static else 0
    return "anomaly map" if per_image >= 64 else "score"


def typical(times: list[float]) -> float:
    """Mean without the slowest tenth of the runs."""
    kept = sorted(times)[: max(1, len(times) * 9 // 10)]
    return sum(kept) / len(kept)


def profile_openvino(onnx_path: Path, batch_size: int, runs: int) -> dict[str, float]:
    """Microseconds per batch of every stage (:func:`typical` over the runs), and outside the nodes.

    The IR beside ``onnx_path`` is timed, the ONNX file names the stages.
    """
    stages = onnx_stages(onnx_path)
    config = {**OPENVINO_FP32_CONFIG, "PERF_COUNT": True}
    compiled = ov.Core().compile_model(str(onnx_path.with_suffix(".xml")), "CPU", config)
    stage_of = {node.get_friendly_name(): node_stage(node, stages) for node in compiled.get_runtime_model().get_ops()}
    request = compiled.create_infer_request()
    images = np.random.default_rng(0).random((batch_size, 3, 32, 32), dtype=np.float32)
    for _ in range(20):
        request.infer({0: images}, share_inputs=True)
    walls, per_node = [], defaultdict(list)
    for _ in range(runs):
        start = time.perf_counter()
        request.infer({0: images}, share_inputs=True)
        walls.append(time.perf_counter() - start)
        for info in request.profiling_info:
            per_node[info.node_name].append(info.real_time.total_seconds() * 1e6)
    result: dict[str, float] = defaultdict(float)
    for name, times in per_node.items():
        result[stage_of.get(name, "layouts and shapes")] += typical(times)
    result["outside the nodes"] = 1e6 * typical(walls) - sum(result.values())
    return dict(result)


def call_us(function: Callable[[], object], runs: int) -> float:
    """Median wall time of one call, in microseconds (a clock fine enough for the median, unlike OpenVINO's)."""
    for _ in range(20):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1e6 * statistics.median(times)


def profile_pytorch(model: Pkdgan, batch_size: int, runs: int) -> dict[str, float]:
    """Microseconds per batch of every stage of the eager student, each timed on its own input."""
    resize, normalise = model.pre_processor.transform.transforms
    net, gan = model.model, model.model.student
    images = torch.rand(batch_size, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        resized = resize(images)
        normalised = normalise(resized)
        grey = net.to_model_channels(normalised)
        canvas = gan.pad(grey)
        latent = gan.generator.encoder1(canvas)
        reconstruction = gan.generator.decoder(latent)
        second = gan.generator.encoder2(reconstruction)
        anomaly_map = (grey - gan.crop(reconstruction)).pow(2).mean(dim=1, keepdim=True)
        score = (latent - second).pow(2).flatten(1).mean(dim=1)
        stages = {
            "resize": lambda: resize(images),
            "normalisation": lambda: normalise(resized),
            "grey conversion": lambda: net.to_model_channels(normalised),
            "padding": lambda: gan.pad(grey),
            "encoder G_E": lambda: gan.generator.encoder1(canvas),
            "decoder G_D": lambda: gan.generator.decoder(latent),
            "encoder E": lambda: gan.generator.encoder2(reconstruction),
            "anomaly map": lambda: (grey - gan.crop(reconstruction)).pow(2).mean(dim=1, keepdim=True),
            "score": lambda: (latent - second).pow(2).flatten(1).mean(dim=1),
            "post-processing": lambda: model.post_processor(InferenceBatch(pred_score=score, anomaly_map=anomaly_map)),
        }
        result = {stage: call_us(function, runs) for stage, function in stages.items()}
        total = call_us(lambda: model(images), runs)
    result["outside the nodes"] = total - sum(result.values())
    return result


def write_table(rows: list[dict], path: Path) -> None:
    """Stages as rows, (path, batch size) as columns, microseconds per batch; the total is the wall time."""
    columns = sorted({(r["batch_size"], PATHS.index(r["path"])) for r in rows})
    value = {(r["batch_size"], PATHS.index(r["path"]), r["stage"]): r["microseconds"] for r in rows}
    header = " | ".join(f"{PATHS[p]}, batch {b}" for b, p in columns)
    lines = [f"| stage (µs per batch) | {header} |", "|---" * (len(columns) + 1) + "|"]
    for stage in STAGES:
        cells = [value.get((b, p, stage)) for b, p in columns]
        if any(cell for cell in cells):
            lines.append(f"| {stage} | " + " | ".join("-" if c is None else f"{c:,.1f}" for c in cells) + " |")
    totals = [sum(v for (b, p, _), v in value.items() if (b, p) == column) for column in columns]
    lines.append("| **total (wall time)** | " + " | ".join(f"**{t:,.1f}**" for t in totals) + " |")
    path.write_text("\n".join(lines) + "\n")


def export_graphs(folder: Path) -> list[str]:
    """ONNX files of the graph Anomalib traces from the Lightning module and of the exported (fused) graph.

    Each is also converted to OpenVINO IR beside it, as Anomalib's ``to_openvino`` does (``model.xml``).
    """
    model = student_model()
    paths = [ExportMixin.to_onnx(model, folder / "before"), model.to_onnx(folder / "fused")]
    for path in paths:
        ov.save_model(ov.convert_model(str(path)), path.with_suffix(".xml"), compress_to_fp16=False)
    return [str(path) for path in paths]


def pytorch_stages(batch_size: int, runs: int) -> dict[str, float]:
    """:func:`profile_pytorch` of the default student with PyTorch's 2 threads."""
    torch.set_num_threads(2)
    return profile_pytorch(student_model(), batch_size, runs)


def run_and_report(function: Callable, arguments: tuple, queue: multiprocessing.Queue) -> None:
    """Child process: put ``function(*arguments)`` on the queue."""
    queue.put(function(*arguments))


def in_child(function: Callable, *arguments: object) -> object:
    """``function(*arguments)`` in a fresh process, as ``throughput.py`` times every configuration."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=run_and_report, args=(function, arguments, queue))
    child.start()
    result = wait_for(queue, child, function.__name__)
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="inferences at batch 1 (batch 64: a tenth)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        graphs = dict(zip(PATHS[:2], in_child(export_graphs, Path(folder)), strict=True))
        time.sleep(SETTLE_SECONDS)
        for batch_size in (1, 64):
            runs = args.runs if batch_size == 1 else args.runs // 10
            results = {name: in_child(profile_openvino, Path(path), batch_size, runs) for name, path in graphs.items()}
            results[PATHS[2]] = in_child(pytorch_stages, batch_size, runs)
            for name, stages in results.items():
                for stage, microseconds in stages.items():
                    rows.append({"path": name, "batch_size": batch_size, "stage": stage, "microseconds": microseconds})
                print(name, batch_size, {k: round(v, 1) for k, v in stages.items()}, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        row["microseconds"] = round(row["microseconds"], 2)
    with (args.out / "profile_student.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=("path", "batch_size", "stage", "microseconds"))
        writer.writeheader()
        writer.writerows(rows)
    write_table(rows, args.out / "profile_student.md")


if __name__ == "__main__":
    main()
