"""Headless incident tooling: recording, replay, export, watch, metrics, history. No Textual import here.

Each module has a small API the dashboard calls and the ``oxytui`` subcommands use directly.
"""

from __future__ import annotations
