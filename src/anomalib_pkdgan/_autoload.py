# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Make ``anomalib train --model PKDGAN`` work right after ``pip install``.

Anomalib has no entry points for models: its CLI only resolves ``--model NAME`` against
``AnomalibModule`` subclasses that are already imported when the arguments are parsed. The wheel
installs ``anomalib_pkdgan.pth`` into site-packages, which imports this module at interpreter
start-up. It adds one small finder to :data:`sys.meta_path` and nothing else: no torch, no Anomalib.
When some code later imports ``anomalib.models``, the finder lets the normal import run, then imports
:mod:`anomalib_pkdgan.models.pkdgan` so that ``Pkdgan`` and ``PKDGAN`` exist as subclasses before the
CLI parses its arguments.

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

TRIGGER = "anomalib.models"
PLUGIN = "anomalib_pkdgan.models.pkdgan"
_failed = False  # set once the plugin failed to import and the warning was given: never warn twice


def _import_plugin() -> None:
    """Import the plugin; if that raises, warn once instead of breaking the import of ``anomalib.models``."""
    global _failed
    if _failed:
        return
    try:
        importlib.import_module(PLUGIN)
    except Exception as error:  # whatever breaks the plugin must leave Anomalib usable
        _failed = True
        warnings.warn(
            f"anomalib-pkdgan could not load its model, so `--model PKDGAN` is not available "
            f"({type(error).__name__}: {error}). Anomalib and its own models work as usual. To fix it, upgrade "
            "anomalib-pkdgan to a release that supports this Anomalib, or uninstall it (pip uninstall "
            "anomalib-pkdgan), or set ANOMALIB_PKDGAN_NO_AUTOLOAD=1 to switch this start-up hook off.",
            RuntimeWarning,
            stacklevel=2,
        )


class _ExecThenImportPlugin:
    """Wrap the real loader of ``anomalib.models``; import the plugin once it has run."""

    def __init__(self, loader: "importlib.abc.Loader") -> None:
        self._loader = loader

    def create_module(self, spec: "importlib.machinery.ModuleSpec") -> "ModuleType | None":
        return self._loader.create_module(spec)

    def exec_module(self, module: "ModuleType") -> None:
        self._loader.exec_module(module)
        _import_plugin()

    def __getattr__(self, name: str) -> object:
        # Loaders such as SourceFileLoader expose extra methods (get_code, get_resource_reader, ...).
        return getattr(self._loader, name)


class AnomalibModelsFinder:
    """Meta-path finder (see :class:`importlib.abc.MetaPathFinder`) that only answers for ``anomalib.models``."""

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None",
        target: "ModuleType | None" = None,
    ) -> "importlib.machinery.ModuleSpec | None":
        if fullname != TRIGGER:
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
    """Register the finder once; import the plugin now if ``anomalib.models`` is already imported."""
    if os.environ.get("ANOMALIB_PKDGAN_NO_AUTOLOAD"):
        return
    if TRIGGER in sys.modules:
        _import_plugin()
        return
    if not any(isinstance(finder, AnomalibModelsFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, AnomalibModelsFinder())


install()
