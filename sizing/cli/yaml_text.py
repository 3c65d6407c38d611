"""YAML for plans, fast: 1,000 compared plans must not take twenty seconds to print.

PyYAML spends its time in the pure-Python representer, walking the data, not in the emitter. A plan's dump holds only
JSON types, so this builds the representation graph directly (the same nodes, tags and styles ``yaml.safe_dump``
builds) and hands it to libyaml's C emitter when PyYAML was built with it. The text is byte for byte what
``yaml.safe_dump(data, sort_keys=False, default_flow_style=False)`` writes (tests/test_yaml_text.py checks it).
"""

from __future__ import annotations

import gc
import io
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (
    _TAG + name for name in ("str", "int", "float", "bool", "null", "map", "seq")
)
# libyaml's emitter when PyYAML was built with it; the pure-Python one otherwise (same text, slower).
DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _float(value: float) -> str:
    """SafeRepresenter.represent_float's spelling."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text


def _node(data: Any) -> Node:
    kind = type(data)
    if kind is str:
        return ScalarNode(_STR, data)
    if kind is dict:
        return MappingNode(_MAP, [(_node(key), _node(value)) for key, value in data.items()], flow_style=False)
    if kind is list or kind is tuple:
        return SequenceNode(_SEQ, [_node(value) for value in data], flow_style=False)
    if kind is bool:
        return ScalarNode(_BOOL, "true" if data else "false")
    if kind is int:
        return ScalarNode(_INT, str(data))
    if kind is float:
        return ScalarNode(_FLOAT, _float(data))
    if data is None:
        return ScalarNode(_NULL, "null")
    raise TypeError(f"not JSON-shaped: {kind.__name__}")


def yaml_text(data: Any) -> str:
    """Block-style YAML of JSON-shaped data (dicts, lists, str, int, float, bool, None), keys in their order."""
    # A thousand plans make a million short-lived nodes, none in a cycle: the cyclic collector would walk them all
    # again and again as they are made (more than half the time), and reference counting frees them anyway.
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            root = _node(data)
        except TypeError:  # anything else takes PyYAML's own representer
            return yaml.dump(data, Dumper=DUMPER, sort_keys=False, default_flow_style=False)
        stream = io.StringIO()
        dumper = DUMPER(stream, default_flow_style=False, sort_keys=False)
        try:
            dumper.open()
            dumper.serialize(root)
            dumper.close()
        finally:
            dumper.dispose()
        return stream.getvalue()
    finally:
        if collecting:
            gc.enable()
