"""The data files shipped in ``sizing/data`` (catalog, prices, LLM profiles), read as plain Python data.

They stay YAML, the form a reviewer checks against its sources (comments carry them). Parsing that YAML was a fifth
of a cold start of the command, so the parsed form is kept in the user's cache, keyed by the file's exact bytes: an
edited or upgraded file is parsed again, an unchanged one is unpickled (and PyYAML is not even imported).
"""

from __future__ import annotations

import pickle
import zlib
from importlib import resources
from typing import Any

from sizing.data.user_cache import cache_dir, write_atomic

# Bumped when the cached form changes; part of every key.
_FORMAT = 1


def _parse(text: bytes) -> Any:
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_data(name: str) -> Any:
    """``name``'s content, as ``yaml.safe_load`` gives it."""
    text = resources.files("sizing.data").joinpath(name).read_bytes()
    key = (_FORMAT, len(text), zlib.crc32(text))
    path = cache_dir() / f"data-{name}.pickle"
    try:
        stored_key, data = pickle.loads(path.read_bytes())
        if stored_key == key:
            return data
    except (OSError, ValueError, TypeError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        pass  # absent, truncated or from another version: parse again
    data = _parse(text)
    write_atomic(path, pickle.dumps((key, data), protocol=pickle.HIGHEST_PROTOCOL))
    return data
