# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Where the benchmarks keep their result files and their scratch data.

Example:
    >>> RESULTS.name, WORK.name
    ('results', 'work')
"""

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1]
"""The ``benchmarks/`` folder."""
RESULTS = BENCHMARKS / "results"
"""The committed result files (csv, jsonl, json, png) and the tables the scripts render from them."""
WORK = BENCHMARKS / "work"
"""Downloaded data, cached teachers and training runs (not committed)."""
