"""The data files shipped in ``sizing/data`` (catalog, prices, LLM profiles), read as plain Python data.

They stay YAML, the form a reviewer checks against its sources (comments carry them). Parsing that YAML was a fifth
of a cold start of the command, so the parsed form is kept in the user's cache as JSON (data, never code: a cache
folder others can write to can make a plan wrong, not run anything). An entry names the SHA-256 of the YAML it was
parsed from and of its own data: an edited or upgraded file is parsed again, a damaged entry is ignored and
rewritten, an unchanged one is read back (and PyYAML is not even imported).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

from sizing.data.user_cache import cache_dir, write_atomic

# Bumped when the cached form changes; part of every entry.
_FORMAT = 2


def _parse(text: bytes) -> Any:
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _cached(raw: bytes, source: str) -> Any:
    """The entry's data if it was made from ``source`` and is intact, else None."""
    header, _, body = raw.partition(b"\n")
    if header != f"{_FORMAT} {source} {_digest(body)}".encode():
        return None
    return json.loads(body)


def read_data(name: str) -> Any:
    """``name``'s content, as ``yaml.safe_load`` gives it."""
    text = resources.files("sizing.data").joinpath(name).read_bytes()
    source = _digest(text)
    path = cache_dir() / f"data-{name}.json"
    try:
        data = _cached(path.read_bytes(), source)
        if data is not None:
            return data
    except (OSError, ValueError):
        pass  # absent, unreadable or not JSON: parse again
    data = _parse(text)
    body = json.dumps(data, separators=(",", ":")).encode()
    # Only what JSON gives back unchanged is kept (a YAML date, say, would come back a string).
    if json.loads(body) == data:
        write_atomic(path, f"{_FORMAT} {source} {_digest(body)}\n".encode() + body)
    return data
