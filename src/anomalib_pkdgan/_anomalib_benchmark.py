# Copyright (C) 2026 anomalib-pkdgan developers
# SPDX-License-Identifier: Apache-2.0

"""Let ``anomalib benchmark`` tabulate models whose configurations have different keys.

Workaround for ``anomalib.pipelines.benchmark.job.BenchmarkJob.collect`` (Anomalib 2.4 to 2.7): it builds the
results table from the keys of the first job's result only, so a grid such as Padim with its ``init_args`` beside
PKDGAN with its own (each result holds its model's flattened ``init_args``) raised ``KeyError`` (or pandas'
"All arrays must be of the same length") after every job had trained, and no ``results.csv`` was written.
Importing this module (the start-up hook :mod:`anomalib_pkdgan._autoload` does, right after Anomalib's benchmark
job module is imported) replaces ``collect`` with one that takes the union of the keys, in the order first seen,
and leaves a cell empty where a job has no such key. Tables that Anomalib could already build come out the same.

Example:
    >>> import anomalib_pkdgan._anomalib_benchmark
    >>> from anomalib.pipelines.benchmark.job import BenchmarkJob
    >>> BenchmarkJob.collect([{"model": "Padim", "a": 1}, {"model": "Pkdgan", "b": 2}]).columns.tolist()
    ['model', 'a', 'b']
"""

from typing import Any

import pandas as pd
from anomalib.pipelines.benchmark.job import BenchmarkJob


def collect(results: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per job result, one column per key of any result (empty where a result lacks the key).

    Args:
        results: The results of :meth:`BenchmarkJob.run`.

    Returns:
        pd.DataFrame: The table ``BenchmarkJob.save`` writes.

    Example:
        >>> collect([{"x": 1}, {"x": 2}])["x"].tolist()
        [1, 2]
    """
    return pd.DataFrame(results)


BenchmarkJob.collect = staticmethod(collect)
