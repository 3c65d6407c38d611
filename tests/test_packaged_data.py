"""The shipped data files are parsed once and then read from the user's cache, and the cache never answers for a
file it was not made from."""

from __future__ import annotations

import os
import pickle

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
    assert (cache / f"data-{name}.pickle").is_file()
    _no_parsing(monkeypatch)
    assert read_data(name) == first


def test_a_cache_made_from_other_bytes_is_not_used(cache):
    # As if the package were upgraded: the entry's key is another file's, and its data is wrong.
    (cache / "data-prices.yaml.pickle").write_bytes(pickle.dumps(((1, 3, 0), {"stale": True})))
    assert read_data("prices.yaml") == _shipped("prices.yaml")
    # ...and the entry is replaced by this file's.
    assert pickle.loads((cache / "data-prices.yaml.pickle").read_bytes())[1] == _shipped("prices.yaml")


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps("no key"), pickle.dumps((1, 2, 3))])
def test_a_damaged_cache_is_parsed_again(cache, content):
    (cache / "data-llm_models.yaml.pickle").write_bytes(content)
    assert read_data("llm_models.yaml") == _shipped("llm_models.yaml")


def test_an_unwritable_cache_still_reads_the_file(tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv("SIZING_CACHE_DIR", str(blocked / "cache"))
    assert read_data("catalog.yaml") == _shipped("catalog.yaml")
    assert not list(tmp_path.glob("**/*.pickle"))
