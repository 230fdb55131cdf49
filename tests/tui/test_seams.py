"""Bugs the untyped app/controller seam hid (issue 10): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

from oxytui.config import NodeConfig, Settings
from oxytui.sim import NodeKnobs, SimCluster
from oxytui.tui.app import OxyApp
from oxytui.tui.service import Controller
from tests.support.screenshots import fixed_app
from tests.tui.test_live import until
from tests.tui.test_pilot import run_command

SIZE = (160, 45)


async def test_a_user_theme_can_be_picked_from_the_palette(tmp_path: Path) -> None:
    """The palette offered only ``oxytui-*`` themes: it filtered user themes on an attribute no one set."""
    (tmp_path / "zebra.toml").write_text('name = "zebra-mine"\nprimary = "#ff0000"\n', encoding="utf-8")
    app = fixed_app()
    app.__init__(app.settings, store=app.store, frozen=True, user_theme_dir=tmp_path)  # type: ignore[misc]
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "oxytui-dark"
        await run_command(pilot, "theme: zebra-mine")
        await until(pilot, lambda: app.theme == "zebra-mine")


async def test_nodes_follow_their_profile_and_production_refuses_plain_http() -> None:
    """Every agent was built with the same fixed settings: a production node shared the call stack and
    was accepted on plain http. Now the profile decides; a production node on http is a notice (the
    other nodes still come up), not a crash."""
    knobs = NodeKnobs(latency_ms=5, token_ms=1)
    async with SimCluster(nodes=1, seed=7, knobs=knobs) as cluster:
        ((name, url),) = cluster.urls.items()
        nodes = [
            NodeConfig(name=name, url=url),
            NodeConfig(name="prod-tls", url="https://127.0.0.1:9", profile="production"),
            NodeConfig(name="prod-plain", url="http://127.0.0.1:9", profile="production"),
        ]
        app = OxyApp(Settings(nodes=nodes, seed=7))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.store.nodes.get(name) is not None and app.store.count_up()[0] == 1)
            ctl = app.controller
            assert isinstance(ctl, Controller)
            dev, prod = ctl.pool.get(name), ctl.pool.get("prod-tls")
            assert dev is not None and dev.is_share_call_stack
            assert prod is not None and not prod.is_share_call_stack and prod.require_https
            assert "prod-plain" not in ctl.pool.names and "prod-plain" not in app.store.nodes
            notes = [str(n.message) for n in app._notifications]
            assert any("prod-plain" in n and "production" in n and "http" in n for n in notes), notes


async def test_help_lists_the_keys_active_now_replay_keys_in_a_replay(tmp_path: Path) -> None:
    """Help was built from a constant list of the live keys: a replay's own keys never appeared, and its
    disabled chat keys did. Now it is the screen's active bindings, remapped keys included."""
    from oxytui.ops.record import Recorder
    from oxytui.tui.replay import make_replay_app
    from oxytui.tui.screens.dialogs import HelpScreen

    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        rec.mark("start", "n", "T", 1.0, query="q")
    replay = make_replay_app(Settings(keys={"replay_step": "comma"}), path, speed=0)
    async with replay.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(replay.screen, HelpScreen))
        assert isinstance(replay.screen, HelpScreen)
        rows = {bid: key for key, _desc, bid in replay.screen.rows}
        assert {"replay_toggle", "replay_forward", "replay_back", "quit", "call_tree", "help"} <= set(rows)
        assert rows["replay_step"] == "comma" and rows["help"] == "?"
        assert "focus_chat" not in rows and "chat_target" not in rows
