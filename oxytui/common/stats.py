"""The one percentile definition (nearest rank) used by client stats, the runs model and exports."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["percentile"]


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank ``q``-th percentile (``q`` in 0..100) of an already sorted sequence.

    Empty input gives ``None``, never 0: no samples is not a zero latency, and a caller that wants a
    placeholder says so itself (the dashboard shows "—"). ``q`` outside 0..100 clamps to the ends.
    """
    if not sorted_values:
        return None
    n = len(sorted_values)
    k = min(n - 1, max(0, math.ceil(q / 100.0 * n) - 1))
    return sorted_values[k]
