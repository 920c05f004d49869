# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Make ``Pkdgan`` and ``PKDGAN`` names of ``anomalib.models``, for the model lookups that search only Anomalib.

Workaround for ``anomalib.models.get_model`` (Anomalib 2.4 to 2.7): given a ``class_path`` (a dict, an OmegaConf
config or a jsonargparse ``Namespace``) it takes a bare name such as ``Pkdgan`` as an attribute of
``anomalib.models``, and imports the module of a dotted path only if that module is in
``anomalib.models.ALLOWED_MODULES`` (Anomalib's own model packages). Anomalib's benchmark job generator
(``anomalib benchmark --config``), its tiled-ensemble pipeline and ``tools/inference/lightning_inference.py``
(which passes jsonargparse's full class path) all resolve models through it, so none of them found P-KDGAN.

Importing this module (the start-up hook :mod:`anomalib_pkdgan._autoload` does, right after ``anomalib.models``
is imported) sets ``anomalib.models.Pkdgan`` and ``anomalib.models.PKDGAN``, lists them in its ``__all__``, and
adds to ``ALLOWED_MODULES`` exactly the modules of this package that export these classes (``anomalib_pkdgan``,
the package that defines them and the packages in between). Nothing else of Anomalib changes.

Example:
    >>> import anomalib.models
    >>> import anomalib_pkdgan._anomalib_models
    >>> anomalib.models.PKDGAN.__name__, "anomalib_pkdgan" in anomalib.models.ALLOWED_MODULES
    ('PKDGAN', True)
"""

import sys

# ``from anomalib import models``, not ``import anomalib.models``: the start-up hook imports this module while
# ``anomalib.models`` finishes importing, before ``anomalib`` has its ``models`` attribute.
from anomalib import models as anomalib_models

from anomalib_pkdgan.models.pkdgan import PKDGAN, Pkdgan

MODELS = (Pkdgan, PKDGAN)
"""The classes this module adds to ``anomalib.models``."""


def exporting_modules(cls: type) -> set[str]:
    """Modules on the way from ``anomalib_pkdgan`` to where ``cls`` is defined that export ``cls`` itself.

    Args:
        cls: A class defined in this package.

    Returns:
        set[str]: Dotted module names, e.g. ``{"anomalib_pkdgan", "anomalib_pkdgan.models", ...}``.

    Example:
        >>> "anomalib_pkdgan" in exporting_modules(Pkdgan)
        True
    """
    parts = cls.__module__.split(".")
    prefixes = (".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return {name for name in prefixes if getattr(sys.modules.get(name), cls.__name__, None) is cls}


def register() -> None:
    """Add :data:`MODELS` to ``anomalib.models`` and their modules to its ``ALLOWED_MODULES``; safe to repeat."""
    for cls in MODELS:
        setattr(anomalib_models, cls.__name__, cls)
        if cls.__name__ not in anomalib_models.__all__:
            anomalib_models.__all__.append(cls.__name__)
        allowed = getattr(anomalib_models, "ALLOWED_MODULES", None)  # a release without the allowlist needs nothing
        if allowed is not None:
            allowed.update(exporting_modules(cls))


register()
