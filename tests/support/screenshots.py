"""``make screenshots``: render the real app on the fixed, deterministic feed into ``screenshots/*.svg``.

Usage: ``python -m tests.support.screenshots [OUTDIR]``. The same factory feeds the snapshot tests.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from oxytui.config import Settings
from oxytui.runs import RunStore
from oxytui.tui.app import OxyApp
from tests.support.fixed_feed import fill
from tests.support.fixed_traffic import fill_traffic


def fixed_app(
    theme: str = "oxytui-dark", *, live: bool = True, read_only: bool = False, traffic: bool = False
) -> OxyApp:
    """The app in frozen mode over the fixed feed: same pixels every time (no clock, no network).
    ``traffic``: plus other people's runs from the nodes' records (:mod:`tests.support.fixed_traffic`)."""
    settings = Settings(demo=True, theme=theme, read_only=read_only)
    store = fill(RunStore(log_cap=settings.log_cap), live=live)
    fleet = fill_traffic(store) if traffic else None
    app = OxyApp(settings, store=store, frozen=True, user_theme_dir=Path("/nonexistent"))
    app.fleet = fleet
    return app


async def _select_event(pilot: object, needle: str) -> None:
    from oxytui.tui.widgets.eventlog import EventLogView

    app = pilot.app  # type: ignore[attr-defined]
    view = app.screen.query_one(EventLogView)
    view.focus()
    idx = next(i for i, r in enumerate(view.rows) if needle in r.summary or needle == r.type)
    view.move_to(idx)
    await pilot.pause()  # type: ignore[attr-defined]


async def shot_call_tree(pilot: object) -> None:
    await _select_event(pilot, "remote add 2 3")
    await pilot.press("t")  # type: ignore[attr-defined]


async def shot_event_detail(pilot: object) -> None:
    await _select_event(pilot, "Final answer (via add): 5")
    await pilot.press("enter")  # type: ignore[attr-defined]


async def shot_fanout(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    from oxytui.tui.widgets.chat import ChatPane

    chat = app.screen.query_one(ChatPane)
    chat.set_target("all", "")
    runs = [r for r in app.store.runs.values() if r.group == "G1"]
    app.screen.chat_runs = runs
    chat.show_runs(runs, app.clock(), 0)
    await pilot.pause()  # type: ignore[attr-defined]


async def shot_help(pilot: object) -> None:
    await pilot.press("question_mark")  # type: ignore[attr-defined]


async def shot_runs(pilot: object) -> None:
    await pilot.press("r")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def shot_runs_tree(pilot: object) -> None:
    """The stitched tree of someone's remote hop (master -> math), from both nodes' records."""
    await pilot.press("r", "slash", *"TRtrafficHop", "enter", "enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def shot_none(pilot: object) -> None:
    await pilot.pause()  # type: ignore[attr-defined]


SHOTS: dict[str, tuple[str, Callable[[object], Awaitable[None]]]] = {
    "main": ("oxytui-dark", shot_fanout),
    "call-tree": ("oxytui-dark", shot_call_tree),
    "event-detail": ("oxytui-dark", shot_event_detail),
    "help": ("oxytui-dark", shot_help),
    "theme-light": ("oxytui-light", shot_fanout),
    "theme-high-contrast": ("oxytui-high-contrast", shot_fanout),
}


TRAFFIC_SHOTS: dict[str, Callable[[object], Awaitable[None]]] = {
    "runs": shot_runs,
    "runs-tree": shot_runs_tree,
}
"""Pictures on the fixed feed plus fixed fleet traffic (other people's runs from the nodes' records)."""


async def _shoot(
    outdir: Path,
    name: str,
    theme: str,
    action: Callable[[object], Awaitable[None]],
    size: tuple[int, int],
    traffic: bool = False,
) -> Path:
    app = fixed_app(theme, traffic=traffic)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await action(pilot)
        await pilot.pause()
        svg = app.export_screenshot(title=f"oxytui — {name}")
    path = outdir / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


async def main_async(outdir: Path) -> list[Path]:
    out = []
    for name, (theme, action) in SHOTS.items():
        out.append(await _shoot(outdir, name, theme, action, (160, 45)))
    out.append(await _shoot(outdir, "main-100x30", "oxytui-dark", shot_fanout, (100, 30)))
    out.append(await _shoot(outdir, "main-80x24", "oxytui-dark", shot_fanout, (80, 24)))
    for name, action in TRAFFIC_SHOTS.items():
        out.append(await _shoot(outdir, name, "oxytui-dark", action, (160, 45), traffic=True))
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0] if args else "screenshots")
    outdir.mkdir(parents=True, exist_ok=True)
    converter = shutil.which("rsvg-convert")
    for path in asyncio.run(main_async(outdir)):
        print(path)
        if converter:  # PNG copies for places that cannot show SVG (optional tool, not a dependency)
            png = path.with_suffix(".png")
            subprocess.run([converter, str(path), "-o", str(png)], check=False)
            print(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
