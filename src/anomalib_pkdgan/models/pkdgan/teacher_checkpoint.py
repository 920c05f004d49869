# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Load a pre-trained teacher, with errors that say what is wrong with the file.

Two formats are accepted:

* a Lightning checkpoint of a :class:`~anomalib_pkdgan.Pkdgan` run (its ``state_dict`` keys
  ``model.teacher.*`` are taken);
* a plain ``state_dict`` of a teacher :class:`~anomalib_pkdgan.models.pkdgan.torch_model.GanNetwork`,
  as written by ``torch.save(model.model.teacher.state_dict(), path)``.

Example:
    >>> import tempfile, torch
    >>> from anomalib_pkdgan.models.pkdgan.torch_model import GanNetwork
    >>> teacher = GanNetwork((32, 32), 1, n_features=8, latent_vec_size=16)
    >>> path = tempfile.mktemp(suffix=".pt")
    >>> torch.save(teacher.state_dict(), path)
    >>> sorted(load_teacher_state(path, teacher)) == sorted(teacher.state_dict())
    True
"""

from pathlib import Path

import torch
from torch import nn

# The module, not the function: importing ``anomalib_pkdgan._compat`` first imports ``anomalib.models``, whose
# start-up hook imports this plugin, which would then find ``_compat`` still half-initialised.
from ... import _compat

LIGHTNING_PREFIX = "model.teacher."


def load_teacher_state(path: str | Path, teacher: nn.Module) -> dict[str, torch.Tensor]:
    """Read a teacher state dict from ``path`` and check that it fits ``teacher``.

    Args:
        path: Checkpoint file.
        teacher: The teacher network the weights are for (only its shapes are read).

    Returns:
        dict[str, torch.Tensor]: A state dict ``teacher.load_state_dict`` accepts.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The file cannot be read, holds no teacher, or holds a teacher of another shape.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"PKDGAN teacher checkpoint not found: {path}"
        raise FileNotFoundError(msg)
    try:
        content = _compat.load_checkpoint_file(path)
    except Exception as error:
        msg = f"PKDGAN teacher checkpoint {path} could not be read ({type(error).__name__}: {error})."
        raise ValueError(msg) from error
    if isinstance(content, dict) and isinstance(content.get("state_dict"), dict):
        state = {
            key[len(LIGHTNING_PREFIX) :]: value
            for key, value in content["state_dict"].items()
            if key.startswith(LIGHTNING_PREFIX)
        }
    elif isinstance(content, dict) and all(isinstance(value, torch.Tensor) for value in content.values()):
        state = content
    else:
        state = {}
    expected = teacher.state_dict()
    if not state or not set(state) & set(expected):
        msg = (
            f"PKDGAN teacher checkpoint {path} holds no P-KDGAN teacher weights: expected a Pkdgan Lightning "
            "checkpoint or a teacher GanNetwork state_dict."
        )
        raise ValueError(msg)
    hint = (
        "Set teacher_features, teacher_latent, extra_layers, num_input_channels and input_size as in the run "
        "that saved it."
    )
    # Anomalib's GANomaly blocks put channel counts in layer names, so another width shows up as other keys.
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing:
        extra = f" and has {len(unexpected)} it does not, e.g. {unexpected[0]!r}" if unexpected else ""
        msg = (
            f"PKDGAN teacher checkpoint {path} is for a teacher of another shape: it lacks {len(missing)} weights "
            f"of this teacher, e.g. {missing[0]!r}{extra}. {hint}"
        )
        raise ValueError(msg)
    for key, value in expected.items():
        if state[key].shape != value.shape:
            msg = (
                f"PKDGAN teacher checkpoint {path} is for a teacher of another shape: {key!r} is "
                f"{tuple(state[key].shape)} in the file but {tuple(value.shape)} here. {hint}"
            )
            raise ValueError(msg)
    return {key: state[key] for key in expected}
