"""The health rule for a finished run of ours: when it counts as completed, failed or canceled.

Kept apart from :mod:`.store` (which applies it in ``finish_run``) because it is the one place that
decides what a success rate, a probe and a node's status mean, and it is easier to read alone.
"""

from __future__ import annotations

from .calltree import Run, RunState
from .errors import is_error_output

__all__ = ["finished_state"]


def finished_state(run: Run, state: RunState | None, error: str) -> tuple[RunState, str]:
    """The health rule: a run succeeded only when it answered and nothing inside it failed. A failed call
    (an error-shaped observation) or an error event fails the run even when the agent still wrote an answer
    around it ("Final answer (via boom): boom tool failed"), so success rates, probes and node status see
    the failure. ``state`` None: decide from what arrived; canceled and failed stay as given."""
    if state is not None and state is not RunState.COMPLETED:
        return state, error
    if state is None and not run.answer and not error and not run.error:
        return RunState.FAILED, "stream ended without an answer"
    if error or run.error or is_error_output(run.answer):
        return RunState.FAILED, error
    failed = run.error_calls()
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        return RunState.FAILED, f"call {first.callee} failed{more}: {first.output_preview}"
    return RunState.COMPLETED, error
