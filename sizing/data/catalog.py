"""What each instance and cache node type offers the scheduler, loaded from ``data/catalog.yaml``.

Kept apart from prices (``pricing``) as Karpenter keeps its instance-type provider apart from its pricing provider:
hardware facts hold in every region, prices do not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sizing.data.packaged_data import read_data
from sizing.errors import SizingError

Arch = Literal["x86_64", "arm64"]
FamilyKind = Literal["general", "compute", "memory", "burstable"]


class InstanceType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    vcpu: int = Field(gt=0)
    memory_gib: float = Field(gt=0)
    enis: int = Field(gt=0, description="network interfaces the type can attach")
    ipv4_per_eni: int = Field(gt=1)
    eni_max_pods: int = Field(gt=0)
    arch: Arch
    family_kind: FamilyKind
    baseline_cpu: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> InstanceType:
        if (self.baseline_cpu is not None) != self.burstable:
            raise ValueError(f"{self.name}: baseline_cpu is given for burstable types and only for them")
        # The VPC CNI rule the EKS AMI's max-pods table encodes: the first address of each ENI is the ENI's own.
        if self.eni_max_pods != self.enis * (self.ipv4_per_eni - 1) + 2:
            raise ValueError(f"{self.name}: eni_max_pods must be enis x (ipv4_per_eni - 1) + 2")
        return self

    @property
    def burstable(self) -> bool:
        return self.family_kind == "burstable"

    @property
    def family(self) -> str:
        return self.name.partition(".")[0]

    @property
    def generation(self) -> int:
        """5 for c5, 6 for m6i/c6g, 7 for m7i: on a price tie the newer generation wins."""
        found = re.search(r"\d+", self.family)
        return int(found.group()) if found else 0


class CacheNodeType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    memory_gib: float = Field(gt=0)


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True)

    as_of: str
    instance_types: dict[str, InstanceType]
    cache_node_types: dict[str, CacheNodeType]

    def __hash__(self) -> int:
        # By identity: selection caches per-catalog work, and a catalog passed in is never mutated (frozen).
        return id(self)

    def instance(self, name: str) -> InstanceType:
        try:
            return self.instance_types[name]
        except KeyError:
            raise SizingError(
                f"unknown instance type {name!r}; {_suggest(name, self.instance_types)}", field="instance_type"
            ) from None

    def cache_node(self, name: str) -> CacheNodeType:
        try:
            return self.cache_node_types[name]
        except KeyError:
            raise SizingError(
                f"unknown cache node type {name!r}; supported: {_by_family(self.cache_node_types)}",
                field="assumptions.cache.min_node_type",
            ) from None


def _by_family(names: Mapping[str, object]) -> str:
    """``m5.{large,xlarge,...}``: the supported list stays one readable line."""
    families: dict[str, list[str]] = {}
    for name in names:
        family, _, size = name.rpartition(".")
        families.setdefault(family, []).append(size)
    return "; ".join(f"{family}.{{{','.join(sizes)}}}" for family, sizes in sorted(families.items()))


def _suggest(name: str, names: Mapping[str, object]) -> str:
    """The sizes of the family the user meant, else the families: the whole catalog is too long for one line."""
    families: dict[str, list[str]] = {}
    for known in names:
        family, _, size = known.rpartition(".")
        families.setdefault(family, []).append(size)
    family = name.rpartition(".")[0]
    if family in families:
        return f"{family} offers: {', '.join(families[family])}"
    return f"supported families: {', '.join(sorted(families))}"


def _named(rows: dict[str, dict]) -> dict[str, dict]:
    return {name: {"name": name, **spec} for name, spec in rows.items()}


@cache
def load_catalog() -> Catalog:
    raw = read_data("catalog.yaml")
    return Catalog(
        as_of=str(raw["as_of"]),
        instance_types=_named(raw["instance_types"]),
        cache_node_types=_named(raw["cache_node_types"]),
    )
