"""Reading small user files (config, themes, tokens) without trusting what the path points at.

A path may name a FIFO (``open`` would block for ever), ``/dev/zero`` (a read never ends), a 1 GiB file, or
a file other users can read. Everything here opens with ``O_NONBLOCK``, checks the open descriptor
(``fstat``: no race with a rename) and reads at most ``limit + 1`` bytes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

CONFIG_LIMIT = 32 * 1024 * 1024
"""A config with 100,000 nodes is ~10 MB."""
THEME_LIMIT = 1024 * 1024
TOKEN_LIMIT = 64 * 1024
"""Bearer tokens and JWTs are a few KB at most."""


class FileRefused(ValueError):
    """The path is readable but not a small regular file; the message says why (no path in it)."""


def read_capped(path: Path, limit: int) -> tuple[bytes, int]:
    """The bytes of the regular file ``path`` (at most ``limit``) and its permission bits.

    Raises :class:`FileRefused` for anything else, ``OSError`` when it cannot be opened."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = " (a FIFO)" if stat.S_ISFIFO(st.st_mode) else ""
            kind = " (a directory)" if stat.S_ISDIR(st.st_mode) else kind
            raise FileRefused(f"not a regular file{kind}")
        if st.st_size > limit:
            raise FileRefused(f"too large ({st.st_size:,} bytes; the limit is {limit:,})")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(65_536, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # grew while we read
            raise FileRefused(f"too large (more than {limit:,} bytes)")
        return b"".join(chunks), stat.S_IMODE(st.st_mode)
    finally:
        os.close(fd)


def read_token(path: Path) -> tuple[str, bool]:
    """The one-line token in ``path`` (one trailing newline allowed) and whether group/others may read it.

    Raises :class:`FileRefused` (empty, several lines, control characters, not UTF-8...) or ``OSError``."""
    raw, mode = read_capped(path, TOKEN_LIMIT)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused("not UTF-8 text") from None
    text = text.removesuffix("\n").removesuffix("\r")
    if "\n" in text or "\r" in text:
        raise FileRefused("must hold exactly one line (the token)")
    text = text.strip()
    if not text:
        raise FileRefused("is empty")
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text):
        raise FileRefused("contains control characters")
    return text, bool(mode & 0o044)
