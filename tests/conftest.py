"""Shared test set-up: the LLM token-price cache lives in a temporary folder, never in the user's ~/.cache."""

from __future__ import annotations

import os
import tempfile

import pytest

# Set at import, before any test (or a subprocess it starts) resolves a token price.
os.environ["SIZING_CACHE_DIR"] = tempfile.mkdtemp(prefix="sizing-test-cache-")


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder and no in-process answers: the next resolution goes to genai-prices (or the file)."""
    from sizing.llm.token_prices import resolve_token_prices

    monkeypatch.setenv("SIZING_CACHE_DIR", str(tmp_path))
    resolve_token_prices.cache_clear()
    yield tmp_path
    resolve_token_prices.cache_clear()
