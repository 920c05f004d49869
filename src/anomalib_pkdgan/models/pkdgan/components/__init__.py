# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Building blocks of P-KDGAN's networks.

* :mod:`.gan_network`: one GANomaly-style GAN of any image size (teacher and student alike);
* :mod:`.student_design`: the student generator's designs (the paper's, depthwise-separable, fully connected);
* :mod:`.hints`: FitNets-style hints on intermediate feature maps;
* :mod:`.distill_inputs`: inputs beyond the normal set on which the student copies the teacher.
"""

from .gan_network import GanNetwork, GanOutput
from .hints import HintAdapters
from .student_design import STUDENT_BLOCKS, DenseGenerator

__all__ = ["STUDENT_BLOCKS", "DenseGenerator", "GanNetwork", "GanOutput", "HintAdapters"]
