# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The README's code runs as written, so its examples cannot rot; the other docs' code at least parses.

:data:`TABLE` says, for every fenced block of ``README.md`` (found by a substring only it contains), how it is
checked: run as written, run with stated substitutions that shrink it to tiny data, or skipped with a reason.
A block the table does not cover fails :func:`test_every_readme_block_is_in_the_table`. Bash blocks run with
``bash -e`` and Python blocks with the venv's Python, each in its own temporary working directory holding what
the block expects to find there (``configs/``, a trained demo run, images).

The code blocks of ``docs/*.md`` and of the model README are parsed (Python by :mod:`ast`, bash by ``bash -n``),
and no hand-written or generated doc refers to internal work items ("issue 12").
"""

import ast
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from anomalib_pkdgan.data import export_png

REPO = Path(__file__).parents[1]
README = REPO / "README.md"
DOCS = [*sorted((REPO / "docs").glob("*.md")), REPO / "src" / "anomalib_pkdgan" / "models" / "pkdgan" / "README.md"]
RESULTS_MARKERS = ("<!-- results:start -->", "<!-- results:end -->")  # benchmarks.report writes between them
FENCE = re.compile(r"^[ \t]*```(\w*)[ \t]*\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)  # indented too

# The short schedule and tiny networks every shrunk run uses.
TINY_SCHEDULE = {"teacher_epochs": 1, "frozen_epochs": 1, "joint_epochs": 1, "min_schedule_steps": 0}
TINY_NETWORKS = {"teacher_features": 8, "teacher_latent": 16, "student_features": 2, "student_latent": 4}
TINY_DATA = {"max_train_images": 48, "max_test_images": 48, "train_batch_size": 16}
TINY_TRAIN_CLI = " ".join(f"--model.{k} {v}" for k, v in {**TINY_NETWORKS, **TINY_SCHEDULE}.items())
TINY_TRAIN_CLI += " --trainer.max_epochs 3"
TINY_DATA_CLI = " ".join(f"--data.{k} {v}" for k, v in TINY_DATA.items())

# Each command of the README's CLI block, by a substring, and the arguments appended to it (later ones win).
CLI_COMMANDS = {
    "--data.dataset digits": f"{TINY_TRAIN_CLI} {TINY_DATA_CLI}",
    # ./my_images: 40 normal (digit 0) and 20 anomalous (digit 3) images. They load in the main process: Folder's
    # 8 worker processes, started again for each loader of the 3 epochs, would cost more than the training.
    "--data.name my_images": f"{TINY_TRAIN_CLI} --data.num_workers 0",
    "--data MVTecAD": "--print_config",  # MVTec AD cannot be downloaded offline: the command must parse
    "--config configs/mnist.yaml": f"{TINY_TRAIN_CLI} {TINY_DATA_CLI} --data.dataset digits",  # MNIST: likewise
    # The tiling config must parse (with the tiler's arguments); tests/test_tiling.py trains it on a folder.
    "--config configs/large_images.yaml": "--print_config",
}


def markdown_blocks(path: Path) -> list[tuple[str, str]]:
    """Every fenced block of the markdown file ``path`` as ``(language, code)``."""
    return [(language, textwrap.dedent(code)) for language, code in FENCE.findall(path.read_text())]


def readme_blocks() -> list[tuple[str, str]]:
    """Every fenced block of the README as ``(language, code)``."""
    return markdown_blocks(README)


def shrink_cli(code: str) -> str:
    """Append :data:`CLI_COMMANDS`' arguments to each command; every command must have exactly one entry."""
    commands = []
    for command in code.replace("\\\n", " ").splitlines():
        if not command.strip() or command.lstrip().startswith("#"):
            continue
        extras = [extra for marker, extra in CLI_COMMANDS.items() if marker in command]
        assert len(extras) == 1, f"Give this README command one entry in CLI_COMMANDS: {command}"
        commands.append(f"{command} {extras[0]}")
    return "\n".join(commands)


def with_keywords(code: str, call: str, **values: object) -> str:
    """Set keyword arguments of every call of ``call`` in Python ``code`` (replacing those given there)."""
    tree = ast.parse(code)
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", "") == call]
    assert calls, f"The README block no longer calls {call}(...): update TABLE in tests/test_readme.py."
    for node in calls:
        kept = [keyword for keyword in node.keywords if keyword.arg not in values]
        node.keywords = kept + [ast.keyword(arg=name, value=ast.Constant(value)) for name, value in values.items()]
    return ast.unparse(ast.fix_missing_locations(tree))


def shrink_python_usage(code: str) -> str:
    """Digits (shipped with scikit-learn) for MNIST, cut to a few batches; tiny networks, short schedule."""
    code = with_keywords(code, "OneClassVision", dataset="digits", **TINY_DATA)
    return with_keywords(code, "Pkdgan", **TINY_NETWORKS, **TINY_SCHEDULE)


def check_cli(workdir: Path, output: str) -> None:
    del workdir
    assert output.count("image_AUROC") >= 3, "three training commands test their model"
    assert re.search(r"class_path: anomalib\.data\.[\w.]*MVTecAD", output)


def check_tiler_parsed(workdir: Path, output: str) -> None:
    del workdir
    assert re.search(r"class_path: anomalib\.callbacks\.[\w.]*TilerConfigurationCallback", output)
    assert re.search(r"tile_size: 64", output)


def check_trained(workdir: Path, output: str) -> None:
    del workdir
    assert "image_AUROC" in output


def check_export_and_predict(workdir: Path, output: str) -> None:
    del output
    assert (workdir / "export" / "weights" / "openvino" / "model.xml").is_file()
    checked = len(list((workdir / "images_to_check").glob("*.png")))
    assert len(list((workdir / "results").rglob("*.png"))) == checked  # one visualisation per image


def check_openvino_scores(workdir: Path, output: str) -> None:
    names = sorted(path.name for path in (workdir / "images_to_check").glob("*.png"))
    rows = [line.split() for line in output.splitlines() if line.endswith((" True", " False"))]
    assert [row[0] for row in rows] == names
    assert all(0 <= float(score) <= 1 for _, score, _ in rows)


@dataclass(frozen=True)
class Block:
    """How one README block is checked.

    Attributes:
        marker: A substring that only this block contains.
        language: Its fence language, ``bash`` or ``python``.
        skip: Why it does not run; empty if it runs.
        shrink: The substitutions that make it run on tiny data; ``None`` runs it as written.
        needs: What the working directory holds: ``configs`` (the repository's), ``results`` (the demo's
            checkpoint, as ``scripts/demo.sh`` leaves it: the ``demo_run`` fixture of ``tests/conftest.py``),
            ``export`` (its OpenVINO export, as the README's export command writes it), ``images_to_check``
            and ``my_images`` (PNG digits).
        check: Asserts on the working directory and the output after the block succeeded.
    """

    marker: str
    language: str
    skip: str = ""
    shrink: Callable[[str], str] | None = None
    needs: tuple[str, ...] = ()
    check: Callable[[Path, str], None] | None = None


TABLE = [
    Block(
        "bash scripts/demo.sh",
        "bash",
        skip="installs into .venv and trains for minutes; CI runs scripts/test.sh (.ci/run), tests/test_cli.py "
        "parses the demo's config, and the demo_run fixture (tests/conftest.py) runs its command shrunk: the "
        "deploy blocks' checkpoint and export",
    ),
    Block(
        "pip install anomalib-pkdgan", "bash", skip="installs; tests/test_packaging.py builds and installs the wheel"
    ),
    Block(
        "anomalib train --model PKDGAN --data anomalib_pkdgan.data.OneClassVision",
        "bash",
        shrink=shrink_cli,
        needs=("configs", "my_images"),
        check=check_cli,
    ),
    Block(
        "configs/large_images.yaml --data.root", "bash", shrink=shrink_cli, needs=("configs",), check=check_tiler_parsed
    ),
    Block("engine.fit(model, datamodule=datamodule)", "python", shrink=shrink_python_usage, check=check_trained),
    Block(
        "anomalib export --model PKDGAN --export_type openvino",
        "bash",
        needs=("results", "images_to_check"),
        check=check_export_and_predict,
    ),
    Block(
        "OpenVINOInferencer(",
        "python",
        needs=("export", "images_to_check"),
        check=check_openvino_scores,
    ),
    Block("bash scripts/test.sh -q", "bash", skip="installs and runs this test suite (CI runs it: .ci/run)"),
]


def test_every_readme_block_is_in_the_table():
    blocks = readme_blocks()
    assert blocks, "no fenced blocks found in README.md"
    for language, code in blocks:
        entries = [block for block in TABLE if block.marker in code]
        assert len(entries) == 1, (
            f"Each README block needs exactly one entry in TABLE (tests/test_readme.py) saying how it is checked: "
            f"run, run shrunk or skipped with a reason. Found {len(entries)} for:\n{code}"
        )
        assert entries[0].language == language, code
        if entries[0].shrink:  # the substitutions still apply to the block's current text
            entries[0].shrink(code)
    for block in TABLE:
        found = sum(block.marker in code for _, code in blocks)
        assert found == 1, f"{block.marker!r} is in {found} README blocks: update TABLE in tests/test_readme.py"


def test_readme_keeps_the_generated_results_section():
    text = README.read_text()
    start, end = RESULTS_MARKERS
    assert text.count(start) == text.count(end) == 1, "benchmarks.report needs one results section"
    assert text.index(start) < text.index(end)


@pytest.mark.parametrize("path", DOCS, ids=[path.relative_to(REPO).as_posix() for path in DOCS])
def test_doc_code_blocks_parse(path):
    blocks = markdown_blocks(path)
    for language, code in blocks:
        if language == "python":
            ast.parse(code)
        elif language == "bash":
            result = subprocess.run(["bash", "-n", "-c", code], capture_output=True, text=True, check=False)
            assert result.returncode == 0, f"{path.name}: {result.stderr}\n{code}"


@pytest.mark.parametrize("path", [README, *DOCS], ids=[p.relative_to(REPO).as_posix() for p in [README, *DOCS]])
def test_docs_name_no_internal_work_items(path):
    found = re.findall(r"\bissue \d+", path.read_text(), flags=re.IGNORECASE)
    assert not found, f"{path.name} refers to internal work items {found}: say what the thing does instead"


@pytest.fixture(scope="module")
def images(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``images_to_check`` (test digits 0 and 3) and ``my_images`` (``good``: digit 0, ``bad``: digit 3)."""
    root = tmp_path_factory.mktemp("readme_images")
    pngs = export_png("digits", data_root)
    for folder, source, count in (
        ("images_to_check", "test/0", 3),
        ("images_to_check", "test/3", 3),
        ("my_images/good", "train/0", 40),
        ("my_images/bad", "train/3", 20),
    ):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for path in sorted((pngs / source).glob("*.png"))[:count]:
            shutil.copy(path, root / folder / f"{source.replace('/', '_')}_{path.name}")
    return root


def _workdir(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A fresh working directory holding what ``block.needs``; the block may write anywhere in it."""
    for name in block.needs:
        if name == "configs":
            (tmp_path / name).symlink_to(REPO / name)
        elif name == "results":  # a copy: predictions are written next to the checkpoint
            shutil.copytree(request.getfixturevalue("demo_run").root / name, tmp_path / name, symlinks=True)
        elif name == "export":
            (tmp_path / name).symlink_to(request.getfixturevalue("demo_run").root / name)
        else:
            (tmp_path / name).symlink_to(request.getfixturevalue("images") / name)
    return tmp_path


def _environment() -> dict[str, str]:
    """This environment, with the venv's ``anomalib`` and ``python`` first on ``PATH``.

    Relative ``PYTHONPATH`` entries (``PYTHONPATH=src`` to test a source tree) are made absolute, so the blocks
    import the same ``anomalib_pkdgan`` from their own working directories.
    """
    python_path = [os.path.abspath(entry) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join(python_path),
        "PYTHONWARNINGS": "ignore",
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "block",
    [pytest.param(block, marks=pytest.mark.skip(reason=block.skip)) if block.skip else block for block in TABLE],
    ids=[re.sub(r"\W+", "_", block.marker).strip("_")[:40] for block in TABLE],
)
def test_readme_block_runs(block, tmp_path, request):
    codes = [code for language, code in readme_blocks() if block.marker in code and language == block.language]
    assert len(codes) == 1, f"No single README block contains {block.marker!r}: update TABLE in tests/test_readme.py"
    code = block.shrink(codes[0]) if block.shrink else codes[0]
    workdir = _workdir(block, tmp_path, request)
    command = ["bash", "-e", "-o", "pipefail", "-c", code] if block.language == "bash" else [sys.executable, "-c", code]
    result = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, env=_environment(), timeout=900, check=False
    )
    assert result.returncode == 0, f"{code}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    if block.check:
        block.check(workdir, result.stdout + result.stderr)
