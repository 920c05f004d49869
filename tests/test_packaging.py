# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""The wheel holds what users need and nothing else; uninstalling removes the start-up hook."""

import inspect
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_wheel_holds_package_configs_and_hook_only(dist):
    wheel = next(dist.glob("anomalib_pkdgan-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"anomalib_pkdgan", "anomalib_pkdgan.pth", next(t for t in tops if t.endswith(".dist-info"))}
    assert "anomalib_pkdgan/models/pkdgan/lightning_model.py" in names
    configs = {Path(name).name for name in names if name.startswith("anomalib_pkdgan/configs/")}
    assert configs == {path.name for path in (REPO / "configs").glob("*.yaml")}
    assert not [name for name in names if "tests/" in name or "benchmarks" in name]
    assert zipfile.ZipFile(wheel).read("anomalib_pkdgan.pth").decode().strip() == "import anomalib_pkdgan._autoload"


def test_twine_check_passes(dist):
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_configs_are_reachable_through_importlib_resources():
    from importlib.resources import files

    import anomalib_pkdgan

    configs = files(anomalib_pkdgan) / "configs"
    if not configs.is_dir():  # running from a source tree rather than the installed wheel
        pytest.skip("configs are packaged only in the wheel")
    assert (configs / "pkdgan.yaml").is_file()


def test_version_lives_in_one_place(dist):
    import anomalib_pkdgan

    wheel = next(dist.glob("anomalib_pkdgan-*.whl"))
    assert wheel.name.startswith(f"anomalib_pkdgan-{anomalib_pkdgan.__version__}-")


@pytest.mark.slow
def test_uninstall_removes_the_start_up_hook(dist, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    wheel = next(dist.glob("anomalib_pkdgan-*.whl"))
    probe = "import sys, sysconfig; print('anomalib_pkdgan._autoload' in sys.modules, sysconfig.get_paths()['purelib'])"

    def pip(*args):
        subprocess.run([python, "-m", "pip", "--quiet", *args], check=True, capture_output=True)

    pip("install", "--no-deps", "--force-reinstall", str(wheel))
    loaded, site = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == "True"
    assert (Path(site) / "anomalib_pkdgan.pth").is_file()

    pip("uninstall", "--yes", "anomalib-pkdgan")
    assert not (Path(site) / "anomalib_pkdgan.pth").exists()
    assert not (Path(site) / "anomalib_pkdgan").exists()
    # The system site-packages may still carry its own copy; the venv's own site-packages must be clean.
    leftovers = [p.name for p in Path(site).iterdir() if "pkdgan" in p.name]
    assert leftovers == []


def test_the_defaults_config_lists_every_model_argument_with_its_default():
    import yaml

    from anomalib_pkdgan import Pkdgan

    config = yaml.safe_load((Path(__file__).parents[1] / "configs" / "pkdgan.yaml").read_text())["model"]["init_args"]
    components = {"pre_processor", "post_processor", "evaluator", "visualizer"}
    parameters = {name: p.default for name, p in inspect.signature(Pkdgan).parameters.items() if name not in components}
    assert set(config) == set(parameters)
    changed = {name: (config[name], default) for name, default in parameters.items() if config[name] != default}
    assert not changed
