"""The shipped data files are parsed once and then read from the user's cache, and the cache never answers for a
file it was not made from."""

from __future__ import annotations

import os

import pytest
import yaml

from sizing.data import packaged_data
from sizing.data.packaged_data import read_data


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SIZING_CACHE_DIR", str(tmp_path))
    return tmp_path


def _shipped(name: str):
    path = os.path.join(os.path.dirname(packaged_data.__file__), name)  # the files sit beside the module
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _no_parsing(monkeypatch):
    def refuse(text):
        raise AssertionError("parsed the YAML although the cache holds it")

    monkeypatch.setattr(packaged_data, "_parse", refuse)


@pytest.mark.parametrize("name", ["catalog.yaml", "prices.yaml", "llm_models.yaml"])
def test_the_second_read_comes_from_the_cache_and_equals_the_file(cache, monkeypatch, name):
    first = read_data(name)
    assert first == _shipped(name)
    assert (cache / f"data-{name}.json").is_file()
    _no_parsing(monkeypatch)
    assert read_data(name) == first


def test_a_cache_made_from_other_bytes_is_not_used(cache):
    # As if the package were upgraded: the entry is intact but names another file, and its data is wrong.
    body = b'{"stale":true}'
    stale = f"2 {packaged_data._digest(b'other yaml')} {packaged_data._digest(body)}\n".encode() + body
    (cache / "data-prices.yaml.json").write_bytes(stale)
    assert read_data("prices.yaml") == _shipped("prices.yaml")
    # ...and the entry is replaced by this file's.
    assert (cache / "data-prices.yaml.json").read_bytes() != stale


def test_a_damaged_entry_is_never_believed(cache, monkeypatch):
    """Every single-byte change of a good entry is either detected (parsed again) or harmless: never other data."""
    read_data("llm_models.yaml")
    good = (cache / "data-llm_models.yaml.json").read_bytes()
    shipped = _shipped("llm_models.yaml")
    for at in range(0, len(good), max(1, len(good) // 300)):
        damaged = bytearray(good)
        damaged[at] ^= 0x5A
        (cache / "data-llm_models.yaml.json").write_bytes(bytes(damaged))
        assert read_data("llm_models.yaml") == shipped, at


@pytest.mark.parametrize("content", [b"", b"not json", b"2 a b\n{", b"\xff\xfe", b"[1, 2, 3]"])
def test_a_damaged_cache_is_parsed_again(cache, content):
    (cache / "data-llm_models.yaml.json").write_bytes(content)
    assert read_data("llm_models.yaml") == _shipped("llm_models.yaml")


def test_an_unwritable_cache_still_reads_the_file(tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv("SIZING_CACHE_DIR", str(blocked / "cache"))
    assert read_data("catalog.yaml") == _shipped("catalog.yaml")
    assert not list(tmp_path.glob("**/data-*.json"))
