# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The installed package as users meet it: the start-up hook and Anomalib's CLI, in fresh subprocesses."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CONFIGS = Path(__file__).parents[1] / "configs"
ANOMALIB = str(Path(sys.executable).parent / "anomalib")


def run(*args, cwd=None, timeout=600):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env, check=False)


def test_start_up_hook_is_installed_and_imports_nothing_heavy():
    code = "import sys; print(*(name in sys.modules for name in ('torch', 'anomalib', 'anomalib_pkdgan._autoload')))"
    result = run(sys.executable, "-c", code)
    assert result.stdout.split() == ["False", "False", "True"], result.stderr


def test_importing_anomalib_models_registers_the_plugin():
    code = (
        "import sys, anomalib.models as m\n"
        "names = set()\n"
        "todo = [m.AnomalibModule]\n"
        "while todo:\n"
        "    cls = todo.pop(); names.add(cls.__name__); todo.extend(cls.__subclasses__())\n"
        "print('Pkdgan' in names, 'PKDGAN' in names)"
    )
    result = run(sys.executable, "-c", code)
    assert result.stdout.split() == ["True", "True"], result.stderr


# Makes the plugin fail to import as it would after an incompatible Anomalib upgrade, imports anomalib.models
# (or, with ``already_imported``, calls install() after it), then prints what happened as JSON.
BROKEN_PLUGIN = """
import importlib.util, json, os, sys, warnings


class Broken:
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise AttributeError("simulated: module 'ganomaly.torch_model' has no attribute 'Encoder'")


class BreakPlugin:
    def find_spec(self, fullname, path, target=None):
        if fullname == "anomalib_pkdgan.models.pkdgan":
            return importlib.util.spec_from_loader(fullname, Broken())
        return None


sys.meta_path.insert(0, BreakPlugin())
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import anomalib.models
    import anomalib_pkdgan._autoload as hook

    os.environ.pop("ANOMALIB_PKDGAN_NO_AUTOLOAD", None)  # kept the hook off at start-up if already_imported
    hook.install()  # with anomalib.models imported: the plugin's first import attempt, or a repeat
    hook.install()  # a repeat must not warn again
subclasses, todo = set(), [anomalib.models.AnomalibModule]
while todo:
    cls = todo.pop(); subclasses.add(cls.__name__); todo.extend(cls.__subclasses__())
print(json.dumps({
    "warnings": [str(w.message) for w in caught if "anomalib-pkdgan" in str(w.message)],
    "ganomaly": type(anomalib.models.get_model("ganomaly")).__name__,
    "pkdgan": "Pkdgan" in subclasses,
}))
"""


@pytest.mark.parametrize("already_imported", [False, True], ids=["hook-at-import", "install-after-import"])
def test_a_broken_plugin_warns_once_and_leaves_anomalib_working(already_imported):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    if already_imported:  # no hook at start-up: anomalib.models is imported before install() runs
        env["ANOMALIB_PKDGAN_NO_AUTOLOAD"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", BROKEN_PLUGIN], capture_output=True, text=True, env=env, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["ganomaly"] == "Ganomaly"
    assert not outcome["pkdgan"]
    (message,) = outcome["warnings"]
    assert "AttributeError: simulated: module 'ganomaly.torch_model' has no attribute 'Encoder'" in message
    assert "upgrade anomalib-pkdgan" in message
    assert "pip uninstall anomalib-pkdgan" in message
    assert "ANOMALIB_PKDGAN_NO_AUTOLOAD=1" in message


MODEL_NAMES = {
    "PKDGAN": "PKDGAN",
    "Pkdgan": "Pkdgan",
    "anomalib_pkdgan.Pkdgan": "Pkdgan",
    "anomalib_pkdgan.models.pkdgan.lightning_model.PKDGAN": "PKDGAN",
}
UNKNOWN_MODEL = "Pkdgann"


def fit_print_config(model: str) -> tuple[str, ...]:
    return ("fit", "--model", model, "--data", "anomalib_pkdgan.data.OneClassVision", "--print_config")


def train_print_config(config: str) -> tuple[str, ...]:
    return ("train", "--config", str(CONFIGS / config), "--print_config")


# Runs the ``anomalib`` console script's main() once for each argument list (JSON in argv[1]), in one fresh
# process: the start-up hook registers the plugin as for any ``anomalib`` command, and Anomalib is imported once
# instead of once per command. Prints each command's exit code, standard output and error as JSON.
CLI_COMMANDS = """
import contextlib, io, json, sys, traceback
from anomalib.cli.cli import main

outcomes = []
for argv in json.loads(sys.argv[1]):
    sys.argv = ["anomalib", *argv]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
        except Exception:
            traceback.print_exc()
            code = 1
    outcomes.append({"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
print(json.dumps(outcomes))
"""


@pytest.fixture(scope="module")
def parsed() -> dict[tuple[str, ...], subprocess.CompletedProcess]:
    """The outcome of every parse-only command of this module, run by :data:`CLI_COMMANDS` in one process."""
    commands = [fit_print_config(name) for name in MODEL_NAMES]
    commands += [train_print_config(path.name) for path in sorted(CONFIGS.glob("*.yaml"))]
    commands.append(fit_print_config(UNKNOWN_MODEL))  # last: a failed parse leaves nothing behind for the others
    result = run(sys.executable, "-c", CLI_COMMANDS, json.dumps(commands))
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = json.loads(result.stdout.splitlines()[-1])
    return {
        command: subprocess.CompletedProcess(command, **outcome)
        for command, outcome in zip(commands, outcomes, strict=True)
    }


@pytest.mark.parametrize(("name", "class_name"), MODEL_NAMES.items())
def test_cli_resolves_the_model(parsed, name, class_name):
    result = parsed[fit_print_config(name)]
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(rf"class_path: anomalib_pkdgan[\w.]*\.{class_name}\n", result.stdout)


def test_unknown_model_name_still_fails(parsed):
    result = parsed[fit_print_config(UNKNOWN_MODEL)]
    assert result.returncode != 0
    assert UNKNOWN_MODEL in result.stderr


@pytest.mark.parametrize("config", sorted(path.name for path in CONFIGS.glob("*.yaml")))
def test_every_config_parses(parsed, config):
    result = parsed[train_print_config(config)]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "anomalib_pkdgan" in result.stdout


@pytest.mark.slow
def test_anomalib_train_runs_to_a_tested_model(demo_run, data_root, tmp_path):
    assert demo_run.train.returncode == 0, demo_run.train.stderr[-3000:]
    assert "image_AUROC" in demo_run.train.stdout + demo_run.train.stderr
    assert demo_run.checkpoint.is_file()

    # The README's deploy commands: export the student to OpenVINO, predict on a folder of images.
    assert demo_run.export.returncode == 0, demo_run.export.stderr[-3000:]
    assert (demo_run.root / "export" / "weights" / "openvino" / "model.xml").is_file()
    images = next(data_root.rglob("test/3"))  # PNGs written by the datamodule
    result = run(
        ANOMALIB, "predict", "--model", "PKDGAN",
        "--model.teacher_features", "32", "--model.teacher_latent", "64",  # the demo config's networks
        "--ckpt_path", str(demo_run.checkpoint), "--data", str(images),
        "--default_root_dir", str(tmp_path / "predict"),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(list((tmp_path / "predict").rglob("*.png"))) == len(list(images.glob("*.png")))
