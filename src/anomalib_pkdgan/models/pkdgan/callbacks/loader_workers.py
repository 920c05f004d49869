# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""On a CPU, load a small data set in the main process rather than in workers started again every epoch.

Anomalib's datamodules build non-persistent ``DataLoader`` s, so their worker processes (``num_workers``: 8 in
Anomalib's ``Folder``) are started again for every training epoch and every validation. The schedule stretches a
small data set over hundreds of short epochs (:mod:`.schedule`), and on a CPU the workers share the cores that
train the networks: they can hide loading but add no compute, and starting them hundreds of times costs more than
the loading they hide. So before the loaders are built, :func:`load_in_main_process` sets such a datamodule's
``num_workers`` to 0 (for its training, validation and test loaders) and says so once; a model built with
``keep_num_workers=True`` keeps the datamodule's setting. Measurements: ``docs/results.md``.

Example:
    >>> from types import SimpleNamespace
    >>> from anomalib.data import Folder
    >>> from lightning.pytorch.accelerators import CPUAccelerator
    >>> folder = Folder(name="tiny", root=".", normal_dir="good", train_batch_size=32)  # num_workers=8
    >>> folder.train_data = list(range(100))  # as after ``setup``: 100 images, 4 batches per epoch
    >>> trainer = SimpleNamespace(datamodule=folder, accelerator=CPUAccelerator())
    >>> load_in_main_process(trainer, epochs=(15, 15, 5), min_steps=2000), folder.num_workers
    (True, 0)
"""

import math

from anomalib.data import AnomalibDataModule
from lightning.pytorch import Trainer
from lightning.pytorch.accelerators import CPUAccelerator
from lightning.pytorch.utilities import rank_zero_info

from .schedule import epochs_needed, plan_phases, stretches_epochs


def load_in_main_process(trainer: Trainer, epochs: tuple[int, int, int], min_steps: int) -> bool:
    """Set the trainer's datamodule to load in the main process if the schedule restarts its workers many times.

    Only an :class:`~anomalib.data.AnomalibDataModule` with worker processes, set up (its ``train_data`` built),
    trained on a CPU, whose phases ``min_steps`` stretches over short epochs, is changed.

    Args:
        trainer: The Lightning trainer, in the callback's ``setup`` (after the datamodule's, before any loader).
        epochs: Epochs of the teacher, frozen and joint phases.
        min_steps: The schedule's ``min_steps``.

    Returns:
        bool: Whether ``num_workers`` was set to 0.
    """
    datamodule = trainer.datamodule
    if not isinstance(datamodule, AnomalibDataModule) or not isinstance(trainer.accelerator, CPUAccelerator):
        return False
    workers, train_data = datamodule.num_workers, getattr(datamodule, "train_data", None)
    if not workers or train_data is None or len(train_data) == 0:
        return False
    batches_per_epoch = math.ceil(len(train_data) / datamodule.train_batch_size)
    plan = plan_phases(epochs, batches_per_epoch, min_steps)
    if not stretches_epochs(plan, epochs, batches_per_epoch):
        return False
    datamodule.num_workers = 0
    rank_zero_info(
        f"PKDGAN loads {datamodule.__class__.__name__}'s {len(train_data)} training images in the main process "
        f"(num_workers {workers} -> 0): its schedule spans {epochs_needed(plan, batches_per_epoch)} epochs of "
        f"{batches_per_epoch} batches, and Anomalib starts the loader's workers again for each one, on the CPU "
        "cores that train. To keep your num_workers, build the model with keep_num_workers=True "
        "(CLI: --model.keep_num_workers true)."
    )
    return True
