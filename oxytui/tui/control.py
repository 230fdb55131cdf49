"""What the app asks of the thing that feeds its store: the typed seam between :class:`~oxytui.tui.app.OxyApp`
and its controllers (live: :class:`oxytui.tui.service.Controller`; replay:
:class:`oxytui.tui.replay.ReplayController`).

Every controller can start, close, say how many of the user's runs are live and add a status to the top bar.
Only a live one has a :class:`Transport` (nodes to send to, record from, export from); a recording has
none, and the app says so instead of probing for methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from textual.notifications import SeverityLevel

if TYPE_CHECKING:
    from oxytui.client import NodePool
    from oxytui.config import NodeConfig
    from oxytui.ops.record import Recorder
    from oxytui.ops.telemetry_live import OtlpSwitch
    from oxytui.runs import Fleet

__all__ = ["DashboardController", "Notify", "Transport", "no_notify"]


class Notify(Protocol):
    """How a controller tells the user something (injected by the app: a toast)."""

    def __call__(self, message: str, severity: SeverityLevel = "information") -> None: ...


def no_notify(message: str, severity: SeverityLevel = "information") -> None:
    """The default without an app (tests, benchmarks): notices go nowhere."""


class Transport(Protocol):
    """The live side: nodes to send prompts to, attach to, record and export from."""

    demo_driver: bool
    """The demo's automatic prompts run (palette toggle)."""

    @property
    def recorder(self) -> Recorder | None: ...

    @property
    def otlp(self) -> OtlpSwitch: ...

    @property
    def pool(self) -> NodePool:
        """The nodes' agents (the runs screen asks one for a call's ``/node`` record)."""
        ...

    @property
    def fleet(self) -> Fleet:
        """Every run on every node (ours merged with what the nodes' records show)."""
        ...

    @property
    def sources(self) -> dict[tuple[str, str], str]:
        """Who started each live run of ours: ``user``, ``demo`` or ``probe``."""
        ...

    def default_node(self) -> str | None: ...

    def send(
        self, query: str, mode: str = "focused", focused: str | None = None
    ) -> list[tuple[str, str]]: ...

    def attach(self, node: str, trace_id: str) -> tuple[str, str]: ...

    async def fetch_view(self, node: str, trace_id: str) -> dict[str, Any] | None: ...

    def add_node(self, nc: NodeConfig) -> None: ...

    def remove_node(self, name: str) -> None: ...

    async def refresh_orgs(self) -> None: ...

    def toggle_recording(self) -> str: ...

    def toggle_otlp(self) -> str: ...


class DashboardController(Protocol):
    """Stands behind the app: feeds the store, closes cleanly, reports what quitting would cancel."""

    @property
    def transport(self) -> Transport | None:
        """None: nothing live behind this controller (a recording)."""
        ...

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...

    def live_user(self) -> int:
        """Live runs the user started: quitting asks first while there are any."""
        ...

    def status_text(self) -> str:
        """Extra text at the end of the top bar ("" for none)."""
        ...
