"""The user's cache folder: what a cold start of the command would otherwise recompute on every run.

Everything kept there can be thrown away: a missing, unreadable or read-only cache costs a recomputation, never a
wrong answer. ``SIZING_CACHE_DIR`` moves it (the tests point it at a temporary folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    if os.environ.get("SIZING_CACHE_DIR"):
        return Path(os.environ["SIZING_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chat-infra"


def write_atomic(path: Path, content: bytes) -> None:
    """Best effort and atomic: a concurrent writer or a read-only home leaves the old file or none, never half of one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        pass
