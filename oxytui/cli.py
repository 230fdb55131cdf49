"""The `oxytui` command. Keep imports lazy: `oxytui --version` must not import Textual or aiohttp."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point (placeholder until the real CLI lands)."""
    args = sys.argv[1:] if argv is None else argv
    if "--version" in args:
        from oxytui import __version__

        print(f"oxytui {__version__}")
        return 0
    return 0
