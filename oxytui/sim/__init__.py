"""Simulated OxyGent 1.1.3 nodes for the demo, the tests and the benchmarks (full docs: ``README.md`` here).

``SimNode`` is one node, ``SimCluster`` a master plus remote sub-agent nodes; both speak the exact wire
protocol of real OxyGent (``tests/fixtures/PROTOCOL.md``). Nothing here imports Textual.
"""

from __future__ import annotations

from .cluster import SimCluster
from .knobs import FAULTS, NodeKnobs
from .server import SimNode

__all__ = ["FAULTS", "NodeKnobs", "SimCluster", "SimNode"]
