# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""``python -m benchmarks.report``: see ``render.py``."""

from benchmarks.report.render import main

main()
