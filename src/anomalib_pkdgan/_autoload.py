# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Make ``anomalib train --model PKDGAN`` work right after ``pip install``.

Anomalib has no entry points for models: its CLI only resolves ``--model NAME`` against
``AnomalibModule`` subclasses that are already imported when the arguments are parsed. The wheel
installs ``anomalib_pkdgan.pth`` into site-packages, which imports this module at interpreter
start-up. It adds one small finder to :data:`sys.meta_path` and nothing else: no torch, no Anomalib.
When some code later imports ``anomalib.models``, the finder lets the normal import run, then imports
:mod:`anomalib_pkdgan._anomalib_models`, which imports the model, so that ``Pkdgan`` and ``PKDGAN`` exist as
subclasses before the CLI parses its arguments, and makes them names of ``anomalib.models`` that
``anomalib.models.get_model`` finds (``anomalib benchmark``, the tiled ensemble, ``from anomalib.models import
Pkdgan``). Likewise, right after ``anomalib.pipelines.benchmark.job`` is imported, it imports
:mod:`anomalib_pkdgan._anomalib_benchmark`, so that ``anomalib benchmark`` can tabulate PKDGAN beside another model.

If the plugin cannot be imported (say, a newer Anomalib changed the GANomaly blocks it builds on), the hook
warns once and lets Anomalib load without it, so one broken plugin never breaks every Anomalib model.

Set ``ANOMALIB_PKDGAN_NO_AUTOLOAD=1`` to switch the hook off.
"""

# Only modules the interpreter has already loaded at start-up are imported here (importlib.abc alone would
# pull in importlib.resources at every start): the finder and loader are duck-typed.
import importlib
import os
import sys
import warnings

TYPE_CHECKING = False  # not ``typing.TYPE_CHECKING``: importing typing alone slows every start-up
if TYPE_CHECKING:
    import importlib.abc
    import importlib.machinery
    from collections.abc import Sequence
    from types import ModuleType

#: Anomalib module -> module of this package imported right after it, and what is lost if that import fails.
AFTER_IMPORT = {
    "anomalib.models": ("anomalib_pkdgan._anomalib_models", "its model, so `--model PKDGAN` is not available"),
    # When the plugin is imported first, it imports ``anomalib.models`` half-way: register once it is complete.
    "anomalib_pkdgan.models": ("anomalib_pkdgan._anomalib_models", "its model, so `--model PKDGAN` is not available"),
    "anomalib.pipelines.benchmark.job": (
        "anomalib_pkdgan._anomalib_benchmark",
        "its fix of `anomalib benchmark` tables that mix models with different init_args",
    ),
}
_failed: set[str] = set()  # modules that failed to import and were warned about: never warn twice
_executing: set[str] = set()  # modules of AFTER_IMPORT whose own code is running now


def _import_plugin(trigger: str) -> None:
    """Import the module that follows ``trigger``; if that raises, warn once instead of breaking the host import."""
    plugin, loss = AFTER_IMPORT[trigger]
    if plugin in _failed or any(AFTER_IMPORT[name][0] == plugin for name in _executing):
        return  # warned already; or another module that leads to it is half-way and imports it once complete
    try:
        importlib.import_module(plugin)
    except Exception as error:  # whatever breaks the plugin must leave Anomalib usable
        _failed.add(plugin)
        warnings.warn(
            f"anomalib-pkdgan could not load {loss} "
            f"({type(error).__name__}: {error}). Anomalib and its own models work as usual. To fix it, upgrade "
            "anomalib-pkdgan to a release that supports this Anomalib, or uninstall it (pip uninstall "
            "anomalib-pkdgan), or set ANOMALIB_PKDGAN_NO_AUTOLOAD=1 to switch this start-up hook off.",
            RuntimeWarning,
            stacklevel=2,
        )


class _ExecThenImportPlugin:
    """Wrap the real loader of a module of :data:`AFTER_IMPORT`; import its follower once it has run."""

    def __init__(self, loader: "importlib.abc.Loader") -> None:
        self._loader = loader

    def create_module(self, spec: "importlib.machinery.ModuleSpec") -> "ModuleType | None":
        return self._loader.create_module(spec)

    def exec_module(self, module: "ModuleType") -> None:
        _executing.add(module.__name__)
        try:
            self._loader.exec_module(module)
        finally:
            _executing.discard(module.__name__)
        _import_plugin(module.__name__)

    def __getattr__(self, name: str) -> object:
        # Loaders such as SourceFileLoader expose extra methods (get_code, get_resource_reader, ...).
        return getattr(self._loader, name)


class AfterImportFinder:
    """Meta-path finder (see :class:`importlib.abc.MetaPathFinder`) that only answers for :data:`AFTER_IMPORT`."""

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None",
        target: "ModuleType | None" = None,
    ) -> "importlib.machinery.ModuleSpec | None":
        if fullname not in AFTER_IMPORT:
            return None
        # Ask the remaining finders for the real spec, then wrap its loader.
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _ExecThenImportPlugin(spec.loader)
                return spec
        return None


def install() -> None:
    """Register the finder once; import now what follows a module of :data:`AFTER_IMPORT` that is already imported."""
    if os.environ.get("ANOMALIB_PKDGAN_NO_AUTOLOAD"):
        return
    for trigger in AFTER_IMPORT:
        if trigger in sys.modules:
            _import_plugin(trigger)
    if not all(trigger in sys.modules for trigger in AFTER_IMPORT) and not any(
        isinstance(finder, AfterImportFinder) for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, AfterImportFinder())


install()
